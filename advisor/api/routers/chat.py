"""POST /chat: one turn of the stateless chat. The state travels through the client, signed."""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from ...chat import chat_turn
from ...present.json import recommend_json
from ..deps import SignerDep
from ..errors import ErrorBody
from ..models import CORE_TO_API, ChatRequest, ChatResponse
from .catalog import as_of_query, catalog_for

router = APIRouter()


@router.post("/chat", response_model=ChatResponse, responses={400: {"model": ErrorBody}, 422: {"model": ErrorBody}})
async def chat(request: Request, body: ChatRequest, signer: SignerDep) -> dict:
    catalog = await catalog_for(request, await as_of_query(body.as_of))
    state = None if body.state is None else signer.loads(body.state)
    turn = await run_in_threadpool(chat_turn, catalog, state, body.message)  # it may time a job: off the loop
    recs = what_if = None
    if turn.recommendations is not None and turn.workload is not None:
        recs = recommend_json(catalog, turn.workload, turn.recommendations)
    if turn.what_if is not None:
        what_if = recommend_json(catalog, *turn.what_if)
    return {"state": signer.dumps(turn.state), "reply": turn.reply, "quick_replies": turn.quick_replies,
            "done": turn.done, "answers": {CORE_TO_API.get(k, k): v for k, v in turn.answers.items()},
            "asking": None if turn.asking is None else CORE_TO_API.get(turn.asking, turn.asking),
            "intent": turn.intent, "topic": turn.topic, "recommendations": recs, "what_if": what_if}
