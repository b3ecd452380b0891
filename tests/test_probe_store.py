"""Probe suite: the run store through the API. Concurrent writers and kill -9 against real servers in subprocesses
(nothing acknowledged is lost), and store faults (corrupt file, foreign schema, a directory, a file as parent, a
full disk) answered with 503 and one line naming the cause, never 500 and never a path; /healthz says which
dependency is down while the catalog endpoints go on answering."""
import json
import os
import shutil
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from probe_helpers import JSON, advisor_serve, assert_no_leak, client, get_json, server_process
from sample_runs import valid_run

from advisor.api.settings import ApiSettings


def _post_run(url: str, note: str) -> tuple[int, dict | None]:
    body = json.dumps(valid_run(note=note)).encode()
    try:
        return get_json(url + "/runs", data=body, method="POST", headers={"Content-Type": "application/json"},
                        timeout=30)
    except OSError:  # the server was killed mid-request: not acknowledged
        return 0, None


def _stored(url: str) -> dict[str, int]:
    status, page = get_json(url + "/runs?limit=1000", timeout=30)
    assert status == 200
    return {item["run"]["note"]: item["id"] for item in page["runs"]}


def _env(tmp_path) -> dict:
    return {"ADVISOR_RUNS_DB": str(tmp_path / "runs.sqlite"), "XDG_DATA_HOME": str(tmp_path / "data"),
            "ADVISOR_CHAT_SECRET": "c0ffee-5ecret-for-the-probe-tests-0123456789", "ADVISOR_API_TOKEN": ""}


def _integrity(path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def test_concurrent_writers_on_two_workers_lose_nothing(tmp_path):
    """4 writers x 25 runs against `serve --workers 2` (two processes writing one SQLite file)."""
    with server_process(advisor_serve("--workers", "2"), _env(tmp_path)) as (url, _, _):
        notes = [f"C-w{w}-r{i}" for w in range(4) for i in range(25)]
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda note: (note, _post_run(url, note)), notes))
        assert all(status == 201 for _, (status, _) in answers), [a for a in answers if a[1][0] != 201][:3]
        acknowledged = {note: body["id"] for note, (_, body) in answers}
        assert len(set(acknowledged.values())) == 100
        stored = _stored(url)
    assert {n: stored[n] for n in acknowledged} == acknowledged
    assert _integrity(tmp_path / "runs.sqlite") == "ok"


def test_kill_9_loses_nothing_acknowledged(tmp_path):
    """Two cycles: writers post while the server is killed with SIGKILL at a random moment, then restarted."""
    acknowledged: dict[str, int] = {}
    rng = __import__("random").Random(9)
    for cycle in range(2):
        with server_process(advisor_serve(), _env(tmp_path)) as (url, process, _):
            stop = threading.Event()

            def writer(w, url=url, stop=stop, cycle=cycle):
                i = 0
                while not stop.is_set() and i < 500:
                    note = f"K{cycle}-w{w}-r{i}"
                    status, body = _post_run(url, note)
                    if status == 201:
                        acknowledged[note] = body["id"]
                    elif status == 0:
                        return
                    i += 1

            threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
            before = len(acknowledged)
            for t in threads:
                t.start()
            # Kill at a random moment once writing is under way (the first write creates the store, which takes
            # longer on a loaded machine), so every cycle kills the server mid-writes.
            deadline = time.monotonic() + 60
            while len(acknowledged) < before + 10 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 1.0))
            process.kill()  # SIGKILL: no shutdown, no flush
            process.wait(10)
            stop.set()
            for t in threads:
                t.join(30)
        assert _integrity(tmp_path / "runs.sqlite") == "ok"
    assert len(acknowledged) >= 20  # the writers did write before each kill
    with server_process(advisor_serve(), _env(tmp_path)) as (url, _, _):
        stored = _stored(url)
    missing = {n: i for n, i in acknowledged.items() if stored.get(n) != i}
    assert not missing, list(missing.items())[:5]


# Store faults, through the app. The store is opened on first use, so the catalog endpoints keep answering.

def _corrupt(path):
    path.write_bytes(os.urandom(8192))


def _truncated(path):
    _fill(path)
    with sqlite3.connect(path) as db:  # the rows may still sit in the write-ahead log: move them into the file
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_D16_a_foreign_schema_gives_503_on_runs(tmp_path):
    path = tmp_path / "runs.sqlite"
    _foreign_schema(path)
    api = client(ApiSettings(database_url=str(path), chat_secret=b"f" * 32))
    for r in (api.get("/runs"), api.post("/runs", content=json.dumps(valid_run()), headers=JSON)):
        assert r.status_code == 503 and r.json()["error"].startswith("the run store is unavailable")
        assert_no_leak(r)


def _foreign_schema(path):
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE runs (name TEXT, value BLOB)")
        db.execute("INSERT INTO runs VALUES ('x', 'y')")


def _directory(path):
    path.mkdir()


def _parent_is_a_file(path):
    path.parent.joinpath("parent").write_text("a file")
    return path.parent / "parent" / "runs.sqlite"


def _fill(path):
    api = client(ApiSettings(database_url=str(path), chat_secret=b"f" * 32))
    for i in range(20):
        run = json.dumps(valid_run(note="n" * 1500 + str(i)))
        assert api.post("/runs", content=run, headers=JSON).status_code == 201


@pytest.mark.parametrize("fault", [_corrupt, _truncated, _directory, _parent_is_a_file])
def test_D16_store_faults_give_503_with_the_cause_and_no_path(tmp_path, fault):
    """The probe: each of these gave 500 'internal error' on GET and POST /runs, with /healthz 200."""
    path = tmp_path / "store" / "runs.sqlite"
    path.parent.mkdir()
    if fault is _parent_is_a_file:
        path = fault(path)
        api = client(ApiSettings(database_url=str(path), chat_secret=b"f" * 32))
    else:  # the fault appears after the server started (at start, a folder is refused: see test_e12)
        api = client(ApiSettings(database_url=str(path), chat_secret=b"f" * 32))
        fault(path)
    listing = api.get("/runs")
    if fault is _parent_is_a_file:  # a store that cannot exist is read as empty (reading never creates one, D21)
        assert listing.status_code == 200 and listing.json()["runs"] == []
    for r in ([listing] if fault is not _parent_is_a_file else []) + \
            [api.post("/runs", content=json.dumps(valid_run()), headers=JSON)]:
        assert r.status_code == 503, (fault.__name__, r.status_code, r.text[:300])
        assert r.json()["error"].startswith("the run store is unavailable") and r.headers.get("retry-after")
        assert str(tmp_path) not in r.text
        assert_no_leak(r)
    assert api.get("/plans").status_code == 200 and api.get("/livez").status_code == 200
    health = api.get("/healthz")
    assert health.json()["catalog"] == "ok" and str(tmp_path) not in health.text
    assert health.status_code == 503 and health.json()["store"].startswith("unavailable")


def test_D16_healthz_sees_a_foreign_schema(tmp_path):
    path = tmp_path / "runs.sqlite"
    _foreign_schema(path)
    api = client(ApiSettings(database_url=str(path), chat_secret=b"f" * 32))
    assert api.get("/runs").status_code == 503
    assert api.get("/healthz").status_code == 503


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs (root and mount(8) needed; skipped elsewhere)."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_D16_a_full_disk_gives_503_and_keeps_what_was_acknowledged(small_disk):
    path = small_disk / "runs.sqlite"
    api = client(ApiSettings(database_url=str(path), chat_secret=b"f" * 32))
    acknowledged, statuses = [], set()
    for i in range(400):  # about 1.5 KB a run: the 1 MiB disk fills well before 400
        r = api.post("/runs", content=json.dumps(valid_run(note=f"{i}-" + "d" * 1400)), headers=JSON)
        statuses.add(r.status_code)
        if r.status_code == 201:
            acknowledged.append(r.json()["id"])
        else:
            assert r.status_code == 503 and r.json()["error"].startswith("the run store is unavailable")
            assert_no_leak(r)
    assert 503 in statuses and acknowledged
    listed = {run["id"] for run in api.get("/runs", params={"limit": 1000}).json()["runs"]}
    assert set(acknowledged) <= listed
    assert _integrity(path) == "ok"
