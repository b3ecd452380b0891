"""The HTTP API (FastAPI): plans, GPUs, recommendations, a stateless chat, benchmark runs.

A thin front end over the core: requests become core calls, core errors become 4xx/503 JSON bodies. One
ApiSettings object, read once, decides the security rules however the app is started:

    advisor serve                                  # settings from the environment and --host
    uvicorn --factory advisor.api:create_app       # settings from the environment
    create_app(ApiSettings(...))                   # tests and embedding
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .._version import __version__
from .deps import StoreGate
from .docs import add_offline_docs
from .errors import Redactor, register
from .middleware import RequestGuard
from .models import CORE_TO_API
from .routers import catalog, chat, job, recommend, runs
from .settings import ApiSettings
from .signing import StateSigner, host_secret


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The API app for `settings` (default: read from the environment once). Raises SettingsError for a setting
    that cannot be used, so a misconfigured server refuses to start rather than fail its requests.

    The endpoints are async where they only compute: each does well under a millisecond of CPU work, cheaper
    inline than through a thread pool. Store calls run in the thread pool.
    """
    settings = settings or ApiSettings.from_env()
    app = FastAPI(title="GPU notebook advisor", version=__version__, docs_url=None, redoc_url=None,
                  description="Ranks GPU notebook plans for a workload by price per AI Benchmark score.",
                  lifespan=_lifespan)
    app.state.settings = settings
    app.state.signer = StateSigner(settings.chat_secret or host_secret())
    app.state.store = None
    app.state.evidence_cache = None
    app.state.gate = StoreGate(settings.store_timeout_s)
    app.state.redactor = Redactor.for_settings(settings)
    register(app, CORE_TO_API)
    routers = [
        catalog.router,
        recommend.router,
        chat.router,
        runs.router,
        job.router,
    ]
    for router in routers:
        app.include_router(router)
    add_offline_docs(app)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(RequestGuard, settings=settings)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At shutdown the store is closed, which checkpoints SQLite: its file alone then holds every run (E10)."""
    yield
    if app.state.evidence_cache is not None:
        app.state.evidence_cache.stop()
    if app.state.store is not None:
        app.state.store.close()


def serve(settings: ApiSettings, port: int = 8000, workers: int = 1) -> None:
    """Run the API with uvicorn (see advisor.api.server.serve, which bounds slow clients)."""
    from .server import serve as run_server

    run_server(settings, port=port, workers=workers)
