"""The API's request bodies. Field names are the API's own (the CLI's options in snake case); API_FIELDS maps
them to the core's workload fields, and the bounds and choices come from the core's vocabulary."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from ..vocab import EvidenceChoice
from ..workload import BOUNDS, FIELDS, FieldSpec, Workload

# The API's field names come from the workload's field declarations (workload.FIELDS): API field -> core field.
API_FIELDS = {spec.api: spec.name for spec in FIELDS}
CORE_TO_API = {core: api for api, core in API_FIELDS.items()}
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"

EvidenceName = Literal[EvidenceChoice.values()]
IsoDate = Annotated[str, Field(pattern=DATE_PATTERN, description="a date, YYYY-MM-DD")]


def _bounded(core_field: str, description: str):
    bound = BOUNDS[core_field]
    low = {"gt": bound.low} if bound.low_open else {"ge": bound.low}
    kind = int if bound.integer else float
    return Annotated[kind, Field(le=bound.high, allow_inf_nan=False, description=f"{description} "
                                 f"({bound.describe()})", **low)]


def _api_type(spec: FieldSpec):
    """The pydantic type and default of one workload field, from its declaration."""
    if spec.type == "flag":
        return bool, spec.default
    if spec.type == "choice":
        kind = Literal[spec.choices.values()]
        return (kind | None if spec.optional else kind), (None if spec.default is None else str(spec.default))
    if spec.type == "choices":
        member = Literal[spec.choices.values()]
        return Annotated[list[member], Field(max_length=len(spec.choices), description=spec.help)], []
    if spec.type == "text":
        text = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$",
                                    description=spec.help)]
        return text | None, None
    number = _bounded(spec.name, spec.help)
    return (number | None if spec.optional else number), spec.default


class _RequestBase(BaseModel):
    """Strict: "16" is not a number, 1 not a boolean; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


_WorkloadFields = create_model("_WorkloadFields", __base__=_RequestBase,
                               **{spec.api: _api_type(spec) for spec in FIELDS})


class RecommendRequest(_WorkloadFields):  # type: ignore[misc, valid-type]
    """A workload: every field optional, with the CLI's defaults (one field per workload.FIELDS declaration)."""

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
