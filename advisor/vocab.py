"""The advisor's vocabulary: every closed set of words is one enum whose members carry their human label
(as httpx's status codes carry their phrase), and the units of time every module shares.

The CLI's choices, the API's schema, the app's widgets and the chat's keywords are derived from these enums,
so a new member (a need, a metric) is one edit here. Values are plain strings: JSON stays readable.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Any, Self, overload

# Time: one month is an average calendar month, used for every conversion (quotas, rates, bounds).
DAYS_PER_MONTH = 365.25 / 12
WEEKS_PER_MONTH = DAYS_PER_MONTH / 7
HOURS_PER_MONTH = DAYS_PER_MONTH * 24
# A fact older than this is flagged as possibly stale wherever it is used.
STALE_AFTER_DAYS = 180


class _Labelled(StrEnum):
    """A string enum whose members carry a human label: Metric.AI == "ai", Metric.AI.label == "AI score"."""

    # Set per member by __new__ (annotations only: an annotated name without a value is not a member).
    label: str
    _extra: tuple[Any, ...]

    # Two ways in: `Kind("training")` looks a member up by its value (the enum machinery answers it, after
    # class creation this __new__ is no longer called), and each member's tuple defines it (value, label, extras).
    @overload
    def __new__(cls, value: str, /) -> Self: ...

    @overload
    def __new__(cls, value: str, label: str, /, *extra: Any) -> Self: ...

    def __new__(cls, value: str, /, *label_and_extra: Any) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label_and_extra[0]
        member._extra = label_and_extra[1:]
        return member

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(m.value for m in cls)


class Metric(_Labelled):
    """An AI Benchmark score (points; higher is faster)."""

    AI = "ai", "AI score"
    INFERENCE = "inference", "inference score"
    TRAINING = "training", "training score"


class Kind(_Labelled):
    """The kind of work, and the score that measures speed for it."""

    TRAINING = "training", "training", Metric.TRAINING
    INFERENCE = "inference", "inference", Metric.INFERENCE
    MIXED = "mixed", "a mix of training and inference", Metric.AI

    @property
    def metric(self) -> Metric:
        return self._extra[0]


class Predictability(_Labelled):
    """How much a steady speed from session to session matters."""

    ANY = "any", "doesn't matter"
    PREFER = "prefer", "preferred (ranked on a bad session, the 10th percentile)"
    REQUIRE = "require", "required (score spread at most 10%)"


class PlanField(_Labelled):
    """A fact a plan publishes: its human label, its value type, and which of two disputed values binds.

    Value types: `price` (USD or units, 0 or more), `positive` (above 0), `count` (a whole number, 1 or more),
    `bool` (true/false). Stricter: `min` or `max` (the smaller or larger number binds), `false` or `true`.
    """

    MONTHLY_PRICE_USD = "monthly_price_usd", "monthly price (USD)", "price", "max"
    INCLUDED_UNITS = "included_units", "compute units included a month", "price", "min"
    USD_PER_UNIT = "usd_per_unit", "USD per extra compute unit", "price", "max"
    PACK_USD = "pack_usd", "price of one pack of units (USD)", "price", "max"
    PACK_UNITS = "pack_units", "compute units in one pack", "positive", "min"
    UNITS_EXPIRE_DAYS = "units_expire_days", "days until bought units expire", "positive", "min"
    MONTHLY_CREDIT_USD = "monthly_credit_usd", "free credits a month (USD)", "price", "min"
    SESSION_LIMIT_HOURS = "session_limit_hours", "session limit (hours)", "positive", "min"
    IDLE_TIMEOUT_MINUTES = "idle_timeout_minutes", "idle timeout (minutes)", "positive", "min"
    NOTEBOOKS_RUNNING_MAX = "notebooks_running_max", "notebooks running at once", "count", "min"
    NOTEBOOKS_TOTAL_MAX = "notebooks_total_max", "notebooks in total", "count", "min"
    GPU_HOURS_PER_WEEK = "gpu_hours_per_week", "free GPU hours a week", "positive", "min"
    GPU_HOURS_PER_DAY = "gpu_hours_per_day", "free GPU hours a day", "positive", "min"
    RAM_GIB = "ram_gib", "RAM (GiB)", "positive", "min"
    CPUS = "cpus", "CPU cores", "count", "min"
    SELECTABLE_TIMEOUT = "selectable_timeout", "selectable timeout", "bool", "false"
    BACKGROUND_EXECUTION = "background_execution", "background execution", "bool", "false"
    DEPLOYMENT = "deployment", "deployment as a service", "bool", "false"
    PRIVATE_NOTEBOOKS = "private_notebooks", "private notebooks", "bool", "false"
    REQUIRES_EDUCATION = "requires_education", "only for eligible students and teachers", "bool", "true"
    DYNAMIC_USAGE_LIMITS = "dynamic_usage_limits", "usage limits are dynamic and unpublished", "bool", "true"
    PRICE_VOLATILE = "price_volatile", "marketplace price that changes often", "bool", "true"
    REQUIRES_CARD = "requires_card", "a payment card", "bool", "true"
    REQUIRES_PHONE = "requires_phone", "phone verification", "bool", "true"
    # CPU and memory billed beside the GPU (Modal): USD per GPU-hour for the platform's default container.
    CPU_MEMORY_USD_PER_HOUR = "cpu_memory_usd_per_hour", "CPU and memory billed beside the GPU (USD per hour)", \
        "price", "max"
    # Storage a notebook needs, billed apart from the GPU hours (USD a month).
    STORAGE_USD_PER_MONTH = "storage_usd_per_month", "storage billed apart (USD a month)", "price", "max"
    MIN_TOPUP_USD = "min_topup_usd", "smallest credit purchase (USD)", "price", "max"

    @property
    def value_type(self) -> str:
        return self._extra[0]

    @property
    def stricter(self) -> str:
        return self._extra[1]

    def strictest(self, values):
        """The value that binds when sources disagree: the smaller limit, the larger price, the missing feature."""
        values = list(values)
        if self.stricter == "min":
            return min(values)
        if self.stricter == "max":
            return max(values)
        return (self.stricter == "true") if (self.stricter == "true") in values else values[0]


class Need(_Labelled):
    """A capability a plan must offer. `fact` is the plan fact (PlanField) that documents it; `keywords` are
    the words that name it in ordinary speech (the chat's lexicon)."""

    SELECTABLE_TIMEOUT = ("selectable-timeout", "a selectable timeout", PlanField.SELECTABLE_TIMEOUT,
                          ("selectable timeout", "choose the timeout", "pick the timeout", "set the timeout",
                           "auto-shutdown", "timeout", "set my own timeout", "own timeout", "time out", "timeouts",
                           "custom timeout", "idle timeout", "choose when it stops", "auto shutdown"))
    BACKGROUND = ("background", "background execution", PlanField.BACKGROUND_EXECUTION,
                  ("background", "unattended", "close the laptop", "close my laptop", "close the tab",
                   "close my browser", "close the browser", "while i'm away", "while i sleep", "keep running",
                   "keeps running", "keep it running", "background execution", "in the background", "offline",
                   "when i am offline", "while i am offline", "when i close", "closed laptop", "without me",
                   "run in background", "leave it running", "log off", "disconnect"))
    DEPLOYMENT = ("deployment", "deployment as a service", PlanField.DEPLOYMENT,
                  ("deploy", "deployment", "as a service", "endpoint", "host an api", "serve it as an api",
                   "deploy it", "as an api", "an api", "serve it as", "host it", "hosting", "web service",
                   "rest api", "production"))
    PRIVATE = ("private", "private notebooks", PlanField.PRIVATE_NOTEBOOKS,
               ("private", "privacy", "confidential", "not public", "secret", "privately", "nobody else",
                "no one else", "proprietary", "sensitive data", "private notebook", "private notebooks"))

    @property
    def fact(self) -> PlanField:
        return self._extra[0]

    @property
    def keywords(self) -> tuple[str, ...]:
        return self._extra[1]


class Basis(_Labelled):
    """What a score distribution rests on."""

    MEASURED = "measured", "measured on the platform"
    MODELLED = "modelled", "modelled from measured GPU scores"
    ESTIMATED = "estimated", "estimated from spec sheets"


class PriceModel(_Labelled):
    FREE = "free", "free"
    SUBSCRIPTION = "subscription", "monthly subscription"
    UNITS = "units", "compute units, pay as you go"
    HOURLY = "hourly", "by the hour"


class Confidence(_Labelled):
    """How far to trust a source, most trusted first (the order breaks ties between same-day observations)."""

    OFFICIAL = "official", "the platform's own page or docs"
    MAINTAINER = "maintainer", "a maintainer's word in an issue tracker"
    COMMUNITY = "community", "articles and third-party tables"
    ESTIMATE = "estimate", "derived or unverified"

    @property
    def rank(self) -> int:
        return list(Confidence).index(self)


class RowStatus(_Labelled):
    """A data row's standing: normal, disputed by another current observation, or kept but not relied on."""

    NORMAL = "", "normal"
    DISPUTED = "disputed", "disputed by another current source"
    UNVERIFIED = "unverified", "unverified: kept as history, not used for decisions"


class RateUnit(_Labelled):
    UNITS_PER_HOUR = "units_per_hour", "compute units per hour"
    USD_PER_HOUR = "usd_per_hour", "USD per hour"


class RateTerm(_Labelled):
    """The terms of a price. Only on-demand prices price a notebook user's month."""

    ON_DEMAND = "on-demand", "on demand"
    COMMITMENT = "commitment", "with a multi-month commitment"
    SPOT = "spot", "spot (may be interrupted)"


class RateStatistic(_Labelled):
    """What one price row states: a vendor's list price, or the median or minimum of a marketplace."""

    LIST = "list", "list price"
    MEDIAN = "median", "marketplace median"
    MINIMUM = "minimum", "marketplace minimum"


class Availability(_Labelled):
    AVAILABLE = "available", "available"
    SCARCE = "scarce", "often unavailable"
    UNAVAILABLE = "unavailable", "unavailable"


class SubjectType(_Labelled):
    """What a published benchmark result measured."""

    GPU = "gpu", "a GPU model"
    PLAN = "plan", "sessions of a plan"
    DEVICE = "device", "a device outside the catalog"


class Precision(_Labelled):
    """AI Benchmark's precision setting; only normal-precision scores are comparable."""

    NORMAL = "normal", "normal"
    HIGH = "high", "high"


class BenchMode(_Labelled):
    QUICK = "quick", "quick (an estimate with an interval)"
    FULL = "full", "full (all 42 sub-tests)"


class EvidenceSource(_Labelled):
    """What a score rests on: the catalog's published results, your runs (made or imported on this machine), or
    shared runs (posted to a shared server, or pulled from one). A stored run is local or shared."""

    CATALOG = "catalog", "catalog"
    LOCAL = "local", "your runs"
    SHARED = "shared", "shared runs"


class EvidenceChoice(_Labelled):
    """Which runs a recommendation may learn from, besides the catalog (CLI --evidence, the API's `evidence`)."""

    CATALOG = "catalog", "the catalog only"
    LOCAL = "local", "the catalog and your runs"
    SHARED = "shared", "the catalog and shared runs"
    ALL = "all", "the catalog, your runs and shared runs"

    @property
    def origins(self) -> tuple[EvidenceSource, ...]:
        """The stored runs' origins this choice counts."""
        return {"catalog": (), "local": (EvidenceSource.LOCAL,), "shared": (EvidenceSource.SHARED,),
                "all": (EvidenceSource.LOCAL, EvidenceSource.SHARED)}[self.value]


class RunOrder(_Labelled):
    """The order of a run listing: by start time, then id."""

    NEWEST = "newest", "newest first"
    OLDEST = "oldest", "oldest first"


class DeviceKind(_Labelled):
    GPU = "gpu", "GPU"
    CPU = "cpu", "CPU"


class ReasonCode(_Labelled):
    """Why a plan cannot serve a workload (stable codes for API clients and the chat)."""

    MEMORY = "memory", "not enough GPU memory"
    SESSION = "session", "sessions too short"
    CONCURRENCY = "concurrency", "too few notebooks at once"
    QUOTA = "quota", "over the free quota"
    NOT_FREE = "not_free", "not free"
    BUDGET = "budget", "over budget"
    NEED_MISSING = "need_missing", "lacks a feature you need"
    NEED_UNDOCUMENTED = "need_undocumented", "a feature you need is not documented"
    NO_SCORE = "no_score", "no score for its GPU"
    NO_PRICE = "no_price", "no price on record"
    SPREAD = "spread", "speed varies too much"
    SCARCE = "scarce", "often unavailable"
    UNAVAILABLE = "unavailable", "unavailable"
    SINGLE_GPU = "single_gpu", "one GPU per machine"
    REQUIREMENT = "requirement", "asks for something you cannot provide"
    ACCESS = "access", "access is not dependable"
    PRECISION = "precision", "its GPU cannot run your job's precision"


class CaveatCode(_Labelled):
    """A risk worth knowing about a feasible plan (stable codes)."""

    MEMORY_SOME_SESSIONS = "memory_some_sessions", "some sessions get less GPU memory"
    NO_SESSION_LIMIT = "no_session_limit", "no published session limit"
    NO_CONCURRENCY_LIMIT = "no_concurrency_limit", "no published limit on notebooks at once"
    ESTIMATED_SCORE = "estimated_score", "score estimated from spec sheets"
    REFERENCE_JOB_SESSIONS = "reference_job_sessions", "your job needs several sessions"
    NICE_TO_HAVE = "nice_to_have", "lacks something you would like"
    DISPUTED_FACT = "disputed_fact", "sources disagree"
    DYNAMIC_QUOTA = "dynamic_quota", "unpublished usage limits"
    SCARCE = "scarce", "often unavailable"
    UNUSED_UNITS = "unused_units", "units expire unused"
    VOLATILE_PRICE = "volatile_price", "marketplace price"
    IDLE_TIMEOUT = "idle_timeout", "idle timeout"
    ALLOCATION_DISAGREES = "allocation_disagrees", "recent runs got other GPUs than the catalog states"
    ASSUMED_SESSION_LIMIT = "assumed_session_limit", "session limit unpublished: a conservative one is assumed"
    REQUIREMENT = "requirement", "asks for a card or verification"
    EXTRAPOLATED_SCORE = "extrapolated_score", "score extrapolated beyond the measured GPUs"
    MIN_TOPUP = "min_topup", "a minimum credit purchase"


class Preference(_Labelled):
    """What the ranking puts first among the plans that fit (CLI --prefer, the API's `prefer`, the chat's "I want
    it fast"). Without one, the advisor chooses (workload.Workload.preference): value, or speed when a budget is
    given, because a budget someone states is money they are willing to spend, not a ceiling to stay far below."""

    COST = "cost", "cheapest first"
    VALUE = "value", "most speed per dollar first"
    SPEED = "speed", "fastest within the budget first"


class Requirement(_Labelled):
    """Something a platform asks of a user before it gives its price (a user can say they cannot provide it).
    `fact` is the plan fact that records it."""

    CARD = "card", "a payment card", PlanField.REQUIRES_CARD
    PHONE = "phone", "phone verification", PlanField.REQUIRES_PHONE

    @property
    def fact(self) -> PlanField:
        return self._extra[0]


class JobKind(_Labelled):
    """What a described job does (advisor job)."""

    TRAINING = "training", "training"
    INFERENCE = "inference", "inference"


class Family(_Labelled):
    """A model family: which measured models a job's speed is predicted from."""

    CNN = "cnn", "convolutional network"
    TRANSFORMER = "transformer", "transformer"
    RNN = "rnn", "recurrent network"
    DIFFUSION = "diffusion", "diffusion model"
    LLM = "llm", "large language model"


class JobPrecision(_Labelled):
    """The number format a job computes in; the spec-sheet figure that bounds it is in advisor/job/throughput.py."""

    FP32 = "fp32", "FP32"
    TF32 = "tf32", "TF32 (tensor cores, Ampere and later)"
    FP16 = "fp16", "FP16 mixed precision"
    BF16 = "bf16", "BF16 mixed precision (Ampere and later)"
    INT8 = "int8", "INT8"
    FP8 = "fp8", "FP8 (Ada, Hopper and later)"


class Method(_Labelled):
    """How a named model is trained or run."""

    FULL = "full", "full fine-tuning or training"
    LORA = "lora", "LoRA adapters on frozen 16-bit weights"
    QLORA = "qlora", "LoRA adapters on frozen 4-bit weights"
    INFERENCE = "inference", "inference only"
