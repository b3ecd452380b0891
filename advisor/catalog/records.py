"""The catalog's records: GPUs, plans, dated observations and their provenance. Frozen; units in the names."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..vocab import (
    STALE_AFTER_DAYS,
    Availability,
    Confidence,
    Metric,
    PlanField,
    Precision,
    PriceModel,
    RateStatistic,
    RateTerm,
    RateUnit,
    RowStatus,
    SubjectType,
)

# A locator a reader can follow: a URL, or a GitHub-style owner/repository (optionally with a path).
_LOCATOR = re.compile(r"https?://\S+|\b[\w.-]+/[\w.-]+\b")
# A locator that opens one page or file: a URL; a GitHub owner/repository followed by a path ("owner/repo, docs/x.md",
# "owner/repo `path/file`", "owner/repo/path") or a commit ("owner/repo @ 1a2b3c4", "owner/repo#123"); or a stored
# public copy's id ("copy 1234567"). An API method name such as "vmTypes/getVmTypesByClusters" in a transcript's
# description is not one: a repository must be followed by a path, a commit or an issue number.
_OWNER_REPO = r"\b[A-Za-z0-9][\w.-]*/[\w.-]+"
_STRICT_LOCATOR = re.compile(
    r"https?://\S+"
    rf"|{_OWNER_REPO}(?:,\s*|\s+`?|/)[\w.-]+/[\w./-]*\.\w+"      # owner/repo, path/with/dirs.ext
    rf"|{_OWNER_REPO}(?:,\s*|\s+`?|/)[\w.-]+\.(?:md|py|json|csv|ya?ml|txt|ipynb|toml|rst)\b"  # owner/repo, file.ext
    rf"|{_OWNER_REPO}[^@()]{{0,200}}@\s*[0-9a-f]{{7,40}}\b"        # owner/repo[, path] @ commit
    rf"|{_OWNER_REPO}\s*#\d+"                                      # owner/repo#123 (issue or pull request)
    r"|\bcopy \d{6,}\b")


@dataclass(frozen=True)
class Provenance:
    """Where a value came from: a URL or a repository and path, the date the source gives, how far to trust it,
    and the row's standing (normal, disputed, unverified). file and line locate the row in data/."""

    source: str
    as_of: dt.date
    confidence: Confidence
    note: str = ""
    status: RowStatus = RowStatus.NORMAL
    file: str = ""
    line: int = 0

    def age_days(self, today: dt.date) -> int:
        return (today - self.as_of).days

    def is_stale(self, today: dt.date, days: int = STALE_AFTER_DAYS) -> bool:
        """True when the source is older than `days` on `today`."""
        return self.age_days(today) > days

    @property
    def has_locator(self) -> bool:
        """True when the source names a URL or a repository a reader can open."""
        return _LOCATOR.search(self.source) is not None

    @property
    def has_strict_locator(self) -> bool:
        """True when the source names one page a reader can open: a URL, a repository with a path, a commit or an
        issue number, or a stored copy's id. A description of a transcript ("chat-transcript copy without a
        repository path") is not one, even when it mentions an API method that looks like owner/name."""
        return _STRICT_LOCATOR.search(self.source) is not None

    @property
    def usable(self) -> bool:
        """False for rows kept as history only (unverified)."""
        return self.status is not RowStatus.UNVERIFIED

    @property
    def where(self) -> str:
        return f"{self.file}, line {self.line}" if self.file else ""

    def to_dict(self) -> dict:
        return {"source": self.source, "as_of": self.as_of.isoformat(), "confidence": str(self.confidence),
                "note": self.note, "status": str(self.status) or None}


@dataclass(frozen=True)
class Observation:
    """One dated observation of a plan fact (value in the field's unit; see vocab.PlanField)."""

    plan_id: str
    field: PlanField
    value: Any
    provenance: Provenance


@dataclass(frozen=True)
class Fact:
    """A plan fact in force on a date: the value that binds, the observation it comes from, and the other
    current observations that dispute it (the stricter value binds; the others show as caveats)."""

    field: PlanField
    value: Any
    observation: Observation
    disputed_by: tuple[Observation, ...] = ()


@dataclass(frozen=True)
class TensorSpecs:
    """A GPU's spec-sheet figures beyond FP32 (None where the GPU lacks the unit or the sheet was not read):
    dense tensor-core TFLOPS for FP16 (FP32 accumulate), TF32 and BF16; dense INT8 TOPS; dense FP8 TFLOPS; the board's
    power limit in W; and the source of these figures."""

    fp16_tflops: float | None = None
    tf32_tflops: float | None = None
    bf16_tflops: float | None = None
    int8_tops: float | None = None
    fp8_tflops: float | None = None
    power_w: float | None = None
    source: str = ""


@dataclass(frozen=True)
class Gpu:
    """A GPU model. memory_gib: GiB on the spec sheet; fp32_tflops/fp16_tflops: TFLOPS; memory_bandwidth_gbps: GB/s.

    usable_memory_gib: GiB a program sees (nvidia-smi's total; less than the spec sheet where ECC or the driver
    reserve memory): the smallest sourced value in gpu_memory.csv, else memory_gib times the catalog's default ratio
    (the median of the sourced ratios), with usable_memory_estimated True. usable_memory_source: the row that gives
    it (None when estimated). tensor: the spec sheet's tensor-core figures and power limit (all None in a data folder
    without those columns)."""

    gpu_id: str
    name: str
    vendor: str
    memory_gib: float
    fp32_tflops: float
    fp16_tflops: float | None
    memory_bandwidth_gbps: float
    provenance: Provenance
    usable_memory_gib: float = -1.0
    usable_memory_estimated: bool = True
    usable_memory_source: Provenance | None = None
    tensor: TensorSpecs = field(default_factory=TensorSpecs)

    def __post_init__(self):
        # A Gpu built outside the loader (a test's spec sheet) sees its whole memory, flagged as an estimate.
        if self.usable_memory_gib < 0:
            object.__setattr__(self, "usable_memory_gib", float(self.memory_gib))


@dataclass(frozen=True)
class UsableMemory:
    """One sourced observation of the memory a program sees on a GPU model (GiB, e.g. nvidia-smi's total)."""

    gpu_id: str
    usable_memory_gib: float
    provenance: Provenance


@dataclass(frozen=True)
class Evidence:
    """A published AI Benchmark result: n runs of `subject` with mean and sd of `metric` (points)."""

    subject_type: SubjectType
    subject: str
    metric: Metric
    n: int
    mean: float
    sd: float | None
    tf_version: str
    precision: Precision
    provenance: Provenance


@dataclass(frozen=True)
class GpuOption:
    """What a plan hands out when you pick `option`: GPU ids with the share of sessions that get each (a lottery
    when there are several), and gpu_count GPUs per machine (Kaggle's T4 x2 is one option with count 2)."""

    option: str
    shares: tuple[tuple[str, float], ...]
    observed_counts: tuple[int, ...] | None
    gpu_count: int
    provenance: Provenance

    @property
    def is_lottery(self) -> bool:
        return len(self.shares) > 1

    @property
    def gpu_ids(self) -> tuple[str, ...]:
        return tuple(g for g, _ in self.shares)


@dataclass(frozen=True)
class Rate:
    """Price of an hour on one GPU under a rate card: compute units or USD per hour, with its terms.

    requires_plan: the plan whose subscription must be paid to use this GPU at this rate (None: none)."""

    rate_card: str
    gpu_id: str
    rate: float
    unit: RateUnit
    term: RateTerm
    statistic: RateStatistic
    requires_plan: str | None
    provenance: Provenance


@dataclass(frozen=True)
class AvailabilityObservation:
    """Whether an option of a GPU pool could be had, as observed on a date. A pool is the capacity several plans
    draw on (every Colab plan draws on 'colab'); the observation applies to every plan of the pool that offers the
    option. option '*' covers every option of every plan of the pool."""

    gpu_pool: str
    option: str
    availability: Availability
    provenance: Provenance


@dataclass(frozen=True)
class Plan:
    """A notebook plan as of a date: identity, the facts in force, the GPU options in force.

    tier: the plan's name on its platform ("Free", "Pro"). history: every observation of each fact, oldest first.
    gpu_pool: the capacity the plan draws on (plans.csv; the plan's own id when it shares none): availability is
    observed per pool.
    """

    plan_id: str
    platform: str
    tier: str
    price_model: PriceModel
    url: str
    rate_card: str
    facts: Mapping[PlanField, Fact]
    options: tuple[GpuOption, ...]
    history: Mapping[PlanField, tuple[Observation, ...]] = field(default_factory=dict)
    gpu_pool: str = ""

    def fact(self, name: PlanField | str, default: Any = None) -> Any:
        """The value in force of a plan fact, or default when the platform does not publish it.
        Raises ValueError for a name that is no PlanField (a typo would otherwise read as 'not published')."""
        value = self._values.get(name if type(name) is PlanField else PlanField(name))
        return default if value is None else value

    @cached_property
    def _values(self) -> dict[PlanField, Any]:
        return {name: fact.value for name, fact in self.facts.items()}

    @property
    def label(self) -> str:
        """'Google Colab Pro': platform and tier."""
        return f"{self.platform} {self.tier}"

    @property
    def monthly_price_usd(self) -> float:
        return float(self.fact(PlanField.MONTHLY_PRICE_USD, 0.0))

    def limits(self) -> dict[str, Any]:
        """Every plan fact in force, None where the platform does not publish it (JSON-ready; a new dict each call)."""
        return dict(self._limits)

    @cached_property
    def _limits(self) -> dict[str, Any]:
        return {str(f): self.fact(f) for f in PlanField}

    def observations_in_force(self) -> list[Observation]:
        """The binding and disputing observations of every fact in force."""
        out = []
        for fact in self.facts.values():
            out.append(fact.observation)
            out.extend(fact.disputed_by)
        return out

    def sources(self) -> list[dict]:
        """Distinct (source, date) pairs behind the facts and allocation in force, oldest first (a new list each
        call)."""
        return [dict(s) for s in self._sources]

    @cached_property
    def _sources(self) -> tuple[dict, ...]:
        seen: dict[tuple, dict] = {}
        provenances = [o.provenance for o in self.observations_in_force()] + [o.provenance for o in self.options]
        for p in provenances:
            seen.setdefault((p.source, p.as_of), {"source": p.source, "as_of": p.as_of.isoformat()})
        return tuple(sorted(seen.values(), key=lambda s: (s["as_of"], s["source"])))


def gpu_name_key(name: str, form_factor: bool = False) -> str:
    """A GPU name reduced to what identifies the model: 'NVIDIA Tesla T4' and 't4' give the same key. Vendor and
    family words and memory sizes are dropped; form factors (PCIe, SXM2) too unless form_factor is True."""
    drop = r"nvidia|tesla|quadro|geforce|amd|radeon|intel|gpu|\d+\s*gb|\d+gb|hbm\d?e?|one gk210 die"
    if not form_factor:
        drop += r"|pcie|sxm\d?"
    text = re.sub(rf"\b({drop})\b", " ", str(name).lower().replace("_", " ").replace("-", " "))
    return re.sub(r"[^a-z0-9]", "", text)
