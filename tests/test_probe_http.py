"""Probe suite: the hostile requests of the 2026-11 reliability probe as tests. Bodies (nesting, lying lengths,
chunked bodies over the cap, bad encodings), headers (non-ASCII, huge), slow clients, through the test client
and through a real uvicorn with the guarded protocol on loopback. Every answer is checked for a 5xx and for
leaks (a path, a trace, the environment)."""
import json
import select
import socket
import threading
import time
from contextlib import contextmanager
from functools import partial

import pytest
import uvicorn
from probe_helpers import JSON, assert_no_leak, client, parse_response, raw_exchange
from sample_runs import valid_run

from advisor.api import create_app
from advisor.api.server import GuardedHttpProtocol, listening_socket
from advisor.api.settings import ApiSettings

POST_PATHS = ["/runs", "/recommend", "/chat"]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe")
    return client(ApiSettings(database_url=str(folder / "runs.sqlite"), chat_secret=b"p" * 32))


# D2 at the API: nesting.

@pytest.mark.parametrize("depth", [33, 1000, 10_000, 100_000])
@pytest.mark.parametrize("shape", ["array", "object", "in_note"])
@pytest.mark.parametrize("path", POST_PATHS)
def test_D2_deep_nesting_gets_422_not_500(api, depth, shape, path):
    """The probe: 1000 levels gave 500 on /runs (RecursionError) and 400 on /recommend and /chat."""
    if shape == "array":
        body = "[" * depth + "]" * depth
    elif shape == "object":
        body = '{"a":' * depth + "1" + "}" * depth
    else:
        run = valid_run()
        run["note"] = "NEST"
        body = json.dumps(run).replace('"NEST"', "[" * depth + "]" * depth)
    r = api.post(path, content=body, headers=JSON)
    assert r.status_code == 422 and "nested deeper than" in r.json()["error"]
    assert_no_leak(r)


def test_D2_brackets_inside_strings_are_not_nesting(api):
    r = api.post("/chat", json={"message": "[" * 5000})
    assert r.status_code != 422 or "nested" not in r.json()["error"]


# D15: bodies over the cap, however they arrive.

def _chunks(total: int, size: int = 64 * 1024):
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b" " * piece


@pytest.mark.parametrize("path", POST_PATHS)
@pytest.mark.parametrize("total", [1_000_001, 1_500_000, 5_000_000])
def test_D15_chunked_body_over_1_mb_gets_413_on_every_endpoint(api, path, total):
    """The probe: 1.5 MB chunked to /recommend or /chat got 400 'There was an error parsing the body'."""
    r = api.post(path, content=_chunks(total), headers=JSON)
    assert r.status_code == 413 and r.json()["error"].startswith("request body over")


@pytest.mark.parametrize("path", POST_PATHS)
def test_D15_declared_length_over_the_cap_gets_413_before_reading(api, path):
    r = api.post(path, content=b"{" + b" " * 1_000_000 + b"}", headers=JSON)
    assert r.status_code == 413


def test_a_body_of_exactly_the_cap_is_read(api):
    run = valid_run()
    text = json.dumps(run)
    run["note"] = "x" * 2000
    padded = json.dumps(run)
    padded = padded + " " * (1_000_000 - len(padded))
    assert len(padded.encode()) == 1_000_000 and len(text) < len(padded)
    assert api.post("/runs", content=padded, headers=JSON).status_code == 201


# Bodies that are not JSON, or not UTF-8.

@pytest.mark.parametrize("body", [
    b"{", b"not json", b"", b"null", b'""', b"123", b"\xff\xfe\x00", b'{"a":1,}', b"{'a':1}", b"{}{}",
    b'{"a":1}\x00', b'{"a":1} trailing', b'"\\ud800"', '{"message":"\u00e9"}'.encode("utf-16"),
    b'{"message": "caf\xe9"}', b'{"gpu_mem_gb": 1' + b"0" * 5000 + b"}", b'{"gpu_mem_gb": NaN}',
    b'{"gpu_mem_gb": Infinity}', b'{"gpu_mem_gb": 1e309}',
])
@pytest.mark.parametrize("path", POST_PATHS)
def test_malformed_bodies_get_4xx_in_the_error_shape(api, path, body):
    r = api.post(path, content=body, headers=JSON)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
    assert_no_leak(r)


def test_a_byte_order_mark_before_json_is_accepted(api):
    """Harmless (the probe agreed): some editors write one."""
    assert api.post("/recommend", content="\ufeff{}".encode(), headers=JSON).status_code == 200


# Headers.

@pytest.mark.parametrize("name, value", [
    (b"authorization", "Bearer t\u00f6k".encode()),
    (b"origin", "http://\u00e9vil.example".encode()),
    (b"host", "l\u00f6calhost".encode()),
    (b"content-type", "application/json; charset=\u00fc".encode()),
    (b"x-anything", b"\xff\xfe"),
    (b"cookie", b"a=" + b"\x80" * 100),
])
@pytest.mark.parametrize("path", POST_PATHS)
def test_non_ascii_header_values_never_give_500(api, path, name, value):
    headers = [(b"content-type", b"application/json"), (b"host", b"localhost")]
    headers = [h for h in headers if h[0] != name] + [(name, value)]
    r = api.post(path, content=b"{}", headers=headers)
    assert r.status_code < 500
    assert_no_leak(r)


# A real uvicorn with the guarded protocol, in this process, on loopback, with small limits so a test is short.

@contextmanager
def guarded_server(tmp_path, **limits):
    settings = ApiSettings(database_url=str(tmp_path / "runs.sqlite"), chat_secret=b"g" * 32, **limits)
    sock = listening_socket("127.0.0.1", 0)
    config = uvicorn.Config(create_app(settings), http=partial(GuardedHttpProtocol, settings=settings),
                            log_level="warning", lifespan="off", timeout_keep_alive=settings.keep_alive_s)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.05)
    try:
        yield sock.getsockname()[1], server
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def _get(port: int, path: str = "/livez") -> int:
    data = raw_exchange(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    return parse_response(data)[0]


def _read_until_closed(sock: socket.socket, limit_s: float) -> bytes:
    """What the server sends before it closes the connection; raises TimeoutError if it is still open."""
    sock.settimeout(limit_s)
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def test_D9_a_partial_request_head_is_closed_after_the_head_timeout(tmp_path):
    """The probe: a partial header idle for 70 s was never closed."""
    with guarded_server(tmp_path, head_timeout_s=1.0) as (port, _):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            answer = _read_until_closed(sock, limit_s=20)
        assert parse_response(answer)[0] == 408 and b"request head" in answer


def test_D9_a_head_sent_byte_by_byte_is_closed_though_bytes_keep_coming(tmp_path):
    """Slowloris: a byte every 0.1 s keeps any idle timeout from firing; the head as a whole is bounded."""
    with guarded_server(tmp_path, head_timeout_s=1.0) as (port, _):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"GET /livez HTTP/1.1\r\n")
            answered = False
            for _ in range(100):  # at most 100 bytes, 10 s: ten times the bound
                try:
                    sock.sendall(b"X")
                except OSError:  # reset: closed
                    answered = True
                    break
                if select.select([sock], [], [], 0.1)[0]:  # the server wrote (408) or closed
                    answered = True
                    break
            assert answered
            assert parse_response(_read_until_closed(sock, limit_s=10))[0] == 408


def test_D9_a_stalled_body_gets_408(tmp_path):
    with guarded_server(tmp_path, body_timeout_s=1.0) as (port, _):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"POST /recommend HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n{\"workload\":")
            answer = _read_until_closed(sock, limit_s=20)
        status, headers, body = parse_response(answer)
        assert status == 408 and headers.get("connection") == "close" and b"body" in body


def test_D9_idle_connections_make_room_for_new_ones(tmp_path):
    """The probe: 400 slow connections under a 256-file limit left /healthz answering 0 of 38. With a cap of 8
    connections, 30 idle ones are held to 8 and a new request is still answered."""
    with guarded_server(tmp_path, max_connections=8, head_timeout_s=30.0) as (port, server):
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(30)]
        try:
            for sock in idle:
                sock.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
            time.sleep(0.5)
            assert len(server.server_state.connections) <= 8
            assert _get(port, "/healthz") == 200
            assert _get(port, "/livez") == 200
        finally:
            for sock in idle:
                sock.close()


def test_D9_a_head_over_the_size_limit_gets_431(tmp_path):
    with guarded_server(tmp_path, max_head_bytes=4096) as (port, _):
        for request in (b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 10_000 + b"\r\n\r\n",
                        b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-H: 1\r\n" * 2000 + b"\r\n"):
            status, headers, _ = parse_response(raw_exchange(port, request))
            assert status == 431 and headers["connection"] == "close"
        assert _get(port) == 200


@pytest.mark.parametrize("path", POST_PATHS)
def test_D15_raw_chunked_body_over_1_mb_gets_413_from_a_real_server(tmp_path, path):
    with guarded_server(tmp_path) as (port, _):
        chunk = b" " * 65536
        body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(24)) + b"0\r\n\r\n"  # 1.5 MB
        request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   f"Transfer-Encoding: chunked\r\n\r\n").encode() + body
        status, _, answer = parse_response(raw_exchange(port, request))
        assert status == 413 and b"request body over" in answer


@pytest.mark.parametrize("length", ["999999999999", "1000001"])
def test_lying_content_lengths(tmp_path, length):
    """A length over the cap with no body: 413 at once. (A length under the truth is HTTP pipelining: the
    rest is read as the next request, which gets 400 from the parser.)"""
    with guarded_server(tmp_path) as (port, _):
        request = (f"POST /recommend HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {length}\r\n\r\n").encode()
        status, _, _ = parse_response(raw_exchange(port, request))
        assert status == 413
        short = (b"POST /recommend HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 2\r\nConnection: close\r\n\r\n{}" + b"x" * 2_000_000)
        status, _, _ = parse_response(raw_exchange(port, short))
        assert status == 200
