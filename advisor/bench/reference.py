"""What incoming runs are checked against (advisor.runs.record.RunReference): AI Benchmark's sub-tests with their
kinds and reference times, and quick mode's estimator, so a quick run's scores must be what quick mode makes of its
own times. numpy and the calibration load only when the first quick run is checked."""
from __future__ import annotations

from functools import lru_cache

from ..runs.record import RunReference
from ..vocab import Metric
from .subtests import reference_times


@lru_cache(maxsize=1)
def _model():
    from .quick import load_model

    return load_model()


def quick_intervals(times_ms: dict[str, float], passes: dict[str, int],
                    kind: str) -> dict[str, tuple[float, float]] | None:
    """Each part's (low, high) as quick mode estimates it from these times; None when no known sub-test finished."""
    estimate = _model().estimate(times_ms, passes, kind)
    if estimate is None:
        return None
    parts = (Metric.AI, Metric.INFERENCE, Metric.TRAINING)
    return {str(m): (estimate.part(m).low, estimate.part(m).high) for m in parts}


def run_reference() -> RunReference | None:
    """The reference for check_plausible; None without ai-benchmark (then times are not checked)."""
    times = reference_times()
    return None if times is None else RunReference(times, quick_intervals)
