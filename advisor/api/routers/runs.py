"""POST /runs, POST /runs/batch and GET /runs: benchmark runs posted by notebooks, kept in the run store (SQLite
or a shared PostgreSQL behind several workers and hosts).

Writing is guarded however the app was started: only application/json; an Origin, if any, must be an allowed
page; with ADVISOR_API_TOKEN set the bearer token is required, else only a loopback client of a loopback-bound
server may write. Each run records the name of the token that posted it (never the token); a physically
implausible run is refused (422); the same run posted twice is stored once (200 with its id, not 201)."""
from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from ...vocab import BenchMode, EvidenceSource, RunOrder
from ..deps import BatcherDep, EvidenceDep, GateDep, SettingsDep, StoreDep
from ..errors import ErrorBody, Refused
from ..settings import is_loopback
from .catalog import catalog_for

router = APIRouter()
POSTER_LOOPBACK = "loopback"


@dataclass(frozen=True)
class Writer:
    """Who writes: the name recorded with the run (a token's name, or 'loopback') and whose evidence it is. The
    origin is decided here, from how the client proved itself, never from the name (E26)."""

    poster: str
    origin: EvidenceSource


def _bearer(authorization: str | None) -> bytes | None:
    """The credentials of an 'Authorization: Bearer <token>' header; the scheme is case-insensitive (RFC 7235
    section 2.1) and surrounding spaces are ignored (E22)."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip().encode("utf-8", "surrogateescape")


def writer(request: Request, settings: SettingsDep,
           authorization: Annotated[str | None, Header()] = None) -> Writer:
    """Who may write (Content-Type and Origin were checked by RequestGuard). Raises Refused (401, 403)."""
    if settings.tokens:
        given = _bearer(authorization) or b""
        found = None
        for token, name in settings.tokens.items():  # every token compared, in constant time each
            if hmac.compare_digest(given, token.encode("utf-8", "surrogateescape")):
                found = name
        if found is None:
            raise Refused(401, "send 'Authorization: Bearer <token>' with a token of this server (ADVISOR_API_TOKEN)",
                          {"WWW-Authenticate": "Bearer"})
        return Writer(found, EvidenceSource.SHARED)
    # Without a token only this machine's own user may write, whatever interface the server listens on (E14).
    client = request.client.host if request.client else None
    if not is_loopback(client):
        raise Refused(403, "writing is disabled: this server has no ADVISOR_API_TOKEN, so only a client on the same "
                           "machine may write")
    return Writer(POSTER_LOOPBACK, EvidenceSource.LOCAL)


@router.post("/runs", status_code=201, responses={200: {"description": "the same run was stored before"},
                                                  401: {"model": ErrorBody}, 403: {"model": ErrorBody},
                                                  413: {"model": ErrorBody}, 415: {"model": ErrorBody},
                                                  422: {"model": ErrorBody}, 503: {"model": ErrorBody}})
async def post_run(request: Request, settings: SettingsDep, store: StoreDep, batcher: BatcherDep,
                   cache: EvidenceDep, who: Annotated[Writer, Depends(writer)]):
    """Stores one run. 201 {"id", "duplicate": false}; 200 {"id", "duplicate": true} when it was stored before.
    The answer comes after the commit: an acknowledged run is in every listing."""
    from ...bench.reference import run_reference
    from ...runs.ingest import checked, parse_run

    run = checked(parse_run(await request.body(), settings.data_dir), await catalog_for(request, None), run_reference())
    run_id, created = await batcher.add(store, run, who.poster, who.origin)
    if created:
        cache.touch()  # this worker's next recommendation counts the run
    return JSONResponse({"id": run_id, "duplicate": not created}, status_code=201 if created else 200)


# Runs one POST /runs/batch may carry (the body limit, ADVISOR's 1 MB, holds about 250 full runs anyway).
MAX_BATCH_RUNS = 1000


@router.post("/runs/batch", status_code=201,
             responses={200: {"description": "every run was stored before"}, 401: {"model": ErrorBody},
                        403: {"model": ErrorBody}, 413: {"model": ErrorBody}, 415: {"model": ErrorBody},
                        422: {"model": ErrorBody}, 503: {"model": ErrorBody}})
async def post_runs(request: Request, settings: SettingsDep, store: StoreDep, gate: GateDep, cache: EvidenceDep,
                    who: Annotated[Writer, Depends(writer)]):
    """Stores several runs (a JSON list of runs, or {"runs": [...]} as GET /runs or an export gives them) in one
    transaction: all or none, so one implausible run is a 422 naming it and nothing is stored. 201 {"ids": the
    runs' ids in order (the stored copy's for a run stored before), "added", "duplicates"}; 200 when every run was
    stored before. The answer comes after the commit."""
    from ...bench.reference import run_reference
    from ...errors import RunValidationError
    from ...runs.ingest import ingest
    from ...runs.record import known_plan_ids, runs_from_bytes

    runs = runs_from_bytes(await request.body(), "batch", known_plan_ids(settings.data_dir))
    if len(runs) > MAX_BATCH_RUNS:
        raise RunValidationError(f"batch: {len(runs):,} runs; send at most {MAX_BATCH_RUNS:,} in one request")
    result = await gate.call(ingest, store, runs, await catalog_for(request, None), run_reference(), who.poster,
                             who.origin, write=True)
    if result.added:
        cache.touch()  # this worker's next recommendation counts the runs
    return JSONResponse({"ids": result.ids, "added": result.added, "duplicates": result.duplicates},
                        status_code=201 if result.added else 200)


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
async def get_runs(store: StoreDep, gate: GateDep,
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
    page = await gate.call(store.page, filters, limit, cursor, order)
    return {"runs": [r.to_dict() for r in page.runs], "next_cursor": page.next_cursor, "skipped_invalid": page.skipped}
