"""The user's workload: the questionnaire's answers, validated with messages a person can act on."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from .errors import InvalidWorkloadError

KINDS = ("training", "inference", "mixed")
PREDICTABILITY = ("any", "prefer", "require")
NEEDS = ("selectable-timeout", "background", "deployment", "private")
# 'require' predictability: run time within about +-10%, i.e. a score coefficient of variation of at most 0.10.
REQUIRED_MAX_CV = 0.10
# The score that measures speed for each kind of work.
METRIC_FOR_KIND = {"training": "training", "inference": "inference", "mixed": "ai"}
HOURS_PER_MONTH = 24 * 31


def _number(name: str, value, low: float, high: float, what: str, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidWorkloadError(name, f"expected {what}, got {value!r}")
    if not low <= value <= high:
        raise InvalidWorkloadError(name, f"expected {what}, got {value:g}")
    return float(value)


@dataclass(frozen=True)
class Workload:
    """What the user wants to run.

    kind: training, inference or mixed (picks the score that matters: training, inference or AI score).
    gpu_memory_gib: GPU memory the job needs, GiB (0: no requirement).
    session_hours: longest uninterrupted run, hours.
    gpu_hours_per_month: GPU hours used per month.
    notebooks_at_once: notebooks that must run at the same time.
    budget_usd_per_month: most the user will pay per month, USD (None: no limit).
    predictability: any, prefer (rank on a bad session, the 10th percentile) or require (score spread <= 10%).
    needs: subset of NEEDS.
    free_only: only plans that cost nothing.
    reference_hours: the user's job takes this many hours on a device scoring reference_score points,
    or on reference_gpu (a GPU id or name from the catalog).
    """

    kind: str = "mixed"
    gpu_memory_gib: float = 0.0
    session_hours: float = 2.0
    gpu_hours_per_month: float = 20.0
    notebooks_at_once: int = 1
    budget_usd_per_month: float | None = None
    predictability: str = "any"
    needs: frozenset[str] = field(default_factory=frozenset)
    free_only: bool = False
    reference_hours: float | None = None
    reference_score: float | None = None
    reference_gpu: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise InvalidWorkloadError("workload", f"expected one of {', '.join(KINDS)}, got {self.kind!r}")
        _number("gpu_mem_gb", self.gpu_memory_gib, 0, 1024, "GiB of GPU memory between 0 and 1024")
        _number("session_hours", self.session_hours, 0.01, HOURS_PER_MONTH, f"hours between 0.01 and {HOURS_PER_MONTH}")
        _number("gpu_hours_per_month", self.gpu_hours_per_month, 0, HOURS_PER_MONTH * 64,
                f"hours per month between 0 and {HOURS_PER_MONTH * 64}")
        if isinstance(self.notebooks_at_once, bool) or not isinstance(self.notebooks_at_once, int) \
                or not 1 <= self.notebooks_at_once <= 64:
            raise InvalidWorkloadError("concurrent", f"expected a whole number of notebooks from 1 to 64, got {self.notebooks_at_once!r}")
        _number("budget_usd", self.budget_usd_per_month, 0, 1_000_000, "USD per month, 0 or more", allow_none=True)
        if self.predictability not in PREDICTABILITY:
            raise InvalidWorkloadError("predictability", f"expected one of {', '.join(PREDICTABILITY)}, got {self.predictability!r}")
        needs = frozenset(self.needs)
        unknown = sorted(needs - set(NEEDS))
        if unknown:
            raise InvalidWorkloadError("needs", f"unknown need {', '.join(map(repr, unknown))}; expected some of {', '.join(NEEDS)}")
        object.__setattr__(self, "needs", needs)
        _number("reference_hours", self.reference_hours, 0.001, 100_000, "hours above 0", allow_none=True)
        _number("reference_score", self.reference_score, 1, 10_000_000, "a score of 1 or more", allow_none=True)
        if self.reference_gpu is not None and not str(self.reference_gpu).strip():
            raise InvalidWorkloadError("reference_gpu", "expected a GPU name such as T4, got an empty value")
        has_ref_device = self.reference_score is not None or self.reference_gpu is not None
        if self.reference_score is not None and self.reference_gpu is not None:
            raise InvalidWorkloadError("reference_score", "give the reference device as a score or as a GPU, not both")
        if self.reference_hours is not None and not has_ref_device:
            raise InvalidWorkloadError("reference_hours", "also give the device it ran on: a reference GPU or a reference score")
        if has_ref_device and self.reference_hours is None:
            raise InvalidWorkloadError("reference_hours", "give how many hours the job takes on the reference device")

    @property
    def metric(self) -> str:
        """The score that measures speed for this kind of work."""
        return METRIC_FOR_KIND[self.kind]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["needs"] = sorted(self.needs)
        return data
