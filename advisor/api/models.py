"""The API's request bodies. Field names are the API's own (the CLI's options in snake case); API_FIELDS maps
them to the core's workload fields, and the bounds and choices come from the core's vocabulary."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..vocab import EvidenceChoice, Kind, Need, Predictability
from ..workload import BOUNDS, Workload

# The API's one mapping: API field -> Workload field.
API_FIELDS = {"workload": "kind", "gpu_mem_gb": "gpu_memory_gib", "session_hours": "session_hours",
              "gpu_hours_per_month": "gpu_hours_per_month", "concurrent": "notebooks_at_once",
              "budget_usd": "budget_usd_per_month", "predictability": "predictability", "needs": "needs",
              "nice_to_have": "nice_to_have", "free_only": "free_only", "education": "education",
              "multi_gpu": "multi_gpu", "reference_hours": "reference_hours", "reference_gpu": "reference_gpu",
              "reference_score": "reference_score"}
CORE_TO_API = {core: api for api, core in API_FIELDS.items()}
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"

KindName = Literal[Kind.values()]
PredictabilityName = Literal[Predictability.values()]
NeedName = Literal[Need.values()]
EvidenceName = Literal[EvidenceChoice.values()]
IsoDate = Annotated[str, Field(pattern=DATE_PATTERN, description="a date, YYYY-MM-DD")]


def _bounded(core_field: str, description: str):
    bound = BOUNDS[core_field]
    low = {"gt": bound.low} if bound.low_open else {"ge": bound.low}
    kind = int if bound.integer else float
    return Annotated[kind, Field(le=bound.high, allow_inf_nan=False, description=f"{description} "
                                 f"({bound.describe()})", **low)]


class RecommendRequest(BaseModel):
    """A workload: every field optional, with the CLI's defaults. Strict: "16" is not a number, 1 not a boolean."""

    model_config = ConfigDict(extra="forbid", strict=True)

    workload: KindName = "mixed"
    gpu_mem_gb: _bounded("gpu_memory_gib", "GPU memory needed, GiB") = 0.0
    session_hours: _bounded("session_hours", "longest uninterrupted run") = 2.0
    gpu_hours_per_month: _bounded("gpu_hours_per_month", "GPU hours a month") = 20.0
    concurrent: _bounded("notebooks_at_once", "notebooks running at once") = 1
    budget_usd: _bounded("budget_usd_per_month", "monthly budget") | None = None
    predictability: PredictabilityName = "any"
    needs: Annotated[list[NeedName], Field(max_length=len(Need))] = []
    nice_to_have: Annotated[list[NeedName], Field(max_length=len(Need))] = []
    free_only: bool = False
    education: bool = False
    multi_gpu: bool = False
    reference_hours: _bounded("reference_hours", "your job's hours on the reference device") | None = None
    reference_gpu: Annotated[str | None, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")] = None
    reference_score: _bounded("reference_score", "the reference device's score") | None = None
    as_of: IsoDate | None = None
    evidence: Annotated[EvidenceName, Field(description="what the ranking learns from besides the catalog: "
                                            "catalog (nothing), local (the server's own runs), shared (runs posted "
                                            "with a token), all")] = "all"
    evidence_window_days: Annotated[int, Field(ge=1, le=3650, description="only runs started within this many days "
                                               "count for allocations and spreads")] = 180
    compact: Annotated[bool, Field(description="answer with plan id, rank, cost, score and the top reason codes "
                                   "only (the same as ?fields=compact)")] = False

    def to_workload(self) -> Workload:
        values: dict[str, Any] = {core: getattr(self, api) for api, core in API_FIELDS.items()}
        return Workload(**values)


class ChatRequest(BaseModel):
    """One chat message. state: the opaque token from the previous reply (null to start)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    state: Annotated[str | None, Field(max_length=20_000)] = None
    message: Annotated[str | None, Field(max_length=2_000)] = None
    as_of: IsoDate | None = None


class ChatResponse(BaseModel):
    """The chat's reply (Markdown). answers: the workload understood so far, in POST /recommend's field names (null
    where unset). asking: the field asked about next (null when done). intent: how the message was understood
    (answer, skip, explain, about, what_if, undo, start_over, invalid, unknown, greeting, empty). topic: what a question
    was about. recommendations: the ranking when done, as POST /recommend gives it; what_if: the ranking a
    hypothetical would give ("what if I had $20?"), the answers unchanged."""

    state: str
    reply: str
    quick_replies: list[str]
    done: bool
    answers: dict[str, Any]
    asking: str | None
    intent: str
    topic: str | None = None
    recommendations: dict | None = None
    what_if: dict | None = None
