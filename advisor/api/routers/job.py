"""POST /job: a job's predicted hours (median, p10-p90) on every catalog GPU, from a time on a GPU the user knows or
from a model (advisor job's fields, snake case)."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo
from starlette.concurrency import run_in_threadpool

from ...job import Job, estimate_job
from ...job import spec as bounds
from ...vocab import Family, JobKind, JobPrecision, Method
from ..errors import ErrorBody
from ..models import IsoDate
from .catalog import as_of_query, catalog_for

router = APIRouter()
_NAME = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")]


def _positive(upper: float, description: str) -> FieldInfo:
    """The constraint on a positive figure: above 0, at most `upper`, finite."""
    return Field(gt=0, le=upper, allow_inf_nan=False, description=description)


class JobRequest(BaseModel):
    """A job: reference_gpu and reference_hours, or a model (a name or params_billion) with tokens or samples."""

    model_config = ConfigDict(extra="forbid", strict=True)

    reference_gpu: _NAME | None = None
    reference_hours: Annotated[float, _positive(bounds.MAX_HOURS, "hours the job takes on reference_gpu")] | None = None
    model: _NAME | None = None
    params_billion: Annotated[float, _positive(bounds.MAX_PARAMS_BILLION, "the model's parameters, billions")] | None \
        = None
    # The choices are the vocabulary's values, built when the model is (a Literal mypy cannot read statically).
    method: Literal[Method.values()] | None = None  # type: ignore[valid-type]
    tokens: Annotated[float, _positive(bounds.MAX_TOKENS, "tokens per epoch")] | None = None
    samples: Annotated[float, _positive(bounds.MAX_SAMPLES, "examples per epoch")] | None = None
    seq_len: Annotated[int, _positive(bounds.MAX_SEQ_LEN, "tokens per example")] | None = None
    epochs: Annotated[float, _positive(bounds.MAX_EPOCHS, "epochs")] = 1.0
    batch: Annotated[int, _positive(bounds.MAX_BATCH, "examples per step (memory only)")] | None = None
    workload: Literal[JobKind.values()] = "training"  # type: ignore[valid-type]  # (dynamic Literal, as above)
    precision: Literal[JobPrecision.values()] | None = None  # type: ignore[valid-type]  # (dynamic Literal)
    family: Literal[Family.values()] | None = None  # type: ignore[valid-type]  # (dynamic Literal)
    as_of: IsoDate | None = None

    def to_job(self) -> Job:
        fields = self.model_dump(exclude={"as_of", "workload"})
        return Job(kind=self.workload, **fields)


@router.post("/job", response_class=JSONResponse,
             responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}})
async def job_endpoint(request: Request, body: JobRequest) -> JSONResponse:
    job = body.to_job()  # InvalidWorkloadError becomes a 422 in the app's handler
    catalog = await catalog_for(request, await as_of_query(body.as_of))
    estimate = await run_in_threadpool(estimate_job, catalog, job)  # an unknown model: 422 naming the field
    return JSONResponse(estimate.to_dict())
