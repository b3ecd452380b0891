"""Tests for POST /runs, GET /runs and the evidence choice of POST /recommend: through the app (FastAPI's test
client) and through real servers (uvicorn processes on loopback) sharing one PostgreSQL: concurrent posters, two
workers, two hosts, and a worker killed with SIGKILL mid-write."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest
from conftest import ROOT
from fastapi.testclient import TestClient
from pg_cluster import free_port
from sample_runs import valid_run

from advisor.api import create_app
from advisor.api.settings import ApiSettings
from advisor.runs.store import RunStore


def app_client(target, **settings) -> TestClient:
    """The app on `target`; writes need the token 'tok' (named 'course') unless token_names says otherwise."""
    settings.setdefault("token_names", {"tok": "course"})
    return TestClient(create_app(ApiSettings(database_url=str(target), **settings)), base_url="http://127.0.0.1",
                      raise_server_exceptions=False)


def post(client, run: dict, token: str | None = "tok"):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post("/runs", content=json.dumps(run), headers=headers)


def at(day: int, **changes) -> dict:
    return valid_run(started_at=f"2026-11-{day:02d}T10:00:00+00:00", finished_at=f"2026-11-{day:02d}T10:01:00+00:00",
                     **changes)


# ---------------------------------------------------------------------------------------------
# The app


def test_post_records_the_token_name_and_stores_a_run_once(tmp_path):
    client = app_client(tmp_path / "runs.sqlite", token_names={"tok-alice": "alice", "tok-bob": "bob"})
    first = post(client, valid_run(), "tok-alice")
    assert first.status_code == 201 and first.json()["duplicate"] is False
    again = post(client, valid_run(), "tok-bob")
    assert again.status_code == 200 and again.json() == {"id": first.json()["id"], "duplicate": True}
    listed = client.get("/runs").json()
    assert [r["poster"] for r in listed["runs"]] == ["alice"] and listed["runs"][0]["origin"] == "shared"
    assert "tok-alice" not in json.dumps(listed)
    assert post(client, valid_run(note="x"), "wrong").status_code == 401


def test_a_batch_is_stored_all_or_none_and_each_run_once(tmp_path):
    client = app_client(tmp_path / "runs.sqlite")
    headers = {"Content-Type": "application/json", "Authorization": "Bearer tok"}
    first = post(client, at(3)).json()["id"]
    batch = [at(1), at(2), at(3), at(1)]  # the third was posted before; the fourth repeats the first
    r = client.post("/runs/batch", content=json.dumps(batch), headers=headers)
    assert r.status_code == 201, r.text
    ids = r.json()["ids"]
    assert r.json()["added"] == 2 and r.json()["duplicates"] == 2 and ids[2] == first and ids[3] == ids[0]
    assert sorted(x["id"] for x in client.get("/runs").json()["runs"]) == sorted({first, *ids})
    assert client.post("/recommend", json={}).json()["evidence"]["runs_used"] == 3  # counted at once
    again = client.post("/runs/batch", content=json.dumps({"runs": batch[:2]}), headers=headers)
    assert again.status_code == 200 and again.json()["ids"] == ids[:2]
    bad = [at(4), valid_run(platform="no-such-plan", note="x")]
    r = client.post("/runs/batch", content=json.dumps(bad), headers=headers)
    assert r.status_code == 422 and "run 2" in r.json()["error"], r.text
    assert len(client.get("/runs").json()["runs"]) == 3  # nothing of the refused batch was stored
    assert client.post("/runs/batch", content=json.dumps([at(5)]),
                       headers={"Content-Type": "application/json"}).status_code == 401


@pytest.mark.parametrize("run, message", [
    (valid_run(started_at="2026-11-20T10:00:00"), "started_at"),  # D1: was a 500
    (valid_run(scores={"ai": 900000, "inference": 450000, "training": 450000, "ai_low": 800000, "ai_high": 990000}),
     "implausible"),
    (valid_run(scores={"ai": 12000, "inference": 6000, "training": 5000}), "inference plus training"),
    (valid_run(platform="no-such-plan"), "platform"),
    (valid_run(device={"name": "\x1b[2J T4", "kind": "gpu"}), "device.name"),
])
def test_bad_or_implausible_runs_get_422_naming_the_problem(tmp_path, run, message):
    client = app_client(tmp_path / "runs.sqlite")
    r = post(client, run)
    assert r.status_code == 422 and message in r.json()["error"], r.text
    assert client.get("/runs").json()["runs"] == []


def test_deeply_nested_body_is_422_not_500_regression_d2(tmp_path):
    client = app_client(tmp_path / "runs.sqlite", max_json_depth=10_000_000)  # past the middleware: the run schema
    r = client.post("/runs", content="[" * 1000 + "]" * 1000,
                    headers={"Content-Type": "application/json", "Authorization": "Bearer tok"})
    assert r.status_code == 422 and "nested deeper" in r.json()["error"]


def test_get_runs_pages_with_a_cursor_and_filters_regression_d7(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    from advisor.runs.record import run_from_json

    store.add_runs([run_from_json(at(1 + i % 28, note=f"n{i}", platform="kaggle-free" if i % 4 == 0 else "colab-free"))
                    for i in range(1200)])
    client = app_client(tmp_path / "runs.sqlite")
    ids, cursor = [], None
    while True:
        body = client.get("/runs", params={"limit": 500, **({"cursor": cursor} if cursor else {})}).json()
        ids += [r["id"] for r in body["runs"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(ids) == list(range(1, 1201)) and len(set(ids)) == 1200
    starts = [r["run"]["started_at"] for r in client.get("/runs", params={"limit": 50}).json()["runs"]]
    assert starts == sorted(starts, reverse=True)
    kaggle = client.get("/runs", params={"plan": "kaggle-free", "limit": 1000}).json()["runs"]
    assert len(kaggle) == 300 and {r["run"]["platform"] for r in kaggle} == {"kaggle-free"}
    dated = client.get("/runs", params={"since": "2026-11-28", "until": "2026-11-29", "limit": 1000}).json()["runs"]
    assert dated and {r["run"]["started_at"][:10] for r in dated} == {"2026-11-28"}
    assert client.get("/runs", params={"mode": "full"}).json()["runs"] == []
    assert client.get("/runs", params={"cursor": "garbage"}).status_code == 422


def test_a_row_that_no_longer_validates_gives_200_with_the_rest_regression_d10(tmp_path):
    db = tmp_path / "runs.sqlite"
    client = app_client(db)
    for day in (10, 11, 12):
        assert post(client, at(day)).status_code == 201
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE runs SET record = ? WHERE id = 2", ('{"mode": "quick"}',))
        conn.execute("UPDATE runs SET record = 'not json' WHERE id = 3")
    r = client.get("/runs")
    assert r.status_code == 200 and [x["id"] for x in r.json()["runs"]] == [1] and r.json()["skipped_invalid"] == 2


def test_store_faults_are_503_with_the_cause_and_recommend_still_answers_regression_d16(tmp_path):
    broken = tmp_path / "runs.sqlite"
    broken.write_bytes(os.urandom(4096))
    client = app_client(broken)
    for r in (client.get("/runs"), post(client, valid_run())):
        assert r.status_code == 503 and "damaged or not a SQLite database" in r.json()["error"]
    rec = client.post("/recommend", json={})
    assert rec.status_code == 200 and rec.json()["evidence"]["used"] == "catalog"
    assert "unavailable" in rec.json()["evidence"]["problem"]


def test_recommend_learns_from_posted_runs_and_the_choice_excludes_them(tmp_path):
    client = app_client(tmp_path / "runs.sqlite", token_names={"tok": "course"})
    plain = client.post("/recommend", json={}).json()
    assert plain["evidence"]["used"] == "catalog" and plain["evidence"]["runs_used"] == 0
    for i in range(6):
        assert post(client, valid_run(note=f"student {i}"), "tok").status_code == 201
    learned = client.post("/recommend", json={}).json()
    assert learned["evidence"]["runs_used"] == 6 and learned["evidence"]["plans_observed"] == ["colab-free"]
    colab = next(r for r in learned["recommendations"] if r["plan_id"] == "colab-free")
    assert "t4 6 of 6" in colab["score"]["basis_detail"] and "shared runs n=" in colab["score"]["basis_detail"]
    assert client.post("/recommend", json={"evidence": "local"}).json()["evidence"]["runs_used"] == 0
    assert client.post("/recommend", json={"evidence": "catalog"}).json()["evidence"]["used"] == "catalog"
    assert client.post("/recommend", json={"evidence": "mine"}).status_code == 422


def test_two_apps_on_one_store_see_each_others_runs(tmp_path):
    # Two workers: each keeps its own cache, refreshed by the store's generation, so neither serves stale evidence.
    a = app_client(tmp_path / "runs.sqlite", token_names={"tok": "course"})
    b = app_client(tmp_path / "runs.sqlite", token_names={"tok": "course"})
    assert b.post("/recommend", json={}).json()["evidence"]["runs_used"] == 0
    assert post(a, valid_run(), "tok").status_code == 201
    assert b.post("/recommend", json={}).json()["evidence"]["runs_used"] == 1


@pytest.mark.parametrize("refresh_s", [
    0,  # the default: every recommendation sees every stored run
    30,  # a worker reads the store for other workers' runs at most every 30 s; its own runs at once
])
def test_evidence_refresh_s_bounds_how_stale_another_workers_runs_may_be(tmp_path, refresh_s):
    a = app_client(tmp_path / "runs.sqlite", evidence_refresh_s=refresh_s)
    b = app_client(tmp_path / "runs.sqlite", evidence_refresh_s=refresh_s)
    now = [1000.0]
    assert b.post("/recommend", json={}).json()["evidence"]["runs_used"] == 0
    assert b.app.state.evidence_cache.min_refresh_s == refresh_s  # the setting reaches the worker's cache
    b.app.state.evidence_cache.clock = lambda: now[0]
    b.app.state.evidence_cache.refresh(force=True)
    assert post(a, valid_run(), "tok").status_code == 201
    assert a.post("/recommend", json={}).json()["evidence"]["runs_used"] == 1  # the posting worker: at once
    now[0] += refresh_s / 2
    seen = b.post("/recommend", json={}).json()["evidence"]["runs_used"]
    assert seen == (1 if refresh_s == 0 else 0)  # within refresh_s of its last read, the other worker may lag
    now[0] += refresh_s / 2 + 0.001
    assert b.post("/recommend", json={}).json()["evidence"]["runs_used"] == 1  # never longer than refresh_s
    assert post(b, valid_run(note="b's own"), "tok").status_code == 201
    assert b.post("/recommend", json={}).json()["evidence"]["runs_used"] == 2  # its own run: at once, whatever refresh_s


@pytest.mark.parametrize("value", ["-1", "61", "nan", "inf", "soon"])
def test_evidence_refresh_s_outside_0_to_60_seconds_stops_the_start_naming_the_variable(value):
    from advisor.errors import SettingsError

    with pytest.raises(SettingsError, match="ADVISOR_EVIDENCE_REFRESH_S"):
        ApiSettings.from_env({"ADVISOR_EVIDENCE_REFRESH_S": value})
    assert ApiSettings.from_env({"ADVISOR_EVIDENCE_REFRESH_S": "2.5"}).evidence_refresh_s == 2.5


# ---------------------------------------------------------------------------------------------
# Real servers on one PostgreSQL


def _uvicorn(port: int, workers: int = 1, **store) -> subprocess.Popen:
    """uvicorn's own command (its --workers starts separate worker processes on one socket) on the store given as
    ADVISOR_DATABASE_URL or ADVISOR_RUNS_DB; writes need the token 'tok-course'."""
    env = dict(os.environ, ADVISOR_API_TOKEN="tok-course", ADVISOR_CHAT_SECRET="s3cret-for-the-runs-api-tests-0123456789abc", PYTHONPATH=str(ROOT))
    env.pop("ADVISOR_DATABASE_URL", None)
    env.update(store)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "advisor.api:create_app", "--host",
                             "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("the server did not start")


def _serve(url: str, port: int, workers: int = 1) -> subprocess.Popen:
    return _uvicorn(port, workers, ADVISOR_DATABASE_URL=url)


def _post_http(port: int, run: dict) -> int | None:
    """The stored id, or None when the request failed (the server died)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/runs", data=json.dumps(run).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": "Bearer tok-course"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["id"]
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _poster_process(args) -> list[tuple[str, int | None]]:
    port, who, count = args
    return [(f"{who}-{i}", _post_http(port, at(1 + i % 28, note=f"{who}-{i}"))) for i in range(count)]


def _stored_notes(url: str) -> dict[str, int]:
    store = RunStore(url)
    notes: dict[str, int] = {}
    for s in store.iter_runs():
        notes[s.run.note] = notes.get(s.run.note, 0) + 1
    store.close()
    return notes


def test_concurrent_posts_from_several_processes_to_two_workers_lose_nothing(pg_cluster):
    url = pg_cluster.create_database(f"w_{uuid.uuid4().hex[:12]}")
    port = free_port()
    server = _serve(url, port, workers=2)
    try:
        with ProcessPoolExecutor(max_workers=4) as pool:
            results = [r for batch in pool.map(_poster_process, [(port, f"p{k}", 40) for k in range(4)]) for r in batch]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    assert all(run_id is not None for _, run_id in results)
    notes = _stored_notes(url)
    assert len(results) == 160 and all(notes.get(note) == 1 for note, _ in results) and len(notes) == 160


def test_kill_9_of_a_worker_mid_write_loses_no_acknowledged_run(pg_cluster):
    # Two hosts on one PostgreSQL; eight threads post to the first, which is killed with SIGKILL mid-stream.
    url = pg_cluster.create_database(f"k_{uuid.uuid4().hex[:12]}")
    doomed, survivor = free_port(), free_port()
    servers = [_serve(url, doomed), _serve(url, survivor)]
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(k: int):
        i = 0
        while not stop.is_set():
            note = f"t{k}-{i}"
            if _post_http(doomed, at(1 + i % 28, note=note)) is not None:
                with lock:
                    acknowledged.append(note)
            i += 1

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            for k in range(8):
                pool.submit(writer, k)
            deadline = time.time() + 60
            while len(acknowledged) < 150 and time.time() < deadline:
                time.sleep(0.05)
            os.killpg(servers[0].pid, signal.SIGKILL)  # mid-write: eight requests in flight
            time.sleep(0.5)
            stop.set()
        servers[0].wait(10)
        notes = _stored_notes(url)
        assert len(acknowledged) >= 150
        assert all(notes.get(note) == 1 for note in acknowledged)
        # The clients retry everything they sent (acknowledged or not) on the other host: nothing is stored twice.
        sent = {n for n in notes} | set(acknowledged)
        for note in sorted(sent):
            k, i = note[1:].split("-")
            assert _post_http(survivor, at(1 + int(i) % 28, note=note)) is not None
        after = _stored_notes(url)
        assert all(count == 1 for count in after.values()) and set(after) == sent
    finally:
        for s in servers:
            if s.poll() is None:
                os.killpg(s.pid, signal.SIGTERM)
                s.wait(30)


# ---------------------------------------------------------------------------------------------
# Posting from a notebook and reading a server's runs (the CLI against a real server on loopback)


def _serve_sqlite(db, port: int) -> subprocess.Popen:
    return _uvicorn(port, ADVISOR_RUNS_DB=str(db))


def test_post_run_then_runs_from_a_server_and_save_as_shared(tmp_path, monkeypatch):
    from advisor.cli import post_run, run
    from advisor.errors import RunPostError
    from advisor.runs.record import run_from_json

    port = free_port()
    server = _serve_sqlite(tmp_path / "server.sqlite", port)
    try:
        url = f"http://127.0.0.1:{port}"
        monkeypatch.setenv("ADVISOR_API_TOKEN", "tok-course")
        first = post_run(url, run_from_json(valid_run()))
        assert first["duplicate"] is False and post_run(url + "/runs", run_from_json(valid_run()))["duplicate"]
        with pytest.raises(RunPostError, match="401"):
            post_run(url, run_from_json(valid_run(note="x")), token="wrong")
        local = tmp_path / "local.sqlite"
        monkeypatch.setenv("ADVISOR_RUNS_DB", str(local))
        assert run(["runs", "--from", url, "--save"]) == 0
        saved = RunStore(local).page().runs
        assert len(saved) == 1 and saved[0].origin.value == "shared" and saved[0].poster == f"127.0.0.1:{port}/default"
        assert run(["runs", "--from", url, "--save"]) == 0 and RunStore(local).count() == 1  # stored once
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def test_bench_post_that_fails_keeps_the_run_locally(tmp_path, monkeypatch, capsys):
    import argparse

    from advisor.cli import _post_after_bench
    from advisor.runs.record import run_from_json

    monkeypatch.setenv("ADVISOR_RUNS_DB", str(tmp_path / "runs.sqlite"))
    args = argparse.Namespace(post=f"http://127.0.0.1:{free_port()}", store=None)
    assert _post_after_bench(args, run_from_json(valid_run())) == 0
    err = capsys.readouterr().err
    assert "cannot post" in err and "kept as run 1" in err and "--post" in err
    assert RunStore(tmp_path / "runs.sqlite").count() == 1
