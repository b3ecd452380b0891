"""Probe suite: the token, origin and Host rules under every way of starting the server, each a real server in a
subprocess on loopback (`advisor serve`, `uvicorn --factory advisor.api:create_app`), plus chats across
worker processes (D8). The test client cases are in test_security.py."""
import json
import os
import socket
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from probe_helpers import advisor_serve, get_json, parse_response, raw_exchange, server_process, uvicorn_factory
from sample_runs import valid_run

RUN = json.dumps(valid_run()).encode()
TOKEN = "probe-token-0123456789"
WAYS = {"advisor serve": advisor_serve(), "uvicorn --factory": uvicorn_factory()}


def post(url: str, body: bytes = RUN, **headers) -> tuple[int, dict]:
    return get_json(url, data=body, method="POST", headers={"Content-Type": "application/json", **headers})


@pytest.fixture(params=list(WAYS), scope="module")
def open_server(request, tmp_path_factory):
    """A server without a token, started one way, with its own store."""
    home = tmp_path_factory.mktemp("home")
    env = {"ADVISOR_RUNS_DB": str(home / "runs.sqlite"), "XDG_DATA_HOME": str(home / "data"),
           "ADVISOR_CACHE_DIR": str(home / "cache"), "ADVISOR_API_TOKEN": "", "ADVISOR_API_TOKENS": ""}
    with server_process(WAYS[request.param], env) as (url, _, _):
        yield url


@pytest.fixture(params=list(WAYS), scope="module")
def token_server(request, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    env = {"ADVISOR_RUNS_DB": str(home / "runs.sqlite"), "XDG_DATA_HOME": str(home / "data"),
           "ADVISOR_CACHE_DIR": str(home / "cache"), "ADVISOR_API_TOKEN": TOKEN}
    with server_process(WAYS[request.param], env) as (url, _, _):
        yield url


def test_D4_D5_without_a_token_only_a_local_json_write_from_no_foreign_page_is_stored(open_server):
    url = open_server
    assert post(url + "/runs")[0] == 201
    # D5: a browser's simple request, a form, a foreign page, a rebinding Host.
    assert post(url + "/runs", **{"Content-Type": "text/plain"})[0] == 415
    assert post(url + "/runs", **{"Content-Type": "application/x-www-form-urlencoded"})[0] == 415
    assert post(url + "/runs", Origin="https://evil.example")[0] == 403
    assert post(url + "/runs", Host="attacker.example")[0] == 400
    # D4: a client that is not on this machine, as a reverse proxy on loopback reports it (uvicorn trusts
    # X-Forwarded-For from 127.0.0.1), may not write without a token.
    status, body = post(url + "/runs", **{"X-Forwarded-For": "203.0.113.9"})
    assert status == 403 and "ADVISOR_API_TOKEN" in body["error"]
    runs = get_json(url + "/runs")[1]["runs"]
    assert len(runs) == 1


def test_D3_D4_with_a_token_writes_need_it(token_server):
    url = token_server
    assert post(url + "/runs")[0] == 401
    assert post(url + "/runs", Authorization="Bearer wrong")[0] == 401
    assert post(url + "/runs", Authorization=f"Bearer {TOKEN}", **{"X-Forwarded-For": "203.0.113.9"})[0] == 201
    # D3: a non-ASCII Authorization header, sent as raw bytes.
    port = int(url.rsplit(":", 1)[1])
    request = (b"POST /runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               + "Authorization: Bearer t\u00f6k\r\n".encode() + b"Content-Length: " + str(len(RUN)).encode()
               + b"\r\nConnection: close\r\n\r\n" + RUN)
    status, _, body = parse_response(raw_exchange(port, request))
    assert status == 401 and b"Traceback" not in body


def test_D3_uvicorn_factory_refuses_to_start_with_a_non_ascii_token(tmp_path):
    env = {"ADVISOR_API_TOKEN": "t\u00f6k", "XDG_DATA_HOME": str(tmp_path)}
    with pytest.raises(RuntimeError) as caught:
        with server_process(uvicorn_factory(), env, start_timeout_s=30):
            pass
    assert "ADVISOR_API_TOKEN" in str(caught.value) and "exited" in str(caught.value)


def _two_turn_chat(url: str) -> int:
    """A fresh connection per request (urllib closes each), so each turn may reach another worker."""
    status, first = post(url + "/chat", b"{}")
    if status != 200:
        return status
    return post(url + "/chat", json.dumps({"state": first["state"], "message": "training"}).encode())[0]


def _wait_for_workers(log, count: int, timeout_s: float = 60) -> None:
    """Until `count` worker processes have said their app started (each logs it once)."""
    deadline = time.monotonic() + timeout_s
    while log.read_text().count("Application startup complete") < count:
        assert time.monotonic() < deadline, log.read_text()[-1500:]
        time.sleep(0.2)


def test_D8_chats_survive_across_two_workers_without_a_configured_secret(tmp_path):
    """The probe: with `serve --workers 2` and no ADVISOR_CHAT_SECRET, 39 of 60 second turns got 400."""
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "ADVISOR_CHAT_SECRET": "", "ADVISOR_RUNS_DB":
           str(tmp_path / "runs.sqlite")}
    with server_process(advisor_serve("--workers", "2"), env) as (url, _, log):
        _wait_for_workers(log, 2)
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda _: _two_turn_chat(url), range(40)))
    assert statuses == [200] * 40, statuses


def test_D8_chats_survive_even_where_the_secret_cannot_be_kept(tmp_path):
    """`advisor serve` settles the secret before the workers start, so an unwritable data directory does not
    split the workers' secrets either."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    env = {"XDG_DATA_HOME": str(blocker), "ADVISOR_CHAT_SECRET": "", "ADVISOR_RUNS_DB": str(tmp_path / "r.sqlite")}
    with server_process(advisor_serve("--workers", "2"), env) as (url, _, log):
        _wait_for_workers(log, 2)
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda _: _two_turn_chat(url), range(20)))
        text = log.read_text()
    assert statuses == [200] * 20
    assert "ADVISOR_CHAT_SECRET" in text  # the warning says what would make it hold elsewhere


def test_D9_advisor_serve_bounds_request_heads(tmp_path):
    """`advisor serve` runs the guarded protocol: a 100 KiB header gets 431 and the connection is closed, where
    uvicorn alone answered 200 to a 10 MB header."""
    env = {"XDG_DATA_HOME": str(tmp_path), "ADVISOR_RUNS_DB": str(tmp_path / "r.sqlite")}
    with server_process(advisor_serve(), env) as (url, _, _):
        port = int(url.rsplit(":", 1)[1])
        request = b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"
        status, headers, body = parse_response(raw_exchange(port, request))
        assert status == 431 and headers.get("connection") == "close" and b'"error"' in body
        with urllib.request.urlopen(url + "/livez", timeout=5) as r:  # and the server goes on answering
            assert r.status == 200


def test_D13_the_port_the_server_reports_is_the_port_it_listens_on(tmp_path):
    """The probe: `serve --port 70000` listened on 4464. Out-of-range ports are refused by the CLI
    (test_probe_cli.py); here the listening socket is the one asked for."""
    env = {"XDG_DATA_HOME": str(tmp_path), "ADVISOR_RUNS_DB": str(tmp_path / "r.sqlite")}
    with server_process(advisor_serve(), env) as (url, _, log):
        port = int(url.rsplit(":", 1)[1])
        assert f"127.0.0.1:{port}" in log.read_text()
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass


def test_serve_says_so_in_one_line_when_the_port_is_taken(tmp_path):
    import subprocess

    from probe_helpers import ROOT

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_DATA_HOME=str(tmp_path))
        done = subprocess.run([sys.executable, "-m", "advisor", "serve", "--port", str(port)], env=env,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}") and done.stderr.count("\n") == 1


@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed")
def test_D22_the_docs_page_renders_every_operation_in_a_browser_with_no_network(tmp_path):
    """Swagger UI, served from the installed package, renders FastAPI's OpenAPI 3.1 in headless Chromium while
    every request to another host is blocked and recorded."""
    from browser import chromium_page

    env = {"XDG_DATA_HOME": str(tmp_path), "ADVISOR_RUNS_DB": str(tmp_path / "r.sqlite")}
    with server_process(advisor_serve(), env) as (url, _, _), chromium_page() as page:
        elsewhere = []

        def only_this_server(route):
            if route.request.url.startswith(url):
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        page.route("**/*", only_this_server)
        page.goto(url + "/docs")
        page.locator(".opblock").first.wait_for(timeout=30000)
        operations = page.locator(".opblock-summary-path").all_inner_texts()
        assert {"/recommend", "/chat", "/plans", "/runs", "/healthz"} <= {o.strip() for o in operations}, operations
        assert page.get_by_text("Unable to render this definition").count() == 0
    assert elsewhere == []


def test_D9_plain_uvicorn_can_run_the_guarded_protocol(tmp_path):
    """`uvicorn --http advisor.api.server:GuardedHttpProtocol --factory advisor.api:create_app`: the bounds with
    their default limits, for operators who start uvicorn themselves."""
    env = {"XDG_DATA_HOME": str(tmp_path), "ADVISOR_RUNS_DB": str(tmp_path / "r.sqlite")}
    args = uvicorn_factory("--http", "advisor.api.server:GuardedHttpProtocol")
    with server_process(args, env) as (url, _, _):
        port = int(url.rsplit(":", 1)[1])
        request = b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"
        assert parse_response(raw_exchange(port, request))[0] == 431
