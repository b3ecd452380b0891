"""AI Benchmark's 42 sub-tests (19 tests) with their reference times, read from the installed package's own
config.py without importing the package (its __init__ imports TensorFlow)."""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# The one place the benchmark's install line is written (the CLI, the app and the worker's errors quote it).
INSTALL_HINT = "pip install tensorflow==2.21.0 tf-keras==2.21.0 ai-benchmark==0.1.2"

# The recurrent models among the library's tests (names as in ai_benchmark/config.py): its getModelSrc builds
# Pixel-RNN and LSTM-Sentiment as TensorFlow RNNs ("Bypassing TensorFlow 2.0+ RNN Bugs"), and GNMT is an LSTM
# encoder-decoder (Wu et al., arXiv:1609.08144). Quick mode measures one of them when its budget allows.
RECURRENT_MODELS = frozenset({"Pixel-RNN", "LSTM-Sentiment", "GNMT-Translation"})


class AIBenchmarkMissing(ImportError):
    "The ai-benchmark package is not installed"


@dataclass(frozen=True)
class SubTestInfo:
    """One sub-test. id: 'test.sub' as AI Benchmark numbers them (inference sub-tests first, then training).
    ref_ms: the library's reference time, ms; max_duration_s: its time limit for the passes, seconds."""

    id: str
    test_id: int
    sub_index: int
    model: str
    kind: str  # inference or training
    ref_ms: float
    batch_size: int
    input_dims: tuple
    iterations: int
    min_passes: int
    max_duration_s: float

    @property
    def recurrent(self) -> bool:
        return self.model in RECURRENT_MODELS


def package_dir() -> Path:
    spec = importlib.util.find_spec("ai_benchmark")
    if spec is None or not spec.submodule_search_locations:
        raise AIBenchmarkMissing(f"AI Benchmark is not installed: {INSTALL_HINT}")
    return Path(list(spec.submodule_search_locations)[0])


@lru_cache(maxsize=1)
def _config_module():
    path = package_dir() / "config.py"
    spec = importlib.util.spec_from_file_location("_ai_benchmark_config", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def library_tests():
    """The library's Test objects, in its order (needs no TensorFlow)."""
    return _config_module().TestConstructor().getTests()


@lru_cache(maxsize=1)
def all_subtests() -> tuple[SubTestInfo, ...]:
    out = []
    for test in library_tests():
        sub = 1
        for kind, subs in (("inference", test.inference), ("training", test.training)):
            for s in subs:
                out.append(SubTestInfo(f"{test.id}.{sub}", test.id, sub, test.model, kind, float(s.ref_time),
                                       s.batch_size, tuple(s.input_dimensions), s.iterations, s.min_passes,
                                       float(s.max_duration)))
                sub += 1
    return tuple(out)


def reference_times() -> dict[str, tuple[str, float]] | None:
    """AI Benchmark's sub-tests as the benchmark reads them from the installed library: id -> (kind, reference ms),
    for the plausibility check of incoming runs; None without ai-benchmark (then times are not checked)."""
    try:
        return {s.id: (s.kind, s.ref_ms) for s in all_subtests()}
    except AIBenchmarkMissing:
        return None
