"""POST /runs and GET /runs: benchmark runs posted by notebooks, kept in the run store (SQLite or a shared
PostgreSQL behind several workers and hosts).

Writing is guarded however the app was started: only application/json; an Origin, if any, must be an allowed
page; with ADVISOR_API_TOKEN set the bearer token is required, else only a loopback client of a loopback-bound
server may write. Each run records the name of the token that posted it (never the token); a physically
implausible run is refused (422); the same run posted twice is stored once (200 with its id, not 201)."""
from __future__ import annotations

import datetime as dt
import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ...bench.reference import run_reference
from ...runs.record import check_plausible, known_plan_ids, run_from_json
from ...vocab import BenchMode, EvidenceSource, RunOrder
from ..errors import ErrorBody, Refused
from ..settings import is_loopback
from .catalog import catalog_for

router = APIRouter()
POSTER_LOOPBACK = "loopback"



def writer_name(request: Request, authorization: Annotated[str | None, Header()] = None) -> str:
    """The name recorded for this write's token ('loopback' without one). Raises Refused (401, 403, 415)."""
    settings = request.app.state.settings
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise Refused(415, "send the run as JSON with 'Content-Type: application/json'")
    if not settings.origin_allowed(request.headers.get("origin")):
        raise Refused(403, "writes from this web page's origin are refused; list it in ADVISOR_CORS_ORIGINS")
    if settings.tokens:
        given = (authorization or "").encode("utf-8", "surrogateescape")
        for token, name in settings.tokens.items():
            if hmac.compare_digest(given, f"Bearer {token}".encode("utf-8", "surrogateescape")):
                return name
        raise Refused(401, "send 'Authorization: Bearer <token>' with a token of this server (ADVISOR_API_TOKEN)",
                      {"WWW-Authenticate": "Bearer"})
    client = request.client.host if request.client else None
    if not settings.bound_to_loopback or not is_loopback(client):
        raise Refused(403, "writing is disabled: this server has no ADVISOR_API_TOKEN, so only a client on the same "
                           "machine may write to a server that listens on loopback")
    return POSTER_LOOPBACK


@router.post("/runs", status_code=201, responses={200: {"description": "the same run was stored before"},
                                                  401: {"model": ErrorBody}, 403: {"model": ErrorBody},
                                                  413: {"model": ErrorBody}, 415: {"model": ErrorBody},
                                                  422: {"model": ErrorBody}, 503: {"model": ErrorBody}})
async def post_run(request: Request, poster: str = Depends(writer_name)):
    """Stores one run. 201 {"id", "duplicate": false}; 200 {"id", "duplicate": true} when it was stored before."""
    settings = request.app.state.settings
    run = run_from_json(await request.body(), known_plan_ids(settings.data_dir))
    check_plausible(run, catalog_for(request, None), run_reference())
    # A loopback write without a token is the machine's own user; a token's writes are shared evidence.
    origin = EvidenceSource.LOCAL if poster == POSTER_LOOPBACK else EvidenceSource.SHARED
    run_id, created = await run_in_threadpool(request.app.state.run_store().add_run, run, poster, origin)
    return JSONResponse({"id": run_id, "duplicate": not created}, status_code=201 if created else 200)


def _moment(text: str | None, name: str) -> dt.datetime | None:
    """A date (YYYY-MM-DD, midnight UTC) or an aware date-time. Raises ValueError naming the parameter."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text) if "T" in text else \
            dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
    except ValueError:
        raise ValueError(f"{name}: expected a date like 2026-11-20 or a date-time with a time zone") from None
    if value.tzinfo is None:
        raise ValueError(f"{name}: a date-time needs a time zone, e.g. 2026-11-20T10:00:00+00:00")
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(f"{name}: out of range") from None


@router.get("/runs", responses={422: {"model": ErrorBody}, 503: {"model": ErrorBody}})
def get_runs(request: Request,
             plan: Annotated[str | None, Query(max_length=100, pattern=r"^[a-z0-9][a-z0-9+-]*$")] = None,
             platform: Annotated[str | None, Query(max_length=100, pattern=r"^[a-z0-9][a-z0-9+-]*$",
                                                   description="the same as plan")] = None,
             gpu: Annotated[str | None, Query(max_length=100, pattern=r"^[a-z0-9][a-z0-9+-]*$")] = None,
             mode: Annotated[BenchMode | None, Query()] = None,
             since: Annotated[str | None, Query(max_length=40, description="started on or after (date)")] = None,
             until: Annotated[str | None, Query(max_length=40, description="started before (date)")] = None,
             order: Annotated[RunOrder, Query()] = RunOrder.NEWEST,
             limit: Annotated[int, Query(ge=1, le=1000)] = 100,
             cursor: Annotated[str | None, Query(max_length=200)] = None) -> dict:
    """A page of runs, newest first by default: {"runs": [{id, poster, origin, saved_at, run}], "next_cursor":
    pass it as `cursor` for the next page (null at the end), "skipped_invalid": stored rows on this page that no
    longer validate (left out; the rest is still served)}."""
    from ...runs.store import RunFilter

    filters = RunFilter(plan=plan or platform, gpu=gpu, mode=None if mode is None else str(mode),
                        since=_moment(since, "since"), until=_moment(until, "until"))
    page = request.app.state.run_store().page(filters, limit, cursor, order)
    return {"runs": [r.to_dict() for r in page.runs], "next_cursor": page.next_cursor, "skipped_invalid": page.skipped}
