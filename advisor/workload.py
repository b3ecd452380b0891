"""The user's workload: what they want to run, validated with messages a person can act on.

Each field is declared once, in FIELDS: its name, type, bounds, unit, label, help, CLI flag, API name, the chat's
question and the nouns that mark a quantity as its own. The CLI's options, the API's request model, the app's form
and the chat derive their parts from that declaration, so a new field is one entry here plus the rule that uses it.
`Workload` speaks these core names everywhere in the core.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

from .errors import InvalidWorkloadError
from .vocab import (
    HOURS_PER_MONTH,
    Family,
    JobPrecision,
    Kind,
    Method,
    Metric,
    Need,
    Predictability,
    Preference,
    Requirement,
)

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


class FieldSpec(NamedTuple):
    """Everything about one workload field, declared once.

    name: the core's name (Workload attribute). type: 'number' (a float in `bound`), 'integer', 'choice' (one member
    of `choices`), 'choices' (a set of members), 'flag' (true/false) or 'text'. default: the value when unsaid
    (None: not given). label: a short human label. help: one sentence for help texts and the form. flag / api: the
    CLI option and the API field. question: what the chat asks (None: the chat does not ask it, but understands it
    when said). dimension: what kind of quantity fills it in free text ('data size', 'duration', 'hours per period',
    'money', 'count'); nouns: words that mark a quantity as this field's ("dataset", "vram"), so a number is only
    taken by the field whose noun it measures.
    """

    name: str
    type: str
    default: Any
    label: str
    help: str
    flag: str
    api: str
    bound: Bound | None = None
    choices: Any = None
    question: str | None = None
    dimension: str | None = None
    nouns: tuple[str, ...] = ()

    @property
    def optional(self) -> bool:
        """True when the field may be left unsaid (None)."""
        return self.default is None


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("kind", "choice", Kind.MIXED, "kind of work", "what the GPU mostly does: training, inference or a mix",
              "--workload", "workload", choices=Kind, question="Is it mostly training, inference or a mix?"),
    FieldSpec("gpu_memory_gib", "number", 0.0, "GPU memory your job needs (GiB)",
              "GPU memory the job needs in GiB, per GPU (0: no particular need)", "--gpu-mem-gb", "gpu_mem_gb",
              Bound(0, 1024, "GiB of GPU memory"), question="How much GPU memory does your job need?",
              dimension="data size", nouns=("gpu memory", "vram", "gpu ram", "video memory", "memory", "gpu")),
    FieldSpec("session_hours", "number", 2.0, "longest uninterrupted run (hours)",
              "the longest run that must not be interrupted, in hours", "--session-hours", "session_hours",
              Bound(0.01, HOURS_PER_MONTH, "hours"), question="How long is your longest uninterrupted run?",
              dimension="duration", nouns=("run", "session", "training run", "job", "uninterrupted")),
    FieldSpec("gpu_hours_per_month", "number", 20.0, "GPU hours a month", "GPU hours you use in a month",
              "--gpu-hours-per-month", "gpu_hours_per_month", Bound(0, HOURS_PER_MONTH * 64, "GPU hours a month"),
              question="How many GPU hours a month do you use?", dimension="hours per period",
              nouns=("gpu hours", "hours", "usage", "compute")),
    FieldSpec("notebooks_at_once", "integer", 1, "notebooks at once", "notebooks that must run at the same time",
              "--concurrent", "concurrent", Bound(1, 64, "notebooks", integer=True),
              question="How many notebooks must run at the same time?", dimension="count",
              nouns=("notebooks", "notebook", "sessions at once", "at the same time", "in parallel")),
    FieldSpec("budget_usd_per_month", "number", None, "monthly budget (USD)",
              "the most you will spend in a month, USD (unsaid: no limit)", "--budget-usd", "budget_usd",
              Bound(0, 1_000_000, "USD a month"), question="What is your monthly budget?", dimension="money",
              nouns=("budget", "spend", "pay", "afford")),
    FieldSpec("predictability", "choice", Predictability.ANY, "same speed every session",
              "any, prefer (rank on a bad session, the 10th percentile) or require (score spread at most 10%)",
              "--predictability", "predictability", choices=Predictability,
              question="Does a steady speed from session to session matter?"),
    FieldSpec("needs", "choices", frozenset(), "you need", "capabilities a plan must offer", "--needs", "needs",
              choices=Need, question="Do you need anything in particular?"),
    FieldSpec("nice_to_have", "choices", frozenset(), "you would like",
              "capabilities you would like: they break ties and show as caveats, never exclude a plan",
              "--nice-to-have", "nice_to_have", choices=Need),
    FieldSpec("free_only", "flag", False, "free plans only", "only plans that cost nothing", "--free-only",
              "free_only"),
    FieldSpec("education", "flag", False, "eligible student or teacher",
              "you are an eligible student or teacher (shows education plans)", "--education", "education"),
    FieldSpec("multi_gpu", "flag", False, "several GPUs at once",
              "the job uses every GPU of a multi-GPU machine: only machines with 2 or more GPUs fit",
              "--multi-gpu", "multi_gpu"),
    FieldSpec("memory_spread", "flag", False, "memory spread across GPUs",
              "with several GPUs, the GPU memory need is the total spread across them (sharded: FSDP, DeepSpeed "
              "ZeRO-3, pipeline) rather than needed on each GPU (data parallel)", "--memory-spread", "memory_spread"),
    FieldSpec("prefer", "choice", None, "what comes first",
              "cost (cheapest first), value (most speed per dollar) or speed (fastest within the budget); unsaid: "
              "value, or speed when a budget is given", "--prefer", "prefer", choices=Preference),
    FieldSpec("students", "integer", 1, "students in the class",
              "a class: each student has their own account, quota and eligibility; costs are per student and in "
              "total", "--students", "students", Bound(1, 10_000, "students", integer=True), dimension="count",
              nouns=("students", "class", "pupils", "learners")),
    FieldSpec("cannot_provide", "choices", frozenset(), "you cannot provide",
              "what you cannot give a platform to get its price: a payment card, phone verification",
              "--cannot-provide", "cannot_provide", choices=Requirement),
    FieldSpec("dataset_gib", "number", None, "dataset size (GiB)",
              "the size of your data set in GiB, stored beside the notebook (priced where storage is billed apart)",
              "--dataset-gb", "dataset_gb", Bound(0, 1_000_000, "GiB of data"), dimension="data size",
              nouns=("dataset", "data set", "data", "files", "images", "corpus")),
    FieldSpec("model", "text", None, "model",
              "a model by name (Llama 3 8B, BERT base, ResNet-50, ...): its memory need and work are derived from it",
              "--model", "model", question="Which model do you train or run, if you know?",
              nouns=("model", "llm", "network", "checkpoint")),
    FieldSpec("params_billion", "number", None, "model size (billions of parameters)",
              "the model's size in billions of parameters, when it is not in the model table", "--params-billion",
              "params_billion", Bound(0.000_001, 10_000, "billion parameters", low_open=True), dimension="count",
              nouns=("parameters", "params", "b model", "billion")),
    FieldSpec("method", "choice", None, "method", "full training, LoRA, QLoRA or inference", "--method", "method",
              choices=Method),
    FieldSpec("tokens", "number", None, "tokens", "tokens processed in one epoch (training) or in all (inference)",
              "--tokens", "tokens", Bound(1, 1e15, "tokens"), dimension="count", nouns=("tokens",)),
    FieldSpec("samples", "number", None, "examples", "examples (images, sentences, rows) in one epoch",
              "--samples", "samples", Bound(1, 1e13, "examples"), dimension="count",
              nouns=("examples", "samples", "images", "rows", "sentences", "documents")),
    FieldSpec("epochs", "number", None, "epochs", "passes over the data (default 1)", "--epochs", "epochs",
              Bound(0.01, 100_000, "epochs"), dimension="count", nouns=("epochs", "epoch", "passes")),
    FieldSpec("batch", "integer", None, "batch size", "examples per step", "--batch", "batch",
              Bound(1, 1_000_000, "examples per step", integer=True), dimension="count", nouns=("batch",)),
    FieldSpec("precision", "choice", None, "precision", "the number format the job computes in", "--precision",
              "precision", choices=JobPrecision),
    FieldSpec("family", "choice", None, "model family", "cnn, transformer, rnn, diffusion or llm (decoding)",
              "--family", "family", choices=Family),
    FieldSpec("reference_hours", "number", None, "your job's hours on a reference device",
              "how long your job takes on a reference GPU or a device of known score, hours", "--reference-hours",
              "reference_hours", Bound(0.001, 100_000, "hours"), dimension="duration",
              nouns=("epoch", "takes", "took", "run took")),
    FieldSpec("reference_gpu", "text", None, "reference GPU",
              "the reference device as a GPU name, e.g. T4", "--reference-gpu", "reference_gpu"),
    FieldSpec("reference_score", "number", None, "reference device's score",
              "the reference device's AI Benchmark score (points)", "--reference-score", "reference_score",
              Bound(1, 10_000_000, "points")),
)
FIELD_SPECS: dict[str, FieldSpec] = {spec.name: spec for spec in FIELDS}
BOUNDS: dict[str, Bound] = {spec.name: spec.bound for spec in FIELDS if spec.bound is not None}


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


def _validated(spec: FieldSpec, value):
    """The value converted to the field's type, or InvalidWorkloadError naming the field."""
    if value is None and spec.optional:
        return None
    if spec.type == "choice":
        return _member(spec.name, value, spec.choices)
    if spec.type == "choices":
        return _members(spec.name, value, spec.choices)
    if spec.type == "flag":
        if not isinstance(value, bool):
            raise InvalidWorkloadError(spec.name, f"expected true or false, got {value!r}")
        return value
    if spec.type == "text":
        if not isinstance(value, str) or not value.strip():
            raise InvalidWorkloadError(spec.name, f"expected {spec.label}, got {value!r}")
        return value.strip()
    _check_number(spec.name, value)
    return int(value) if spec.type == "integer" else value


@dataclass(frozen=True)
class Workload:
    """What the user wants to run. Each field's meaning, unit and bounds are declared in FIELDS (its `help`):

    kind (training, inference or mixed: picks the score that matters); gpu_memory_gib (GiB, per GPU unless
    memory_spread); session_hours (hours); gpu_hours_per_month; notebooks_at_once; budget_usd_per_month (USD, None:
    no limit); predictability; needs and nice_to_have (Need members); free_only; education; multi_gpu (only
    machines of 2 or more GPUs); memory_spread; prefer (Preference, None: chosen by `preference`); students (a class
    of that many, each with their own account); cannot_provide (Requirement members); dataset_gib (GiB, None:
    unsaid); the job, when described by a model: model (a name), params_billion, method, tokens, samples, epochs,
    batch, precision, family (advisor.job derives its memory need and its hours on each GPU); reference_hours
    with reference_gpu or reference_score (the user's job takes that many hours there).
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
    memory_spread: bool = False
    prefer: Preference | None = None
    students: int = 1
    cannot_provide: frozenset[Requirement] = field(default_factory=frozenset)
    dataset_gib: float | None = None
    model: str | None = None
    params_billion: float | None = None
    method: Method | None = None
    tokens: float | None = None
    samples: float | None = None
    epochs: float | None = None
    batch: int | None = None
    precision: JobPrecision | None = None
    family: Family | None = None
    reference_hours: float | None = None
    reference_gpu: str | None = None
    reference_score: float | None = None

    def __post_init__(self):
        for spec in FIELDS:
            object.__setattr__(self, spec.name, _validated(spec, getattr(self, spec.name)))
        object.__setattr__(self, "nice_to_have", self.nice_to_have - self.needs)
        if self.reference_gpu is not None and not self.reference_gpu:
            raise InvalidWorkloadError("reference_gpu", "expected a GPU name such as T4, got an empty value")
        has_device = self.reference_score is not None or self.reference_gpu is not None
        if self.reference_score is not None and self.reference_gpu is not None:
            raise InvalidWorkloadError("reference_score", "give the reference device as a score or as a GPU, not both")
        if self.reference_hours is not None and not has_device:
            raise InvalidWorkloadError("reference_hours", "also give the device it ran on: a reference GPU or a "
                                                          "reference score")
        if has_device and self.reference_hours is None:
            raise InvalidWorkloadError("reference_hours", "give how many hours the job takes on the reference device")
        if self.memory_spread and not self.multi_gpu:
            raise InvalidWorkloadError("memory_spread", "memory can only be spread across GPUs with several GPUs: "
                                                        "also say multi_gpu")

    @property
    def metric(self) -> Metric:
        """The score that measures speed for this kind of work."""
        return self.kind.metric

    @property
    def preference(self) -> Preference:
        """The ranking's preference: the one the user gave, else speed when they gave a budget above 0 (money they
        are willing to spend), else value (price per point of speed: free plans first, then the cheapest speed)."""
        if self.prefer is not None:
            return self.prefer
        if self.budget_usd_per_month and not self.free_only:
            return Preference.SPEED
        return Preference.VALUE

    def to_dict(self) -> dict:
        """JSON-ready fields (sets sorted, enums as their values)."""
        out = {}
        for spec in FIELDS:
            value = getattr(self, spec.name)
            if spec.type == "choices":
                value = sorted(map(str, value))
            elif spec.type == "choice" and value is not None:
                value = str(value)
            out[spec.name] = value
        return out


WORKLOAD_FIELDS = tuple(f.name for f in fields(Workload))
