"""The chat's part of each workload field, keyed by workload.FIELDS: extra nouns that mark a quantity as the
field's, example answers, and the parser of the fields no question asks about (prefer, students, cannot_provide,
dataset, the job's model, method and sizes, the reference job). A count or size field with nouns in FIELDS needs
no entry here: the generic quantity parser fills it from a quantity attached to one of its nouns.
"""
from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..vocab import Family, JobPrecision, Method, Preference, Requirement
from ..workload import BOUNDS, FIELD_SPECS, FIELDS
from .parse import Match, Quantity, Reading, _key

# What dimension of quantity a field's declared `dimension` takes.
_DIMENSIONS = {"data size": ("memory",), "duration": ("time",), "hours per period": ("time",),
               "money": ("money",), "count": ("number", "params")}


def accepts(name: str, q: Quantity) -> bool:
    """True when a quantity of this dimension can fill the field ("16 GB" a data size, "20k" a count)."""
    spec = FIELD_SPECS.get(name)
    if spec is None or spec.dimension is None:
        return False
    if q.dim == "params" and name not in ("params_billion", "tokens"):
        return False
    return q.dim in _DIMENSIONS.get(spec.dimension, ())


@dataclass(frozen=True)
class ChatField:
    """The chat's attributes of one workload field. nouns: words beside workload.FIELDS' own that mark a
    quantity as this field's. examples: answers that set it (used by tests and help). words: phrases whose
    mention sets it, by value."""

    nouns: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    words: dict | None = None


CHAT_FIELDS: dict[str, ChatField] = {
    "gpu_memory_gib": ChatField(nouns=("gb gpu", "gpu", "card", "vram gpu", "of vram", "gpu mem", "graphics card"),
                                examples=("16 GB", "24 gigs of vram")),
    "session_hours": ChatField(examples=("runs of 6 hours", "overnight")),
    "students": ChatField(nouns=("student", "kids", "pupil"), examples=("for my class of 30", "30 students")),
    "dataset_gib": ChatField(nouns=("of data", "datasets", "training data", "my data", "training set", "train set",
                                    "data set", "test set", "validation set", "dataset size", "data size", "folder",
                                    "folders", "directory", "collection", "archive", "bucket"),
                             examples=("my dataset is 40 GB",)),
    "samples": ChatField(nouns=("example", "sample", "image", "photos", "pictures", "records", "clips", "texts",
                                "prompts", "pairs", "pics", "pic", "imgs", "img", "selfies", "drawings", "renders",
                                "scans", "recordings", "utterances", "dialogues", "conversations", "reviews",
                                "tweets", "emails", "articles", "songs", "videos", "paintings", "artworks",
                                "screenshots", "audio files", "transcripts", "questions"),
                         examples=("on 20k examples",)),
    "epochs": ChatField(examples=("3 epochs",)),
    "batch": ChatField(nouns=("batch size", "batchsize", "bs"), examples=("batch size 32",)),
    "tokens": ChatField(nouns=("token",), examples=("1B tokens",)),
    "params_billion": ChatField(nouns=("b params", "billion parameters"), examples=("a 7b model",)),
    "prefer": ChatField(examples=("I want it fast", "cheapest please"), words={
        Preference.SPEED: ("fast", "fastest", "faster", "quicker", "quickest", "quick", "as fast as possible",
                           "speed first",
                           "speed matters more", "speed matters most", "speed is more important", "speed over price",
                           "speed over cost", "performance matters", "faster is better", "speed is what matters",
                           "speed matters most", "the faster the better", "quickly", "high performance",
                           "maximum speed", "max speed", "top speed", "in a hurry", "sort by speed",
                           "order by speed", "rank by speed", "by speed", "fastest first", "fastest on top",
                           "regardless of price", "regardless of cost", "care most about speed",
                           "care about speed most", "most about speed", "speed is my priority", "speed is the priority",
                           "prioritise speed", "prioritize speed", "speed above all", "speed comes first"),
        Preference.COST: ("price matters more", "cost matters more", "price matters most", "cost matters most",
                          "price is more important", "price over speed", "cost over speed", "cheapest", "cheap",
                          "cheaper", "lowest price", "lowest cost", "least money",
                          "save money", "as cheap as possible", "cost first", "the cheaper the better",
                          "minimum cost", "inexpensive", "budget friendly", "low cost", "sort by price",
                          "sort by cost", "order by price", "order by cost", "by price", "lowest first",
                          "cheapest first", "lowest price first", "cheapest on top", "price ascending",
                          "cheapest one", "least expensive", "lowest cost first", "care most about price",
                          "care most about cost", "most about price", "most about cost", "price is my priority",
                          "cost is my priority", "prioritise cost", "prioritize cost", "prioritise price",
                          "prioritize price", "price comes first", "cost comes first"),
        Preference.VALUE: ("best value", "value for money", "bang for the buck", "bang for my buck",
                           "price performance", "cost performance", "best deal", "good value", "most for my money",
                           "price to performance", "good deal", "per dollar", "per buck",
                           "for the money", "for my money", "for the price", "per $",
                           "performance per", "speed per", "perf per", "bang for buck", "value for the money",
                           "price performance ratio", "cost effective", "cost efficient", "worth the money")}),
    "cannot_provide": ChatField(examples=("I don't have a credit card",), words={
        Requirement.CARD: ("credit card", "credit cards", "debit card", "payment card", "card", "cards",
                           "a card", "visa", "mastercard",
                           "payment method"),
        Requirement.PHONE: ("phone", "phone number", "phone verification", "sms", "mobile number",
                            "cell phone", "telephone")}),
    "method": ChatField(examples=("with qlora",), words={
        Method.QLORA: ("qlora", "qloras", "q lora", "4 bit lora", "quantized lora"),
        Method.LORA: ("lora", "loras", "peft", "adapter", "adapters", "low rank"),
        Method.FULL: ("full fine tuning", "full finetuning", "full fine tune", "full finetune", "full training",
                      "full parameter", "all parameters", "from scratch", "full fine tuned")}),
    "precision": ChatField(examples=("in bf16",), words={
        JobPrecision.FP16: ("fp16", "float16", "half precision", "mixed precision", "16 bit"),
        JobPrecision.BF16: ("bf16", "bfloat16"), JobPrecision.FP32: ("fp32", "float32", "full precision", "32 bit"),
        JobPrecision.TF32: ("tf32",), JobPrecision.INT8: ("int8", "8 bit"), JobPrecision.FP8: ("fp8",)}),
    "family": ChatField(examples=("a CNN",), words={
        Family.CNN: ("cnn", "cnns", "convnet", "convnets", "convolutional", "resnet", "efficientnet", "yolo", "unet",
                     "convnext", "vgg"),
        Family.TRANSFORMER: ("transformer", "transformers", "bert", "vit", "encoder"),
        Family.RNN: ("rnn", "rnns", "lstm", "lstms", "gru", "recurrent"),
        Family.DIFFUSION: ("diffusion", "stable diffusion", "sdxl", "diffusion model", "diffusion models"),
        Family.LLM: ("llm", "llms", "language model", "large language model", "llama", "mistral", "gpt", "qwen",
                     "gemma", "phi")}),
}

# Words that say the user cannot or will not give something ("I don't have a card", "no phone").
_CANNOT = ("do not have", "have no", "no", "without", "cannot", "can not", "will not", "would not", "not",
           "never", "unable", "lack", "lacking", "must not need", "not need", "not require", "not give")
# Words that make 'fast' about the GPU lottery, not about what comes first.
_PREDICT_TOPIC = ("same speed", "steady", "varies", "vary", "variance", "predictable", "consistent",
                  "consistency", "lottery", "stable")


# ---------------------------------------------------------------------------------------------
# The model table: data/models.csv (name, aliases), loaded lazily; absent, a model is kept in the user's words.


@lru_cache(maxsize=4)
def _model_rows(path: str, stamp: float) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    """(name, aliases, model id) of each model in force."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = []
        for row in csv.DictReader(f):
            name = (row.get("name") or "").strip()
            if not name or (row.get("status") or "").strip() in ("retired", "withdrawn"):
                continue
            aliases = tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip())
            model_id = (row.get("model_id") or "").strip()
            rows.append((name, aliases, model_id))
    return tuple(rows)


def model_size(name: str | None, data_dir: Path | None = None) -> float | None:
    """A model's parameters in billions, from data/models.csv (None when unknown)."""
    from ..catalog import DATA_DIR
    if not name:
        return None
    path = Path(data_dir or DATA_DIR) / "models.csv"
    try:
        return _sizes(str(path), path.stat().st_mtime).get(name)
    except (OSError, csv.Error, UnicodeDecodeError):
        return None


@lru_cache(maxsize=4)
def _sizes(path: str, stamp: float) -> dict[str, float]:
    with open(path, newline="", encoding="utf-8") as f:
        out = {}
        for row in csv.DictReader(f):
            try:
                out[(row.get("name") or "").strip()] = float(row.get("params_billion") or "")
            except ValueError:
                continue
    return out


def _compact(text: str) -> str:
    """A model name without case, spaces or punctuation: "Qwen2.5-7B", "qwen 2.5 7b" and "qwen2.5 7b" are one."""
    return "".join(c for c in text.lower() if c.isalnum())


def _compact_models(data_dir: Path | None = None) -> dict[str, str]:
    """Compact name, alias or id -> the model's name ({} when data/models.csv is absent)."""
    from ..catalog import DATA_DIR
    path = Path(data_dir or DATA_DIR) / "models.csv"
    try:
        return _compact_table(str(path), path.stat().st_mtime)
    except (OSError, csv.Error, UnicodeDecodeError):
        return {}


@lru_cache(maxsize=4)
def _compact_table(path: str, stamp: float) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, aliases, model_id in _model_rows(path, stamp):
        for phrase in (name, *aliases, model_id):
            if len(_compact(phrase)) >= 3:
                out.setdefault(_compact(phrase), name)
    return out


# Tokens a model's name may hold between its words ("vit-b/16", "sd 1.5").
_NAME_JOINS = frozenset({"-", "/", ".", "_"})


def model_matches(r: Reading) -> list[Match]:
    """Models named in a message, leftmost-longest, words as typed and compared compactly (case, spaces and
    punctuation ignored: "qwen2.5 7b", "Qwen-2.5-7B"); a name never runs across a comma or a sentence."""
    table = _compact_models()
    if not table:
        return []
    words = [t.typed or t.text for t in r.tokens]
    out, i = [], 0
    while i < len(words):
        best = None
        if words[i].replace(".", "").isalnum():
            key = ""
            for j in range(i, min(len(words), i + 8)):
                w = words[j]
                if w in _NAME_JOINS:
                    continue
                if not w.replace(".", "").isalnum():
                    break
                key += _compact(w)
                if key in table:
                    best = (j + 1, table[key])
        if best:
            out.append(Match(i, best[0], best[1], r.negated[i]))
            i = best[0]
        else:
            i += 1
    return out


def model_phrases(data_dir: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Model name -> its phrases (name and aliases, as the reader's tokens); {} when data/models.csv is absent."""
    from ..catalog import DATA_DIR
    path = Path(data_dir or DATA_DIR) / "models.csv"
    try:
        return dict(_phrases(str(path), path.stat().st_mtime))
    except (OSError, csv.Error, UnicodeDecodeError):
        return {}


@lru_cache(maxsize=4)
def _phrases(path: str, stamp: float) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((name, tuple(dict.fromkeys(_key(p) for p in (name, *aliases) if _key(p))))
                 for name, aliases, _id in _model_rows(path, stamp))


def _typed(r: Reading) -> Reading:
    """The message as typed, without typo correction: a model's name is not a misspelt word ('resnet', 'reset')."""
    if not any(t.typed for t in r.tokens):
        return r
    from dataclasses import replace as _replace

    from .parse import Token
    return _replace(r, tokens=[Token(t.typed or t.text, t.num) for t in r.tokens])


def model_spans(r: Reading) -> list[tuple[int, int]]:
    """Token spans that name a model ("llama 3 8b", "resnet50"): numbers inside them are no quantities."""
    spans = [(m.start, m.end) for m in model_matches(r)]
    qs = r.quantities
    for a, b in zip(qs, qs[1:], strict=False):
        if a.dim == "number" and b.dim == "params" and a.end == b.start and a.start > 0 \
                and r.words[a.start - 1].isalpha():
            spans.append((a.start - 1, b.end))
    return spans


# Words before a size that are no part of a model's name ("fine-tune a 7b", "the model is around 7 billion").
_NOT_NAMES = frozenset({"tune", "tuning", "train", "training", "finetune", "finetuning", "run", "running", "model",
                        "llm", "want", "need", "using", "use", "serve", "serving", "deploy", "it", "its", "we", "i",
                        "and", "or", "parameters", "params", "fine", "big", "small", "large", "this", "that", "some"})


def find_model(r: Reading) -> str | None:
    """The model a message names: the longest match in the model table, else a size said with its name in the
    user's own words ("falcon 7b"), else None."""
    found = [m for m in model_matches(r) if not m.negated]
    if found:
        return max(found, key=lambda m: (m.end - m.start, -m.start)).label
    params = next((q for q in r.quantities if q.dim == "params"), None)
    if params is None or params.start == 0:
        return None
    words = r.words
    j = params.start
    from .nouns import LINKS
    while j > 0 and params.start - j < 3 and (words[j - 1].isalpha() or words[j - 1].isdigit()) \
            and words[j - 1] not in LINKS and words[j - 1] not in _NOT_NAMES:
        j -= 1
    if j == params.start:
        return None
    head = " ".join(words[j:params.start])
    return f"{head} {params.value / 1e9:g}b"[:40]


# ---------------------------------------------------------------------------------------------
# Parsers of the fields no question asks about. Each takes the Context and returns a Finding or None.


def _finding():
    from .questions import Finding
    return Finding


def prefer_matches(r: Reading) -> list:
    """Phrases of what comes first ("cheapest first", "speed per dollar"), not negated."""
    words = CHAT_FIELDS["prefer"].words
    return [m for m in r.match({str(k): v for k, v in words.items()}) if not m.negated]


def parse_prefer(ctx) -> object | None:
    r = ctx.reading
    found = [m for m in prefer_matches(r) if not r.clause_has(m.start, _PREDICT_TOPIC)]
    if not found:
        return None
    labels = {m.label for m in found}
    value = Preference.VALUE if {"speed", "cost"} <= labels else Preference(found[-1].label)
    return _finding()("prefer", {"prefer": str(value)}, f"{value.label}")


def parse_cannot_provide(ctx) -> object | None:
    r = ctx.reading
    found = r.match({str(k): v for k, v in CHAT_FIELDS["cannot_provide"].words.items()})
    said = []
    for m in found:
        before = r.words[max(0, m.start - 5):m.start]
        if _hardware_card(r, m):
            continue
        if m.negated or r.clause_has(m.start, _CANNOT) and any(w in ("not", "no", "without", "cannot", "never",
                                                                      "unable", "lack") for w in before):
            said.append(m.label)
    if not said or r.is_question:
        return None
    values = sorted(set(ctx.values.get("cannot_provide") or []) | set(said))
    text = " or ".join(Requirement(v).label for v in values)
    return _finding()("cannot_provide", {"cannot_provide": values}, f"you cannot provide {text}")


def _hardware_card(r, m) -> bool:
    """'I can't buy a $1600 card', 'no graphics card': a card said plainly that is a GPU, not a way to pay."""
    if " ".join(r.words[m.start:m.end]) not in ("card", "cards", "a card"):
        return False
    near = r.words[max(0, m.start - 3):m.start]
    priced = any(q.dim == "money" and m.start - 2 <= q.end <= m.start for q in r.quantities)
    return priced or bool(set(near) & {"graphics", "gpu", "video", "nvidia", "amd", "new", "used", "own"}) or \
        r.clause_has(m.start, ("buy", "purchase", "afford a", "upgrade"))


def _choice_parser(name: str, enum) -> Callable:
    """A parser that sets a choice field from its words (CHAT_FIELDS[name].words), the first not negated."""
    def parse(ctx) -> object | None:
        r = ctx.reading
        found = [m for m in _typed(r).match({str(k): v for k, v in CHAT_FIELDS[name].words.items()})
                 if not m.negated]
        if not found:
            return None
        return _choice_finding(name, enum(found[0].label))
    parse.__name__ = f"parse_{name}"
    return parse


def _choice_finding(name: str, value) -> object:
    """The finding that sets a choice field, said back with the field's and the value's labels."""
    return _finding()(name, {name: str(value)}, f"{FIELD_SPECS[name].label}: {value.label}")


_parse_method_words = _choice_parser("method", Method)


def parse_method(ctx) -> object | None:
    """The method: its words ("with qlora", "full fine-tune"), else inference for a named model whose work is
    inference ("transcribing with whisper small", "phi-3 mini inference for a bot")."""
    found = _parse_method_words(ctx)
    if found is not None:
        return found
    from .questions import parse_kind
    kind = parse_kind(ctx)
    if kind is None or kind.changes.get("kind") != "inference" or not find_model(ctx.reading):
        return None
    return _choice_finding("method", Method.INFERENCE)


parse_precision = _choice_parser("precision", JobPrecision)
parse_family = _choice_parser("family", Family)


def parse_model(ctx) -> object | None:
    r = ctx.reading
    name = find_model(r)
    changes = {}
    if name:
        changes["model"] = name
    params = next((q for q in r.quantities if q.dim == "params" and not _is_tokens(r, q)), None)
    if params is not None and BOUNDS["params_billion"].accepts(params.value / 1e9):
        changes["params_billion"] = round(params.value / 1e9, 6)
    elif name and ctx.values.get("model") not in (None, name):
        changes["params_billion"] = None  # another model: the size said for the last one no longer holds
    if not changes:
        return None
    said = f"the model {name}" if name else f"a {changes['params_billion']:g}B-parameter model"
    return _finding()("model", changes, said)


def _is_tokens(r: Reading, q: Quantity) -> bool:
    return any(w in ("tokens", "token") for w in r.words[q.end:q.end + 2])


def parse_counts(ctx) -> object | None:
    """Every count or size field filled from a quantity attached to one of its nouns ("20k examples", "3 epochs",
    "batch 32", "class of 30", "dataset of 40 GB"): the questions' own fields are left to their parsers."""
    from .nouns import attached
    from .questions import QUESTION_BY_NAME
    r = ctx.reading
    changes, said = {}, []
    for a in attached(r):
        name = a.field
        if name in (None, "foreign", "params_billion", "reference_hours") or name in QUESTION_BY_NAME or a.denied:
            continue
        if not accepts(name, a.quantity):
            continue
        value = a.quantity.value
        if name == "dataset_gib":
            value = round(value, 3)
        spec = FIELD_SPECS[name]
        if spec.type == "integer":
            value = int(round(value))
        if not BOUNDS[name].accepts(value) or name in changes:
            continue
        if value == 1 and a.noun_after and not a.noun.endswith("s"):
            continue  # "one epoch takes 2 hours": 'one' picks the epoch out, it does not count epochs
        changes[name] = value
        said.append(f"{spec.label}: {value:,g}")
    if not changes:
        return None
    return _finding()(next(iter(changes)), changes, "; ".join(said))


# A time said with a GPU and one of these, without a verb, is a reference time ("an epoch is 40 min on a t4"); a run's
# length on a GPU ("runs of 6 hours on a t4") stays the longest run.
_EPOCH_WORDS = ("epoch", "epochs", "step", "steps", "iteration", "iterations", "one pass")


def parse_reference(ctx) -> object | None:
    """'my epoch takes 20 minutes on Colab's T4': the job's hours on a named GPU."""
    from .nouns import gpu_names
    r = ctx.reading
    words = r.words
    gpu = None
    for start, _end, names in gpu_names(words):
        gpu = next((g for g in map(ctx.gpu_id, names) if g), None)
        if gpu:
            gpu_at = start
            break
    if gpu is None:
        return None
    # "an epoch is 40 min on a t4": a duration said with the GPU it ran on, with or without a verb
    on_gpu = [q for q in r.quantities if q.dim == "time" and q.per_month is None and words[q.end:q.end + 1] == ["on"]
              and 0 < gpu_at - q.end <= 3 and r.clause_has(q.start, _EPOCH_WORDS)]
    if not on_gpu and "on" in words[max(0, gpu_at - 3):gpu_at]:
        # "on an l4 one epoch is 25 minutes": the GPU first, then the time of an epoch in the same clause
        on_gpu = [q for q in r.quantities if q.dim == "time" and q.per_month is None and q.start > gpu_at
                  and r.clause[q.start] == r.clause[gpu_at] and r.clause_has(q.start, _EPOCH_WORDS)]
    if not on_gpu and not r.has(("takes", "took", "take", "taking", "runs in", "ran in", "finishes in")):
        return None
    times = on_gpu or [q for q in r.quantities if q.dim == "time" and q.per_month is None
                       and r.clause[q.start] == r.clause[gpu_at]]
    times = times or [q for q in r.quantities if q.dim == "time" and q.per_month is None]
    if not times:
        return None
    hours = round(times[0].value, 4)
    if not BOUNDS["reference_hours"].accepts(hours):
        return None
    return _finding()("reference_hours", {"reference_hours": hours, "reference_gpu": gpu},
                      f"your job takes {hours:g} h on the {gpu.upper()}")


SIDE_FIELD_PARSERS: tuple[Callable, ...] = (parse_prefer, parse_cannot_provide, parse_method, parse_precision,
                                            parse_family, parse_model, parse_counts, parse_reference)

assert set(CHAT_FIELDS) <= {s.name for s in FIELDS}, "CHAT_FIELDS names a field FIELDS does not declare"
