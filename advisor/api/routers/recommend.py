"""POST /recommend: the ranking for a workload, learning from the run store's runs as `evidence` says.

An answer depends only on the catalog (its date and files), the workload, the folded evidence and the answer's
shape, so the API keeps the rendered bytes of recent answers keyed by exactly those (AnswerCache): a repeated
question costs a parse and a lookup, not a ranking. `?fields=compact` (or `"compact": true`) answers with plan
id, rank, cost, score and the top reason codes only, a tenth of the bytes."""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ...errors import StoreError
from ...present.formats import FORMATS
from ...present.json import recommend_json
from ...recommend import recommend, workload_job
from ...vocab import EvidenceChoice
from ..deps import EvidenceDep, GateDep, StoreGate
from ..errors import ErrorBody
from ..models import RecommendRequest
from .catalog import as_of_query, catalog_for

router = APIRouter()
log = logging.getLogger("advisor.api")
# Reason codes a compact answer keeps per plan (the first are the ones that decide).
COMPACT_REASONS = 3
ANSWERS_KEPT = 4096


class AnswerCache:
    """Rendered answers (bytes) by (catalog, workload, evidence fingerprint, shape); least recently used out
    first. Thread-safe. The catalog is keyed by identity: load_catalog returns one object per date and version
    of the data files, so a new catalog generation never finds an old answer."""

    def __init__(self, size: int = ANSWERS_KEPT):
        self.size = size
        self._answers: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
            return answer

    def put(self, key: tuple, answer: bytes) -> None:
        with self._lock:
            self._answers[key] = answer
            if len(self._answers) > self.size:
                self._answers.popitem(last=False)


def _answers(request: Request) -> AnswerCache:
    state = request.app.state
    if getattr(state, "answers", None) is None:
        state.answers = AnswerCache()
    return state.answers


def compact_json(catalog, recs) -> dict:
    """The compact answer: per plan its id, rank, monthly cost (USD), score mean and the top reason codes."""
    return {"as_of": catalog.as_of.isoformat(),
            "recommendations": [{"plan_id": r.plan_id, "rank": r.rank,
                                 "monthly_cost_usd": None if r.monthly_cost_usd is None else round(r.monthly_cost_usd,
                                                                                                   2),
                                 "score": None if r.score is None else round(r.score.mean, 1),
                                 "reasons": [str(x.code) for x in r.reasons[:COMPACT_REASONS]]} for r in recs]}


def _folded(cache, catalog, choice: EvidenceChoice, window_days: int):
    """Runs folded from the store, updated when the store's generation changes."""
    return cache.get(catalog, choice, window_days)


async def folded_evidence(gate: StoreGate, cache, catalog, choice: EvidenceChoice, window_days: int):
    """(evidence, problem): the folded evidence within the store's deadline, or (None, the fault's safe sentence)
    when the store fails or does not answer in time: the catalog alone is used then. Evidence refreshed less than
    the cache's min_refresh_s ago is taken inline, without a store call."""
    from ...runs.faults import public_text

    fresh = cache.peek(catalog, choice, window_days)
    if fresh is not cache.MISSING:
        return fresh, None
    try:
        return await gate.call(_folded, cache, catalog, choice, window_days), None
    except StoreError as exc:
        log.warning("recommend without runs: %s", exc)
        return None, f"the run store is unavailable ({public_text(exc.code)}), so only the catalog was used"


@router.post("/recommend", response_class=JSONResponse,
             responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}})
async def recommend_endpoint(request: Request, body: RecommendRequest, gate: GateDep, cache: EvidenceDep,
                             fields: Annotated[Literal["full", "compact"] | None,
                                               Query(description="compact: plan id, rank, cost, score and the top "
                                                                 "reason codes only")] = None,
                             format: Annotated[Literal[tuple(FORMATS)] | None,  # type: ignore[valid-type]
                                               Query(description="the document's format (advisor.present.formats): "
                                                                 + ", ".join(FORMATS) + "; default json")] = None
                             ) -> Response:
    from ...runs.evidence import evidence_json

    workload = body.to_workload()
    catalog = await catalog_for(request, await as_of_query(body.as_of))
    choice = EvidenceChoice(body.evidence)
    evidence, problem = (None, None) if choice is EvidenceChoice.CATALOG else \
        await folded_evidence(gate, cache, catalog, choice, body.evidence_window_days)
    compact = fields == "compact" or body.compact
    document = None if format in (None, "json") or compact else FORMATS[format]
    key = (id(catalog), catalog.as_of, workload, choice, body.evidence_window_days,
           None if evidence is None else evidence.fingerprint, problem, compact, document and document.name)
    answers = _answers(request)
    answer = answers.get(key)
    if answer is None:
        # A job's hours need the throughput model (its first fit, without a cached calibration, takes seconds):
        # off the event loop; a ranking without a job takes about 2 ms and stays on it.
        recs = recommend(catalog, workload, evidence) if workload_job(workload) is None else \
            await run_in_threadpool(recommend, catalog, workload, evidence)
        if document is not None:  # markdown, text, JSON Lines: the same renderers as the CLI and the app
            answer = document.render(catalog, workload, recs, {}).encode()
        else:
            out = compact_json(catalog, recs) if compact else recommend_json(catalog, workload, recs)
            out["evidence"] = evidence_json(evidence, choice, problem)
            # The dicts are JSON-ready, so no response model validates them again; orjson writes the ~50 KB of a
            # ranking over ten times faster than the standard library (measured: 0.41 ms down to 0.03 ms).
            answer = orjson.dumps(out)
        answers.put(key, answer)
    return Response(answer, media_type="application/json" if document is None else document.media_type)
