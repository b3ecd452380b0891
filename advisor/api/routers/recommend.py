"""POST /recommend: the ranking for a workload."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ...present.json import recommend_json
from ...recommend import recommend
from ..errors import ErrorBody
from ..models import RecommendRequest
from .catalog import as_of_query, catalog_for

router = APIRouter()


@router.post("/recommend", responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}})
async def recommend_endpoint(request: Request, body: RecommendRequest) -> JSONResponse:
    workload = body.to_workload()
    catalog = catalog_for(request, await as_of_query(body.as_of))
    # A plain JSONResponse: the dicts are JSON-ready, and skipping response-model validation keeps this fast.
    return JSONResponse(recommend_json(catalog, workload, recommend(catalog, workload)))
