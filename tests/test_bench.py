"""Tests for advisor.bench: scoring identity with the library, quick mode's model, plan, replay and calibration
(on the recorded public runs, no TensorFlow), a few short real TensorFlow runs on the CPU (one fast sub-test, few
passes: the network blocked, a failing sub-test, stopping early, a quick run), missing TensorFlow, the faces'
wording, and NVML detection.

There is no GPU on the machines that run these tests: NVML detection on a real GPU is replaced by a stand-in
module where a GPU is needed, and each such test says so. Everything else runs for real.
"""
import datetime as dt
import importlib.util
import json
import math
import re
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sample_runs import valid_quick_run

from advisor import load_catalog
from advisor.bench import (
    TensorFlowMissing,
    detect_gpus,
    match_catalog_gpu,
    run_benchmark,
    score_full,
    tensorflow_status,
)
from advisor.bench.calibration import conformal_factor, fit, full_truth, nested_loo, replay_held_out
from advisor.bench.device import machine_fingerprint
from advisor.bench.plan import QuickPlan, simulate
from advisor.bench.quick import CALIBRATION_FILE, PARTS, load_model
from advisor.bench.replay import read_recorded, replay
from advisor.bench.runner import Progress, RunRequest, WorkerOutput, _assemble
from advisor.bench.subtests import all_subtests
from advisor.errors import RunValidationError
from advisor.present.text import bench_result_lines, progress_line
from advisor.runs.record import run_from_json
from advisor.vocab import BenchMode, Metric

RUNS_DIR = ROOT / "benchmarks" / "calibration" / "runs"
RUN_FILES = sorted(RUNS_DIR.glob("*.json"))
RECORDED = {p.stem: read_recorded(p) for p in RUN_FILES}
needs_tf = pytest.mark.skipif(not tensorflow_status()[0], reason="TensorFlow is not installed")
MODEL = load_model()


def recorded(prefix: str):
    return next(r for name, r in RECORDED.items() if name.startswith(prefix))


def test_the_library_has_42_sub_tests_in_19_tests():
    subs = all_subtests()
    assert len(subs) == 42 and len({s.test_id for s in subs}) == 19
    assert sum(s.kind == "inference" for s in subs) == 24 and sum(s.kind == "training" for s in subs) == 18
    assert [s.id for s in subs][:3] == ["1.1", "1.2", "2.1"]
    assert {s.model for s in subs if s.recurrent} == {"Pixel-RNN", "LSTM-Sentiment", "GNMT-Translation"}


# --- scoring -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", RUN_FILES, ids=lambda p: p.stem)
def test_full_scoring_reproduces_every_printed_score_of_the_calibration_runs(path):
    # Each public run's printed scores (where its source printed them) come out of our scorer from its times.
    data = json.loads(path.read_text())
    ours = full_truth(read_recorded(path))
    printed = {Metric(k): v for k, v in data["printed_scores"].items() if v is not None}
    if data.get("score_check", "").startswith("training equals"):
        printed = {Metric.TRAINING: printed[Metric.TRAINING]}  # its source notes the inference print differs
    assert {m: ours[m] for m in printed} == printed


@needs_tf
def test_full_scoring_is_identical_to_the_librarys_own():
    # Feed the same per-test times to the library's printScores and to ours.
    from types import SimpleNamespace

    from advisor.bench.worker import import_library

    _, utils = import_library()
    ref = {s.id: s for s in all_subtests()}
    for run in RECORDED.values():
        results = utils.BenchmarkResults()
        for test_id, mean in run.times_ms.items():
            inference = ref[test_id].kind == "inference"
            target = results.results_inference_norm if inference else results.results_training_norm
            target.append(float(ref[test_id].ref_ms) / mean)
        info = SimpleNamespace(_type="full", results=results, verbose_level=0)
        library = utils.printScores(info, utils.PublicResults())
        ours = score_full(run.times_ms)
        assert (library.inference_score, library.training_score, library.ai_score) == (ours.inference, ours.training,
                                                                                       ours.ai)


@needs_tf
def test_the_upload_is_replaced_before_anything_can_call_it():
    from advisor.bench.worker import import_library, no_upload

    _, utils = import_library()
    import ai_benchmark.update_utils

    assert utils.update_info is no_upload and ai_benchmark.update_utils.update_info is no_upload


# --- quick mode's model ----------------------------------------------------------------------------------------

def test_every_sub_test_of_a_device_gives_its_full_score_inside_narrow_intervals():
    # With all 42 sub-tests measured there is little left to estimate: the estimate must sit near the full score.
    run = recorded("gtx1080")
    est = MODEL.estimate(run.times_ms, {i: 3 for i in run.times_ms}, run.kind)
    truth = full_truth(run)
    for m in PARTS:
        part = est.part(m)
        assert abs(part.score / truth[m] - 1) < 0.05 and part.low <= truth[m] <= part.high
        assert part.high / part.low < 1.6


def test_no_sub_test_gives_no_estimate():
    assert MODEL.estimate({}) is None
    assert MODEL.estimate({"1.1": 0.0}) is None  # a zero time is no measurement


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from([s.id for s in all_subtests()]),
                       st.floats(min_value=1.0, max_value=1e6, allow_nan=False), min_size=1, max_size=42),
       st.sampled_from(["gpu", "cpu"]))
def test_any_set_of_finished_sub_tests_gives_three_finite_ordered_intervals(times, kind):
    est = MODEL.estimate(times, None, kind)
    assert est.subtests == len(times)
    for m in PARTS:
        part = est.part(m)
        assert all(math.isfinite(v) for v in (part.score, part.low, part.high))
        assert 0 < part.low < part.score < part.high


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([s.id for s in all_subtests()]), min_size=1, max_size=20, unique=True),
       st.sampled_from([s.id for s in all_subtests()]))
def test_measuring_one_more_sub_test_never_adds_uncertainty(done, extra):
    # Gaussian conditioning: the plan's objective is a posterior variance, which more evidence cannot raise.
    before = MODEL.uncertainty({i: 1 for i in done})
    after = MODEL.uncertainty({**{i: 1 for i in done}, extra: 1})
    assert after <= before + 1e-12


def test_a_device_unlike_the_calibration_set_gets_a_wider_interval():
    # Same sub-tests, same level, but a pattern the calibration never saw (one sub-test 10x off the rest):
    # the multivariate-t rule must widen the interval.
    run = recorded("rtx2070")
    ids = list(run.times_ms)[:10]
    normal = {i: run.times_ms[i] for i in ids}
    odd = {**normal, ids[0]: normal[ids[0]] * 10, ids[1]: normal[ids[1]] / 10}
    a, b = MODEL.estimate(normal, None, "gpu"), MODEL.estimate(odd, None, "gpu")
    assert b.inflation > a.inflation and b.ai.high / b.ai.low > a.ai.high / a.ai.low


# --- the plan and the replay ------------------------------------------------------------------------------------

@pytest.mark.parametrize("budget", [5, 20, 45, 120])
@pytest.mark.parametrize("name", sorted(RECORDED))
def test_a_replay_never_spends_more_than_its_budget(name, budget):
    steps = simulate(MODEL, RECORDED[name].times_ms, budget, RECORDED[name].kind)
    assert all(s.clock_s <= budget + 1e-9 for s in steps)
    assert len({s.id for s in steps}) == len(steps)  # no sub-test twice
    assert all(s.id in RECORDED[name].times_ms for s in steps)  # never one the device has no time for


def test_a_fast_gpu_runs_more_sub_tests_and_gets_a_tighter_interval_than_a_slow_cpu():
    fast, slow = recorded("rtx3090_atmelino_run_a"), recorded("i7_6700hq")
    runs = {}
    for run in (fast, slow):
        steps = simulate(MODEL, run.times_ms, 45, run.kind)
        runs[run.name] = (len(steps), MODEL.estimate({s.id: s.mean_ms for s in steps}, {s.id: s.passes for s in steps},
                                                     run.kind))
    (n_fast, e_fast), (n_slow, e_slow) = runs[fast.name], runs[slow.name]
    assert n_fast > 2 * n_slow
    assert e_fast.ai.high / e_fast.ai.low < e_slow.ai.high / e_slow.ai.low


def test_the_plan_covers_training_and_a_recurrent_model_when_the_budget_allows():
    subs = {s.id: s for s in all_subtests()}
    for run in RECORDED.values():
        steps = simulate(MODEL, run.times_ms, 45, run.kind)
        ids = [s.id for s in steps]
        if len(ids) >= 8:  # enough budget for the rules to be reachable
            assert sum(subs[i].kind == "training" for i in ids) >= 3, run.name
            assert any(subs[i].recurrent for i in ids), run.name


def test_a_longer_budget_on_one_device_keeps_going_where_the_shorter_one_stopped():
    run = recorded("v100")
    short, long_ = simulate(MODEL, run.times_ms, 15, run.kind), simulate(MODEL, run.times_ms, 60, run.kind)
    assert len(long_) > len(short)
    e_short = MODEL.estimate({s.id: s.mean_ms for s in short}, {s.id: s.passes for s in short}, run.kind)
    e_long = MODEL.estimate({s.id: s.mean_ms for s in long_}, {s.id: s.passes for s in long_}, run.kind)
    assert e_long.ai.sd_log < e_short.ai.sd_log


def test_the_pass_rule_keeps_at_least_one_and_at_most_max_passes():
    plan = QuickPlan(MODEL, 45)
    assert plan.passes_for(10_000) == 1 and plan.passes_for(1) == MODEL.plan["max_passes"]
    assert not plan.keep_passing([], 44.9, 200)  # the pass would end past the budget
    assert plan.keep_passing([], 10, 200)


def test_replay_cli_writes_the_run_quick_mode_would_have_produced(tmp_path):
    out = tmp_path / "run.json"
    path = RUNS_DIR / "jetson_agx_xavier.json"
    r = subprocess.run([sys.executable, "-m", "advisor", "bench", "--replay", str(path), "--budget", "30",
                        "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    run = run_from_json(out.read_text())
    assert run.mode == BenchMode.QUICK and run.replay_of.startswith("jetson_agx_xavier.json: github:Adlink-ROS")
    assert run.budget_s == 30 and 0 < run.measured_s <= 30 and run.tests_used == len(run.tests) > 0
    s = run.scores
    for low, mid, high in ((s.ai_low, s.ai, s.ai_high), (s.inference_low, s.inference, s.inference_high),
                           (s.training_low, s.training, s.training_high)):
        assert low < mid < high
    # The same answer as the library call (the replay is deterministic).
    again = replay(path, 30)
    assert (again.scores.ai, [t.id for t in again.tests]) == (s.ai, [t.id for t in run.tests])
    assert "estimate" in r.stdout and "replay of" in r.stdout and "not kept in the run store" in r.stdout
    assert "AI score ~" in r.stderr  # the progress line showed the estimate as it narrowed


def test_a_run_json_of_this_tool_can_be_replayed(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(valid_quick_run()))
    run = replay(path, 20)
    assert run.device.name == "Tesla T4" and {t.id for t in run.tests} <= {"1.1", "5.2"}


@pytest.mark.parametrize("text, words", [
    ("not json", "not JSON"),
    ('{"per_test_ms": {"20.1": 5}}', "not an AI Benchmark sub-test"),
    ('{"per_test_ms": {"1.1": -5}}', "a time in ms"),
    ('{"per_test_ms": {"1.1": NaN}}', "not a number"),
    ('{"per_test_ms": {"1.1": true}}', "a time in ms"),  # a boolean is no time
    ('{"per_test_ms": {}}', "expected an object"),
    ('[1, 2]', "expected one run"),
    ('{"hello": 1}', "neither a per-test run"),
    ('{"per_test_ms": {"1.1": 5}, "kind": "tpu"}', "kind"),
])
def test_a_bad_replay_file_gets_one_clear_line(tmp_path, text, words):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(RunValidationError, match=words):
        read_recorded(path)
    r = subprocess.run([sys.executable, "-m", "advisor", "bench", "--replay", str(path)], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and r.stderr.startswith("error:")
    assert "Traceback" not in r.stderr


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                    max_leaves=12))
def test_reading_any_json_either_works_or_says_what_is_wrong(tmp_path, value):
    path = tmp_path / "any.json"
    path.write_text(json.dumps({"per_test_ms": value}) if isinstance(value, dict) else json.dumps(value))
    try:
        run = read_recorded(path)
    except RunValidationError:
        return
    assert run.times_ms and all(t > 0 for t in run.times_ms.values())


def test_the_cli_refuses_options_that_do_not_fit_a_replay_or_a_full_run():
    from advisor.cli import run

    path = str(RUNS_DIR / "jetson_agx_xavier.json")
    assert run(["bench", "--replay", path, "--mode", "full"]) == 2
    assert run(["bench", "--mode", "full", "--budget", "30"]) == 2
    assert run(["bench", "--replay", path, "--budget", "0"]) == 2


# --- calibration ----------------------------------------------------------------------------------------------

def test_the_calibration_names_every_run_with_a_public_source_and_uses_neither_held_out_source():
    shipped = json.loads(CALIBRATION_FILE.read_text())
    listed = {r["run"]: r["source"] for r in shipped["calibration_runs"]}
    for path in RUN_FILES:
        assert path.stem in listed and listed[path.stem] == json.loads(path.read_text())["source"]
    for source in listed.values():
        assert source.startswith(("github:", "https://", "measured for this repository"))
        assert "jiafeng5513" not in source and "tom-sapletta-com" not in source
    assert not re.search(r"(^|[\s(])/[a-z]", json.dumps(listed))  # no local absolute path as a source


def test_nested_leave_one_device_out_never_fits_on_the_device_it_judges(monkeypatch):
    import advisor.bench.calibration as calibration

    runs = [recorded(p) for p in ("gtx1080", "i7_6700hq", "jetson", "otc_p2", "v100")]
    seen_fits = []
    real_fit = calibration.fit

    def spy(fit_runs, *args, **kwargs):
        seen_fits.append({r.key for r in fit_runs})
        return real_fit(fit_runs, *args, **kwargs)

    monkeypatch.setattr(calibration, "fit", spy)
    judged = []
    real_replay = calibration.replay_held_out

    def spy_replay(model, run, *args, **kwargs):
        judged.append((run.key, seen_fits[-1]))
        return real_replay(model, run, *args, **kwargs)

    monkeypatch.setattr(calibration, "replay_held_out", spy_replay)
    out = nested_loo(runs, 20, [(0, False)], MODEL.noise, MODEL.costs, MODEL.plan, 0.9)
    assert len(out) == len(runs)
    assert judged and all(device not in fitted for device, fitted in judged)


def test_conformal_factor_is_the_rank_the_split_conformal_rule_names():
    z = [0.1, -0.5, 2.0, 0.3, -1.0, 0.7, 0.2, 0.4, -0.9]  # n = 9: rank ceil(10 * 0.9) = 9, the largest
    assert conformal_factor(z, 0.9) == 2.0
    assert conformal_factor(z + [0.05] * 10, 0.9) == 1.0  # n = 19: rank 18 of the sorted |z|


def test_a_refit_on_the_shipped_runs_reproduces_the_shipped_model_form():
    shipped = load_model()
    runs = list(RECORDED.values())
    model = fit(runs, (shipped.info["rank"], shipped.info["by_kind"]), shipped.noise, shipped.costs, shipped.plan,
                shipped.level, {str(k): v for k, v in shipped.scale.items()})
    held = replay_held_out(model, recorded("otc_p2"), 45)
    assert held.estimate.ai.score > 0 and model.ids == shipped.ids


# --- the faces -------------------------------------------------------------------------------------------------

def test_a_quick_run_says_it_is_an_estimate_with_its_intervals_sub_tests_and_seconds():
    lines = "\n".join(bench_result_lines(run_from_json(valid_quick_run())))
    assert "AI score ~12,000 (10,800-13,200)" in lines
    assert "inference score ~6,000 (5,400-6,700)" in lines and "training score ~6,000 (5,300-6,800)" in lines
    assert "quick-mode estimates with 90% intervals" in lines
    assert "90% intervals, from 2 sub-tests in 44 s of a 45 s budget" in lines
    assert "family 6 model 79" in lines and "avx2" in lines


def test_the_progress_line_shows_the_estimate_narrowing():
    run = recorded("v100")
    steps = simulate(MODEL, run.times_ms, 45, run.kind)
    widths = []
    for n in (1, len(steps)):
        est = MODEL.estimate({s.id: s.mean_ms for s in steps[:n]}, {s.id: s.passes for s in steps[:n]}, "gpu")
        line = progress_line(Progress(steps[n - 1].id, "x", n, n + 1, 1.0, 45 - steps[n - 1].clock_s, "ok", est, 45))
        assert f"AI score ~{est.ai.score:,.0f} ({est.ai.low:,.0f}-{est.ai.high:,.0f})" in line and f"{n} sub-tests" in line
        widths.append(est.ai.high / est.ai.low)
    assert widths[1] < widths[0]


def test_a_quick_run_record_with_the_new_fields_round_trips_and_bad_ones_are_refused():
    run = run_from_json(valid_quick_run())
    assert run_from_json(run.to_dict()) == run
    bad = valid_quick_run()
    bad["device"]["fingerprint"]["cpu_flags"] = ["avx2; rm -rf /"]
    with pytest.raises(RunValidationError, match="cpu_flags"):
        run_from_json(bad)
    with pytest.raises(RunValidationError, match="interval_level"):
        run_from_json(valid_quick_run(scores={"ai": 1, "interval_level": 1.5}))


def test_the_fingerprint_reads_cpu_model_family_flags_and_cores(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\n"
                       "model name\t: AMD EPYC 9B14\nflags\t\t: fpu sse4_2 avx avx2 avx512f avx512_bf16\n\n"
                       "processor\t: 1\nmodel name\t: other\n")
    f = machine_fingerprint("2.21.0", cpuinfo)
    assert (f["cpu_model"], f["cpu_vendor"], f["cpu_family"], f["cpu_model_number"]) == ("AMD EPYC 9B14",
                                                                                         "AuthenticAMD", 25, 17)
    assert f["cpu_flags"] == ["sse4_2", "avx", "avx2", "avx512f", "avx512_bf16"] and f["cpu_count"] >= 1
    assert machine_fingerprint(None, tmp_path / "missing")["cpu_model"]  # no /proc: still a name, no error


# --- real TensorFlow runs, short ---------------------------------------------------------------------------------

@needs_tf
def test_real_tensorflow_run_with_a_failing_sub_test_keeps_going(monkeypatch):
    # 1.2 (MobileNet-V2 training) is made to fail on purpose; 1.1 (its inference) must still run for real.
    monkeypatch.setenv("ADVISOR_BENCH_INJECT_FAILURE", "1.2")
    seen = []
    run = run_benchmark("full", force_cpu=True, tests=["1.1", "1.2"], progress=seen.append,
                        worker_args=["--iterations", "2"], gpus=load_catalog().gpus)
    by_id = {t.id: t for t in run.tests}
    assert by_id["1.2"].status == "failed" and "injected" in by_id["1.2"].error
    assert by_id["1.1"].status == "ok" and by_id["1.1"].mean_ms > 0 and by_id["1.1"].passes == 1
    assert run.partial and run.tests_used == 1
    assert run.scores.inference is not None and run.scores.training is None and run.scores.ai is None
    assert run.device.kind == "cpu" and run.tensorflow_version and run.device.fingerprint.cpu_count >= 1
    assert [p.index for p in seen] == [1, 2] and seen[-1].eta_s == 0


@needs_tf
def test_a_real_quick_run_with_the_network_blocked_stays_in_budget_and_says_what_it_is(tmp_path, monkeypatch):
    # A sitecustomize in the worker's path makes every network connection fail and logs the attempt. The quick
    # run may choose only 1.1 (MobileNet-V2 inference, the cheapest model here) so it stays short.
    hook = tmp_path / "hook"
    hook.mkdir()
    log = tmp_path / "attempts.log"
    (hook / "sitecustomize.py").write_text(textwrap.dedent(f"""
        import socket
        def _blocked(*args, **kwargs):
            with open({str(log)!r}, "a") as fh:
                fh.write(repr(args[1:] if args else kwargs) + "\\n")
            raise OSError("network blocked by the test")
        socket.socket.connect = _blocked
        socket.socket.connect_ex = _blocked
        socket.create_connection = _blocked
        socket.getaddrinfo = _blocked
    """))
    monkeypatch.setenv("PYTHONPATH", str(hook))
    seen = []
    run = run_benchmark("quick", force_cpu=True, tests=["1.1"], budget_s=20, progress=seen.append)
    assert not log.exists() or log.read_text() == ""
    assert run.mode == BenchMode.QUICK and [t.id for t in run.tests] == ["1.1"] and run.tests[0].status == "ok"
    assert run.budget_s == 20 and run.measured_s <= 20 + 5  # the last pass may end just past the check
    assert run.scores.ai_low < run.scores.ai < run.scores.ai_high and run.scores.interval_level == 0.9
    assert run.device.fingerprint is not None and seen and seen[-1].estimate is not None


@needs_tf
def test_stopping_keeps_what_finished():
    seen = []
    run = run_benchmark("full", force_cpu=True, tests=["1.1", "5.1"], progress=seen.append,
                        should_stop=lambda: bool(seen), worker_args=["--iterations", "2"])
    statuses = {t.id: t.status for t in run.tests}
    assert statuses["1.1"] == "ok" and statuses["5.1"] == "skipped"
    assert run.partial and "stopped early" in run.note


def test_missing_tensorflow_gives_one_clear_line(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorflow" else real(name, *a))
    ok, message = tensorflow_status()
    assert not ok and "pip install tensorflow" in message
    with pytest.raises(TensorFlowMissing, match="pip install"):
        run_benchmark("quick")


def test_cli_without_tensorflow_says_how_to_install_and_the_rest_works():
    code = textwrap.dedent("""
        import importlib.util, sys
        real = importlib.util.find_spec
        importlib.util.find_spec = lambda name, *a: None if name == "tensorflow" else real(name, *a)
        from advisor.cli import run
        code = run(["bench", "--no-save"])
        code2 = run(["recommend", "--free-only"])
        sys.exit(code * 10 + code2)
    """)
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 30, r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "pip install tensorflow" in errors[0]
    assert "Recommendations" in r.stdout and "Traceback" not in r.stderr


@pytest.mark.parametrize("mode, budget, words", [("turbo", None, "quick, full"), ("quick", 0, "1 to 3600"),
                                                 ("quick", 1e6, "1 to 3600")])
def test_bad_mode_or_budget_is_refused(mode, budget, words):
    with pytest.raises(ValueError, match=words):
        run_benchmark(mode, budget_s=budget)


# --- NVML ------------------------------------------------------------------------------------------------------

def test_nvml_here_finds_no_gpu_and_says_why_without_raising():
    gpus, why = detect_gpus()
    assert gpus == [] and why


class FakeNvml:
    """Stands in for pynvml on a machine with a Tesla T4: no GPU exists where these tests run."""

    def nvmlInit(self): pass
    def nvmlShutdown(self): pass
    def nvmlSystemGetDriverVersion(self): return b"550.54.15"
    def nvmlSystemGetCudaDriverVersion_v2(self): return 12040
    def nvmlDeviceGetCount(self): return 1
    def nvmlDeviceGetHandleByIndex(self, i): return i
    def nvmlDeviceGetName(self, handle): return b"Tesla T4"
    def nvmlDeviceGetMemoryInfo(self, handle):
        from types import SimpleNamespace
        return SimpleNamespace(total=15 * 1024 ** 3 + 360 * 1024 ** 2)


def test_nvml_detection_reads_name_memory_driver_and_cuda():
    # Stand-in for a GPU (none exists here); the parsing and matching are the real code.
    gpus, why = detect_gpus(FakeNvml())
    assert why is None and len(gpus) == 1
    g = gpus[0]
    assert (g.name, g.driver_version, g.cuda_version) == ("Tesla T4", "550.54.15", "12.4")
    assert 15 < g.memory_gib < 16
    assert match_catalog_gpu(g.name, g.memory_gib, load_catalog().gpus) == "t4"


@pytest.mark.parametrize("name, memory, expected", [
    ("Tesla T4", 15.1, "t4"),  # Colab, Kaggle
    ("Tesla K80", 11.2, "k80"),  # Colab in 2021
    ("Tesla P100-PCIE-16GB", 15.9, "p100"),  # Kaggle
    ("Tesla V100-SXM2-16GB", 15.8, "v100"),
    ("NVIDIA A100-SXM4-40GB", 39.4, "a100-40gb"),  # memory picks the variant
    ("NVIDIA A100-SXM4-80GB", 79.2, "a100-80gb"),
    ("NVIDIA L4", 22.5, "l4"),
    ("NVIDIA H100 80GB HBM3", 79.6, "h100"),
    ("Quadro M4000", 7.9, "m4000"),  # Gradient Free
    ("Quadro RTX 4000", 7.8, "rtx4000"),
    ("NVIDIA RTX A4000", 15.7, "a4000"),
    ("NVIDIA GeForce RTX 4090", 23.6, "rtx4090"),
    ("NVIDIA GeForce RTX 2070 SUPER", 7.8, "rtx2070super"),
    ("NVIDIA GeForce RTX 3060", 11.8, None),  # not in the catalog
])
def test_nvml_names_match_the_catalog(name, memory, expected):
    assert match_catalog_gpu(name, memory, load_catalog().gpus) == expected


def _worker_said(tf_gpus, results, tensorflow_version="2.21.0"):
    return WorkerOutput(info={"tf_gpus": tf_gpus, "tensorflow_version": tensorflow_version}, results=results)


def test_a_gpu_tensorflow_cannot_see_is_labelled_as_the_cpu():
    # NVML (stand-in) sees a T4 but TensorFlow listed no GPU: the score must be called the CPU's.
    nvml = detect_gpus(FakeNvml())
    results = {"1.1": {"id": "1.1", "name": "MobileNet-V2", "kind": "inference", "status": "ok", "mean_ms": 200.0,
                       "sd_ms": 1.0}}
    run = _assemble(RunRequest(BenchMode.FULL, platform="colab-free", tests=("1.1",)), _worker_said([], results),
                    nvml, dt.datetime.now(dt.UTC))
    assert run.device.kind == "cpu" and "TensorFlow cannot use it" in run.note


def test_a_visible_gpu_is_named_from_nvml_and_matched():
    nvml = detect_gpus(FakeNvml())  # stand-in: no GPU here
    results = {"1.1": {"id": "1.1", "name": "MobileNet-V2", "kind": "inference", "status": "ok", "mean_ms": 20.0,
                       "sd_ms": 1.0, "passes": 2, "seconds": 1.5}}
    run = _assemble(RunRequest(BenchMode.QUICK, budget_s=45, gpus=load_catalog().gpus),
                    _worker_said(["/physical_device:GPU:0"], results), nvml, dt.datetime.now(dt.UTC),
                    MODEL)
    assert run.device.kind == "gpu" and run.device.name == "Tesla T4" and run.device.gpu_id == "t4"
    assert run.device.cuda_version == "12.4" and run.device.fingerprint is not None
    assert run.scores.ai_low < run.scores.ai < run.scores.ai_high and run.tests[0].passes == 2


def test_a_benchmark_job_runs_in_the_background_and_can_be_stopped(monkeypatch):
    # The app's job must not block the page: start() returns at once while the run goes on.
    import threading

    from sample_runs import valid_run

    import advisor.bench.runner as runner
    from advisor.runs.record import run_from_json as parse

    release = threading.Event()
    seen_stop = []

    def slow_run(mode, force_cpu, platform, progress=None, should_stop=None, gpus=None):
        while not release.is_set() and not should_stop():
            release.wait(0.01)
        seen_stop.append(should_stop())
        return parse(valid_run())

    monkeypatch.setattr(runner, "run_benchmark", slow_run)
    job = runner.BenchmarkJob()
    job.start()
    assert not job.finished
    job.stop()
    job._thread.join(5)
    assert job.finished and job.result is not None and seen_stop == [True]


@pytest.mark.parametrize("budget_s", [3, 20, 45])
def test_every_quick_run_quick_mode_makes_passes_the_stores_plausibility_check(budget_s):
    # What `bench --post`, an upload or an import sends must be accepted: on a slow CPU at 45 s, or any device at
    # 3 s, quick mode may finish no training sub-test and still estimate training (with a wider interval).
    from advisor.bench import run_reference
    from advisor.runs.record import plausibility_problem

    catalog, reference = load_catalog(), run_reference()
    problems = {path.stem: plausibility_problem(replay(path, budget_s), catalog, reference) for path in RUN_FILES}
    assert {name: p for name, p in problems.items() if p} == {}


def test_a_quick_run_whose_scores_its_times_cannot_give_is_refused():
    from advisor.bench import run_reference
    from advisor.runs.record import plausibility_problem

    run = replay(next(p for p in RUN_FILES if p.stem.startswith("rtx4060ti")), 45)
    doubled = run.to_dict()
    scores = doubled["scores"]
    for part in ("ai", "inference", "training"):
        for suffix in ("", "_low", "_high"):
            scores[part + suffix] *= 2
    scores["ai"] = scores["inference"] + scores["training"]
    problem = plausibility_problem(run_from_json(doubled), load_catalog(), run_reference())
    assert problem and "not what the sub-test times give" in problem
