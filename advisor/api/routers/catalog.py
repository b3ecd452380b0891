"""GET /healthz, /livez, /plans, /plans/{id}, /gpus, /gpus/{id}: the catalog as of a date."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from ..._version import __version__
from ...catalog import Catalog, load_catalog, parse_date
from ...errors import AdvisorError
from ...present.json import gpu_json, plan_json, plans_json
from ..errors import ErrorBody
from ..models import DATE_PATTERN

router = APIRouter()
Id = Annotated[str, Path(max_length=100)]


async def as_of_query(as_of: Annotated[str | None, Query(pattern=DATE_PATTERN, max_length=10,
                                                         description="catalog date, YYYY-MM-DD (default today)")] = None):
    """The catalog date asked for; None for today. A date in the future is refused with 422."""
    if as_of is None:
        return None
    date = parse_date(as_of)
    if date > dt.date.today():
        raise ValueError(f"as_of: {as_of} is in the future")
    return date


def catalog_for(request: Request, as_of: dt.date | str | None) -> Catalog:
    return load_catalog(as_of, request.app.state.settings.data_dir)


@router.api_route("/livez", methods=["GET", "HEAD"])
async def livez() -> dict:
    """Liveness: the process answers."""
    return {"status": "ok", "version": __version__}


@router.api_route("/healthz", methods=["GET", "HEAD"], responses={503: {"model": ErrorBody}})
def healthz(request: Request):
    """Readiness: the catalog loads and the run store answers; 503 names what is broken and what to do."""
    checks = {}
    try:
        catalog_for(request, None)
        checks["catalog"] = "ok"
    except AdvisorError as exc:
        checks["catalog"] = str(exc)
    try:
        request.app.state.run_store().ping()
        checks["store"] = "ok"
    except AdvisorError as exc:
        checks["store"] = str(exc)
    ok = all(v == "ok" for v in checks.values())
    body = {"status": "ok" if ok else "unavailable", "version": __version__, **checks}
    if not ok:
        body["error"] = "; ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok")
    return JSONResponse(body, status_code=200 if ok else 503)


@router.api_route("/plans", methods=["GET", "HEAD"], responses={422: {"model": ErrorBody}})
async def plans(request: Request, as_of=Depends(as_of_query)) -> list[dict]:
    return plans_json(catalog_for(request, as_of))


@router.api_route("/plans/{plan_id}", methods=["GET", "HEAD"],
                  responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}})
async def plan(request: Request, plan_id: Id, as_of=Depends(as_of_query)) -> dict:
    catalog = catalog_for(request, as_of)
    return plan_json(catalog, catalog.plan(plan_id))


@router.api_route("/gpus", methods=["GET", "HEAD"], responses={422: {"model": ErrorBody}})
async def gpus(request: Request, as_of=Depends(as_of_query)) -> list[dict]:
    catalog = catalog_for(request, as_of)
    return [gpu_json(catalog, g) for g in catalog.gpus.values()]


@router.api_route("/gpus/{gpu_id}", methods=["GET", "HEAD"], responses={404: {"model": ErrorBody}})
async def gpu(request: Request, gpu_id: Id, as_of=Depends(as_of_query)) -> dict:
    catalog = catalog_for(request, as_of)
    return gpu_json(catalog, catalog.gpu(gpu_id))
