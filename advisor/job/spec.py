"""A job described three ways (a time on a GPU the user knows, or a named model with its data), and the results
estimate_job returns. Frozen dataclasses; units in the names."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..errors import InvalidWorkloadError
from ..vocab import Family, JobKind, JobPrecision, Method

# Bounds a described job must respect (beyond them the input is a typo, not a job).
MAX_HOURS = 100_000.0
MAX_TOKENS = 1e15
MAX_SAMPLES = 1e12
MAX_EPOCHS = 10_000.0
MAX_BATCH = 1_000_000
MAX_SEQ_LEN = 1_048_576
MAX_PARAMS_BILLION = 10_000.0


def _enum(cls, value, name: str):
    if value is None or isinstance(value, cls):
        return value
    try:
        return cls(str(value).strip().lower())
    except ValueError:
        raise InvalidWorkloadError(name, f"'{value}' is not one of {', '.join(cls.values())}") from None


def _positive(value, name: str, upper: float, integer: bool = False):
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidWorkloadError(name, "must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidWorkloadError(name, f"'{value}' is not a number") from None
    if not math.isfinite(number) or number <= 0:
        raise InvalidWorkloadError(name, f"must be above 0 (got {value})")
    if number > upper:
        raise InvalidWorkloadError(name, f"must be at most {upper:g} (got {value})")
    if integer:
        if number != int(number):
            raise InvalidWorkloadError(name, f"must be a whole number (got {value})")
        return int(number)
    return number


@dataclass(frozen=True)
class Job:
    """A job to time on every GPU. Either a reference (reference_gpu and reference_hours: hours the job takes on a
    GPU the user knows) or a model (a name from data/models.csv, or params_billion) with tokens or samples.

    kind: training or inference; family: cnn, transformer, rnn, diffusion or llm (from the model when named);
    precision: the number format (default fp32 for a reference job, bf16/fp16 for a model); method: full, lora,
    qlora or inference; tokens: tokens per epoch; samples: examples per epoch (each seq_len tokens for a
    transformer); epochs; batch: examples per step (memory only); seq_len: tokens per example.
    """

    kind: JobKind = JobKind.TRAINING
    family: Family | None = None
    precision: JobPrecision | None = None
    model: str | None = None
    params_billion: float | None = None
    method: Method | None = None
    tokens: float | None = None
    samples: float | None = None
    epochs: float = 1
    batch: int | None = None
    reference_gpu: str | None = None
    reference_hours: float | None = None
    seq_len: int | None = None

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("kind", _enum(JobKind, self.kind, "kind") or JobKind.TRAINING)
        set_("family", _enum(Family, self.family, "family"))
        set_("precision", _enum(JobPrecision, self.precision, "precision"))
        set_("method", _enum(Method, self.method, "method"))
        set_("params_billion", _positive(self.params_billion, "params_billion", MAX_PARAMS_BILLION))
        set_("tokens", _positive(self.tokens, "tokens", MAX_TOKENS))
        set_("samples", _positive(self.samples, "samples", MAX_SAMPLES))
        set_("epochs", _positive(self.epochs if self.epochs is not None else 1, "epochs", MAX_EPOCHS))
        set_("batch", _positive(self.batch, "batch", MAX_BATCH, integer=True))
        set_("seq_len", _positive(self.seq_len, "seq_len", MAX_SEQ_LEN, integer=True))
        set_("reference_hours", _positive(self.reference_hours, "reference_hours", MAX_HOURS))
        if self.model is not None and not str(self.model).strip():
            raise InvalidWorkloadError("model", "is empty; give a model name or leave it out")
        by_reference = self.reference_gpu is not None or self.reference_hours is not None
        by_model = self.model is not None or self.params_billion is not None
        if by_reference and (self.reference_gpu is None or self.reference_hours is None):
            raise InvalidWorkloadError("reference_hours" if self.reference_hours is None else "reference_gpu",
                                       "a reference job needs both the GPU and the hours it took there")
        if not by_reference and not by_model:
            raise InvalidWorkloadError("model", "describe the job: a reference GPU and its hours, or a model "
                                                "(a name or params_billion) with tokens or samples")
        if by_model and not by_reference and self.tokens is None and self.samples is None:
            raise InvalidWorkloadError("tokens", "a model job needs tokens or samples (per epoch)")
        if self.tokens is not None and self.samples is not None:
            raise InvalidWorkloadError("tokens", "give tokens or samples, not both")
        if self.method is Method.INFERENCE:
            set_("kind", JobKind.INFERENCE)
        elif self.method is not None and self.kind is JobKind.INFERENCE:
            raise InvalidWorkloadError("method", f"'{self.method}' trains; use method inference for inference")
        if self.params_billion is not None and self.model is None and self.family is None:
            set_("family", Family.TRANSFORMER)

    @property
    def by_reference(self) -> bool:
        return self.reference_gpu is not None


@dataclass(frozen=True)
class GpuTime:
    """A job's predicted time on one GPU: hours (median), low and high (p10 and p90), the basis of the prediction,
    whether a measured point of this GPU anchors it, whether the GPU can run it (precision and memory), and whether
    its spec lies outside the measured GPUs' range."""

    gpu_id: str
    hours: float | None
    low: float | None
    high: float | None
    basis: str
    measured: bool
    supported: bool
    extrapolated: bool = False
    fits_memory: bool | None = None

    def to_dict(self) -> dict:
        r = lambda v: None if v is None else round(v, 4)  # noqa: E731
        return {"gpu_id": self.gpu_id, "hours": r(self.hours), "low": r(self.low), "high": r(self.high),
                "basis": self.basis,
                "measured": self.measured, "supported": self.supported, "extrapolated": self.extrapolated,
                "fits_memory": self.fits_memory}


@dataclass(frozen=True)
class JobEstimate:
    """Predictions for every catalog GPU (by gpu_id), the GPU memory the job needs (GiB; None when unknown) with its
    parts, and a sentence saying what was derived."""

    predictions: dict[str, GpuTime]
    memory_gib: float | None
    memory_breakdown: dict[str, float] = field(default_factory=dict)
    derived: str = ""
    flops: float | None = None

    def to_dict(self) -> dict:
        return {"predictions": [p.to_dict() for p in self.predictions.values()], "memory_gib": self.memory_gib,
                "memory_breakdown": dict(self.memory_breakdown), "derived": self.derived, "flops": self.flops}
