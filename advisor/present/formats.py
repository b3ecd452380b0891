"""The formats a ranking is written in, one entry each: its name, media type, file extension, label and renderer.
The CLI's `recommend --format`, the API's `POST /recommend?format=` and the app's download buttons all read this
table, so a new format is one entry here (the code review's change 4; datasette's `register_output_renderer` is the
model). `extra` carries what a face adds to the JSON forms (the evidence a ranking used). The renderers import
their writers when called, so the CLI reads the names without loading the ranking code (its fast start)."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..recommend import Recommendation
    from ..workload import Workload


@dataclass(frozen=True)
class Format:
    """One way to write a ranking: render(catalog, workload, recs, extra) -> the document's text."""

    name: str
    media_type: str
    extension: str
    label: str
    render: Callable[[Catalog, Workload, list[Recommendation], dict], str]


def _text(catalog: Catalog, workload: Workload, recs: list[Recommendation], extra: dict) -> str:
    from .text import recommend_table

    return recommend_table(catalog, workload, recs)


def _markdown(catalog: Catalog, workload: Workload, recs: list[Recommendation], extra: dict) -> str:
    from .markdown import to_markdown

    return to_markdown(catalog, workload, recs)


def _json(catalog: Catalog, workload: Workload, recs: list[Recommendation], extra: dict) -> str:
    from .json import recommend_json

    return json.dumps({**recommend_json(catalog, workload, recs), **extra}, indent=2)


def _jsonl(catalog: Catalog, workload: Workload, recs: list[Recommendation], extra: dict) -> str:
    """One plan a line (JSON Lines), each with the catalog date: a ranking a spreadsheet or `jq` reads row by row."""
    from .json import recommendation_json

    n_feasible = sum(r.feasible for r in recs)
    as_of = catalog.as_of.isoformat()
    return "".join(json.dumps({"as_of": as_of, **recommendation_json(catalog, r, workload, n_feasible)},
                              separators=(",", ":")) + "\n" for r in recs)


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("text", "text/plain; charset=utf-8", "txt", "Text", _text),
    Format("markdown", "text/markdown; charset=utf-8", "md", "Markdown", _markdown),
    Format("json", "application/json", "json", "JSON", _json),
    Format("jsonl", "application/x-ndjson", "jsonl", "JSON Lines", _jsonl),
)}
