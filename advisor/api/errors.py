"""The API's error responses: every error is {"error": one line, "detail": ...} with the right status, and never
shows a path, a URL, a host, a password, a trace or the environment.

Two layers stop the whole class (probe E1, E9): a store fault is told by its code's safe sentence
(advisor.runs.faults), never by the driver's message or the store's location; and every message passes
`Redactor.clean`, which removes what the server's settings hold (the database URL and each of its parts, the
data folder, the store's path) and cuts absolute paths to their last part, whatever raised it."""
from __future__ import annotations

import logging
import os
import re
import sqlite3
from collections.abc import Iterable, Mapping
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
    UnknownModelError,
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


class Redactor:
    """Removes the server's own secrets and places from any text bound for a client: every part of the database
    URL (password, user, host, port-and-host, database, query values), the store's path and the data folder with
    each of their folders, and the home folder; then absolute paths (scrub_paths)."""

    MIN_LEN = 3  # shorter values ('db', a port) would blank common words; they never appear alone in a message

    def __init__(self, secrets: Iterable[str]):
        kept = {s for s in secrets if s and len(s) >= self.MIN_LEN}
        self.secrets = sorted(kept, key=len, reverse=True)

    @classmethod
    def for_settings(cls, settings) -> Redactor:
        values: list[str] = []
        target = settings.database_url
        if target:
            values.append(target)
            if "://" in target:
                from urllib.parse import parse_qsl, unquote, urlsplit

                try:
                    parts = urlsplit(target)
                    values += [parts.netloc, parts.hostname or "", unquote(parts.password or ""),
                               unquote(parts.username or ""), parts.path.strip("/"),
                               *(v for _, v in parse_qsl(parts.query)), parts.query]
                except ValueError:
                    pass
            else:
                values += _path_parts(target)
        if settings.data_dir:
            values += _path_parts(settings.data_dir)
        home = os.path.expanduser("~")
        if home not in ("/", "~"):
            values.append(home)
        return cls(values)

    def clean(self, message: str) -> str:
        for secret in self.secrets:
            if secret in message:
                message = message.replace(secret, "(hidden)")
        return scrub_paths(message)


def _path_parts(path: str) -> list[str]:
    """A path, its absolute form and every folder above it (but '/'), as text."""
    out = [path]
    try:
        absolute = os.path.abspath(os.path.expanduser(path))
    except (RuntimeError, ValueError):
        return out
    out.append(absolute)
    head = os.path.dirname(absolute)
    while head and head != "/":
        out.append(head)
        head = os.path.dirname(head)
    return out


def _clean(request: Request, message: str) -> str:
    redactor = getattr(request.app.state, "redactor", None)
    return redactor.clean(message) if redactor is not None else scrub_paths(message)


def store_fault_body(exc: BaseException) -> tuple[str, str]:
    """(code, sentence) a client is told for a store fault: from the fault's code only (see runs.faults)."""
    from ..runs.faults import StoreFault, classify_sqlite, public_text

    if isinstance(exc, StoreError):
        return exc.code, public_text(exc.code)
    fault = classify_sqlite(exc) or StoreFault.UNAVAILABLE
    return str(fault), fault.public


def error(status: int, message: str, detail: Any = None, headers: Mapping[str, str] | None = None) -> JSONResponse:
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
        message = _clean(request, exc.message)
        return error(422, f"invalid request: {name}: {message}", [{"field": name, "message": message}])

    @app.exception_handler(UnknownPlanError)
    @app.exception_handler(UnknownGpuError)
    async def _unknown(request: Request, exc: AdvisorError):
        return error(404, _clean(request, str(exc)))

    @app.exception_handler(UnknownModelError)
    async def _unknown_model(request: Request, exc: UnknownModelError):
        # a model named in a request body ('model': 'detail'): the request's field is wrong, not a missing page
        message = _clean(request, str(exc))
        return error(422, f"invalid request: model: {message}", [{"field": "model", "message": message}])

    # Any other error the advisor reports to a user is the request's to fix: a new AdvisorError class never
    # reaches the 500 handler below.
    @app.exception_handler(AdvisorError)
    async def _advisor(request: Request, exc: AdvisorError):
        return error(400, _clean(request, str(exc)))

    @app.exception_handler(ChatStateError)
    async def _chat_state(request: Request, exc: ChatStateError):
        return error(400, _clean(request, str(exc)))

    @app.exception_handler(RunValidationError)
    async def _bad_run(request: Request, exc: RunValidationError):
        return error(422, _clean(request, f"invalid run: {exc}"))

    @app.exception_handler(CatalogError)
    async def _catalog(request: Request, exc: CatalogError):
        log.error("catalog: %s", exc)
        return error(503, _clean(request, f"the server's catalog is broken: {exc}; its maintainer must fix the "
                                          "data files"), headers={"Retry-After": "60"})

    # A store fault, whether the store turned it into a StoreError or not (a sqlite3.Error from below it), is a
    # fault of the server's store, not of the request: 503 with the fault's code and its safe sentence only.
    @app.exception_handler(StoreError)
    @app.exception_handler(sqlite3.Error)
    async def _store(request: Request, exc: Exception):
        log.error("run store: %s", exc)
        code, sentence = store_fault_body(exc)
        return error(503, f"the run store is unavailable: {sentence}; the server's operator must check it",
                     {"code": code}, headers={"Retry-After": "30"})

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused):
        return error(exc.status, exc.message, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":  # FastAPI's own
            return error(422, "invalid request: body: not valid JSON", [{"field": "body", "message": "not valid JSON"}])
        messages = {404: "no such endpoint; see /docs", 405: "method not allowed on this endpoint"}
        return error(exc.status_code, _clean(request, messages.get(exc.status_code, str(exc.detail))),
                     headers=exc.headers)

    @app.exception_handler(ValueError)
    async def _value(request: Request, exc: ValueError):
        return error(422, _clean(request, f"invalid request: {exc}"))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # never a stack trace, path or environment
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error(500, "internal error; the server log has the details")
