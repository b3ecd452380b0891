"""Tests for advisor.store: run validation, the SQLite store, concurrent writers, import and export."""
import json
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import pytest

from advisor.store import MAX_RUN_BYTES, RunStore, RunValidationError, own_evidence, run_from_json, runs_from_file
from conftest import ROOT
from sample_runs import valid_run


def test_valid_run_round_trips():
    run = run_from_json(json.dumps(valid_run()))
    assert run.to_dict()["schema"] == "advisor.run/1"
    assert run_from_json(run.to_dict()).to_dict() == run.to_dict()


@pytest.mark.parametrize("changes, field", [
    ({"mode": "turbo"}, "mode"),  # unknown mode
    ({"scores": {"ai": -1}}, "scores.ai"),  # negative score
    ({"scores": {"ai": 5e7}}, "scores.ai"),  # absurd score
    ({"tests": [{"id": "1.1", "mean_ms": -3, "status": "ok"}]}, "tests[0].mean_ms"),  # negative time
    ({"tests": [{"id": "x", "status": "ok"}]}, "tests[0].id"),  # malformed test id
    ({"device": {"name": "T4", "kind": "tpu"}}, "device.kind"),  # unknown device kind
    ({"finished_at": "2026-11-20T09:00:00+00:00"}, "finished_at"),  # ends before it starts
    ({"platform": "Colab Free!"}, "platform"),  # not a plan id
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


def test_store_add_list_and_filter(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    a = store.add(run_from_json(valid_run()))
    b = store.add(run_from_json(valid_run(platform="kaggle-free")))
    assert [s.id for s in store.list()] == [a, b]
    assert [s.id for s in store.list(platform="kaggle-free")] == [b]
    assert store.get(a).run.platform == "colab-free" and store.get(999) is None


def _write_many(args):
    path, start = args
    store = RunStore(path)
    for i in range(start, start + 25):
        store.add(run_from_json(valid_run(note=f"run {i}")))
    return True


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "runs.sqlite"
    RunStore(path)
    with ProcessPoolExecutor(max_workers=2) as pool:
        assert all(pool.map(_write_many, [(path, 0), (path, 100)]))
    notes = sorted(s.run.note for s in RunStore(path).list())
    assert notes == sorted([f"run {i}" for i in range(25)] + [f"run {i}" for i in range(100, 125)])


def test_own_evidence_counts_complete_gpu_runs_per_plan(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    for ai in (10000, 12000):
        store.add(run_from_json(valid_run(partial=False, scores={"ai": ai})))
    store.add(run_from_json(valid_run(partial=True, scores={"ai": 1})))  # partial: left out
    evidence = own_evidence(store.list())
    assert evidence == {"colab-free": {"n": 2, "mean": 11000.0, "sd": pytest.approx(1414.2, abs=0.1)}}


def advisor(*args, env_store):
    import os

    env = dict(os.environ, ADVISOR_RUNS_DB=str(env_store))
    return subprocess.run([sys.executable, "-m", "advisor", *args], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=120)


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


@pytest.mark.parametrize("content, message", [
    ('{"mode": "quick"}', "run 1"),
    ("not json", "not JSON"),
    (json.dumps([valid_run(), valid_run(scores={"ai": -4})]), "run 2: scores.ai"),
])
def test_cli_import_of_a_bad_file_is_one_line_and_saves_nothing(tmp_path, content, message):
    db = tmp_path / "runs.sqlite"
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    r = advisor("import", str(bad), env_store=db)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "0 runs" in advisor("runs", env_store=db).stdout


def test_cli_import_missing_file(tmp_path):
    r = advisor("import", str(tmp_path / "nope.json"), env_store=tmp_path / "runs.sqlite")
    assert r.returncode == 2 and "no such file" in r.stderr


def test_a_stored_run_can_be_the_reference_device(tmp_path):
    db = tmp_path / "runs.sqlite"
    RunStore(db).add(run_from_json(valid_run(scores={"ai": 13000, "training": 6500, "inference": 6500})))
    r = advisor("recommend", "--workload", "training", "--reference-hours", "2", "--reference-run", "1", "--json",
                env_store=db)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["workload"]["reference_score"] == 6500
    bad = advisor("recommend", "--reference-hours", "2", "--reference-run", "9", env_store=db)
    assert bad.returncode == 2 and "--reference-run" in bad.stderr
