"""The user's workload: what they want to run, validated with messages a person can act on.

`Workload` speaks its own field names everywhere in the core; each front end owns one mapping from its own
spelling (CLI flags, API fields, the chat's questions) and takes the bounds from BOUNDS.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import NamedTuple

from .errors import InvalidWorkloadError
from .vocab import HOURS_PER_MONTH, Kind, Metric, Need, Predictability

# 'require' predictability: run time within about +-10%, i.e. a score coefficient of variation of at most 0.10.
REQUIRED_MAX_CV = 0.10


class Bound(NamedTuple):
    """The values a numeric field accepts: low..high (low excluded when low_open), in `unit`."""

    low: float
    high: float
    unit: str
    low_open: bool = False
    integer: bool = False

    def accepts(self, value) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return False
        if self.integer and value != int(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high

    def describe(self) -> str:
        """'hours above 0 and up to 730.5', as shown in every error message and help text."""
        low = f"above {self.low:,.10g} and up" if self.low_open else f"from {self.low:,.10g}"
        kind = "a whole number of " if self.integer else ""
        return f"{kind}{self.unit} {low} to {self.high:,.10g}"


BOUNDS: dict[str, Bound] = {
    "gpu_memory_gib": Bound(0, 1024, "GiB of GPU memory"),
    "session_hours": Bound(0.01, HOURS_PER_MONTH, "hours"),
    "gpu_hours_per_month": Bound(0, HOURS_PER_MONTH * 64, "GPU hours a month"),
    "notebooks_at_once": Bound(1, 64, "notebooks", integer=True),
    "budget_usd_per_month": Bound(0, 1_000_000, "USD a month"),
    "reference_hours": Bound(0.001, 100_000, "hours"),
    "reference_score": Bound(1, 10_000_000, "points"),
}


def _check_number(name: str, value, optional: bool = False) -> None:
    if value is None and optional:
        return
    bound = BOUNDS[name]
    if not bound.accepts(value):
        shown = f"{value:,.10g}" if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and math.isfinite(value) else repr(value)
        raise InvalidWorkloadError(name, f"expected {bound.describe()}, got {shown}")


def _members(name: str, values, enum) -> frozenset:
    if isinstance(values, str):
        values = [v for v in values.split(",") if v.strip()]
    try:
        return frozenset(enum(str(v).strip()) for v in values)
    except ValueError:
        unknown = sorted(str(v) for v in values if str(v).strip() not in enum.values())
        raise InvalidWorkloadError(name, f"unknown {', '.join(map(repr, unknown))}; expected some of "
                                         f"{', '.join(enum.values())}") from None


def _member(name: str, value, enum):
    try:
        return enum(value)
    except ValueError:
        raise InvalidWorkloadError(name, f"expected one of {', '.join(enum.values())}, got {value!r}") from None


@dataclass(frozen=True)
class Workload:
    """What the user wants to run.

    kind: training, inference or mixed (picks the score that matters: training, inference or AI score).
    gpu_memory_gib: GPU memory the job needs, GiB (0: no requirement); per GPU unless multi_gpu.
    session_hours: longest uninterrupted run, hours.
    gpu_hours_per_month: GPU hours used per month.
    notebooks_at_once: notebooks that must run at the same time.
    budget_usd_per_month: most the user will pay per month, USD (None: no limit).
    predictability: any, prefer (rank on a bad session, the 10th percentile) or require (score spread <= 10%).
    needs: capabilities a plan must offer (Need members).
    nice_to_have: capabilities the user would like: they break ties and show as caveats, never exclude a plan.
    free_only: only plans that cost nothing.
    education: the user is an eligible student or teacher (unlocks education plans such as Colab Pro for Education).
    multi_gpu: the job uses every GPU of a multi-GPU machine (Kaggle's T4 x2): memory and score add up.
    reference_hours: the user's job takes this many hours on a device scoring reference_score points,
    or on reference_gpu (a GPU id or name from the catalog).
    """

    kind: Kind = Kind.MIXED
    gpu_memory_gib: float = 0.0
    session_hours: float = 2.0
    gpu_hours_per_month: float = 20.0
    notebooks_at_once: int = 1
    budget_usd_per_month: float | None = None
    predictability: Predictability = Predictability.ANY
    needs: frozenset[Need] = field(default_factory=frozenset)
    nice_to_have: frozenset[Need] = field(default_factory=frozenset)
    free_only: bool = False
    education: bool = False
    multi_gpu: bool = False
    reference_hours: float | None = None
    reference_score: float | None = None
    reference_gpu: str | None = None

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "kind", _member("kind", self.kind, Kind))
        for name in ("gpu_memory_gib", "session_hours", "gpu_hours_per_month", "notebooks_at_once"):
            _check_number(name, getattr(self, name))
        set_(self, "notebooks_at_once", int(self.notebooks_at_once))
        for name in ("budget_usd_per_month", "reference_hours", "reference_score"):
            _check_number(name, getattr(self, name), optional=True)
        set_(self, "predictability", _member("predictability", self.predictability, Predictability))
        set_(self, "needs", _members("needs", self.needs, Need))
        set_(self, "nice_to_have", _members("nice_to_have", self.nice_to_have, Need) - self.needs)
        for name in ("free_only", "education", "multi_gpu"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidWorkloadError(name, f"expected true or false, got {getattr(self, name)!r}")
        if self.reference_gpu is not None and not str(self.reference_gpu).strip():
            raise InvalidWorkloadError("reference_gpu", "expected a GPU name such as T4, got an empty value")
        has_device = self.reference_score is not None or self.reference_gpu is not None
        if self.reference_score is not None and self.reference_gpu is not None:
            raise InvalidWorkloadError("reference_score", "give the reference device as a score or as a GPU, not both")
        if self.reference_hours is not None and not has_device:
            raise InvalidWorkloadError("reference_hours", "also give the device it ran on: a reference GPU or a "
                                                          "reference score")
        if has_device and self.reference_hours is None:
            raise InvalidWorkloadError("reference_hours", "give how many hours the job takes on the reference device")

    @property
    def metric(self) -> Metric:
        """The score that measures speed for this kind of work."""
        return self.kind.metric

    def to_dict(self) -> dict:
        """JSON-ready fields (needs sorted)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(kind=str(self.kind), predictability=str(self.predictability),
                   needs=sorted(map(str, self.needs)), nice_to_have=sorted(map(str, self.nice_to_have)))
        return out


WORKLOAD_FIELDS = tuple(f.name for f in fields(Workload))
