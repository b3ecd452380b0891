"""The offline table of common models (data/models.csv): parameters and architecture, looked up by name or alias."""
from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..catalog import DATA_DIR
from ..catalog.load import read_data_file
from ..errors import CatalogError, UnknownModelError
from ..vocab import Family

MODELS_FILE = "models.csv"


@dataclass(frozen=True)
class ModelSpec:
    """A model: params_billion (10^9 parameters), layers, hidden (width), heads, kv_heads, vocab, context_tokens,
    forward_gmacs (10^9 multiply-adds per sample, for models priced per sample: CNNs, ViT); None where not given."""

    model_id: str
    name: str
    aliases: tuple[str, ...]
    family: Family
    params_billion: float
    layers: int | None
    hidden: int | None
    heads: int | None
    kv_heads: int | None
    vocab: int | None
    context_tokens: int | None
    forward_gmacs: float | None
    source: str
    as_of: str


def _key(name: str) -> str:
    """Spelling-insensitive key: 'Llama 3 8B', 'llama-3-8b' and 'LLAMA3 8b' all match."""
    return re.sub(r"[^a-z0-9.]", "", name.lower())


@lru_cache(maxsize=4)
def load_models(data_dir: str = str(DATA_DIR)) -> dict[str, ModelSpec]:
    """Every model in models.csv by model_id."""
    path = Path(data_dir) / MODELS_FILE
    try:
        rows = list(csv.DictReader(io.StringIO(read_data_file(path), newline="")))
    except csv.Error as exc:
        raise CatalogError(f"{MODELS_FILE}: not valid CSV ({exc})") from None
    out = {}
    for line, row in enumerate(rows, start=2):
        def num(column, cast=float, row=row, line=line):
            raw = (row.get(column) or "").strip()
            try:
                return cast(raw) if raw else None
            except ValueError:
                raise CatalogError(f"{MODELS_FILE}, line {line}, field '{column}': '{raw}' is not a number") from None
        if (row.get("status") or "").strip() == "unverified":
            continue
        params = num("params_billion")
        if not params or params <= 0 or not (row.get("source") or "").strip():
            raise CatalogError(f"{MODELS_FILE}, line {line}: needs params_billion above 0 and a source")
        out[row["model_id"]] = ModelSpec(
            row["model_id"], row["name"], tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip()),
            Family(row["family"]), params, num("layers", int), num("hidden", int), num("heads", int),
            num("kv_heads", int), num("vocab", int), num("context_tokens", int), num("forward_gmacs"),
            row["source"], row["as_of"])
    return out


def find_model(name: str, data_dir: str = str(DATA_DIR)) -> ModelSpec:
    """The model named `name` (its id, name or an alias, spelling-insensitive); UnknownModelError with a
    "did you mean" otherwise."""
    models = load_models(data_dir)
    wanted = _key(name)
    for spec in models.values():
        if wanted in {_key(spec.model_id), _key(spec.name), *(_key(a) for a in spec.aliases)}:
            return spec
    spellings: dict[str, str] = {}
    for spec in models.values():
        for spelling in (spec.model_id, spec.name, *spec.aliases):
            spellings.setdefault(spelling.lower(), spec.name)
    close = difflib.get_close_matches(name.lower(), list(spellings), n=6, cutoff=0.5)
    names = list(dict.fromkeys(spellings[c] for c in close))[:3]
    hint = f" (did you mean {' or '.join(names)}?)" if names else ""
    raise UnknownModelError(f"unknown model '{name}'{hint}; known: {', '.join(sorted(models))}. "
                            "Or give --params (billions) instead")
