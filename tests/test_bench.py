"""Tests for advisor.bench: scoring identity with the library, real TensorFlow runs of small sub-tests on the CPU,
the network blocked, a failing sub-test, stopping early, missing TensorFlow, and NVML detection.

There is no GPU on the machines that run these tests: NVML detection on a real GPU is replaced by a stand-in
module where a GPU is needed, and each such test says so. Everything else runs for real.
"""
import importlib.util
import json
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

from advisor import load_catalog
from advisor.bench import (
    TensorFlowMissing,
    detect_gpus,
    estimate_quick,
    match_catalog_gpu,
    run_benchmark,
    score_full,
    tensorflow_status,
)
from advisor.bench.runner import _assemble
from advisor.bench.scoring import load_quick_design
from advisor.bench.subtests import all_subtests

PUBLIC = json.loads((ROOT / "benchmarks" / "calibration" / "public_per_test_times.json").read_text())
needs_tf = pytest.mark.skipif(not tensorflow_status()[0], reason="TensorFlow is not installed")


def test_the_library_has_42_sub_tests_in_19_tests():
    subs = all_subtests()
    assert len(subs) == 42 and len({s.test_id for s in subs}) == 19
    assert sum(s.kind == "inference" for s in subs) == 24 and sum(s.kind == "training" for s in subs) == 18
    assert [s.id for s in subs][:3] == ["1.1", "1.2", "2.1"]


@pytest.mark.parametrize("device", PUBLIC["devices"], ids=lambda d: d["device"])
def test_full_scoring_reproduces_published_scores(device):
    # jeremydiba/GPU-benchmark: GTX 1080 5350/5679/11029, i7-6700HQ 250/240/490.
    s = score_full(device["mean_ms"])
    assert (s.inference, s.training, s.ai) == (device["published_scores"]["inference"],
                                               device["published_scores"]["training"], device["published_scores"]["ai"])


@needs_tf
def test_full_scoring_is_identical_to_the_librarys_own():
    # Feed the same per-test times to the library's printScores and to ours.
    from types import SimpleNamespace

    from advisor.bench.worker import import_library

    _, utils = import_library()
    for device in PUBLIC["devices"]:
        ref = {s.id: s for s in all_subtests()}
        results = utils.BenchmarkResults()
        for test_id, mean in device["mean_ms"].items():
            target = results.results_inference_norm if ref[test_id].kind == "inference" else results.results_training_norm
            target.append(float(ref[test_id].ref_ms) / mean)
        info = SimpleNamespace(_type="full", results=results, verbose_level=0)
        library = utils.printScores(info, utils.PublicResults())
        ours = score_full(device["mean_ms"])
        assert (library.inference_score, library.training_score, library.ai_score) == (ours.inference, ours.training, ours.ai)


@needs_tf
def test_the_upload_is_replaced_before_anything_can_call_it():
    from advisor.bench.worker import import_library, no_upload

    _, utils = import_library()
    import ai_benchmark.update_utils

    assert utils.update_info is no_upload and ai_benchmark.update_utils.update_info is no_upload


def test_quick_estimate_is_inside_its_interval_for_the_calibration_devices():
    design = load_quick_design()
    for device in PUBLIC["devices"]:
        times = {i: t for i, t in device["mean_ms"].items() if i in design.subtests}
        est = estimate_quick(times, design)
        truth = device["published_scores"]["ai"]
        assert est["ai_low"] <= truth <= est["ai_high"], (device["device"], est, truth)
        assert est["ai_low"] < est["ai"] < est["ai_high"]


def test_quick_estimate_without_a_kind_gives_no_ai_score():
    design = load_quick_design()
    inference_only = {i: 100.0 for i in design.subtests if i in {s.id for s in all_subtests() if s.kind == "inference"}}
    est = estimate_quick(inference_only, design)
    assert est["ai"] is None and est["inference"] is not None


@needs_tf
def test_real_tensorflow_run_with_a_failing_sub_test_keeps_going(monkeypatch):
    # 1.1 (MobileNet-V2 inference) is made to fail on purpose; 1.2 (its training) must still run for real.
    monkeypatch.setenv("ADVISOR_BENCH_INJECT_FAILURE", "1.1")
    seen = []
    run = run_benchmark("full", force_cpu=True, tests=["1.1", "1.2"], progress=seen.append,
                        worker_args=["--quick-iterations", "2"], gpus=load_catalog().gpus)
    by_id = {t.id: t for t in run.tests}
    assert by_id["1.1"].status == "failed" and "injected" in by_id["1.1"].error
    assert by_id["1.2"].status == "ok" and by_id["1.2"].mean_ms > 0
    assert run.partial and run.tests_used == 1
    assert run.scores.training is not None and run.scores.inference is None and run.scores.ai is None
    assert run.device.kind == "cpu" and run.tensorflow_version
    assert [p.index for p in seen] == [1, 2] and seen[-1].eta_s == 0


@needs_tf
def test_benchmark_runs_with_the_network_blocked(tmp_path, monkeypatch):
    # A sitecustomize in the worker's path makes every network connection fail and logs the attempt.
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
    run = run_benchmark("full", force_cpu=True, tests=["1.1"], worker_args=["--quick-iterations", "2"])
    assert run.tests[0].status == "ok"
    assert not log.exists() or log.read_text() == ""


@needs_tf
def test_stopping_keeps_what_finished():
    seen = []
    run = run_benchmark("full", force_cpu=True, tests=["1.1", "1.2"], progress=seen.append,
                        should_stop=lambda: bool(seen), worker_args=["--quick-iterations", "2"])
    statuses = {t.id: t.status for t in run.tests}
    assert statuses["1.1"] == "ok" and statuses["1.2"] == "skipped"
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


def test_bad_mode_is_refused():
    with pytest.raises(ValueError, match="quick or full"):
        run_benchmark("turbo")


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
    ("NVIDIA GeForce RTX 3060", 11.8, None),  # not in the catalog
])
def test_nvml_names_match_the_catalog(name, memory, expected):
    assert match_catalog_gpu(name, memory, load_catalog().gpus) == expected


def test_a_gpu_tensorflow_cannot_see_is_labelled_as_the_cpu():
    # NVML (stand-in) sees a T4 but TensorFlow listed no GPU: the score must be called the CPU's.
    gpus, _ = detect_gpus(FakeNvml())
    results = {"1.1": {"id": "1.1", "name": "MobileNet-V2", "kind": "inference", "status": "ok", "mean_ms": 200.0, "sd_ms": 1.0}}
    run = _assemble("full", ["1.1"], results, {"tf_gpus": [], "tensorflow_version": "2.21.0"}, gpus, None, False,
                    "colab-free", __import__("datetime").datetime.now(__import__("datetime").timezone.utc), False, None, None)
    assert run.device.kind == "cpu" and "TensorFlow cannot use it" in run.note


def test_a_visible_gpu_is_named_from_nvml_and_matched():
    gpus, _ = detect_gpus(FakeNvml())  # stand-in: no GPU here
    results = {"1.1": {"id": "1.1", "name": "MobileNet-V2", "kind": "inference", "status": "ok", "mean_ms": 20.0, "sd_ms": 1.0}}
    run = _assemble("full", ["1.1"], results, {"tf_gpus": ["/physical_device:GPU:0"]}, gpus, None, False, None,
                    __import__("datetime").datetime.now(__import__("datetime").timezone.utc), False, None,
                    load_catalog().gpus)
    assert run.device.kind == "gpu" and run.device.name == "Tesla T4" and run.device.gpu_id == "t4"
    assert run.device.cuda_version == "12.4"


def test_a_benchmark_job_runs_in_the_background_and_can_be_stopped(monkeypatch):
    # The app's job must not block the page: start() returns at once while the run goes on.
    import threading

    from sample_runs import valid_run

    import advisor.bench.runner as runner
    from advisor.store import run_from_json

    release = threading.Event()
    seen_stop = []

    def slow_run(mode, force_cpu, platform, progress=None, should_stop=None, gpus=None):
        while not release.is_set() and not should_stop():
            release.wait(0.01)
        seen_stop.append(should_stop())
        return run_from_json(valid_run())

    monkeypatch.setattr(runner, "run_benchmark", slow_run)
    job = runner.BenchmarkJob()
    job.start()
    assert not job.finished
    job.stop()
    job._thread.join(5)
    assert job.finished and job.result is not None and seen_stop == [True]
