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
