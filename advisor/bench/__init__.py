"""The live benchmark: AI Benchmark on TensorFlow in a worker process, quick and full modes, GPU detection.

Importing this package imports no TensorFlow; the worker process does, when a run starts.
"""
from .device import detect_gpus, match_catalog_gpu
from .runner import BenchmarkFailed, BenchmarkJob, Progress, TensorFlowMissing, run_benchmark, tensorflow_status
from .scoring import estimate_quick, score_full

__all__ = ["BenchmarkFailed", "BenchmarkJob", "Progress", "TensorFlowMissing", "detect_gpus", "estimate_quick",
           "match_catalog_gpu", "run_benchmark", "score_full", "tensorflow_status"]
