"""AI Benchmark scoring, exactly as the library does it (ai_benchmark/utils.py, printScores): per sub-test
norm = reference ms / measured mean ms; inference score = int(geometric mean of inference norms x 10000);
training likewise; AI score = their sum. Plus the quick mode's calibrated estimate from a subset."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from .subtests import all_subtests

SCALE = 10000
CALIBRATION_FILE = Path(__file__).with_name("quick_calibration.json")


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


@dataclass(frozen=True)
class QuickDesign:
    """The quick mode's sub-tests, and for each kind the log-offset and the log-error half-width of the interval."""

    subtests: tuple[str, ...]
    iterations: int
    offset: dict
    half_width: dict
    method: str


def load_quick_design() -> QuickDesign:
    data = json.loads(CALIBRATION_FILE.read_text())
    return QuickDesign(tuple(data["subtests"]), int(data["iterations"]), data["offset"], data["half_width"],
                       data["method"])


def estimate_quick(times_ms: dict[str, float], design: QuickDesign) -> dict:
    """Estimated scores from the quick subset: per kind, the subset's mean log norm shifted by the calibrated
    offset; the AI interval is the estimate times exp(-+half_width). Returns ai, inference, training, ai_low, ai_high
    (None where a kind has no finished sub-test)."""
    ref = {s.id: s for s in all_subtests()}
    out: dict = {}
    for kind in ("inference", "training"):
        logs = [math.log(ref[i].ref_ms / t) for i, t in times_ms.items()
                if i in design.subtests and ref[i].kind == kind and t and t > 0]
        out[kind] = int(math.exp(sum(logs) / len(logs) + design.offset[kind]) * SCALE) if logs else None
    if out["inference"] is None or out["training"] is None:
        return {**out, "ai": None, "ai_low": None, "ai_high": None}
    ai = out["inference"] + out["training"]
    width = design.half_width["ai"]
    return {**out, "ai": ai, "ai_low": int(ai * math.exp(-width)), "ai_high": int(math.ceil(ai * math.exp(width)))}
