"""AI Benchmark scoring, exactly as the library does it (ai_benchmark/utils.py, printScores): per sub-test
norm = reference ms / measured mean ms; inference score = int(geometric mean of inference norms x 10000);
training likewise; AI score = their sum. (Quick mode's estimate is advisor.bench.quick.)"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .subtests import all_subtests

SCALE = 10000


def geometric_mean(values: list[float]) -> float:
    # The library multiplies then takes the root; summing logs gives the same value without overflow.
    return math.exp(sum(math.log(v) for v in values) / len(values))


@dataclass(frozen=True)
class FullScores:
    """Scores in points; None where no sub-test of that kind finished."""

    ai: int | None
    inference: int | None
    training: int | None


def score_full(times_ms: dict[str, float]) -> FullScores:
    """Scores from per-sub-test mean times (ms), keyed 'test.sub'. Missing or failed sub-tests are left out."""
    ref = {s.id: s for s in all_subtests()}
    inf = [ref[i].ref_ms / t for i, t in times_ms.items() if i in ref and ref[i].kind == "inference" and t and t > 0]
    tra = [ref[i].ref_ms / t for i, t in times_ms.items() if i in ref and ref[i].kind == "training" and t and t > 0]
    inference = int(geometric_mean(inf) * SCALE) if inf else None
    training = int(geometric_mean(tra) * SCALE) if tra else None
    ai = inference + training if inference is not None and training is not None else None
    return FullScores(ai, inference, training)
