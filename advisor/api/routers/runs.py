"""POST /runs and GET /runs: benchmark runs posted by notebooks, kept in the run store.

Writing is guarded however the app was started: only application/json; an Origin, if any, must be an allowed
page; with ADVISOR_API_TOKEN set the bearer token is required, else only a loopback client of a loopback-bound
server may write."""
from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from ...store import run_from_json
from ..errors import ErrorBody, Refused
from ..settings import is_loopback

router = APIRouter()


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
    return "loopback"


@router.post("/runs", status_code=201, responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody},
                                                  413: {"model": ErrorBody}, 415: {"model": ErrorBody},
                                                  422: {"model": ErrorBody}, 503: {"model": ErrorBody}})
async def post_run(request: Request, poster: str = Depends(writer_name)) -> dict:
    run = run_from_json(await request.body())
    run_id = await run_in_threadpool(request.app.state.run_store().add, run)
    return {"id": run_id}


@router.api_route("/runs", methods=["GET", "HEAD"], responses={503: {"model": ErrorBody}})
def get_runs(request: Request, platform: Annotated[str | None, Query(max_length=100)] = None,
             limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict]:
    return [r.to_dict() for r in request.app.state.run_store().list(platform=platform, limit=limit)]
