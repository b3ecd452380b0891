"""Your job on every GPU: a per-GPU throughput model fitted on published measurements, a job described by a time on
a known GPU or by a model's arithmetic, and its predicted hours (p10-p90) on every catalog GPU."""
from ..errors import UnknownModelError
from ..vocab import Family, JobKind, JobPrecision, Method
from .models import ModelSpec, find_model, load_models
from .predict import estimate_job
from .spec import GpuTime, Job, JobEstimate

__all__ = ["Family", "GpuTime", "Job", "JobEstimate", "JobKind", "JobPrecision", "Method", "ModelSpec",
           "UnknownModelError", "estimate_job", "find_model", "load_models"]
