"""Typed FastAPI dependencies (`SettingsDep`, `StoreDep`, `SignerDep`, `GateDep`, `EvidenceDep`): what a handler
needs, declared in its signature instead of read from `app.state`, so tests can swap any of them with
`app.dependency_overrides`.

StoreGate runs every store call in a worker thread with a deadline and bounded concurrency: a frozen, locked or
vanished store answers 503 within the deadline (probe E3), and writers waiting for a lock can hold only their own
few threads, never the readers' (E5)."""
from __future__ import annotations

import weakref
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request

from ..errors import StoreError, StoreTimeout
from .settings import ApiSettings
from .signing import StateSigner

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..runs.evidence import EvidenceCache
    from ..runs.store import RunStore

T = TypeVar("T")
# Threads per process for store reads and for store writes; each kind queues for its own. Writers are few: one
# writer at a time holds SQLite's lock, and PostgreSQL's pool is POOL_SIZE connections anyway.
STORE_READERS = 12
STORE_WRITERS = 4


class StoreGate:
    """Store calls with a deadline (seconds, queueing for a thread included) and separate thread limits for reads
    and writes. A call past its deadline raises StoreTimeout and its thread is abandoned (it ends on the store's
    own timeout and gives its slot back then), so the request is answered in time whatever the store does."""

    def __init__(self, timeout_s: float, readers: int = STORE_READERS, writers: int = STORE_WRITERS):
        self.timeout_s = timeout_s
        self.readers, self.writers = readers, writers
        # Per event loop (a server has one; a test client may start one per request): a limiter belongs to its loop.
        self._limiters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _limiter(self, write: bool) -> anyio.CapacityLimiter:
        import asyncio

        limiters = self._limiters.setdefault(asyncio.get_running_loop(), {})
        if write not in limiters:
            limiters[write] = anyio.CapacityLimiter(self.writers if write else self.readers)
        return limiters[write]

    async def call(self, fn: Callable[..., T], *args: Any, write: bool = False) -> T:
        """fn(*args) in a worker thread within the deadline. Raises StoreTimeout past it, and whatever fn raises."""
        try:
            with anyio.fail_after(self.timeout_s):
                return await anyio.to_thread.run_sync(partial(fn, *args), limiter=self._limiter(write),
                                                      abandon_on_cancel=True)
        except TimeoutError:
            raise StoreTimeout(f"the run store did not answer within {self.timeout_s:g} s") from None


class WriteBatcher:
    """Group commit for POST /runs: posts that arrive while a write is under way are stored together in the next
    transaction (one commit and one fsync for all), each answered with its own id. A batch that fails is retried
    run by run, so one run's fault is reported to its own post only. Bounded by the gate's deadline."""

    MAX_BATCH = 256

    def __init__(self, gate: StoreGate):
        self.gate = gate
        # Per event loop: the posts waiting and whether a drain runs (a future belongs to its loop).
        self._queues: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def add(self, store: RunStore, run, poster: str, origin) -> tuple[int, bool]:
        import asyncio

        loop = asyncio.get_running_loop()
        queue = self._queues.setdefault(loop, {"pending": [], "draining": False})
        future = loop.create_future()
        queue["pending"].append((run, poster, origin, future))
        if not queue["draining"]:
            queue["draining"] = True
            queue["task"] = loop.create_task(self._drain(store, queue))
        try:  # a post waits for the batch before its own at most until its own deadline
            return await asyncio.wait_for(asyncio.shield(future), self.gate.timeout_s)
        except TimeoutError:
            raise StoreTimeout(f"the run store did not answer within {self.gate.timeout_s:g} s") from None

    async def _drain(self, store: RunStore, queue: dict) -> None:
        try:
            while queue["pending"]:
                batch, queue["pending"] = queue["pending"][:self.MAX_BATCH], queue["pending"][self.MAX_BATCH:]
                items = [(run, poster, origin) for run, poster, origin, _ in batch]
                try:
                    results = await self.gate.call(store.add_batch, items, write=True)
                except Exception as exc:  # noqa: BLE001 - each post gets its own answer below
                    if len(batch) == 1 or isinstance(exc, StoreError):  # the store's fault is every post's
                        for *_, future in batch:
                            _settle(future, exception=exc)
                        continue
                    for run, poster, origin, future in batch:  # one by one: a fault is its own run's
                        try:
                            _settle(future, (await self.gate.call(store.add_batch, [(run, poster, origin)],
                                                                  write=True))[0])
                        except Exception as single:  # noqa: BLE001
                            _settle(future, exception=single)
                    continue
                for (_, _, _, future), result in zip(batch, results, strict=True):
                    _settle(future, result)
        finally:
            queue["draining"] = False


def _settle(future, result=None, exception: BaseException | None = None) -> None:
    if future.done():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)


def get_batcher(request: Request) -> WriteBatcher:
    state = request.app.state
    if getattr(state, "batcher", None) is None:
        state.batcher = WriteBatcher(state.gate)
    return state.batcher


def get_settings(request: Request) -> ApiSettings:
    return request.app.state.settings


def get_signer(request: Request) -> StateSigner:
    return request.app.state.signer


def get_store(request: Request) -> RunStore:
    """The app's run store, opened on first use (so a broken store does not stop the catalog endpoints)."""
    state = request.app.state
    if state.store is None:
        from ..runs.store import RunStore

        settings: ApiSettings = state.settings
        state.store = RunStore(settings.database_url, timeout_s=settings.store_timeout_s,
                               pool_size=settings.db_pool_size)
    return state.store


def get_gate(request: Request) -> StoreGate:
    return request.app.state.gate


def get_evidence(request: Request) -> EvidenceCache:
    """The worker's evidence cache over the run store (see advisor.runs.evidence.EvidenceCache)."""
    state = request.app.state
    if state.evidence_cache is None:
        from ..runs.evidence import EvidenceCache

        state.evidence_cache = EvidenceCache(get_store(request),
                                             min_refresh_s=state.settings.evidence_refresh_s)
    return state.evidence_cache


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
SignerDep = Annotated[StateSigner, Depends(get_signer)]
GateDep = Annotated[StoreGate, Depends(get_gate)]
BatcherDep = Annotated[WriteBatcher, Depends(get_batcher)]
if TYPE_CHECKING:
    StoreDep = Annotated[RunStore, Depends(get_store)]
    EvidenceDep = Annotated[EvidenceCache, Depends(get_evidence)]
else:  # the store's modules (SQLAlchemy) load on first use, not when the API is imported
    StoreDep = Annotated[Any, Depends(get_store)]
    EvidenceDep = Annotated[Any, Depends(get_evidence)]
