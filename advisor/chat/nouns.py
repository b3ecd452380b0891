"""Quantities belong to nouns: each quantity of a message keeps the words it came from (its surface) and the noun
it measures, so "16 GB GPU, 40 GB dataset" cannot fill one field with the other, "384px" fills nothing, and a number
that is denied ("16 GB, not 384", "6 GB is not enough") is never taken.

The nouns that mark a quantity as a field's come from the field's declaration (workload.FIELDS `nouns`) and the
chat's extra words for it (chat.fields.CHAT_FIELDS); FOREIGN_NOUNS are things the advisor does not ask about.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..workload import FIELDS
from . import lexicon as lx
from .parse import Quantity, Reading, _key

# What a quantity may measure that is no workload field: image sizes, experience, people, layers, ...
FOREIGN_NOUNS = ("px", "pixel", "pixels", "resolution", "year", "years", "experience", "people", "users",
                 "layers", "classes", "labels", "bit", "bits", "percent", "cores", "cpus", "cpu", "threads",
                 "replicas", "replica", "kids", "members", "team", "persons", "employees", "times", "steps",
                 "hz", "fps", "dpi", "k80", "lira", "features", "columns", "gpus", "cards", "yr", "yrs",
                 # the computer's own memory and disk are not the GPU's ("my laptop has 32 GB RAM")
                 "ram", "system ram", "cpu ram", "laptop ram", "system memory", "disk", "disk space", "storage",
                 "ssd", "hdd", "hard drive", "hard disk", "drive", "space",
                 # software and its versions ("python 3.11, torch 2.3, cuda 12")
                 "python", "torch", "pytorch", "cuda", "cudnn", "tensorflow", "tf", "jax", "keras", "version",
                 "versions", "ubuntu", "transformers", "driver", "drivers", "numpy", "windows", "macos", "release")
# Words after "16 GB of" that say the GPU's memory ("of graphics memory", "of video ram"), not a size of data.
_MEMORY_HINTS = frozenset(lx.MEMORY_WORDS) | {"graphics", "gpu", "video", "memory", "vram", "ram", "card", "mem"}
# A number after "in", "since", "from" in this span is a year, as is one beside a season or a term ("the 2025
# spring semester", "fall 2024").
YEARS = (1950, 2100)
_TERMS = frozenset({"spring", "summer", "fall", "autumn", "winter", "semester", "term", "season", "quarter",
                    "academic", "school", "year", "edition", "cohort", "class", "intake", "session"})
# What a platform does to a session after some time ("kills my session after 90 minutes"): its limit, not the run.
_CUT_OFF = ("kills", "killed", "kill", "disconnects", "disconnected", "disconnect", "times out", "timed out",
            "shuts down", "shut down", "cuts off", "cut off", "cuts me off", "kicks me", "kicked", "logs me out",
            "stops my", "terminates", "terminated", "dies", "crashes", "resets", "idle")
# Money for a thing bought ("a $1600 card") is no monthly budget, nor is money paid already ("my last bill was
# $45", "I already pay 10 for Colab Pro").
PURCHASES = frozenset({"card", "gpu", "laptop", "computer", "pc", "rig", "desktop", "workstation", "mac", "macbook",
                       "machine", "server", "graphics"})
_BOUGHT = ("buy", "bought", "purchase", "purchased", "costs", "cost", "price of", "priced")
PAID_ALREADY = ("bill was", "bills were", "last bill", "invoice was", "paid", "spent", "already pay",
                "already paying", "already spend", "currently pay", "currently paying", "currently spend", "now pay",
                "cost me", "was charged", "were charged")
# Words that may stand between a noun and its number ("dataset is 40 GB", "vram: 24", "a class of 30").
LINKS = frozenset({"is", "are", "was", "be", "of", "=", ":", "about", "around", "like", "maybe", "roughly", "to",
                   "the", "my", "our", "a", "an", "approx", "approximately", "~", "just", "only", "at", "least",
                   "most", "under", "over", "has", "have", "with", "takes", "needs", "uses", "set",
                   "for", "per", "on", "in", "s", "itself", "alone", "probably", "currently", "now"})
# Words after a number that deny it: "6 GB is not enough", "384 is wrong".
DENIED_AFTER = ("it is not enough", "that is not enough", "is not enough", "will not be enough",
                "wo not be enough", "not enough", "is too small", "is too little", "too small", "too little",
                "is wrong", "was wrong", "is a typo", "was a typo", "is not right", "is too few", "is not it",
                "not really", "is incorrect", "was incorrect", "is not correct")
# Words before a number that deny it: "not 384", "more than 6", "instead of 12".
DENIED_BEFORE = (("not",), ("no",), ("never",), ("instead", "of"), ("rather", "than"), ("than",), ("isn't",),
                 ("except",), ("nor",), ("not", "even"))


@dataclass(frozen=True)
class Attached:
    """A quantity with the words it came from and the noun it measures. field: the workload field its noun
    marks (None: no noun said; 'foreign': a noun no field takes). denied: said to be wrong ("not 384")."""

    quantity: Quantity
    surface: str
    noun: str | None
    field: str | None
    denied: bool
    noun_after: bool = False


@lru_cache(maxsize=1)
def noun_table() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Noun phrase (as tokens) -> the fields it marks, in FIELDS order, longest phrase first; FOREIGN_NOUNS ->
    ('foreign',)."""
    from .fields import CHAT_FIELDS
    out: dict[tuple[str, ...], tuple[str, ...]] = {}
    for spec in FIELDS:
        extra = CHAT_FIELDS[spec.name].nouns if spec.name in CHAT_FIELDS else ()
        # the field's own label is a noun for it too ("set notebooks at once to 2", "longest uninterrupted run: 6")
        label = spec.label.split("(")[0].strip().lower()
        for noun in spec.nouns + extra + ((label,) if len(label.split()) >= 2 and spec.nouns else ()):
            key = tuple(_key(noun).split())
            if spec.name not in out.get(key, ()):
                out[key] = out.get(key, ()) + (spec.name,)
    for noun in FOREIGN_NOUNS:
        out.setdefault((noun,), ("foreign",))
    return dict(sorted(out.items(), key=lambda kv: -len(kv[0])))


def _noun_at(words: list[str], i: int) -> tuple[str, tuple[str, ...]] | None:
    """The longest noun at i; a word said exactly wins over a plural read as its singular ("gpus" is a count of
    cards, not "gpu" memory)."""
    table = noun_table()
    for phrase, names in table.items():
        if tuple(words[i:i + len(phrase)]) == phrase:
            return " ".join(phrase), names
    word = words[i] if i < len(words) else ""
    if len(word) > 3 and word.endswith("s") and (word[:-1],) in table:
        return word, table[(word[:-1],)]
    return None


def gpu_names(words: list[str]) -> list[tuple[int, int, tuple[str, ...]]]:
    """GPUs named in a message: (start, end, names to look up, most specific first). "a100 80gb" is tried as
    "a100-80gb" before "a100"; "rtx 4090" as "rtx4090"."""
    out = []
    for i, w in enumerate(words):
        if not gpu_named_at(words, i) or i > 0 and words[i - 1] in lx.GPU_BRANDS and not w.isdigit():
            continue
        start = i - 1 if w.isdigit() and i > 0 and words[i - 1] in lx.GPU_BRANDS else i
        base = "".join(words[start:i + 1])
        end, names = i + 1, [base]
        if i + 2 < len(words) and words[i + 1].isdigit() and words[i + 2] in ("gb", "g", "gig", "gigs", "gib"):
            end, names = i + 3, [f"{base}-{words[i + 1]}gb", base]
        out.append((start, end, tuple(names)))
    return out


def gpu_named_at(words: list[str], i: int) -> bool:
    """True when the word at i names a GPU ("a100", "t4", "rtx 4090", "a 3060")."""
    w = words[i] if 0 <= i < len(words) else ""
    return bool(lx.GPU_NAME.match(w)) or bool(lx.GPU_NUMBER.match(w)) or \
        w.isdigit() and i > 0 and words[i - 1] in lx.GPU_BRANDS


def noun_fields(noun: str | None) -> tuple[str, ...]:
    """The fields a noun may mark, whatever the quantity's dimension."""
    if not noun:
        return ()
    hit = _noun_at(noun.split(), 0)
    return hit[1] if hit else ()


def _denied(r: Reading, q: Quantity) -> bool:
    words = r.words
    j = q.start - 1
    # "instead of $5": the phrase is tried before the filler words are skipped, as its own 'of' is one of them
    while j >= 0 and words[j] in ("like", "about", "around", "even", "the", "of", "gb", "hours", "just") and not (
            j >= 1 and tuple(words[j - 1:j + 1]) in DENIED_BEFORE):
        j -= 1
    for phrase in DENIED_BEFORE:
        n = len(phrase)
        if j - n + 1 >= 0 and tuple(words[j - n + 1:j + 1]) == phrase and r.clause[j] == r.clause[q.start]:
            # "more than 6" denies 6 only as the answer; "no more than 20 dollars" is a budget of 20.
            if phrase == ("than",) and j >= 2 and words[j - 2] in ("no", "not", "never", "nothing"):
                return False
            # "I don't want to pay more than $20", "can't spend more than 30": a negated 'more than' is a ceiling
            if phrase == ("than",) and j >= 1 and words[j - 1] in (
                    "more", "over", "above", "longer", "bigger", "larger", "higher") and any(
                    w in ("not", "never", "no") and r.clause[k] == r.clause[q.start]
                    for k, w in enumerate(words[max(0, j - 8):j - 1], max(0, j - 8))):
                return False
            if phrase == ("than",) and j >= 1 and words[j - 1] in ("less", "fewer", "under", "below"):
                return False
            return True
    after = " ".join(words[q.end:q.end + 5])
    return any(after.startswith(p) for p in DENIED_AFTER) or _replaced_later(r, q)


# Words between two figures of one kind that take the first one back ("$10... no, make that $12").
SELF_CORRECTIONS = ("no", "nope", "wait", "sorry", "i mean", "i meant", "make that", "make it", "or rather",
                    "rather", "actually", "correction", "scratch that", "oops")


def _replaced_later(r: Reading, q: Quantity) -> bool:
    """True when a later figure of the same kind follows a self-correction said after this one: the person took
    this one back in the same message."""
    later = next((x for x in r.quantities if x.start >= q.end and (
        x.dim == q.dim and x.per_month == q.per_month or x.dim == "number" and x.noun is None and x.currency is None
        and x.per_month is None)), None)
    if later is None:
        return False
    between = r.words[q.end:later.start]
    text = " " + " ".join(between) + " "
    return any(f" {cue} " in text for cue in SELF_CORRECTIONS) and len(between) <= 8


def attach(r: Reading, q: Quantity) -> Attached:
    """The noun a quantity measures: the words right after it ("40 GB of data", "20k examples", "384px") win over
    the words before it in its clause ("my dataset is 40 GB", "vram: 24", "class of 30")."""
    from .fields import accepts, model_spans
    words = r.words
    noun = field = None
    i = q.end
    while i < len(words) and i < q.end + 3 and words[i] in ("of", "the", "my", "our", "for", "-", "in", "gpu's",
                                                           "on"):
        i += 1
    hit = _noun_at(words, i) if i < len(words) else None
    after = hit is not None
    if hit is not None and after and not any(accepts(n, q) for n in hit[1]) and hit[1] != ("foreign",):
        # "disk needs 200 GB for checkpoints": a noun after that no field of this dimension takes leaves the say to
        # the noun before ("disk")
        before = _noun_before(r, q)
        if before is not None and before[1] == ("foreign",):
            hit, after = before, False
    if hit is not None and after and hit[1] == ("foreign",) and words[q.end:q.end + 1] == ["on"]:
        # "dataset is 200 GB on disk": where the data lies is no measure of it; the noun before says what it is
        before = _noun_before(r, q)
        if before is not None and any(accepts(n, q) for n in before[1]):
            hit, after = before, False
    if hit is None and q.dim == "memory" and words[q.end:q.end + 1] == ["of"] and q.end + 1 < len(words) \
            and words[q.end + 1][:1].isalpha() and not set(words[q.end + 1:q.end + 4]) & _MEMORY_HINTS:
        # "8 GB of text", "500 GB of satellite tiles": a size of some stuff is the data's, never the GPU's memory
        hit, after = ("of data", ("dataset_gib",)), True
    if hit is None or words[max(0, q.start - 2):q.start] in (["batch", "of"], ["batches", "of"]) or \
            words[max(0, q.start - 3):q.start] == ["batch", "size", "of"]:
        # "a batch of 8 images": the batch, not the images
        hit = _noun_before(r, q) or hit
    if i < len(words) and words[q.end:q.end + 1] in (["x"], ["×"], ["by"]) and q.end + 1 < len(words) \
            and words[q.end + 1][:1].isdigit():
        hit = ("dimensions", ("foreign",))  # "640x640", "1024 by 768": an image size
    if q.start >= 2 and words[q.start - 1] in ("x", "×") and words[q.start - 2][:1].isdigit():
        hit = ("dimensions", ("foreign",))
    if q.dim == "number" and q.low is None and YEARS[0] <= q.value <= YEARS[1] and q.value == int(q.value) \
            and words[q.start - 1:q.start] in (["in"], ["since"], ["from"], ["until"], ["by"], ["of"]):
        hit = ("year", ("foreign",))  # "in 2024 I used ...", "since 2023": a year
    if q.dim == "number" and q.low is None and YEARS[0] <= q.value <= YEARS[1] and q.value == int(q.value) \
            and (q.noun is None or q.noun in _TERMS) and (words[q.start - 1:q.start] in (["the"], ["during"], ["for"])
                                    or set(words[max(0, q.start - 1):q.end + 2]) & _TERMS):
        hit = ("year", ("foreign",))  # "during the 2025 spring semester"
    if q.dim in ("money", "number") and q.per_month is None:
        k = q.end
        while k < len(words) and words[k] in ("for", "on", "a", "an", "the", "new", "used", "my"):
            k += 1
        clause_before = " " + " ".join(w for j, w in enumerate(words[max(0, q.start - 5):q.start], max(0, q.start - 5))
                                       if r.clause[j] == r.clause[q.start]) + " "
        # "a $1600 card", "a $2000 laptop", "a gpu that costs $1600"; not "$20 for GPU time", "$20 on a machine"
        bought = words[q.end:q.end + 1] and words[q.end] in PURCHASES or k < len(words) and words[k] in PURCHASES \
            and r.clause_has(q.start, _BOUGHT)
        if q.dim == "money" and bought and words[k + 1:k + 2] not in (
                ["plan"], ["plans"], ["subscription"], ["rental"], ["hours"], ["hour"], ["time"], ["instance"],
                ["instances"], ["notebook"], ["notebooks"], ["service"], ["access"], ["cloud"], ["usage"]):
            hit = ("purchase", ("foreign",))  # "I can't buy a $1600 card"
        elif any(f" {p} " in clause_before for p in PAID_ALREADY):
            hit = ("money paid already", ("foreign",))  # "my last cloud bill was $45"
    if q.dim == "time" and words[q.start - 1:q.start] == ["after"] and r.clause_has(q.start, _CUT_OFF):
        hit = ("a plan's cut-off", ("foreign",))  # "colab kills my session after 90 minutes when I walk away"
    if q.dim == "memory" and words[q.start - 1:q.start] == ["with"] and q.start >= 2 and (
            gpu_named_at(words, q.start - 2) or words[q.start - 2] in lx.GPU_BRANDS):
        hit = ("gpu variant", ("foreign",))  # "my old GTX with 6GB", "a T4 with 16 GB": a card's memory
    if q.dim == "memory" and (gpu_named_at(words, q.start - 1) or words[q.start - 1:q.start] == ["-"]
                              and gpu_named_at(words, q.start - 2)):
        hit = ("gpu variant", ("foreign",))  # "an a100 80gb", "rtx 4090 24gb": the card's memory, said in its name
    if q.dim == "number" and q.low is None and gpu_named_at(words, q.start) and q.end == q.start + 1:
        hit = ("gpu name", ("foreign",))  # "a 3060", "rtx 4090"
    if any(start <= q.start and q.end <= end for start, end in model_spans(r)) and q.dim in ("number", "params"):
        hit = ("model name", ("foreign",)) if q.dim == "number" else hit
    if hit:
        noun = hit[0]
        names = hit[1]
        field = "foreign" if names == ("foreign",) else next((n for n in names if accepts(n, q)), None)
    surface = " ".join(words[q.start:q.end])
    return Attached(q, surface, noun, field, _denied(r, q), after)


def _noun_before(r: Reading, q: Quantity) -> tuple[str, tuple[str, ...]] | None:
    """The noun before a quantity in its clause, over linking words only ("disk needs 200 GB")."""
    words = r.words
    j = q.start - 1
    while j >= 0 and q.start - j <= 4 and r.clause[j] == r.clause[q.start]:
        for k in range(max(0, j - 2), j + 1):
            found = _noun_at(words, k)
            if found and k + len(found[0].split()) - 1 == j:
                return found
        if words[j] not in LINKS:
            return None
        j -= 1
    return None


def attached(r: Reading) -> list[Attached]:
    """Every quantity of a message with its noun."""
    return [attach(r, q) for q in r.quantities]


def denied_values(r: Reading) -> list[float]:
    """The numbers a message says are wrong ("16 GB not 384": [384])."""
    return [a.quantity.value for a in attached(r) if a.denied]
