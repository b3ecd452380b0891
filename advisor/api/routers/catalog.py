"""GET /healthz, /livez, /plans, /plans/{id}, /gpus, /gpus/{id}: the catalog as of a date."""
from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..._version import __version__
from ...catalog import Catalog, catalog_is_built, load_catalog, parse_date
from ...errors import CatalogError, StoreError
from ...present.json import gpu_json, plan_json, plans_json
from ..deps import GateDep, StoreGate
from ..errors import ErrorBody, store_fault_body
from ..models import DATE_PATTERN

log = logging.getLogger("advisor.api")
router = APIRouter()
Id = Annotated[str, Path(max_length=100)]


AsOf = Annotated[str | None, Query(pattern=DATE_PATTERN, max_length=10,
                                   description="catalog date, YYYY-MM-DD (default today)")]


async def as_of_query(as_of: AsOf = None):
    """The catalog date asked for; None for today. A date in the future is refused with 422."""
    if as_of is None:
        return None
    date = parse_date(as_of)
    if date > dt.date.today():
        raise ValueError(f"as_of: {as_of} is in the future")
    return date


async def catalog_for(request: Request, as_of: dt.date | str | None) -> Catalog:
    """The catalog on `as_of` from the server's data folder. Built in a thread when it is not in memory yet (the
    first request, or a data file changed: every file is parsed), so /livez and the requests in hand are served
    meanwhile (E17's class); from memory, at once, otherwise."""
    data_dir = request.app.state.settings.data_dir
    if catalog_is_built(as_of, data_dir):
        return load_catalog(as_of, data_dir)
    return await run_in_threadpool(load_catalog, as_of, data_dir)


@router.get("/livez")
async def livez() -> dict:
    """Liveness: the process answers (whatever the state of its catalog and store)."""
    return {"status": "ok", "version": __version__}


def _catalog_check(request: Request) -> str:
    """'ok', or one line saying what is wrong with the catalog (secrets and paths removed) and what to do."""
    try:
        load_catalog(None, request.app.state.settings.data_dir)
    except CatalogError as exc:
        return f"broken: {request.app.state.redactor.clean(str(exc))}; its maintainer must fix the data files"
    except Exception:  # readiness must answer whatever broke; the log has the trace
        log.exception("health check of the catalog")
        return "unavailable: unexpected error; the server log has the details"
    return "ok"


async def _store_check(request: Request, store_dep, gate: StoreGate) -> str:
    """'ok', or the store fault's safe sentence (within the store's deadline: a frozen store is not ready, E3)."""
    try:
        store = store_dep(request)
        await gate.call(store.ping)
    except (StoreError, sqlite3.Error) as exc:
        log.error("health check of the run store: %s", exc)
        return f"unavailable: {store_fault_body(exc)[1]}; the server's operator must check the run store"
    except Exception:  # readiness must answer whatever broke; the log has the trace
        log.exception("health check of the run store")
        return "unavailable: unexpected error; the server log has the details"
    return "ok"


@router.get("/healthz", responses={503: {"model": ErrorBody}})
async def healthz(request: Request, gate: GateDep):
    """Readiness: the catalog loads and the run store answers and takes writes, within its deadline. 503 with
    {"error": ..., "catalog": ..., "store": ...} naming what is broken and what to do."""
    from ..deps import get_store

    checks = {"catalog": _catalog_check(request), "store": await _store_check(request, get_store, gate)}
    ok = all(v == "ok" for v in checks.values())
    body: dict[str, str | None] = {"status": "ok" if ok else "unavailable", "version": __version__, **checks}
    if not ok:
        body["error"] = "; ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok")
        body["detail"] = None
    return JSONResponse(body, status_code=200 if ok else 503, headers=None if ok else {"Retry-After": "30"})


@router.get("/plans", responses={422: {"model": ErrorBody}})
async def plans(request: Request, as_of=Depends(as_of_query)) -> list[dict]:
    return plans_json(await catalog_for(request, as_of))


@router.get("/plans/{plan_id}", responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}})
async def plan(request: Request, plan_id: Id, as_of=Depends(as_of_query)) -> dict:
    catalog = await catalog_for(request, as_of)
    return plan_json(catalog, catalog.plan(plan_id))


@router.get("/gpus", responses={422: {"model": ErrorBody}})
async def gpus(request: Request, as_of=Depends(as_of_query)) -> list[dict]:
    catalog = await catalog_for(request, as_of)
    return [gpu_json(catalog, g) for g in catalog.gpus.values()]


@router.get("/gpus/{gpu_id}", responses={404: {"model": ErrorBody}})
async def gpu(request: Request, gpu_id: Id, as_of=Depends(as_of_query)) -> dict:
    catalog = await catalog_for(request, as_of)
    return gpu_json(catalog, catalog.gpu(gpu_id))
