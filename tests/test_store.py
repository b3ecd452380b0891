"""Tests for advisor.runs.record and advisor.runs.store: the strict run schema, the store on SQLite and on a real
PostgreSQL (a throwaway cluster; see pg_cluster.py), paging, dedupe, atomic imports, migrations, faults.

Regression tests carry the defect's number from the 2026-11 reliability probe (D1, D2, ...): each failed on the
code the probe examined."""
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from conftest import ROOT
from sample_runs import valid_run

from advisor.bench import run_reference
from advisor.catalog import load_catalog
from advisor.errors import RunValidationError, StoreError
from advisor.runs.record import (
    MAX_RUN_BYTES,
    check_plausible,
    content_hash,
    run_from_json,
    runs_from_bytes,
    runs_from_file,
)
from advisor.runs.store import RunFilter, RunStore
from advisor.vocab import EvidenceSource, RunOrder

# ---------------------------------------------------------------------------------------------
# Both backends: SQLite always; PostgreSQL when its server binaries are installed (.ci/run installs them).




@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path):
    """A fresh, empty store: a SQLite path, or a new database in the throwaway PostgreSQL cluster."""
    if request.param == "sqlite":
        return str(tmp_path / "store" / "runs.sqlite")
    cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database(f"t_{uuid.uuid4().hex[:12]}")


def at(day: int, **changes) -> dict:
    """A valid run started on 2026-11-<day>."""
    return valid_run(started_at=f"2026-11-{day:02d}T10:00:00+00:00", finished_at=f"2026-11-{day:02d}T10:01:00+00:00",
                     **changes)


# ---------------------------------------------------------------------------------------------
# The record


def test_valid_run_round_trips_and_hashes_the_same():
    run = run_from_json(json.dumps(valid_run()))
    assert run.to_dict()["schema"] == "advisor.run/1"
    again = run_from_json(run.to_dict())
    assert again.to_dict() == run.to_dict() and again.content_hash() == run.content_hash()
    assert run_from_json(valid_run(note="other")).content_hash() != run.content_hash()


@pytest.mark.parametrize("changes, field", [
    ({"mode": "turbo"}, "mode"),  # unknown mode
    ({"scores": {"ai": -1}}, "scores.ai"),  # negative score
    ({"scores": {"ai": 5e7}}, "scores.ai"),  # absurd score
    ({"tests": [{"id": "1.1", "mean_ms": -3, "status": "ok"}]}, "tests[0].mean_ms"),  # negative time
    ({"tests": [{"id": "x", "status": "ok"}]}, "tests[0].id"),  # malformed test id
    ({"device": {"name": "T4", "kind": "tpu"}}, "device.kind"),  # unknown device kind
    ({"finished_at": "2026-11-20T09:00:00+00:00"}, "finished_at"),  # ends before it starts
    ({"platform": "Colab Free!"}, "platform"),  # not an id
    ({"extra": 1}, "extra"),  # unknown field
])
def test_bad_runs_name_the_field(changes, field):
    with pytest.raises(RunValidationError, match=field.replace("[", r"\[").replace("]", r"\]")):
        run_from_json(valid_run(**changes))


@pytest.mark.parametrize("text, message", [
    ('{"scores": {"ai": NaN}}', "NaN"),
    ('{"scores": {"ai": Infinity}}', "Infinity"),
    ("[1, 2", "not JSON"),
    ("[]", "JSON object"),
    ("x" * (MAX_RUN_BYTES + 1), "limit"),
])
def test_malformed_text_is_rejected_clearly(text, message):
    with pytest.raises(RunValidationError, match=message):
        run_from_json(text)


def test_naive_start_with_aware_end_is_refused_regression_d1():
    # The probe's 500/traceback: comparing a naive start with an aware end raised TypeError. Naive times are
    # refused with the field named (README: a run's times need a UTC offset).
    with pytest.raises(RunValidationError, match=r"started_at: .*time zone"):
        run_from_json(valid_run(started_at="2026-11-20T10:00:00"))
    with pytest.raises(RunValidationError, match=r"finished_at: .*time zone"):
        run_from_json(valid_run(finished_at="2026-11-20T10:01:00"))


@pytest.mark.parametrize("text", [
    "[" * 1000 + "]" * 1000,  # the probe's case
    "[" * 100_000 + "]" * 100_000,  # deeper than the parser's own recursion limit
    '{"note": ' + "[" * 40 + "]" * 40 + "}",  # nesting inside a field
])
def test_deeply_nested_json_is_a_clear_validation_error_regression_d2(text):
    with pytest.raises(RunValidationError, match="nested deeper|not JSON|note"):
        runs_from_bytes(text.encode(), "d.json")


@pytest.mark.parametrize("where", ["device.name", "device.driver_version", "device.cuda_version",
                                   "tensorflow_version", "tests[0].name", "note", "tests[2].error"])
@pytest.mark.parametrize("bad", ["\x1b]0;PWNED\x07", "T4\nsecond row", "a\x00b", "x\u202ey", "z\u2066w", "\x9bq"])
def test_control_characters_are_refused_in_every_string_regression_d6(where, bad):
    run = valid_run()
    if bad in ("T4\nsecond row",) and where in ("note", "tests[2].error"):
        bad = "line\rreturn"  # free text may hold line breaks (TensorFlow's errors do), never a carriage return
    if where.startswith("device."):
        run["device"][where.split(".")[1]] = bad
    elif where.startswith("tests["):
        run["tests"][int(where[6])][where.split(".")[1]] = bad
    else:
        run[where] = bad
    with pytest.raises(RunValidationError, match=where.replace("[", r"\[").replace("]", r"\]")):
        run_from_json(run)


@pytest.mark.parametrize("changes, field", [
    ({"started_at": "0001-01-01T00:00:00+00:00"}, "started_at"),  # before AI Benchmark existed
    ({"finished_at": "9999-12-31T00:00:00+00:00"}, "finished_at"),  # far future
    ({"started_at": "2999-01-01T00:00:00+00:00", "finished_at": "2999-01-01T00:01:00+00:00"}, "started_at"),
    ({"started_at": 1700000000}, "started_at"),  # a Unix timestamp is not a date-time
    ({"scores": {"ai": 5e-324}}, "scores.ai"),  # a denormal
    ({"scores": {"ai": -0.0}}, "scores.ai"),  # negative zero
    ({"scores": {"ai": 0}}, "scores.ai"),  # zero
    ({"scores": {"ai": "12000"}}, "scores.ai"),  # lax coercion from text
    ({"partial": "no"}, "partial"),  # lax coercion to a boolean
    ({"device": {"name": "T4", "kind": "gpu", "memory_gib": True}}, "device.memory_gib"),  # a boolean as a number
    ({"tests_used": 2.0}, "tests_used"),  # a float as a count
    ({"platform": "no-such-plan"}, "platform"),  # no plan of the catalog
])
def test_absurd_values_are_refused_regression_d20(changes, field):
    with pytest.raises(RunValidationError, match=field.replace("[", r"\[").replace("]", r"\]")):
        run_from_json(valid_run(**changes))


def test_duplicate_json_keys_are_refused_regression_d20():
    text = json.dumps(valid_run())[:-1] + ', "mode": "full"}'
    with pytest.raises(RunValidationError, match="appears twice"):
        run_from_json(text)


@pytest.mark.parametrize("changes, problem", [
    ({"scores": {"ai": 9_000_000, "inference": 4_500_000, "training": 4_500_000}}, "fastest device"),
    ({"scores": {"ai": 12000, "inference": 6000, "training": 5000, "ai_low": 10800, "ai_high": 13200}},
     "inference plus training"),
    ({"scores": {"ai": 30000, "inference": 15000, "training": 15000, "ai_low": 27000, "ai_high": 33000}},
     "sub-test times"),  # the times give 6,000 + 6,000
    ({"scores": {"ai": 12000, "inference": 6000, "training": 6000, "ai_low": 12500, "ai_high": 13200}}, "interval"),
    ({"tests_used": 1}, "tests_used"),
    ({"tests": [{"id": "1.1", "kind": "training", "mean_ms": 125.0, "status": "ok"}]}, "inference test"),
])
def test_implausible_runs_are_refused(changes, problem):
    run = run_from_json(valid_run(**changes))
    with pytest.raises(RunValidationError, match=problem):
        check_plausible(run, load_catalog(), run_reference())


def test_the_sample_run_and_a_full_run_by_the_library_rule_are_plausible():
    check_plausible(run_from_json(valid_run()), load_catalog(), run_reference())
    full = valid_run(mode="full", scores={"ai": 12000, "inference": 6000, "training": 6000}, partial=True)
    check_plausible(run_from_json(full), load_catalog(), run_reference())


# ---------------------------------------------------------------------------------------------
# The store, on both backends


def test_store_add_list_filter_and_dedupe(target):
    store = RunStore(target)
    a = store.add(run_from_json(at(10)))
    b = store.add(run_from_json(at(11, platform="kaggle-free")))
    assert [s.id for s in store.list()] == [a, b]
    assert [s.id for s in store.list(platform="kaggle-free")] == [b]
    assert store.get(a).run.platform == "colab-free" and store.get(999) is None
    again, created = store.add_run(run_from_json(at(10)), poster="someone-else")
    assert (again, created) == (a, False) and store.count() == 2  # the same run is stored once


def test_poster_and_origin_are_recorded_never_a_token(target):
    store = RunStore(target)
    store.add(run_from_json(at(10)), poster="course-2026", origin=EvidenceSource.SHARED)
    stored = store.page().runs[0]
    assert stored.poster == "course-2026" and stored.origin is EvidenceSource.SHARED
    assert stored.to_dict()["poster"] == "course-2026"


def test_cursor_pages_reach_every_run_newest_first_regression_d7(target):
    # The probe: GET /runs ignored offset/after/order and never reached runs after the first 1000.
    store = RunStore(target)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    runs = []
    for i in range(2300):
        start = base + dt.timedelta(minutes=7 * i)
        runs.append(run_from_json(valid_run(note=f"r{i}", started_at=start.isoformat(),
                                            finished_at=(start + dt.timedelta(minutes=1)).isoformat())))
    store.add_runs(runs)
    seen, cursor = [], None
    while True:
        page = store.page(limit=1000, cursor=cursor)
        seen += [s.run.note for s in page.runs]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f"r{i}" for i in reversed(range(2300))]
    oldest = store.page(limit=3, order=RunOrder.OLDEST)
    assert [s.run.note for s in oldest.runs] == ["r0", "r1", "r2"]
    window = store.page(RunFilter(since=base + dt.timedelta(minutes=7 * 2298)), limit=10)
    assert [s.run.note for s in window.runs] == ["r2299", "r2298"]
    with pytest.raises(ValueError, match="order"):
        store.page(limit=10, cursor=page.next_cursor or oldest.next_cursor)


def test_a_stored_row_that_no_longer_validates_is_skipped_not_fatal_regression_d10(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    for day in (10, 11, 12):
        store.add(run_from_json(at(day)))
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:  # a hand edit
        db.execute("UPDATE runs SET record = ? WHERE id = 2", (json.dumps({"mode": "quick"}),))
    page = store.page()
    assert [s.id for s in page.runs] == [3, 1] and page.skipped == 1
    r = advisor("runs", env_store=tmp_path / "runs.sqlite")
    assert r.returncode == 0 and "2 runs" in r.stdout and "1 stored run no longer validate" in r.stderr


def _write_many(args):
    target, start = args
    store = RunStore(target)
    for i in range(start, start + 25):
        store.add(run_from_json(at(10, note=f"run {i}")))
    return True


def test_two_processes_writing_at_once_lose_nothing(target):
    with ProcessPoolExecutor(max_workers=2) as pool:
        assert all(pool.map(_write_many, [(target, 0), (target, 100)]))
    notes = sorted(s.run.note for s in RunStore(target).list())
    assert notes == sorted([f"run {i}" for i in range(25)] + [f"run {i}" for i in range(100, 125)])


def test_an_import_is_one_transaction_regression_d18(target):
    store = RunStore(target)
    good = [run_from_json(at(10, note=f"n{i}")) for i in range(50)]

    def failing():
        yield from good[:30]
        raise RuntimeError("the import died half way")

    with pytest.raises(RuntimeError):
        store.add_runs(failing())
    assert store.count() == 0  # nothing of a failed import is kept
    assert store.add_runs(good).added == 50
    again = store.add_runs(good)  # re-importing the same file stores nothing twice
    assert (again.added, again.duplicates, store.count()) == (0, 50, 50)


def test_kill_9_during_an_import_leaves_all_or_nothing_regression_d18(tmp_path):
    export = tmp_path / "export.jsonl"
    export.write_text("".join(json.dumps(at(10, note=f"n{i}")) + "\n" for i in range(3000)))
    db = tmp_path / "runs.sqlite"
    env = dict(os.environ, ADVISOR_RUNS_DB=str(db))
    child = subprocess.Popen([sys.executable, "-m", "advisor", "import", str(export)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Kill it once the store exists (the import is then validating or writing), else after 3 s.
    for _ in range(300):
        if db.exists() or child.poll() is not None:
            break
        subprocess.run(["sleep", "0.01"])
    child.kill()
    child.wait()
    count = RunStore(db).count()
    assert count in (0, 3000)
    r = advisor("import", str(export), env_store=db)
    assert r.returncode == 0, r.stderr
    assert RunStore(db).count() == 3000


# ---------------------------------------------------------------------------------------------
# The CLI's import and export


def advisor(*args, env_store):
    env = dict(os.environ, ADVISOR_RUNS_DB=str(env_store))
    env.pop("ADVISOR_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "advisor", *args], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=300)


def test_cli_import_export_round_trip(tmp_path):
    db = tmp_path / "runs.sqlite"
    one = tmp_path / "one.json"
    one.write_text(json.dumps(valid_run()))
    r = advisor("import", str(one), env_store=db)
    assert r.returncode == 0 and "imported 1 run" in r.stdout
    export = advisor("runs", "--json", env_store=db)
    exported = tmp_path / "export.json"
    exported.write_text(export.stdout)
    assert len(runs_from_file(exported)) == 1
    other = tmp_path / "other.sqlite"
    assert advisor("import", str(exported), env_store=other).returncode == 0
    assert "Tesla T4" in advisor("runs", env_store=other).stdout


def test_an_export_of_any_size_reimports_regression_d11(tmp_path):
    # The probe: a 1300-run export (1.05 MB) was refused by the 1 MB limit meant for one run.
    db = tmp_path / "runs.sqlite"
    RunStore(db).add_runs([run_from_json(at(1 + i % 27, note=f"n{i}")) for i in range(1500)])
    for flag, name in (("--json", "e.json"), ("--jsonl", "e.jsonl")):
        export = advisor("runs", flag, env_store=db)
        assert export.returncode == 0, export.stderr
        path = tmp_path / name
        path.write_text(export.stdout)
        assert path.stat().st_size > MAX_RUN_BYTES
        other = tmp_path / f"{name}.sqlite"
        r = advisor("import", str(path), env_store=other)
        assert r.returncode == 0 and "imported 1500 runs" in r.stdout, r.stderr
        assert RunStore(other).count() == 1500
        assert {content_hash(s.run.to_dict()) for s in RunStore(other).list()} == \
               {content_hash(s.run.to_dict()) for s in RunStore(db).list()}


@pytest.mark.parametrize("content, message", [
    ('{"mode": "quick"}', "run 1"),
    ("not json", "not JSON"),
    (json.dumps([valid_run(), valid_run(scores={"ai": -4})]), "run 2: scores.ai"),
    ("[" * 5000 + "]" * 5000, "nested deeper"),  # D2 in the CLI
    (json.dumps(valid_run(started_at="2026-11-20T10:00:00")), "started_at"),  # D1 in the CLI
    (json.dumps(valid_run(scores={"ai": 40000, "inference": 20000, "training": 20000, "ai_low": 36000,
                                  "ai_high": 44000})), "implausible"),
])
def test_cli_import_of_a_bad_file_is_one_line_and_saves_nothing(tmp_path, content, message):
    db = tmp_path / "runs.sqlite"
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    r = advisor("import", str(bad), env_store=db)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert not db.exists()  # nothing was created either


def test_cli_import_missing_file(tmp_path):
    r = advisor("import", str(tmp_path / "nope.json"), env_store=tmp_path / "runs.sqlite")
    assert r.returncode == 2 and "no such file" in r.stderr


def test_a_stored_run_can_be_the_reference_device(tmp_path):
    db = tmp_path / "runs.sqlite"
    RunStore(db).add(run_from_json(valid_run()))
    r = advisor("recommend", "--workload", "training", "--reference-hours", "2", "--reference-run", "1", "--json",
                env_store=db)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["workload"]["reference_score"] == 6000
    bad = advisor("recommend", "--reference-hours", "2", "--reference-run", "9", env_store=db)
    assert bad.returncode == 2 and "--reference-run" in bad.stderr


def test_a_huge_reference_run_id_is_a_clear_message_regression_d14(tmp_path):
    r = advisor("recommend", "--reference-hours", "2", "--reference-run", "1" + "0" * 31, env_store=tmp_path / "x")
    assert r.returncode == 2 and "--reference-run" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_reading_never_creates_a_folder_or_database_regression_d21(tmp_path):
    missing = tmp_path / "nonexistent" / "dir" / "x.sqlite"
    r = advisor("recommend", "--reference-hours", "2", "--reference-run", "1", "--store", str(missing),
                env_store=missing)
    assert r.returncode == 2 and "no run 1" in r.stderr
    assert advisor("runs", env_store=missing).returncode == 0
    assert not (tmp_path / "nonexistent").exists()
    assert RunStore(missing).page().runs == [] and RunStore(missing).generation() == 0
    assert not (tmp_path / "nonexistent").exists()


# ---------------------------------------------------------------------------------------------
# Migrations


def test_a_store_from_before_migrations_is_upgraded_with_its_ids(tmp_path):
    db = tmp_path / "runs.sqlite"
    with sqlite3.connect(db) as conn:  # exactly the table advisor/store.py created before advisor/runs/
        conn.execute("""CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, saved_at TEXT NOT NULL,
                        platform TEXT, mode TEXT NOT NULL, device TEXT NOT NULL, ai REAL, record TEXT NOT NULL)""")
        for i, day in ((5, 10), (6, 11), (7, 11)):  # ids 6 and 7 are the same run imported twice
            conn.execute("INSERT INTO runs VALUES (?, '2026-11-21T00:00:00+00:00', 'colab-free', 'quick', 'Tesla T4', "
                         "12000, ?)", (i, json.dumps(at(day))))
    store = RunStore(db)
    assert [s.id for s in store.page(order=RunOrder.OLDEST).runs] == [5, 6]
    assert store.add(run_from_json(at(12))) == 8  # ids continue after the largest ever used
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0002"


def test_postgres_schema_is_created_once_by_concurrent_workers(pg_cluster):
    url = pg_cluster.create_database(f"m_{uuid.uuid4().hex[:12]}")
    with ProcessPoolExecutor(max_workers=2) as pool:
        assert all(pool.map(_write_many, [(url, 0), (url, 100)]))
    assert RunStore(url).count() == 50


# ---------------------------------------------------------------------------------------------
# Store faults (D16): one line naming the cause and what to do; a read-only store can still be listed


def _as_nobody(*args: str, store: Path) -> subprocess.CompletedProcess:
    """The CLI as an unprivileged user (root ignores file permissions), or as this user when not root."""
    env = {"PATH": os.environ["PATH"], "ADVISOR_RUNS_DB": str(store), "HOME": "/tmp", "PYTHONPATH": str(ROOT),
           "ADVISOR_CACHE_DIR": "/tmp/advisor-nobody-cache"}
    cmd = [sys.executable, "-m", "advisor", *args]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", *cmd]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def open_dir():
    """A folder every user can enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="advisor-faults-"))
    folder.chmod(0o755)
    yield folder
    for p in folder.rglob("*"):
        p.chmod(0o777)
    shutil.rmtree(folder, ignore_errors=True)


def test_read_only_store_can_be_listed_and_writes_say_why_regression_d16(open_dir, tmp_path):
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to drop root's permission override")
    folder = open_dir / "ro"
    folder.mkdir()
    store = folder / "runs.sqlite"
    RunStore(store).add(run_from_json(valid_run()))
    store.chmod(0o444)
    for extra in folder.glob("runs.sqlite-*"):
        extra.chmod(0o444)
    folder.chmod(0o555)
    listed = _as_nobody("runs", store=store)
    assert listed.returncode == 0 and "1 run" in listed.stdout, listed.stderr
    run_file = open_dir / "run.json"
    run_file.write_text(json.dumps(valid_run(note="new")))
    run_file.chmod(0o444)
    written = _as_nobody("import", str(run_file), store=store)
    assert written.returncode == 1 and "read-only" in written.stderr
    assert len(written.stderr.strip().splitlines()) == 1 and "Traceback" not in written.stderr


def _fault(store: Path, prepare) -> str:
    prepare()
    with pytest.raises(StoreError) as caught:
        RunStore(store).add(run_from_json(valid_run()))
    return str(caught.value)


@pytest.mark.parametrize("case, expected", [
    ("corrupt", "damaged or not a SQLite database"),
    ("truncated", "damaged or not a SQLite database"),
    ("directory", "is a folder"),
    ("parent_is_file", "is a file, not a folder"),
    ("foreign", "did not create"),
])
def test_store_faults_are_one_line_store_errors_regression_d16(tmp_path, case, expected):
    store = tmp_path / "sub" / "runs.sqlite"

    def prepare():
        if case == "corrupt":
            store.parent.mkdir()
            store.write_bytes(os.urandom(8192))
        elif case == "truncated":
            RunStore(store).add_runs([run_from_json(at(1 + i % 27, note=f"n{i}")) for i in range(300)])
            RunStore(store).close()
            data = store.read_bytes()
            for extra in store.parent.glob("runs.sqlite-*"):
                extra.unlink()
            store.write_bytes(b"SQLite format 3\x00" + os.urandom(len(data) // 2))
        elif case == "directory":
            store.mkdir(parents=True)
        elif case == "parent_is_file":
            store.parent.write_text("a file")
        elif case == "foreign":
            store.parent.mkdir()
            with sqlite3.connect(store) as db:
                db.execute("CREATE TABLE runs (id INTEGER, name TEXT)")

    message = _fault(store, prepare)
    assert expected in message and "\n" not in message
    if case in ("corrupt", "foreign", "directory"):
        with pytest.raises(StoreError, match=expected):
            RunStore(store).page()


def test_a_full_disk_is_a_store_error_and_keeps_what_was_saved_regression_d16(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root in a machine that allows mounts)")
    try:
        store = RunStore(mount / "runs.sqlite")
        saved = 0
        with pytest.raises(StoreError, match="full") as caught:
            for i in range(5000):
                store.add(run_from_json(at(1 + i % 27, note=f"n{i}" + "x" * 1500)))
                saved += 1
        assert "\n" not in str(caught.value)
        store.close()
        after = RunStore(mount / "runs.sqlite")
        assert after.count() == saved and saved > 0
        after.close()
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_postgres_unreachable_is_one_line_without_the_password():
    from pg_cluster import free_port

    store = RunStore(f"postgresql://advisor:s3cret@127.0.0.1:{free_port()}/runs")
    with pytest.raises(StoreError) as caught:
        store.page()
    assert "cannot reach the PostgreSQL server" in str(caught.value) and "s3cret" not in str(caught.value)


# ---------------------------------------------------------------------------------------------
# Fuzzing: any text is a run or a RunValidationError, never another exception


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                         max_size=4), max_leaves=30)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode),
                 _json_values.map(lambda v: json.dumps(v).encode()),
                 st.fixed_dictionaries({k: _json_values for k in ("mode", "device", "scores", "started_at")})
                 .map(lambda d: json.dumps({**valid_run(), **d}).encode())))
def test_any_bytes_are_runs_or_a_validation_error(data):
    try:
        runs = runs_from_bytes(data, "fuzz")
    except RunValidationError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(("fuzz", "a run"))
    else:
        for run in runs:
            check_plausible_or_refused(run)


def check_plausible_or_refused(run):
    try:
        check_plausible(run, load_catalog(), run_reference())
    except RunValidationError:
        pass


def test_a_store_left_with_a_hot_journal_by_a_killed_writer_can_still_be_read(tmp_path):
    # A writer killed mid-transaction in rollback-journal mode (a new store is in that mode until its switch to
    # write-ahead logging) leaves a hot journal; a read-only connection alone cannot roll it back.
    db = tmp_path / "runs.sqlite"
    writer = textwrap.dedent(f"""
        import sqlite3, time
        conn = sqlite3.connect({str(db)!r}, isolation_level=None)
        conn.execute("CREATE TABLE scratch (x)")
        conn.execute("BEGIN IMMEDIATE")
        for _ in range(50):
            conn.execute("INSERT INTO scratch VALUES (randomblob(100000))")
        print("ready", flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    child.kill()
    child.wait()
    assert (tmp_path / "runs.sqlite-journal").exists()
    assert RunStore(db).count() == 0  # read, not "attempt to write a readonly database"
    assert sqlite3.connect(db).execute("SELECT count(*) FROM scratch").fetchone() == (0,)  # rolled back
