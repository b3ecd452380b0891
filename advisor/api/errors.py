"""The API's error responses: every error is {"error": one line, "detail": ...} with the right status, and never
shows a path, a trace or the environment."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (AdvisorError, CatalogError, ChatStateError, InvalidWorkloadError, RunValidationError, StoreError,
                      UnknownGpuError, UnknownPlanError)

log = logging.getLogger("advisor.api")


class ErrorBody(BaseModel):
    error: str
    detail: Any = None


class Refused(Exception):
    """A request refused by a security rule (401, 403, 415), with its message and headers."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def error(status: int, message: str, detail: Any = None, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "detail": detail}, status_code=status, headers=headers)


def register(app: FastAPI, field_names: dict[str, str]) -> None:
    """Installs the handlers. field_names maps core workload fields to the API's names for messages."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        detail = []
        for err in exc.errors():
            if err.get("type") == "json_invalid":
                detail.append({"field": "body", "message": "not valid JSON"})
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
        return error(503, f"the server's catalog is broken: {exc}; its maintainer must fix the data files",
                     headers={"Retry-After": "60"})

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError):
        return error(503, f"the run store is unavailable: {exc}", headers={"Retry-After": "30"})

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused):
        return error(exc.status, exc.message, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        messages = {404: "no such endpoint; see /docs", 405: "method not allowed on this endpoint"}
        return error(exc.status_code, messages.get(exc.status_code, str(exc.detail)), headers=exc.headers)

    @app.exception_handler(ValueError)
    async def _value(request: Request, exc: ValueError):
        return error(422, f"invalid request: {exc}")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # never a stack trace, path or environment
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error(500, "internal error; the server log has the details")
