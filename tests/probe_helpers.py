"""Helpers for the API tests and the probe suite: a test client on the app as a given client address, a real
server started the ways an operator starts it (in a subprocess, on loopback only), raw HTTP over a socket for
requests no client library sends, and the leak check every hostile case ends with."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from pg_cluster import free_port

from advisor.api import create_app
from advisor.api.settings import ApiSettings

ROOT = Path(__file__).resolve().parent.parent
JSON = {"Content-Type": "application/json"}
LOCAL = ("127.0.0.1", 50000)
REMOTE = ("203.0.113.9", 50000)  # TEST-NET-3 (RFC 5737): an address that is never this machine
# What a response must never show: a path on the server, a trace, the environment.
LEAK = re.compile(r"Traceback|File \"|site-packages|/work/|/tmp/|/root/|/home/|/usr/|\.py\"|ADVISOR_RUNS_DB=|"
                  r"PYTHONPATH|XDG_DATA_HOME")


def client(settings: ApiSettings | None = None, address: tuple[str, int] = LOCAL, **overrides) -> TestClient:
    """A test client on create_app(settings), as a client at `address`, addressing the server as localhost.
    overrides: ApiSettings fields (the run store defaults to the test's private ADVISOR_RUNS_DB).

    Every error body this client receives, in every test that uses it, is checked for the server's secrets and
    places (error_secrets): the suite-wide scan of issue 19 (E1, E9)."""
    settings = settings or ApiSettings.from_env(**overrides)
    api = TestClient(create_app(settings), base_url="http://localhost", client=address,
                     raise_server_exceptions=False)
    secrets = error_secrets(settings)

    def scan(response):
        if response.status_code >= 400:
            response.read()
            found = [s for s in secrets if s in response.text]
            assert not found, f"an error body carries {found}: {response.text[:300]}"
            ERROR_BODIES_SCANNED[0] += 1
    api.event_hooks = {"request": [], "response": [scan]}
    return api


# How many error bodies client() has scanned in this process (the scan test asserts that it saw some).
ERROR_BODIES_SCANNED = [0]


def error_secrets(settings: ApiSettings) -> list[str]:
    """What no error body may carry for these settings: the store's URL and each sensitive part (password, user,
    host, database, query values), the store's path and folder, the data folder, and the home folder."""
    from urllib.parse import parse_qsl, urlsplit

    out = []
    target = settings.database_url or os.environ.get("ADVISOR_RUNS_DB") or ""
    if "://" in target:
        parts = urlsplit(target)
        out += [target, parts.password or "", parts.username or "", parts.path.strip("/"),
                *(v for _, v in parse_qsl(parts.query))]
        if parts.hostname and parts.hostname not in ("localhost",):
            out.append(parts.hostname)
    elif target:
        absolute = os.path.abspath(target)
        out += [target, absolute, os.path.dirname(absolute)]
    if settings.data_dir:
        out.append(os.path.abspath(settings.data_dir))
    home = os.path.expanduser("~")
    if home != "/":
        out.append(home + "/")
    return [s for s in out if s and len(s) >= 4]


def assert_no_leak(response) -> None:
    """The response is the project's JSON error shape (for errors) and shows no path, trace or environment."""
    text = response.text if hasattr(response, "text") else response
    assert not LEAK.search(text), text[:500]
    status = getattr(response, "status_code", None)
    if status is not None and status >= 400 and text:
        body = json.loads(text)
        assert isinstance(body.get("error"), str) and body["error"] and "detail" in body, text[:300]
        assert "\n" not in body["error"]




def get_json(url: str, timeout: float = 5, **kwargs) -> tuple[int, dict]:
    """(status, JSON body) of a request with urllib; HTTP errors are answers, not exceptions."""
    request = urllib.request.Request(url, **kwargs)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@contextmanager
def server_process(args: list[str], env_extra: dict | None = None, port: int | None = None, ready_path="/livez",
                   start_timeout_s: float = 60):
    """A server started as `args` (with {port} filled in) in a subprocess; yields (base URL, Popen, log path).
    Loopback only; stopped (SIGTERM, then SIGKILL) on leaving."""
    port = port or free_port()
    env = dict(os.environ, **(env_extra or {}))
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"  # the log is read while the server runs
    log = Path(env.get("ADVISOR_CACHE_DIR", "/tmp")) / f"server-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = subprocess.Popen([a.format(port=port) for a in args], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url + ready_path, timeout=1):
                    break
            except urllib.error.HTTPError:
                break  # it answers: a 503 is an answer
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}") from None
                time.sleep(0.2)
        yield url, process, log
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def advisor_serve(*extra: str) -> list[str]:
    return [sys.executable, "-m", "advisor", "serve", "--port", "{port}", *extra]


def uvicorn_factory(*extra: str) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "--factory", "advisor.api:create_app", "--host", "127.0.0.1", "--port",
            "{port}", "--log-level", "warning", *extra]


def raw_exchange(port: int, data: bytes, timeout: float = 10, host: str = "127.0.0.1") -> bytes:
    """Send raw bytes to the server and read until it closes the connection or `timeout` passes."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if _complete(b"".join(chunks)):
                    break
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def _complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return match is not None and len(body) >= int(match.group(1))


def parse_response(data: bytes) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one raw HTTP/1.1 response."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body
