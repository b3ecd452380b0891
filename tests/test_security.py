"""The API's security rules through the app (test client) and the settings that decide them: tokens (D3), the
client-address rule (D4), cross-site writes and DNS rebinding (D5), the chat secret shared by processes (D8),
and settings that are refused at start-up. Real servers started each way: test_probe_startup.py."""
import functools
import json
import os
import subprocess
import sys
import tempfile

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from probe_helpers import JSON, LOCAL, REMOTE, ROOT, assert_no_leak, client
from sample_runs import valid_run

from advisor.api.settings import ApiSettings
from advisor.api.signing import StateSigner, host_secret
from advisor.errors import SettingsError

RUN = json.dumps(valid_run())
TOKEN = "tok-123_abc.DEF~+/="


# D3: non-ASCII bearer tokens.

@pytest.mark.parametrize("header", [
    "Bearer t\u00f6k".encode(),  # UTF-8 bytes: the probe's 500
    b"Bearer t\xf6k",  # a lone latin-1 byte
    b"Bearer \xff\xfe\x00tok"[:-4] + b"tok",  # bytes that are no text at all
    "Bearer \u200btok-123".encode(),  # a zero-width space before the real token
    ("Bearer " + TOKEN).encode() + "\u00e9".encode(),  # the token plus a non-ASCII suffix
])
def test_D3_non_ascii_authorization_gets_401_never_500(header):
    api = client(api_token=TOKEN)
    r = api.post("/runs", content=RUN, headers=[(b"content-type", b"application/json"), (b"authorization", header)])
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert_no_leak(r)
    ok = api.post("/runs", content=RUN, headers={**JSON, "Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 201


@pytest.mark.parametrize("token", ["Zq7t\u00f6k", "Zq7 en", "Zq7tok\n", "\u0442\u043e\u043a\u0435\u043d", "Zq7\x00"])
def test_D3_a_server_token_that_cannot_travel_in_a_header_is_refused_at_start(token):
    """The probe: a non-ASCII server token made every POST /runs answer 500. Now the app is not made, and the
    message says what a token may hold without echoing it."""
    with pytest.raises(SettingsError) as caught:
        ApiSettings.from_env({"ADVISOR_API_TOKEN": token})
    assert "ASCII" in str(caught.value) and token.strip() not in str(caught.value)
    with pytest.raises(SettingsError):
        ApiSettings.from_env({"ADVISOR_API_TOKENS": f"ci={token}x"})  # (pairs are stripped of outer spaces)


def test_D3_advisor_serve_refuses_a_non_ascii_token_with_one_line():
    env = dict(os.environ, ADVISOR_API_TOKEN="t\u00f6k", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "advisor", "serve", "--port", "1"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "ADVISOR_API_TOKEN" in done.stderr and "t\u00f6k" not in done.stderr


@given(st.binary(max_size=200))
@hsettings(max_examples=150, deadline=None)
def test_D3_any_authorization_bytes_get_401(header):
    header = header.replace(b"\r", b"").replace(b"\n", b"").replace(b"\x00", b"").strip()
    r = _token_api().post("/runs", content=RUN, headers=[(b"content-type", b"application/json"),
                                                         (b"authorization", header)])
    assert r.status_code == 401, r.text


@functools.cache
def _token_api():
    """One app for the property test (hypothesis runs many examples in one test)."""
    folder = tempfile.mkdtemp(prefix="advisor-token-")
    return client(ApiSettings(api_token=TOKEN, database_url=f"{folder}/runs.sqlite", chat_secret=b"s" * 32))


def test_token_rules():
    api = client(api_token=TOKEN)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {TOKEN[:-1]}"},
                    {"Authorization": f"Basic {TOKEN}"}, {"Authorization": f"Bearer{TOKEN}"}, {"X-Api-Key": TOKEN},
                    {"Cookie": f"token={TOKEN}"}, {"Authorization": f"Bearer {TOKEN}x"}):
        r = api.post("/runs", content=RUN, headers={**JSON, **headers})
        assert r.status_code == 401, headers
    assert api.post(f"/runs?token={TOKEN}", content=RUN, headers=JSON).status_code == 401
    # With a token, the client's address does not matter.
    remote = client(api_token=TOKEN, address=REMOTE)
    assert remote.post("/runs", content=RUN, headers={**JSON, "Authorization": f"Bearer {TOKEN}"}).status_code == 201


@pytest.mark.parametrize("header", [
    "bearer {}",  # RFC 7235: the scheme is case-insensitive
    "BEARER {}",  # the same, upper case
    "Bearer  {}",  # two spaces before the token
    "Bearer {} ",  # a trailing space
])
def test_e22_the_bearer_scheme_is_case_insensitive_and_spaces_are_ignored(tmp_path, header):
    api = client(ApiSettings(api_token=TOKEN, database_url=str(tmp_path / "runs.sqlite")))
    run = json.dumps(valid_run(note=f"posted with {header!r}"))
    r = api.post("/runs", content=run, headers={**JSON, "Authorization": header.format(TOKEN)})
    assert r.status_code == 201, r.text


def test_named_tokens_each_work():
    api = client(api_token=None, token_names={"aaa-111": "ci", "bbb-222": "lab"})
    for i, token in enumerate(("aaa-111", "bbb-222")):
        run = json.dumps(valid_run(note=f"posted with token {i}"))  # two runs: the same run twice is stored once
        assert api.post("/runs", content=run, headers={**JSON, "Authorization": f"Bearer {token}"}).status_code == 201
    posters = {item["poster"] for item in api.get("/runs").json()["runs"]}
    assert posters == {"ci", "lab"}


# D4: without a token only a client on this machine may write, whatever the bind host says.

@pytest.mark.parametrize("bind_host", ["127.0.0.1", "0.0.0.0", "::", "192.0.2.10"])
def test_D4_a_remote_client_without_a_token_is_refused_whatever_the_bind_host(bind_host):
    """The probe: under `uvicorn --factory ... --host 0.0.0.0` the app believed it was on loopback and let a LAN
    client write. The client's own address now decides: a TEST-NET address is refused under every bind host."""
    remote = client(bind_host=bind_host, address=REMOTE)
    r = remote.post("/runs", content=RUN, headers=JSON)
    assert r.status_code == 403 and "ADVISOR_API_TOKEN" in r.json()["error"]
    assert remote.get("/runs").status_code == 200  # reading stays open


@pytest.mark.parametrize("address", [("127.0.0.1", 1), ("127.8.9.10", 1), ("::1", 1)])
def test_D4_a_loopback_client_may_write_to_a_loopback_server(address):
    assert client(address=address).post("/runs", content=RUN, headers=JSON).status_code == 201


def test_D4_the_test_clients_default_address_is_not_trusted():
    """Starlette's test client says it is 'testclient': no address, so no write without a token."""
    from fastapi.testclient import TestClient

    from advisor.api import create_app

    api = TestClient(create_app(ApiSettings.from_env()), base_url="http://localhost")
    assert api.post("/runs", content=RUN, headers=JSON).status_code == 403


def test_D4_the_settings_come_from_the_environment_when_none_are_given(monkeypatch):
    """create_app() (what `uvicorn --factory` calls) reads the token from the environment."""
    monkeypatch.setenv("ADVISOR_API_TOKEN", TOKEN)
    from fastapi.testclient import TestClient

    from advisor.api import create_app

    api = TestClient(create_app(), base_url="http://localhost", client=LOCAL)
    assert api.post("/runs", content=RUN, headers=JSON).status_code == 401


# D5: cross-site writes and DNS rebinding.

@pytest.mark.parametrize("content_type", [
    "text/plain",  # a browser's "simple" request: no preflight
    "application/x-www-form-urlencoded",  # an HTML form
    "multipart/form-data; boundary=x",  # an HTML form with a file
    None,  # fetch() with a Blob body sends none
    "application/json; charset=latin-1",  # JSON must be UTF-8 (RFC 8259)
    "application/jsonx",
])
@pytest.mark.parametrize("path", ["/runs", "/recommend", "/chat"])
def test_D5_writes_that_are_not_declared_json_get_415(content_type, path):
    api = client()
    headers = {} if content_type is None else {"Content-Type": content_type}
    r = api.post(path, content=RUN if path == "/runs" else "{}", headers=headers)
    assert r.status_code == 415 and "application/json" in r.json()["error"]
    assert_no_leak(r)


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://localhost.evil.example",
                                    "http://127.0.0.1.nip.io", "file://", "https://good.example.evil.com"])
@pytest.mark.parametrize("path", ["/runs", "/recommend", "/chat"])
def test_D5_writes_from_a_foreign_origin_get_403(origin, path):
    api = client(cors_origins=("https://good.example",))
    r = api.post(path, content=RUN if path == "/runs" else "{}", headers={**JSON, "Origin": origin})
    assert r.status_code == 403 and "origin" in r.json()["error"]


@pytest.mark.parametrize("origin", ["http://localhost:8501", "http://127.0.0.1:3000", "http://[::1]:8000",
                                    "https://good.example"])
def test_D5_loopback_pages_and_listed_origins_may_write(origin):
    api = client(cors_origins=("https://good.example",))
    assert api.post("/runs", content=RUN, headers={**JSON, "Origin": origin}).status_code == 201


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8000", "localhost.attacker.example",
                                  "127.0.0.1.attacker.example", "", "[::2]:8000"])
def test_D5_a_foreign_host_header_gets_400_on_every_endpoint(host):
    """DNS rebinding: a page on attacker.example whose name now points at 127.0.0.1 sends Host: attacker.example."""
    api = client()
    for method, path in (("GET", "/healthz"), ("GET", "/plans"), ("GET", "/runs"), ("POST", "/runs"),
                         ("POST", "/recommend"), ("GET", "/docs")):
        r = api.request(method, path, content=RUN if method == "POST" else None, headers={**JSON, "Host": host})
        assert r.status_code == 400 and "Host" in r.json()["error"], (method, path, host)


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:9", "[::1]:8000", "LOCALHOST"])
def test_D5_loopback_host_names_are_answered(host):
    assert client().get("/healthz", headers={"Host": host}).status_code == 200


def test_D5_allowed_hosts_and_the_bind_address_are_answered():
    api = client(bind_host="192.0.2.10", allowed_hosts=("advisor.lab.example",))
    assert api.get("/healthz", headers={"Host": "advisor.lab.example:8000"}).status_code == 200
    assert api.get("/healthz", headers={"Host": "192.0.2.10:8000"}).status_code == 200
    assert api.get("/healthz", headers={"Host": "other.example"}).status_code == 400
    # A wildcard bind address is no name: 0.0.0.0 as a Host is refused.
    assert client(bind_host="0.0.0.0").get("/healthz", headers={"Host": "0.0.0.0"}).status_code == 400


def test_D5_the_probes_exact_request_is_refused():
    """`curl -H 'Content-Type: text/plain' -H 'Origin: https://evil.example' --data-binary @run.json` gave 201."""
    api = client()
    r = api.post("/runs", content=RUN, headers={"Content-Type": "text/plain", "Origin": "https://evil.example"})
    assert r.status_code in (403, 415)
    assert api.get("/runs").json()["runs"] == []


# D8: one chat secret per host, created once and atomically.

def test_D8_host_secret_is_created_once_and_shared(tmp_path):
    first = host_secret(tmp_path)
    assert host_secret(tmp_path) == first and len(first) >= 32
    assert (tmp_path / "chat-secret").stat().st_mode & 0o077 == 0  # readable by its owner only


def test_D8_processes_starting_together_agree_on_the_secret(tmp_path):
    """Eight processes race to create the secret; all must read the same one (the old code could hand a
    process that read the file before its creator had written it a random secret of its own)."""
    code = "import sys; from pathlib import Path; from advisor.api.signing import host_secret; " \
           "print(host_secret(Path(sys.argv[1])).decode())"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "d")], env=env, stdout=subprocess.PIPE,
                              text=True) for _ in range(8)]
    secrets = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(secrets) == 1 and len(secrets.pop()) == 64


def test_D8_an_unwritable_data_directory_warns(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    secret = host_secret(blocker / "advisor")
    assert len(secret) == 32
    assert "ADVISOR_CHAT_SECRET" in caplog.text


def test_D8_two_apps_with_one_secret_continue_each_others_chats():
    a, b = client(chat_secret=b"k" * 32), client(chat_secret=b"k" * 32)
    state = a.post("/chat", json={}).json()["state"]
    assert b.post("/chat", json={"state": state, "message": "training"}).status_code == 200


# Settings refused when the app is made, with a message naming the variable.

@pytest.mark.parametrize("env, variable", [
    ({"ADVISOR_CHAT_SECRET": "secret"}, "ADVISOR_CHAT_SECRET"),  # forgeable
    ({"ADVISOR_CORS_ORIGINS": "*"}, "ADVISOR_CORS_ORIGINS"),  # every site
    ({"ADVISOR_CORS_ORIGINS": "evil.example"}, "ADVISOR_CORS_ORIGINS"),  # no scheme
    ({"ADVISOR_ALLOWED_HOSTS": "a.example:80"}, "ADVISOR_ALLOWED_HOSTS"),  # a port
    ({"ADVISOR_BIND_HOST": "not a host!!"}, "ADVISOR_BIND_HOST"),
    ({"ADVISOR_API_TOKENS": "no-equals-sign"}, "ADVISOR_API_TOKENS"),
    ({"ADVISOR_API_TOKENS": "ci\x1b[31m=tok"}, "ADVISOR_API_TOKENS"),  # a control character in a name
])
def test_unusable_settings_are_refused_naming_the_variable(env, variable):
    with pytest.raises(SettingsError) as caught:
        ApiSettings.from_env(env)
    assert variable in str(caught.value) and "\n" not in str(caught.value)


def test_create_app_with_settings_checks_them_too():
    with pytest.raises(SettingsError):
        ApiSettings(chat_secret=b"short")
    with pytest.raises(SettingsError):
        ApiSettings(api_token="t\u00f6k")


def test_signed_states_survive_only_under_the_same_secret():
    one, other = StateSigner(b"x" * 32), StateSigner(b"y" * 32)
    token = one.dumps({"step": 1})
    assert one.loads(token) == {"step": 1}
    with pytest.raises(ValueError):
        other.loads(token)
