"""The API's error responses: every error is {"error": one line, "detail": ...} with the right status, and never
shows a path, a trace or the environment."""
from __future__ import annotations

import logging
import re
import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (
    AdvisorError,
    CatalogError,
    ChatStateError,
    InvalidWorkloadError,
    RunValidationError,
    StoreError,
    UnknownGpuError,
    UnknownPlanError,
)

log = logging.getLogger("advisor.api")


class ErrorBody(BaseModel):
    error: str
    detail: Any = None


class Refused(Exception):
    """A request refused by a security rule (401, 403, 415), with its message and headers."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


# An absolute path in a server-side message: a client learns the file's name, never where the server keeps it.
_PATH = re.compile(r"""(?<![\w.:/])/(?:[^\s'":/]+/)+([^\s'":/]*)""")


def scrub_paths(message: str) -> str:
    """`message` with every absolute path cut to its last part ('/srv/x/runs.sqlite' -> 'runs.sqlite')."""
    return _PATH.sub(lambda m: m.group(1) or "(a folder)", message)


def error(status: int, message: str, detail: Any = None, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "detail": detail}, status_code=status, headers=headers)


def register(app: FastAPI, field_names: dict[str, str]) -> None:
    """Installs the handlers. field_names maps core workload fields to the API's names for messages."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        detail = []
        for err in exc.errors():
            if err.get("type") == "json_invalid":  # its loc holds a character offset, which is no field
                reason = (err.get("ctx") or {}).get("error")
                detail.append({"field": "body", "message": f"not valid JSON ({reason})" if reason else
                               "not valid JSON"})
                continue
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
            detail.append({"field": ".".join(loc) or "body", "message": err.get("msg", "invalid")})
        return error(422, "invalid request: " + "; ".join(f"{d['field']}: {d['message']}" for d in detail), detail)

    @app.exception_handler(InvalidWorkloadError)
    async def _workload(request: Request, exc: InvalidWorkloadError):
        name = field_names.get(exc.field, exc.field)
        return error(422, f"invalid request: {name}: {exc.message}", [{"field": name, "message": exc.message}])

    @app.exception_handler(UnknownPlanError)
    @app.exception_handler(UnknownGpuError)
    async def _unknown(request: Request, exc: AdvisorError):
        return error(404, str(exc))

    @app.exception_handler(ChatStateError)
    async def _chat_state(request: Request, exc: ChatStateError):
        return error(400, str(exc))

    @app.exception_handler(RunValidationError)
    async def _bad_run(request: Request, exc: RunValidationError):
        return error(422, f"invalid run: {exc}")

    @app.exception_handler(CatalogError)
    async def _catalog(request: Request, exc: CatalogError):
        log.error("catalog: %s", exc)
        return error(503, f"the server's catalog is broken: {scrub_paths(str(exc))}; its maintainer must fix the "
                          "data files", headers={"Retry-After": "60"})

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError):
        log.error("run store: %s", exc)
        return error(503, f"the run store is unavailable: {scrub_paths(str(exc))}; the server's operator must "
                          "check it", headers={"Retry-After": "30"})

    # A store fault the store did not turn into a StoreError (a full disk, a corrupt or foreign file) is still a
    # fault of the server's store, not of the request: 503 with SQLite's one-line reason.
    @app.exception_handler(sqlite3.Error)
    async def _sqlite(request: Request, exc: sqlite3.Error):
        log.error("run store: %s", exc)
        return error(503, f"the run store is unavailable: {scrub_paths(str(exc))}; the server's operator must "
                          "check it", headers={"Retry-After": "30"})

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused):
        return error(exc.status, exc.message, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":  # FastAPI's own
            return error(422, "invalid request: body: not valid JSON", [{"field": "body", "message": "not valid JSON"}])
        messages = {404: "no such endpoint; see /docs", 405: "method not allowed on this endpoint"}
        return error(exc.status_code, messages.get(exc.status_code, str(exc.detail)), headers=exc.headers)

    @app.exception_handler(ValueError)
    async def _value(request: Request, exc: ValueError):
        return error(422, f"invalid request: {exc}")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # never a stack trace, path or environment
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error(500, "internal error; the server log has the details")
