"""The HTTP API (FastAPI): plans, GPUs, recommendations, a stateless chat, benchmark runs.

A thin face over the core: requests become core calls, core errors become 4xx JSON bodies. Serve it with
`python -m advisor serve` (loopback by default).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import os
import secrets
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from . import __version__
from .catalog import Catalog, load_catalog
from .chat import ChatStateError, chat_turn
from .report import plans_json, recommend_json
from .errors import AdvisorError, CatalogError, InvalidWorkloadError, UnknownGpuError, UnknownPlanError
from .recommend import recommend
from .workload import Workload

MAX_BODY_BYTES = 1_000_000
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


# ---------------------------------------------------------------------------------------------
# Request and response models


class RecommendRequest(BaseModel):
    """A workload: the CLI's options in snake case, all optional, with the CLI's defaults."""

    model_config = ConfigDict(extra="forbid")

    workload: Literal["training", "inference", "mixed"] = "mixed"
    gpu_mem_gb: Annotated[float, Field(ge=0, le=1024, allow_inf_nan=False, description="GPU memory needed, GiB")] = 0.0
    session_hours: Annotated[float, Field(gt=0, le=744, allow_inf_nan=False, description="longest uninterrupted run, hours")] = 2.0
    gpu_hours_per_month: Annotated[float, Field(ge=0, le=744 * 64, allow_inf_nan=False, description="GPU hours per month")] = 20.0
    concurrent: Annotated[int, Field(ge=1, le=64, description="notebooks running at once")] = 1
    budget_usd: Annotated[float | None, Field(ge=0, le=1_000_000, allow_inf_nan=False, description="monthly budget, USD")] = None
    predictability: Literal["any", "prefer", "require"] = "any"
    needs: Annotated[list[Literal["selectable-timeout", "background", "deployment", "private"]], Field(max_length=8)] = []
    free_only: bool = False
    reference_hours: Annotated[float | None, Field(gt=0, le=100_000, allow_inf_nan=False)] = None
    reference_gpu: Annotated[str | None, Field(min_length=1, max_length=100)] = None
    reference_score: Annotated[float | None, Field(ge=1, le=10_000_000, allow_inf_nan=False)] = None
    as_of: dt.date | None = None

    def to_workload(self) -> Workload:
        return Workload(kind=self.workload, gpu_memory_gib=self.gpu_mem_gb, session_hours=self.session_hours,
                        gpu_hours_per_month=self.gpu_hours_per_month, notebooks_at_once=self.concurrent,
                        budget_usd_per_month=self.budget_usd, predictability=self.predictability,
                        needs=frozenset(self.needs), free_only=self.free_only, reference_hours=self.reference_hours,
                        reference_score=self.reference_score, reference_gpu=self.reference_gpu)


class ChatRequest(BaseModel):
    """One chat message. state: the opaque token from the previous reply (null to start)."""

    model_config = ConfigDict(extra="forbid")

    state: Annotated[str | None, Field(max_length=20_000)] = None
    message: Annotated[str | None, Field(max_length=2_000)] = None
    as_of: dt.date | None = None


class ChatResponse(BaseModel):
    state: str
    reply: str
    quick_replies: list[str]
    done: bool
    recommendations: list[dict] | None = None


class ErrorBody(BaseModel):
    error: str
    detail: Any = None


# ---------------------------------------------------------------------------------------------
# Chat state integrity: the state travels through the client, signed so it cannot forge answers.


class StateSigner:
    """Signs and checks chat states with HMAC-SHA256. secret: bytes (default ADVISOR_CHAT_SECRET or random)."""

    def __init__(self, secret: bytes | None = None):
        env = os.environ.get("ADVISOR_CHAT_SECRET")
        self.secret = secret or (env.encode() if env else secrets.token_bytes(32))

    def dumps(self, state: dict) -> str:
        payload = base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":"), sort_keys=True).encode()).decode()
        mac = hmac.new(self.secret, payload.encode(), hashlib.sha256).hexdigest()
        return f"{payload}.{mac}"

    def loads(self, token: str) -> dict:
        if not token.isascii():  # a signed state is base64 and hex only
            raise ChatStateError("chat state was modified or comes from another server; start a new conversation "
                                 "with state null")
        payload, _, mac = token.rpartition(".")
        expected = hmac.new(self.secret, payload.encode(), hashlib.sha256).hexdigest()
        if not payload or not hmac.compare_digest(mac, expected):
            raise ChatStateError("chat state was modified or comes from another server; start a new conversation "
                                 "with state null")
        try:
            return json.loads(base64.urlsafe_b64decode(payload.encode()))
        except ValueError:
            raise ChatStateError("chat state is not readable; start a new conversation with state null") from None


# ---------------------------------------------------------------------------------------------
# The app


class BodyLimit:
    """ASGI middleware: refuses request bodies over max_bytes with 413, whatever Content-Length claims."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                return await self._refuse(send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send):
        body = json.dumps({"error": f"request body over {self.max_bytes} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def _error(status: int, message: str, detail: Any = None) -> JSONResponse:
    return JSONResponse({"error": message, "detail": detail}, status_code=status)


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def create_app(data_dir=None, store=None, bind_host: str | None = None, api_token: str | None = None,
               cors_origins: list[str] | None = None, chat_secret: bytes | None = None) -> FastAPI:
    """The API app. The endpoints are async on purpose: each does well under a millisecond of CPU work, cheaper
    inline than through a thread pool.

    bind_host defaults to ADVISOR_BIND_HOST or loopback; api_token to ADVISOR_API_TOKEN; cors_origins to
    ADVISOR_CORS_ORIGINS (comma-separated).
    """
    bind_host = bind_host or os.environ.get("ADVISOR_BIND_HOST") or "127.0.0.1"
    token = (api_token if api_token is not None else os.environ.get("ADVISOR_API_TOKEN")) or None
    origins = cors_origins if cors_origins is not None else \
        [o.strip() for o in os.environ.get("ADVISOR_CORS_ORIGINS", "").split(",") if o.strip()]
    signer = StateSigner(chat_secret)
    app = FastAPI(title="GPU notebook advisor", version=__version__,
                  description="Ranks GPU notebook plans for a workload by price per AI Benchmark score.")
    if origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(BodyLimit)

    def catalog_for(as_of) -> Catalog:
        return load_catalog(as_of, data_dir)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        detail = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
            detail.append({"field": ".".join(loc) or "body", "message": err.get("msg", "invalid")})
        return _error(422, "invalid request: " + "; ".join(f"{d['field']}: {d['message']}" for d in detail), detail)

    @app.exception_handler(InvalidWorkloadError)
    async def _workload(request: Request, exc: InvalidWorkloadError):
        return _error(422, f"invalid request: {exc.field}: {exc.message}", [{"field": exc.field, "message": exc.message}])

    @app.exception_handler(UnknownPlanError)
    @app.exception_handler(UnknownGpuError)
    async def _unknown(request: Request, exc: AdvisorError):
        return _error(404, str(exc))

    @app.exception_handler(ChatStateError)
    async def _chat_state(request: Request, exc: ChatStateError):
        return _error(400, str(exc))

    @app.exception_handler(CatalogError)
    async def _catalog(request: Request, exc: CatalogError):
        return _error(503, f"the server's catalog is broken: {exc}")

    @app.exception_handler(ValueError)
    async def _value(request: Request, exc: ValueError):
        return _error(422, f"invalid request: {exc}")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # never a stack trace, path or environment
        return _error(500, "internal error; the server log has the details")

    async def as_of_query(as_of: Annotated[dt.date | None, Query(description="catalog date, YYYY-MM-DD (default today)")] = None):
        if as_of is not None and as_of > dt.date.today():
            raise ValueError(f"as_of: {as_of.isoformat()} is in the future")
        return as_of

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok", "version": __version__}

    @app.get("/plans", responses={422: {"model": ErrorBody}})
    async def plans(as_of=Depends(as_of_query)) -> list[dict]:
        return plans_json(catalog_for(as_of))

    @app.get("/plans/{plan_id}", responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}})
    async def plan(plan_id: Annotated[str, Field(max_length=100)], as_of=Depends(as_of_query)) -> dict:
        catalog = catalog_for(as_of)
        catalog.plan(plan_id)
        return next(p for p in plans_json(catalog) if p["plan_id"] == plan_id)

    def gpu_json(catalog: Catalog, gpu) -> dict:
        scores = {}
        for metric in ("ai", "inference", "training"):
            s = catalog.scores.gpu_score(gpu.gpu_id, metric)
            scores[metric] = None if s is None else {
                "mean": round(s.mean, 1), "sd": round(s.sd, 1), "n": s.n, "estimated": s.estimated,
                "estimate_error_pct": None if s.error_pct is None else round(s.error_pct, 1), "basis": s.detail}
        return {"gpu_id": gpu.gpu_id, "name": gpu.name, "vendor": gpu.vendor, "memory_gib": gpu.memory_gib,
                "fp32_tflops": gpu.fp32_tflops, "fp16_tflops": gpu.fp16_tflops,
                "memory_bandwidth_gbps": gpu.memory_bandwidth_gbps, "scores": scores,
                "source": gpu.provenance.to_dict()}

    @app.get("/gpus")
    async def gpus(as_of=Depends(as_of_query)) -> list[dict]:
        catalog = catalog_for(as_of)
        return [gpu_json(catalog, g) for g in catalog.gpus.values()]

    @app.get("/gpus/{gpu_id}", responses={404: {"model": ErrorBody}})
    async def gpu(gpu_id: Annotated[str, Field(max_length=100)], as_of=Depends(as_of_query)) -> dict:
        catalog = catalog_for(as_of)
        return gpu_json(catalog, catalog.gpu(gpu_id))

    @app.post("/recommend", responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}})
    async def recommend_endpoint(body: RecommendRequest) -> JSONResponse:
        if body.as_of is not None and body.as_of > dt.date.today():
            raise InvalidWorkloadError("as_of", f"{body.as_of.isoformat()} is in the future")
        workload = body.to_workload()
        catalog = catalog_for(body.as_of)
        # Returned as a plain JSONResponse: the dicts are already JSON-ready, and skipping response-model
        # validation keeps the hot path fast.
        return JSONResponse(recommend_json(catalog, workload, recommend(catalog, workload)))

    @app.post("/chat", response_model=ChatResponse, responses={400: {"model": ErrorBody}, 422: {"model": ErrorBody}})
    async def chat(body: ChatRequest) -> dict:
        if body.as_of is not None and body.as_of > dt.date.today():
            raise InvalidWorkloadError("as_of", f"{body.as_of.isoformat()} is in the future")
        state = None if body.state is None else signer.loads(body.state)
        turn = chat_turn(catalog_for(body.as_of), state, body.message)
        return {"state": signer.dumps(turn.state), "reply": turn.reply, "quick_replies": turn.quick_replies,
                "done": turn.done,
                "recommendations": None if turn.recommendations is None else [r.to_dict() for r in turn.recommendations]}

    app.state.bind_host = bind_host
    app.state.api_token = token
    app.state.store = store
    app.state.signer = signer
    _add_run_routes(app)
    return app


def _add_run_routes(app: FastAPI) -> None:
    """POST /runs and GET /runs over the benchmark run store (advisor.store)."""
    from .store import RunStore, RunValidationError, run_from_json

    def the_store() -> RunStore:
        if app.state.store is None:
            app.state.store = RunStore()
        return app.state.store

    def require_writer(authorization: Annotated[str | None, Header()] = None):
        token = app.state.api_token
        if token is None:
            if not _is_loopback(app.state.bind_host):
                raise _Refused(403, "writing is disabled: this server listens beyond loopback without ADVISOR_API_TOKEN set")
            return
        if authorization is None or not hmac.compare_digest(authorization, f"Bearer {token}"):
            raise _Refused(401, "send 'Authorization: Bearer <token>' with the server's ADVISOR_API_TOKEN")

    @app.exception_handler(_Refused)
    async def _refused(request: Request, exc: _Refused):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"error": exc.message, "detail": None}, status_code=exc.status, headers=headers)

    @app.exception_handler(RunValidationError)
    async def _bad_run(request: Request, exc: RunValidationError):
        return _error(422, f"invalid run: {exc}")

    @app.post("/runs", status_code=201, responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody},
                                                   422: {"model": ErrorBody}})
    async def post_run(request: Request, _=Depends(require_writer)) -> dict:
        raw = await request.body()
        run = run_from_json(raw)
        run_id = await run_in_threadpool(the_store().add, run)  # SQLite may wait on another writer
        return {"id": run_id}

    @app.get("/runs")
    def get_runs(platform: Annotated[str | None, Query(max_length=100)] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict]:
        return [r.to_dict() for r in the_store().list(platform=platform, limit=limit)]


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Run the API with uvicorn: `workers` processes, each with its own app."""
    import uvicorn

    os.environ["ADVISOR_BIND_HOST"] = host
    if not _is_loopback(host) and not os.environ.get("ADVISOR_API_TOKEN"):
        print(f"note: listening on {host} without ADVISOR_API_TOKEN: POST /runs is refused", flush=True)
    uvicorn.run("advisor.api:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")
