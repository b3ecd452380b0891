"""Benchmark run records for tests: valid ones built the way the runner builds them.

The times are chosen so that AI Benchmark's rule gives the scores: MobileNet-V2 inference (reference 75 ms) in
125 ms and ResNet-V2-50 training (reference 172 ms) in 286.67 ms are both 0.6 of the reference, 6,000 points each."""
import copy


def valid_run(**changes) -> dict:
    run = {
        "schema": "advisor.run/1",
        "mode": "quick",
        "device": {"name": "Tesla T4", "kind": "gpu", "gpu_id": "t4", "memory_gib": 15.0,
                   "driver_version": "550.54", "cuda_version": "12.4"},
        "tensorflow_version": "2.21.0",
        "scores": {"ai": 12000, "inference": 6000, "training": 6000, "ai_low": 10800, "ai_high": 13200},
        "tests": [{"id": "1.1", "name": "MobileNet-V2", "kind": "inference", "mean_ms": 125.0, "sd_ms": 1.1,
                   "status": "ok"},
                  {"id": "5.2", "name": "ResNet-V2-50", "kind": "training", "mean_ms": 286.67, "sd_ms": 2.0,
                   "status": "ok"},
                  {"id": "7.2", "name": "VGG-16", "kind": "training", "mean_ms": None, "status": "failed",
                   "error": "ResourceExhaustedError: OOM"}],
        "partial": True,
        "tests_used": 2,
        "started_at": "2026-11-20T10:00:00+00:00",
        "finished_at": "2026-11-20T10:01:00+00:00",
        "platform": "colab-free",
    }
    run = copy.deepcopy(run)
    run.update(changes)
    return run


def valid_quick_run(**changes) -> dict:
    """A quick run with the fields quick mode adds: per-part intervals, budget and seconds, passes per sub-test, and
    the host's fingerprint."""
    run = valid_run(partial=False)
    run["scores"].update(inference_low=5400, inference_high=6700, training_low=5300, training_high=6800,
                         interval_level=0.9)
    run["tests"] = [{"id": "1.1", "name": "MobileNet-V2", "kind": "inference", "mean_ms": 125.0, "sd_ms": 1.1,
                     "status": "ok", "passes": 3, "seconds": 2.4},
                    {"id": "5.2", "name": "ResNet-V2-50", "kind": "training", "mean_ms": 286.67, "sd_ms": 2.0,
                     "status": "ok", "passes": 3, "seconds": 3.1}]
    run["tests_used"] = 2
    run["device"]["fingerprint"] = {"cpu_model": "Intel(R) Xeon(R) CPU @ 2.20GHz", "cpu_vendor": "GenuineIntel",
                                    "cpu_family": 6, "cpu_model_number": 79, "cpu_flags": ["avx", "avx2", "fma"],
                                    "cpu_count": 2, "tensorflow_version": "2.21.0"}
    run.update(budget_s=45.0, measured_s=44.1)
    run.update(changes)
    return run
