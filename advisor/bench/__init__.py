"""The live benchmark: AI Benchmark on TensorFlow in a worker process, quick and full modes, GPU detection,
and replays of recorded devices through quick mode.

Importing this package imports no TensorFlow (nor numpy: quick mode's model loads when a run needs it); the
worker process imports TensorFlow when a run starts.
"""
from .device import detect_gpus, machine_fingerprint, match_catalog_gpu
from .reference import run_reference
from .runner import BenchmarkFailed, BenchmarkJob, Progress, TensorFlowMissing, run_benchmark, tensorflow_status
from .scoring import score_full

__all__ = ["BenchmarkFailed", "BenchmarkJob", "Progress", "TensorFlowMissing", "detect_gpus", "machine_fingerprint",
           "match_catalog_gpu", "run_benchmark", "run_reference", "score_full", "tensorflow_status"]
