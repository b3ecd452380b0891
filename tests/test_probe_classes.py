"""The second reliability probe (2026-12), E1-E27, pinned as classes: each test is named after the defect it pins
and exercises the class's defence (codes instead of driver text, deadlines, bounded reads, settings checked at
start) with a new variant, not only the probe's own case. Slow variants (freezes under load) live in
benchmarks/bench_probe.py."""
from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import os
import socket
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest
from pg_cluster import free_port
from probe_helpers import JSON, LOCAL, REMOTE, assert_no_leak, client
from sample_runs import valid_run

from advisor.api.settings import ApiSettings
from advisor.errors import RunPostError, RunValidationError, SettingsError, StoreError
from advisor.runs.faults import StoreFault, public_text
from advisor.runs.record import run_from_json, runs_from_file
from advisor.runs.store import RunStore, decode_cursor
from advisor.vocab import RunOrder

SECRET = "s3cr3t-pw-Zq9"
SECRET_SETTINGS = dict(chat_secret=b"0123456789abcdef0123456789abcdef")


def _cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _run(note: str = "", **changes) -> bytes:
    return json.dumps(valid_run(note=note, **changes)).encode()


class _Silent:
    """A TCP server on loopback that accepts connections and never answers: a frozen or partitioned database
    (the kernel completes the handshake, nothing more comes)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.stopped = True
        for c in self.held:
            c.close()
        self.sock.close()


def _answers_within(fn, limit_s: float = 60.0):
    """fn()'s result, or AssertionError when it has not answered within limit_s (far above any deadline here,
    so this asserts 'did not hang', not a time)."""
    out: dict = {}

    def call():
        try:
            out["r"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            out["e"] = exc

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(limit_s)
    assert out, f"no answer within {limit_s} s: the request hung"
    if "e" in out:
        raise out["e"]
    return out["r"]


# ---------------------------------------------------------------------------------------------
# E1, E9: no error body carries the store's URL, password, host or path


def test_e1_no_error_body_or_evidence_problem_carries_the_database_url_password_or_host():
    port = free_port()  # nothing listens there: every store call fails
    url = f"postgresql://app:{SECRET}@127.0.0.1:{port}/advapp?password={SECRET}&application_name=adv-name"
    api = client(ApiSettings(database_url=url, store_timeout_s=2, **SECRET_SETTINGS))
    answers = [api.get("/runs"), api.post("/runs", content=_run(), headers=JSON), api.get("/healthz"),
               api.get("/runs", params={"cursor": _cursor(["2026-11-20T10:00:00+00:00", True, "newest"])}),
               api.post("/recommend", json={"evidence": "all"})]
    for r in answers:
        for secret in (SECRET, "advapp", f"127.0.0.1:{port}", str(port), "adv-name", "app:", "postgresql"):
            assert secret not in r.text, (r.status_code, secret, r.text[:300])
    assert answers[0].status_code == 503 and answers[0].json()["detail"]["code"] in ("unreachable", "timeout")
    recommended = answers[-1]
    assert recommended.status_code == 200 and recommended.json()["evidence"]["problem"]


def test_e9_a_store_path_with_spaces_never_reaches_a_client(tmp_path):
    folder = tmp_path / "My Documents" / "advisor store"
    folder.mkdir(parents=True)
    store = folder / "runs.sqlite"
    store.write_bytes(os.urandom(8192))  # damaged
    api = client(ApiSettings(database_url=str(store), **SECRET_SETTINGS))
    for r in (api.get("/runs"), api.post("/runs", content=_run(), headers=JSON), api.get("/healthz"),
              api.post("/recommend", json={"evidence": "all"})):
        assert "Documents" not in r.text and "advisor store" not in r.text and str(tmp_path) not in r.text, r.text
    r = api.get("/runs")
    assert r.status_code == 503 and r.json()["detail"] == {"code": "damaged"}
    assert public_text("damaged") in r.json()["error"]


def test_e1_every_fault_code_has_a_safe_sentence():
    for fault in StoreFault:
        text = fault.public
        assert text and "/" not in text and "://" not in text and "\n" not in text
    assert public_text("no-such-code") == StoreFault.UNAVAILABLE.public


# ---------------------------------------------------------------------------------------------
# E2: exact types in cursors


@pytest.mark.parametrize("payload", [
    ["2026-11-20T10:00:00+00:00", True, "newest"],  # the probe's: JSON true is a Python int
    ["2026-11-20T10:00:00+00:00", 1.0, "newest"],  # a float id
    ["2026-11-20T10:00:00+00:00", "1", "newest"],  # an id as text
    [20261120, 1, "newest"],  # a date as a number
    ["2026-11-20T10:00:00+00:00", 1, ["newest"]],  # an order as a list
])
def test_e2_a_cursor_of_the_wrong_types_is_422_not_a_store_fault(tmp_path, payload):
    with pytest.raises(ValueError, match="not a cursor"):
        decode_cursor(_cursor(payload), RunOrder.NEWEST)
    api = client(ApiSettings(database_url=str(tmp_path / "runs.sqlite"), **SECRET_SETTINGS))
    r = api.get("/runs", params={"cursor": _cursor(payload)})
    assert r.status_code == 422 and "cursor" in r.json()["error"]


# ---------------------------------------------------------------------------------------------
# E3, E13, E5: deadlines


def test_e3_a_frozen_database_answers_503_within_the_deadline_and_healthz_is_not_ready():
    frozen = _Silent()
    try:
        url = f"postgresql://app@127.0.0.1:{frozen.port}/advapp"
        api = client(ApiSettings(database_url=url, store_timeout_s=1, **SECRET_SETTINGS))
        for call in (lambda: api.get("/runs"), lambda: api.post("/runs", content=_run(), headers=JSON),
                     lambda: api.get("/healthz")):
            r = _answers_within(call)
            assert r.status_code == 503, r.text
            assert r.json().get("detail", {}) in (None, {"code": "timeout"}, {"code": "unreachable"})
        r = _answers_within(lambda: api.post("/recommend", json={"evidence": "all"}))
        assert r.status_code == 200 and r.json()["evidence"]["used"] == "catalog"  # the catalog still answers
    finally:
        frozen.close()


def test_e3_a_store_call_past_its_deadline_is_abandoned_with_503(tmp_path):
    """The gate's own deadline, whatever the store does: a call that never returns still gets its 503."""
    api = client(ApiSettings(database_url=str(tmp_path / "runs.sqlite"), store_timeout_s=1, **SECRET_SETTINGS))
    release = threading.Event()
    api.app.state.store = RunStore(tmp_path / "runs.sqlite")
    api.app.state.store.page = lambda *a, **k: release.wait(120)  # a store call that hangs
    try:
        r = _answers_within(lambda: api.get("/runs"))
        assert r.status_code == 503 and r.json()["detail"] == {"code": "timeout"}
    finally:
        release.set()


def test_e13_a_fifo_as_the_store_is_refused_at_start_and_503_when_it_appears_later(tmp_path):
    fifo = tmp_path / "runs.sqlite"
    os.mkfifo(fifo)
    with pytest.raises(SettingsError, match="ADVISOR_RUNS_DB") as caught:
        ApiSettings(database_url=str(fifo))
    assert str(tmp_path) not in str(caught.value)
    fifo.unlink()
    api = client(ApiSettings(database_url=str(fifo), store_timeout_s=1, **SECRET_SETTINGS))
    os.mkfifo(fifo)  # appears after the start
    for call in (lambda: api.get("/runs"), lambda: api.post("/runs", content=_run(), headers=JSON),
                 lambda: api.get("/healthz")):
        r = _answers_within(call)
        assert r.status_code == 503 and r.json().get("detail") in (None, {"code": "bad_path"}, {"code": "misconfigured"}), r.text
    with pytest.raises(RunValidationError, match="not a regular file"):
        runs_from_file(fifo)  # the CLI's import reads through the same check (E16's class)


def test_e16_devices_are_never_read_as_run_files():
    with pytest.raises(RunValidationError, match="not a regular file"):
        runs_from_file(Path("/dev/zero"))


def _unbounded_files(tmp_path: Path) -> dict[str, Path]:
    """Files no bounded read may take: devices, one behind a symlink, a FIFO nobody writes, a sparse file over
    every limit."""
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    link = tmp_path / "run.json"
    link.symlink_to("/dev/zero")
    huge = tmp_path / "huge.json"
    with huge.open("wb") as f:
        f.truncate(200_000_000)  # sparse: no disk used
    return {"zero": Path("/dev/zero"), "urandom": Path("/dev/urandom"), "link": link, "fifo": fifo, "huge": huge}


@pytest.mark.parametrize("kind", ["zero", "urandom", "link", "fifo", "huge"])
def test_e16_a_replay_of_a_device_fifo_or_huge_file_fails_fast_in_one_line(tmp_path, kind):
    import subprocess
    import sys

    from advisor.bench.replay import read_recorded

    path = _unbounded_files(tmp_path)[kind]
    with pytest.raises(RunValidationError, match="not a regular file|the limit is"):
        _answers_within(lambda: read_recorded(path), 10)
    started = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "advisor", "bench", "--replay", str(path)],
                       cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and r.stderr.startswith("error:"), r.stderr
    assert "Traceback" not in r.stderr and "bug" not in r.stderr and str(tmp_path) not in r.stderr
    assert time.monotonic() - started < 30


def test_e16_a_file_that_grows_while_it_is_read_is_cut_at_the_limit():
    from advisor.errors import FileReadError
    from advisor.files import read_bounded

    # /proc files are regular files whose size reads 0 while they hold more: a file that grew after its stat.
    with pytest.raises(FileReadError, match="grew past the limit"):
        read_bounded("/proc/self/maps", max_bytes=64)


def test_e16_absurd_replay_times_and_fields_give_one_line_naming_the_field(tmp_path):
    from advisor.bench.replay import replay

    for body, field in [({"1.1": 5e-324}, "per_test_ms.1.1"), ({"1.1": 1e300}, "per_test_ms.1.1")]:
        path = tmp_path / "times.json"
        path.write_text(json.dumps({"per_test_ms": body}))
        with pytest.raises(RunValidationError, match=field.replace(".", r"\.")) as caught:
            replay(path)
        assert "\n" not in str(caught.value)
    path.write_text(json.dumps({"per_test_ms": {"1.1": 5}, "tf_version": [1]}))
    with pytest.raises(RunValidationError, match="^tensorflow_version: ") as caught:
        replay(path)
    assert "pydantic" not in str(caught.value) and "\n" not in str(caught.value)


def test_e5_a_held_write_lock_bounds_writers_and_never_stops_readers(tmp_path):
    path = tmp_path / "runs.sqlite"
    api = client(ApiSettings(database_url=str(path), store_timeout_s=1, **SECRET_SETTINGS))
    assert api.post("/runs", content=_run("first"), headers=JSON).status_code == 201
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # what a long `advisor import` does
    try:
        results: list = []
        writers = [threading.Thread(target=lambda i=i: results.append(
            api.post("/runs", content=_run(f"w{i}"), headers=JSON).status_code)) for i in range(12)]
        for w in writers:
            w.start()
        # While writers wait for the lock, reads answer (WAL readers are not blocked, and writers hold only
        # their own threads).
        listing = _answers_within(lambda: api.get("/runs"))
        health = _answers_within(lambda: api.get("/healthz"))
        assert listing.status_code == 200 and len(listing.json()["runs"]) == 1
        assert health.status_code == 200
        for w in writers:
            w.join(60)
        assert results and all(s == 503 for s in results), results
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert api.post("/runs", content=_run("after"), headers=JSON).status_code == 201


# ---------------------------------------------------------------------------------------------
# E6, E7, E10: acknowledged writes can be read back everywhere


def test_e6_a_jsonl_export_whose_first_line_is_long_imports_with_or_without_a_bom(tmp_path):
    from probe_helpers import ROOT

    full = json.loads((ROOT / "benchmarks/validation/cpu_full_run_2026-11-28.json").read_text())
    lines = [json.dumps(full, separators=(",", ":")), json.dumps(valid_run(note="short"))]
    assert len(lines[0]) > 4096  # the probe's case: the first line is longer than any fixed window
    for name, prefix in (("plain.jsonl", b""), ("bom.jsonl", b"\xef\xbb\xbf")):
        path = tmp_path / name
        path.write_bytes(prefix + "\n".join(lines).encode() + b"\n")
        assert [r.note for r in runs_from_file(path)] == [full.get("note"), "short"]


def test_e7_runs_of_plans_from_another_catalog_are_listed_and_exported(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    mine = run_from_json(valid_run(platform="my-lab", note="lab"), frozenset({"my-lab"}))
    shipped = run_from_json(valid_run(note="shipped"))
    store.add_runs([mine, shipped])
    page = store.page()
    assert {s.run.platform for s in page.runs} == {"my-lab", shipped.platform} and page.skipped == 0
    assert [s.run.platform for s in store.page(__import__("advisor.runs.store", fromlist=["RunFilter"])
                                               .RunFilter(plan="my-lab")).runs] == ["my-lab"]


def test_e10_after_a_clean_stop_the_sqlite_file_alone_holds_every_run(tmp_path):
    path = tmp_path / "runs.sqlite"
    with client(ApiSettings(database_url=str(path), **SECRET_SETTINGS)) as api:  # the context runs the lifespan
        for i in range(5):
            assert api.post("/runs", content=_run(f"r{i}"), headers=JSON).status_code == 201
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(path.read_bytes())  # the file alone, without its -wal
    with sqlite3.connect(copy) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 5


# ---------------------------------------------------------------------------------------------
# E11, E12: dates and settings


@pytest.mark.parametrize("as_of", ["0001-01-01", "0001-01-09", "1970-01-01"])
def test_e11_recommend_at_the_calendars_start_with_runs_is_not_500(tmp_path, as_of):
    api = client(ApiSettings(database_url=str(tmp_path / "runs.sqlite"), **SECRET_SETTINGS))
    assert api.post("/runs", content=_run(), headers=JSON).status_code == 201
    r = api.post("/recommend", json={"as_of": as_of, "evidence": "all"})
    assert r.status_code in (200, 422), r.text
    assert_no_leak(r)


def test_e11_evidence_bounds_saturate_at_both_ends():
    from advisor.runs.evidence import evidence_bounds

    end, start = evidence_bounds(dt.date(1, 1, 1), 180)
    assert start == dt.datetime.min.replace(tzinfo=dt.UTC) and end.date() == dt.date(1, 1, 2)
    end, _ = evidence_bounds(dt.date(9999, 12, 31), 180)
    assert end == dt.datetime.max.replace(tzinfo=dt.UTC)


@pytest.mark.parametrize("value", [
    "postgresql://u:p@127.0.0.1:notaport/db",  # a port that is no number
    "postgresql://[::1",  # an unclosed address
    "postgresql://u@127.0.0.1:5432",  # no database
    "~nosuchuser-zz/x.sqlite",  # a home that does not exist
    "x" * 5000,  # a path no file system takes
    ":memory:",  # acknowledged runs would vanish
    "sqlite:///:memory:",  # the same as a URL
    "mysql://u@h/db",  # another database
    "http://example.com/db",  # no database at all
    " ",  # blank
])
def test_e12_unusable_store_settings_stop_the_start_with_one_line_naming_the_variable(value):
    with pytest.raises(SettingsError) as caught:
        ApiSettings.from_env({"ADVISOR_RUNS_DB": value})
    message = str(caught.value)
    assert "ADVISOR_RUNS_DB" in message and "\n" not in message
    assert ":p@" not in message and "nosuchuser" not in message and "example.com" not in message


def test_e12_the_process_environment_is_read_by_pydantic_settings_with_the_same_one_line_errors(monkeypatch):
    from advisor.api.environment import Environment

    monkeypatch.setenv("ADVISOR_DB_POOL_SIZE", " 3 ")
    monkeypatch.setenv("ADVISOR_STORE_TIMEOUT_S", "")  # blank: the default
    assert isinstance(Environment.read(), Environment)
    settings = ApiSettings.from_env()
    assert settings.db_pool_size == 3 and settings.store_timeout_s == 10
    monkeypatch.setenv("ADVISOR_EVIDENCE_REFRESH_S", "inf")
    with pytest.raises(SettingsError, match="^ADVISOR_EVIDENCE_REFRESH_S: expected a finite number$"):
        ApiSettings.from_env()


@pytest.mark.parametrize("variable, value", [
    ("ADVISOR_STORE_TIMEOUT_S", "soon"), ("ADVISOR_STORE_TIMEOUT_S", "0"), ("ADVISOR_STORE_TIMEOUT_S", "nan"),
    ("ADVISOR_DB_POOL_SIZE", "0"), ("ADVISOR_DB_POOL_SIZE", "five"),
])
def test_e27_pool_and_deadline_settings_are_checked_at_start(variable, value):
    with pytest.raises(SettingsError, match=variable):
        ApiSettings.from_env({variable: value})
    settings = ApiSettings.from_env({"ADVISOR_DB_POOL_SIZE": "2", "ADVISOR_STORE_TIMEOUT_S": "3"})
    assert settings.db_pool_size == 2 and settings.store_timeout_s == 3


def test_e27_no_free_pooled_connection_is_503_overloaded(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite", timeout_s=0.5, pool_size=1)
    store.add(run_from_json(valid_run()))
    engine = store._read_engine()
    held = [engine.connect() for _ in range(3)]  # pool_size 1 + overflow 2: every connection taken
    try:
        with pytest.raises(StoreError) as caught:
            store.page()
        assert caught.value.code == StoreFault.OVERLOADED
    finally:
        for c in held:
            c.close()


# ---------------------------------------------------------------------------------------------
# E8, E15: the /runs client trusts no server


class _Hostile(http.server.BaseHTTPRequestHandler):
    seen: list = []
    answer: dict = {}

    def log_message(self, *args):
        pass

    def _reply(self):
        type(self).seen.append({"method": self.command, "path": self.path, "auth": self.headers.get("Authorization")})
        status, headers, body = type(self).answer.get(self.path.split("?")[0], (404, {}, b"{}"))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _reply


@pytest.fixture
def hostile():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hostile.seen, _Hostile.answer = [], {}
    yield f"http://127.0.0.1:{server.server_address[1]}", _Hostile
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_e8_a_post_never_follows_a_redirect_nor_sends_the_token_on(hostile, status):
    from advisor.runs.remote import post_run

    url, handler = hostile
    handler.answer = {"/x/runs": (status, {"Location": f"{url}/capture/runs"}, b"{}")}
    with pytest.raises(RunPostError, match="redirect"):
        post_run(f"{url}/x", run_from_json(valid_run()), token="secret-token-123")
    assert [s["path"] for s in handler.seen] == ["/x/runs"]  # nothing went to /capture


@pytest.mark.parametrize("answer", [b"{}", b'{"id": null}', b'{"id": true}', b'{"id": -1}', b"[]"])
def test_e8_a_post_succeeds_only_with_a_run_id(hostile, answer):
    from advisor.runs.remote import post_run

    url, handler = hostile
    handler.answer = {"/runs": (201, {"Content-Type": "application/json"}, answer)}
    with pytest.raises(RunPostError):
        post_run(url, run_from_json(valid_run()))


class _Receiver(http.server.BaseHTTPRequestHandler):
    """An advisor-like /runs: records each POST (path, runs in it); batch=False plays a server without /runs/batch."""
    seen: list = []
    batch = True

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        n = len(body) if isinstance(body, list) else 1
        type(self).seen.append((self.path, n))
        if self.path.endswith("/batch") and not type(self).batch:
            status, answer = 404, {"error": "no such endpoint"}
        elif self.path.endswith("/batch"):
            status, answer = 201, {"ids": list(range(1, n + 1)), "added": n, "duplicates": 0}
        else:
            status, answer = 201, {"id": len(type(self).seen), "duplicate": False}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.mark.parametrize("batch", [True, False], ids=["batch endpoint", "older server"])
def test_runs_post_sends_batches_and_falls_back_to_one_run_a_request(batch):
    # `runs --post` moves a store to a server in batches (POST /runs/batch, each all or none: 1,414 runs/s on
    # bench_ingest --batch 50, against about 300 one run a request), and still talks to a server without it.
    from advisor.runs.remote import BATCH_RUNS, post_runs

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Receiver.seen, _Receiver.batch = [], batch
    try:
        runs = [run_from_json(valid_run(note=f"run {i}")) for i in range(BATCH_RUNS + 50)]
        assert post_runs(f"http://127.0.0.1:{server.server_address[1]}", runs) == (len(runs), 0)
    finally:
        server.shutdown()
        server.server_close()
    if batch:
        assert _Receiver.seen == [("/runs/batch", BATCH_RUNS), ("/runs/batch", 50)]
    else:
        # one try of the batch endpoint, then one run a request
        assert _Receiver.seen == [("/runs/batch", BATCH_RUNS)] + [("/runs", 1)] * len(runs)


def _page(runs=(), cursor="SAME", skipped=0) -> bytes:
    return json.dumps({"runs": list(runs), "next_cursor": cursor, "skipped_invalid": skipped}).encode()


@pytest.mark.parametrize("body, problem", [
    (_page([{"id": 1, "run": valid_run(), "poster": "p"}], "SAME"), "repeated"),  # a cursor that never advances
    (_page([], "NEXT"), "repeated"),  # an empty page that promises more
    (_page([], None, 1e400), "skipped_invalid"),  # a count of infinity (JSON 1e400)
    (_page([], None, -5), "skipped_invalid"),  # a negative count
    (_page([], None, "many"), "skipped_invalid"),  # a count as text
    (_page([], {"x": 1}), "next_cursor"),  # a cursor as an object
])
def test_e15_a_listing_stops_on_a_server_that_never_ends_or_sends_bad_counts(hostile, body, problem):
    from advisor.runs.remote import RemoteRuns
    from advisor.runs.store import RunFilter

    url, handler = hostile
    handler.answer = {"/runs": (200, {"Content-Type": "application/json"}, body.replace(b"1e+400", b"1e400"))}
    remote = RemoteRuns(url)
    with pytest.raises(RunPostError, match=problem):
        cursor = None
        for _ in range(50):
            page = remote.page(RunFilter(), 1, cursor, "newest")
            cursor = page.next_cursor
            if cursor is None:
                break


# ---------------------------------------------------------------------------------------------
# E14, E19, E26: who may write


def test_e14_without_a_token_this_machine_may_write_whatever_the_bind_host(tmp_path):
    settings = ApiSettings(bind_host="0.0.0.0", database_url=str(tmp_path / "runs.sqlite"), allowed_hosts=("*",),
                           **SECRET_SETTINGS)
    assert client(settings, address=LOCAL).post("/runs", content=_run(), headers=JSON).status_code == 201
    assert client(settings, address=REMOTE).post("/runs", content=_run("r"), headers=JSON).status_code == 403


def test_e14_serve_takes_its_host_from_the_environment_unless_given():
    from advisor.cli import build_parser

    assert build_parser().parse_args(["serve"]).host is None  # then ADVISOR_BIND_HOST, else 127.0.0.1


def test_e19_a_weak_chat_secret_and_a_shared_secret_file_are_refused(tmp_path):
    from advisor.api.signing import host_secret

    with pytest.raises(SettingsError, match="ADVISOR_CHAT_SECRET"):
        ApiSettings.from_env({"ADVISOR_CHAT_SECRET": "a" * 40})
    folder = tmp_path / "data"
    old = os.umask(0)
    try:
        first = host_secret(folder)
    finally:
        os.umask(old)
    assert not folder.stat().st_mode & 0o022 and not (folder / "chat-secret").stat().st_mode & 0o077
    (folder / "chat-secret").chmod(0o644)
    assert host_secret(folder) != first  # a world-readable secret is not used (a process secret replaces it)


@pytest.mark.parametrize("tokens", ["loopback=tok-aaa", "local=tok-aaa", "Import=tok-aaa", "ci=tok-a,lab=tok-a"])
def test_e26_reserved_names_and_a_token_under_two_names_are_refused(tokens):
    with pytest.raises(SettingsError, match="ADVISOR_API_TOKENS"):
        ApiSettings.from_env({"ADVISOR_API_TOKENS": tokens})


# ---------------------------------------------------------------------------------------------
# E20, E21, E23, E24: HTTP conformance


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_e20_json_in_utf16_or_utf32_without_a_bom_is_refused(tmp_path, encoding):
    api = client(ApiSettings(database_url=str(tmp_path / "runs.sqlite"), **SECRET_SETTINGS))
    r = api.post("/recommend", content=json.dumps({"evidence": "catalog"}).encode(encoding), headers=JSON)
    assert r.status_code == 422 and "UTF-8" in r.json()["error"]


@pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH"])
@pytest.mark.parametrize("path", ["/livez", "/runs", "/recommend", "/nowhere"])
def test_e21_methods_no_route_takes_get_405(tmp_path, method, path):
    api = client(ApiSettings(database_url=str(tmp_path / "runs.sqlite"), **SECRET_SETTINGS))
    r = api.request(method, path, content=b"x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 405 and "GET" in r.headers.get("allow", "")


@pytest.mark.parametrize("headers, status", [
    ({"Content-Encoding": "gzip"}, 415),
    ({"Content-Encoding": "br"}, 415),
    ({"Transfer-Encoding": "gzip, chunked"}, 501),
    ({"Transfer-Encoding": "identity, chunked"}, 501),
])
def test_e23_codings_the_server_does_not_decode_are_refused(tmp_path, headers, status):
    api = client(ApiSettings(database_url=str(tmp_path / "runs.sqlite"), **SECRET_SETTINGS))
    r = api.post("/recommend", content=b'{"evidence":"catalog"}', headers={**JSON, **headers})
    assert r.status_code == status, r.text


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\ufffe", "\uffff", "\ufdd0", "\U0001fffe"])
def test_e24_names_refuse_separators_and_noncharacters(tmp_path, char):
    api = client(ApiSettings(database_url=str(tmp_path / "runs.sqlite"), **SECRET_SETTINGS))
    run = valid_run()
    run["device"]["name"] = f"Tesla{char}T4"
    r = api.post("/runs", content=json.dumps(run), headers=JSON)
    assert r.status_code == 422, r.text


# ---------------------------------------------------------------------------------------------
# E25: readiness means writes work


def test_e25_an_emptied_schema_stamp_over_stored_runs_is_not_ready(tmp_path):
    path = tmp_path / "runs.sqlite"
    api = client(ApiSettings(database_url=str(path), **SECRET_SETTINGS))
    assert api.post("/runs", content=_run(), headers=JSON).status_code == 201
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM alembic_version")
    fresh = client(ApiSettings(database_url=str(path), **SECRET_SETTINGS))
    health = fresh.get("/healthz")
    assert health.status_code == 503 and "did not create" in health.json()["store"]
    assert fresh.get("/runs").status_code == 503  # not an empty listing


def test_e25_a_store_on_a_read_only_folder_is_not_ready(tmp_path):
    path = tmp_path / "ro" / "runs.sqlite"
    path.parent.mkdir()
    RunStore(path).add(run_from_json(valid_run()))
    path.parent.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(path.parent, os.W_OK):
            pytest.skip("running as a user that may write anywhere (root); the check cannot be seen here")
        with pytest.raises(StoreError) as caught:
            RunStore(path).ping()
        assert caught.value.code == StoreFault.READ_ONLY
    finally:
        path.parent.chmod(0o755)


def test_e3_the_deadline_is_the_stores_own_too():
    store = RunStore("postgresql://u@127.0.0.1:1/db", timeout_s=1.5)
    assert store.timeout_s == 1.5 and "password" not in store.location
    started = time.monotonic()
    with pytest.raises(StoreError):
        _answers_within(store.count)
    assert time.monotonic() - started < 60


# ---------------------------------------------------------------------------------------------
# E17: every data file is read bounded, and absurd magnitudes or unit errors never reach a ranking


def _edit_csv(path: Path, column: str, value: str, match: dict[str, str] | None = None, duplicate: bool = False):
    """Set `column` to `value` on the first row of a data file that matches `match` (or append a changed copy of
    that row when duplicate)."""
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    row = next(r for r in rows if all(r.get(k) == v for k, v in (match or {}).items()))
    if duplicate:
        row = dict(row)
        rows.append(row)
    row[column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


@pytest.mark.parametrize("name", ["plan_facts.csv", "gpus.csv", "fx_rates.csv"])
@pytest.mark.parametrize("kind", ["zero", "fifo", "huge", "latin1"])
def test_e17_a_data_file_that_is_a_device_fifo_huge_or_not_utf8_is_refused_in_one_line(shipped_dir, name, kind):
    from advisor.catalog import load_catalog
    from advisor.data_check import check_data
    from advisor.errors import CatalogError

    path = shipped_dir / name
    path.unlink()
    if kind == "zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "huge":
        with path.open("wb") as f:
            f.truncate(60_000_000)  # sparse, as large as the probe's 50 MB file
    else:
        path.write_bytes("currency,usd_per_unit\nEUR,1.1 \u20ac\n".encode("latin-1", "replace") + b"\xe9\n")
    report = _answers_within(lambda: check_data(shipped_dir), 20)
    assert report.broken and report.broken.startswith(name) and "\n" not in report.broken, report.broken
    assert str(shipped_dir) not in report.broken
    with pytest.raises(CatalogError):
        _answers_within(lambda: load_catalog(None, shipped_dir), 20)


def test_e17_the_job_tables_are_read_through_the_same_bound(shipped_dir):
    from advisor.errors import CatalogError
    from advisor.job.models import load_models

    (shipped_dir / "models.csv").unlink()
    os.mkfifo(shipped_dir / "models.csv")
    with pytest.raises(CatalogError, match="not a regular file"):
        _answers_within(lambda: load_models(str(shipped_dir)), 20)


@pytest.mark.parametrize("name, column, value, match", [
    ("gpus.csv", "memory_gib", "16384", None),  # MB for GiB
    ("gpus.csv", "fp32_tflops", "8141", None),  # GFLOPS for TFLOPS
    ("gpus.csv", "fp32_tflops", "1e300", None),  # gave a 500 on /recommend in the probe
    ("gpus.csv", "memory_bandwidth_gbps", "1e-300", None),
    ("plan_facts.csv", "value", "1e308", {"field": "monthly_price_usd"}),
    ("plan_facts.csv", "value", "1e300", {"field": "session_limit_hours"}),
    ("plan_facts.csv", "value", "9_99", {"field": "monthly_price_usd"}),  # float() takes it
    ("plan_facts.csv", "value", "\u0661\u0660", {"field": "monthly_price_usd"}),  # Arabic-Indic 10
    ("plan_facts.csv", "value", "-5", {"field": "monthly_price_usd"}),  # a negative price
    ("plan_gpus.csv", "gpu_count", "1000000", None),
    ("benchmarks.csv", "mean", "7.5", {"metric": "ai"}),  # thousands of points
    ("benchmarks.csv", "mean", "1e300", None),
    ("fx_rates.csv", "usd_per_unit", "1e-300", None),
    ("gpu_rates.csv", "rate", "1e308", {"unit": "usd_per_hour"}),
    ("gpus.csv", "as_of", "2026-W01-1", None),  # fromisoformat takes it
    ("gpus.csv", "as_of", "20260101", None),
])
def test_e17_absurd_magnitudes_and_unit_errors_are_refused_naming_the_file_and_field(shipped_dir, name, column,
                                                                                      value, match):
    from advisor.data_check import check_data

    _edit_csv(shipped_dir / name, column, value, match)
    report = check_data(shipped_dir)
    assert report.broken and report.broken.startswith(f"{name}, line ") and f"'{column}'" in report.broken, \
        report.broken
    assert "\n" not in report.broken


def test_e17_data_check_flags_cents_for_dollars_and_same_day_conflicts(shipped_dir):
    import csv

    from advisor.data_check import check_data

    rates = list(csv.DictReader((shipped_dir / "gpu_rates.csv").open(encoding="utf-8-sig")))
    usd = [r for r in rates if r["unit"] == "usd_per_hour" and r["term"] == "on-demand" and r["gpu_id"] == "t4"]
    _edit_csv(shipped_dir / "gpu_rates.csv", "rate", f"{float(usd[0]['rate']) * 100:g}", dict(usd[0]))
    _edit_csv(shipped_dir / "plan_facts.csv", "value", "999", {"field": "session_limit_hours", "status": ""},
              duplicate=True)
    kinds = {i.kind for i in check_data(shipped_dir).items}
    assert {"units", "conflict"} <= kinds
    assert not {i.kind for i in check_data().items} & {"units", "conflict"}  # the shipped data is clean


def test_e17_absurd_data_never_reaches_a_500(shipped_dir):
    _edit_csv(shipped_dir / "gpus.csv", "fp32_tflops", "1e300")
    api = client(data_dir=str(shipped_dir))
    for r in (api.post("/recommend", json={"reference_gpu": "t4", "reference_hours": 10}), api.get("/plans")):
        assert r.status_code == 503 and "fp32_tflops" in r.text, r.text
        assert_no_leak(r)


# ---------------------------------------------------------------------------------------------
# E18: a corrupt spec-model cache is ignored and refitted


@pytest.mark.parametrize("content", [
    "null", "[]", '"text"', "{}",  # not the fit this code writes
    '{"key": "KEY", "coef": null, "intercept": 1, "loo_error_pct": 1}',
    '{"key": "KEY", "coef": [1e300, 1], "intercept": 1, "loo_error_pct": 1}',  # would overflow exp()
    '{"key": "KEY", "coef": [true, 1], "intercept": 1, "loo_error_pct": 1}',
    "fifo", "zero",
])
def test_e18_a_corrupt_spec_model_cache_is_refitted_not_raised(tmp_path, monkeypatch, content):
    from test_estimate import _gpus

    from advisor.estimate import SpecScoreModel
    from advisor.vocab import Metric

    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path))
    measured = {(f"g{i}", Metric.AI): 1000.0 * (i + 1) for i in range(4)}
    expected = SpecScoreModel().fit(_gpus(), measured).predict("g4", Metric.AI)
    (cache,) = tmp_path.glob("spec-model-*.json")
    key = cache.stem.removeprefix("spec-model-")
    cache.unlink()
    if content == "fifo":
        os.mkfifo(cache)
    elif content == "zero":
        cache.symlink_to("/dev/zero")
    else:
        cache.write_text(content.replace("KEY", key))
    again = _answers_within(lambda: SpecScoreModel().fit(_gpus(), measured).predict("g4", Metric.AI), 30)
    assert again == pytest.approx(expected)


# ---------------------------------------------------------------------------------------------
# E11's class: every date a client or a file gives is parsed in one place and never reaches a 500


def test_e11_any_as_of_text_is_a_date_or_a_clear_refusal_everywhere():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from advisor.catalog.as_of import parse_date
    from advisor.cli import _date

    api = client()
    dates = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat)
    texts = st.one_of(dates, st.text(max_size=14), st.from_regex(r"[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}", fullmatch=True),
                      st.sampled_from(["0001-01-01", "0010-12-31", "9999-12-31", "2026-W01-1", "20260101",
                                       "\u0662\u0660\u0662\u0666-01-01", "2024-02-30", "2024-01-01\n", "\n",
                                       "2024\n01-01"]))  # a newline alone was a two-line message (a fuzz find)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(texts)
    def check(text):
        try:
            parse_date(text)
        except ValueError as exc:
            assert "\n" not in str(exc)
        try:
            _date(text)
        except Exception as exc:  # argparse's own type error: one line, the CLI's usage error
            assert type(exc).__name__ == "ArgumentTypeError" and "\n" not in str(exc)
        for r in (api.post("/recommend", json={"as_of": text}), api.get("/plans", params={"as_of": text}),
                  api.post("/chat", json={"message": "hello", "as_of": text})):
            assert r.status_code in (200, 400, 404, 422), (text, r.status_code, r.text[:200])
            assert_no_leak(r)

    check()


@pytest.mark.parametrize("as_of", ["0001-01-01", "0005-06-30", "0010-12-31", "9999-12-31"])
def test_e11_the_cli_answers_any_date_in_one_line(as_of):
    from advisor.cli import run

    assert run(["recommend", "--as-of", as_of, "--json"]) in (0, 2)


def test_e17_a_catalog_build_runs_off_the_event_loop(tmp_path, monkeypatch):
    # A first build or a changed data file parses every file (up to 10 MB each): in a worker thread, so /livez and
    # the requests in hand are answered meanwhile; a catalog in memory is served on the loop at once.
    import asyncio
    import shutil

    import advisor.api.routers.catalog as routes
    from advisor.catalog import DATA_DIR

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    threads = []
    real = routes.load_catalog

    def recording(*args, **kwargs):
        try:
            asyncio.get_running_loop()
            threads.append("event loop")
        except RuntimeError:
            threads.append("worker thread")
        return real(*args, **kwargs)

    monkeypatch.setattr(routes, "load_catalog", recording)
    api = client(data_dir=str(data))
    assert api.get("/plans").status_code == 200 and api.get("/plans").status_code == 200
    (data / "plans.csv").write_text((data / "plans.csv").read_text() + "\n")  # a changed file: built again
    assert api.get("/plans").status_code == 200
    assert threads[-3:] == ["worker thread", "event loop", "worker thread"]
