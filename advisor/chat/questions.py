"""The questionnaire: one record per question owns its parser, its description, its quick replies and its label.

Each parser reads a Reading (advisor.chat.parse) and returns a Finding: the Workload fields it sets, what to say
back, or the problem that stops it (a value out of range, an amount in a currency without a rate).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ..present.labels import money
from ..vocab import DAYS_PER_MONTH, HOURS_PER_MONTH, WEEKS_PER_MONTH, Kind, Need, Predictability
from ..workload import BOUNDS
from . import lexicon as lx
from .fields import SIDE_FIELD_PARSERS, prefer_matches
from .nouns import attach, gpu_names, noun_fields
from .parse import Match, Quantity, Reading, interjection

# The fields the questionnaire asks about (the quantity router's own); other fields take only attached quantities.
QUESTION_FIELDS = ("kind", "gpu_memory_gib", "session_hours", "gpu_hours_per_month", "notebooks_at_once",
                   "budget_usd_per_month")

# ---------------------------------------------------------------------------------------------
# What a parser finds


@dataclass
class Finding:
    """What one message says about one question: the fields it sets (None unsets), the words said back, or a
    problem (nothing is taken then). question: the question it answers (closed when taken)."""

    question: str
    changes: dict = field(default_factory=dict)
    said: str = ""
    problem: str | None = None
    ambiguous: bool = False


@dataclass
class Context:
    """What a parser may look at besides the message: the question being asked, the answers so far, and
    usd(currency) -> (usd_per_unit, as_of date text) or None, for amounts in other currencies."""

    reading: Reading
    asking: str | None
    values: dict
    usd: Callable[[str], tuple[float, str] | None]
    hypothetical: bool = False
    gpu_memory: Callable[[str], float | None] = lambda name: None
    gpu_id: Callable[[str], str | None] = lambda name: None

    def current(self, name: str) -> bool:
        return self.asking == name


def _hours(value: float) -> str:
    """'5 hours', '2 h 30 min', '45 minutes'."""
    if value < 1:
        return f"{value * 60:.0f} minutes"
    whole, minutes = int(value), round((value - int(value)) * 60)
    if minutes and minutes != 60 and abs(value * 4 - round(value * 4)) < 1e-9 and whole:
        return f"{whole} h {minutes:02d} min"
    return f"{value:g} hour{'s' if value != 1 else ''}" if value == round(value, 2) else f"about {value:.1f} hours"


def _out_of_range(name: str, value: float, label: str) -> str:
    """'That can't work: a run must be hours from 0.01 to 730.5 (you said -5)'."""
    return f"That can't work: {label} must be {BOUNDS[name].describe()} (you said {value:g})"


def _negatives(qs: list[Quantity]) -> list[Quantity]:
    return [q for q in qs if q.negative or q.value < 0]


# ---------------------------------------------------------------------------------------------
# Which field each quantity belongs to


# Words a question about a figure has at least ("is colab pro+ really $50?"); fewer is a tentative answer.
QUESTION_WORDS = 4


def asked_quantities(r: Reading) -> set[int]:
    """Where the quantities of a question sentence start, when the message also states quantities outside one
    ("kaggle gives 30 hours a week right? i'd only use maybe 20 a month"): a figure asked about is no answer."""
    sentence, ends, asked = 0, [], []
    for i, w in enumerate(r.words):
        if w in ("?", ".", "!"):
            # a tentative answer ("maybe 16GB?") is no question about a figure
            said = [x for x in r.words[sentence:i] if x.isalnum()]
            ends.append((sentence, i, w == "?" and len(said) >= QUESTION_WORDS and said[0] not in lx.APPROX_WORDS))
            sentence = i + 1
    ends.append((sentence, len(r.words), False))
    for q in r.quantities:
        asked.append(next((question for start, end, question in ends if start <= q.start < end + 1), False))
    if all(asked) or not any(asked):
        return set()
    return {q.start for q, question in zip(r.quantities, asked, strict=True) if question}


def assign(r: Reading, asking: str | None) -> dict[str, list[Quantity]]:
    """Quantities by the field they answer. A unit or a rate says which field ("16 GB", "10 hours a week",
    "$10"); a bare number belongs to the field its clause names ("budget 20", "2 notebooks") or else to the
    question being asked."""
    out: dict[str, list[Quantity]] = {}
    words = r.words

    def cue(q: Quantity, phrases) -> bool:
        return r.clause_has(q.start, phrases)

    previous: Quantity | None = None
    listing, last = _listing(r), None
    foreign_at = [x.end for x in r.quantities if attach(r, x).field == "foreign"
                  and attach(r, x).noun not in ("gpu name", "gpu variant")]
    asked = asked_quantities(r)
    for q in r.quantities:
        target = None
        a = attach(r, q)
        counted_period = q.idiom and previous is not None and previous.noun is not None \
            and previous.end == q.start - 1 and words[q.start - 1] == previous.noun
        previous = q
        # A bare number before a noun no field of its dimension takes counts that noun ("3 runs", "2 times").
        # So does a number of things a field names, that field taking no count ("3 datasets": no dataset size).
        counted = q.dim == "number" and a.noun_after and a.field is None and bool(
            {"session_hours", "gpu_hours_per_month", "dataset_gib"} & set(noun_fields(a.noun)))
        # A bare number soon after a number of something no field takes counts the same thing ("1 replica for
        # now, maybe 2 later"): it is asked about, not guessed.
        counted = counted or q.dim == "number" and a.noun is None and any(0 < q.start - e <= 6 for e in foreign_at) \
            and not cue(q, lx.NEED_VERBS)  # "32 GB RAM but the gpu part needs 8": the 8 is what the job needs
        if a.denied or a.field == "foreign" or counted_period or counted or q.start in asked:
            # "3 runs a week" counts runs: it is no run length
            # "not 384", "6 GB is not enough", "384px", "2-3 runs a week" (a period, not a week-long run)
            continue
        if a.field is not None and (a.field not in QUESTION_FIELDS or q.dim in ("memory", "number")):
            if a.field != "reference_hours":
                out.setdefault(a.field, []).append(q)
                last = a.field
                continue
        if q.dim == "memory":
            target = "gpu_memory_gib"
        elif q.dim == "money":
            target = "budget_usd_per_month"
        elif q.dim == "frequency":
            target = "gpu_hours_per_month"
        elif q.dim == "time":
            # A period said apart from a duration at the session question is how often, not a total ("every day I
            # run one 3 hour job").
            session_like = q.period_apart and (asking == "session_hours" or cue(q, lx.SESSION_CUES))
            if q.per_month is not None and not session_like or cue(q, ("gpu hours", "in total", "total", "usage")):
                target = "gpu_hours_per_month"
            elif asking in ("session_hours", "gpu_hours_per_month") and not (
                    asking == "gpu_hours_per_month" and cue(q, lx.SESSION_CUES)):
                target = asking
            elif cue(q, lx.SESSION_CUES) or q.idiom and asking not in ("gpu_hours_per_month",) or \
                    cue(q, ("up to", "long", "hours long", "at a time")) or r.has(lx.SESSION_CUES[:6]) or \
                    listing and _alone(r, q) or asking != "gpu_hours_per_month" and any(
                        x.dim == "time" and x.per_month is not None and not x.period_apart for x in r.quantities) or \
                    asking in ("kind", "gpu_memory_gib") and len(set(r.clause)) >= 2 and _alone(r, q):
                # In a list of answers ("training, 16gb, 4 h, 20 h a month") or beside GPU time said with its period
                # ("6h 40h per month"), a duration without a period is the longest run.
                target = "session_hours"
        elif q.dim == "number":
            after = words[q.end:q.end + 3]
            named = _named_field(words, q.start)
            if named:
                target = named
            elif q.noun in lx.NOTEBOOK_NOUNS or any(w in lx.NOTEBOOK_NOUNS for w in after[:2]) or \
                    r.find(lx.NOTEBOOK_CUES) and any(m.start in (q.end, q.end + 1) for m in r.find(lx.NOTEBOOK_CUES)):
                target = "notebooks_at_once"
            elif q.noun in ("epochs", "epoch", "people", "images", "photos", "gpus", "gpu", "years", "params",
                            "parameters", "users", "files", "samples", "go", "times"):
                target = None
            elif asking == "gpu_hours_per_month" and (q.per_month is not None or not cue(q, lx.BUDGET_WORDS[:5])):
                target = asking
            elif cue(q, ("budget", "spend", "pay", "afford", "budjet", "cost", "if i had", "if i only had")) or (
                    q.per_month is not None and not q.period_apart and asking != "gpu_hours_per_month"
                    and cue(q, lx.BUDGET_WORDS)):
                target = "budget_usd_per_month"
            elif cue(q, lx.MEMORY_WORDS):
                target = "gpu_memory_gib"
            elif asking in ("gpu_memory_gib", "session_hours", "notebooks_at_once", "budget_usd_per_month"):
                target = asking
            elif listing and _alone(r, q) and last in QUESTION_FIELDS[:-1]:
                # A bare number alone in a list of answers answers the question after the one answered just before
                # it ("mixed, 8gb, 2h, 20h a month, 1": one notebook), as the questionnaire asks them.
                following = QUESTION_FIELDS[QUESTION_FIELDS.index(last) + 1]
                if following == "budget_usd_per_month" or following == "notebooks_at_once" and \
                        BOUNDS["notebooks_at_once"].accepts(q.value) and q.value == int(q.value):
                    target = following
        if target:
            out.setdefault(target, []).append(q)
            last = target
    return out


def _listing(r: Reading) -> bool:
    """True for a message that lists several answers, one per clause ("training, 16gb, 4 h, one notebook")."""
    return len(set(r.clause)) >= 3 and len(r.quantities) >= 2


def _alone(r: Reading, q: Quantity) -> bool:
    """True when a quantity is all its clause says, give or take a filler or two ("4 h", "and maybe 1")."""
    words = [w for w in r.clause_words(q.start) if w.isalnum() or w in lx.CURRENCY_SYMBOLS]
    return len(words) - (q.end - q.start) <= 2


def _named_field(words: list[str], start: int) -> str | None:
    """The field a bare number is set to when the field is named just before it: "set notebooks to 2", "memory: 24",
    "budget = 30", "notebooks should be 3" (lexicon.FIELD_NAMES; only linking words may stand between)."""
    j = start - 1
    while j >= 0 and start - j <= 4 and words[j] in lx.FIELD_LINKS:
        j -= 1
    if j < 0 or j == start - 1:  # at least one link: "notebooks to 2", not "notebooks 2 and 3 GB"
        return None
    for name, nouns in lx.FIELD_NAMES.items():
        if words[j] in nouns:
            return name
    return None


def _largest(qs: list[Quantity], value=lambda q: q.value) -> float:
    return max(value(q) for q in qs)


# ---------------------------------------------------------------------------------------------
# Parsers


def _statement(r: Reading, m: Match) -> bool:
    """True when a kind word is said as a statement of one's work, not in passing ("we do training", "I fine-tune
    BERT"), or as one item of a list of answers ("training, 16GB, runs of 5 hours")."""
    before = r.words[max(0, m.start - 3):m.start]
    if any(w in ("i", "we", "am", "are", "do", "doing", "mostly", "mainly", "only", "just", "to") for w in before):
        return True
    clause = [w for w in r.clause_words(m.start) if w.isalnum()]
    return len(clause) <= 3 and len(set(r.clause)) >= 3


def _training_verbs(r: Reading) -> list[Match]:
    """'fit ... models', 'teaching a model': a verb that means training when a model is its object, found within
    lexicon.VERB_OBJECT_REACH words in the same clause."""
    out = []
    for v in r.find(lx.TRAINING_VERBS):
        for o in r.find(lx.MODEL_NOUNS):
            if 0 <= o.start - v.end < lx.VERB_OBJECT_REACH and r.clause[o.start] == r.clause[v.start]:
                out.append(Match(v.start, v.end, "t", v.negated))
                break
    return out


def parse_kind(ctx: Context) -> Finding | None:
    r = ctx.reading
    found = r.match({"t": lx.KIND_TRAINING, "i": lx.KIND_INFERENCE, "w": lx.KIND_INFERENCE_WEAK,
                     "m": lx.KIND_MIXED, "d": lx.KIND_DOMINANT})
    # "a translation model", "an image generation model": what the model does, not the kind of work
    found = [m for m in found if m.label != "i" or r.words[m.end:m.end + 1] not in [[w] for w in lx.MODEL_NOUNS]
             or not r.words[m.end - 1].endswith(("tion", "tions", "ence", "captioning"))]
    found = sorted(found + _training_verbs(r), key=lambda m: m.start)
    # "train model for classify", "training a net to generate faces": the task the trained model is for
    found = [m for m in found if not (m.label == "i" and r.words[m.start - 1:m.start] in (["for"], ["to"])
                                      and any(t.label == "t" and t.end < m.start
                                              and r.clause[t.start] == r.clause[m.start] for t in found))]
    if not ctx.current("kind") and not ctx.hypothetical:
        # Out of turn, deployment words are about needs ("I'd like to deploy it"), not the kind of work.
        found = [m for m in found if " ".join(r.words[m.start:m.end]) not in _NEED_PHRASES]
        # "wait it is inference not training", "scratch that, it's training only": a correction names the kind
        explicit = r.has(lx.CHANGE_CUES) or r.has(lx.CORRECTION_CUES) or len(set(r.clause)) >= 3 \
            or len(r.content_words) <= 3
        found = [m for m in found if m.label == "d" or explicit or _statement(r, m)]
        # "I run it in the evening for 3 hours": out of turn, 'run it' beside a duration tells how long, not what kind
        if any(q.dim == "time" for q in r.quantities):
            found = [m for m in found if r.words[m.start:m.start + 2] != ["run", "it"]]
        # "both" out of turn is the kind of work only beside a kind word ("i'll train a bit too, so both")
        kinds = any(m.label in ("t", "i") for m in found)
        found = [m for m in found if m.label != "m" or r.has(("mixed", "mix", "a mix")) or kinds
                 and r.words[m.start] == "both"]
    denials = r.find(lx.KIND_DENIALS)
    denied = {m.start for m in found if m.label in ("t", "i") and
              any(r.clause[d.start] == r.clause[m.start] and 0 <= d.start - m.end <= 1 for d in denials)}
    found = [Match(m.start, m.end, m.label, True) if m.start in denied else m for m in found]
    train = [m for m in found if m.label == "t" and not m.negated]
    infer = [m for m in found if m.label == "i" and not m.negated]
    # A weak word used as a noun ("my run takes 5 hours") says nothing about the kind of work.
    weak = [m for m in found if m.label == "w" and not m.negated
            and r.words[m.start - 1:m.start] not in (["my"], ["the"], ["a"], ["each"], ["one"], ["per"])]
    mixed = [m for m in found if m.label == "m" and not m.negated]
    not_train = [m for m in found if m.label == "t" and m.negated]
    not_infer = [m for m in found if m.label == "i" and m.negated]
    if not (train or infer or mixed) and weak and not not_infer and (ctx.current("kind") or not_train):
        infer = weak
    if not ctx.current("kind") and not ctx.hypothetical and not (train or infer or mixed):
        return None

    def dominant(ms: list[Match]) -> bool:
        # "not only inference, I also fine-tune": 'not only' says there is more, not that one kind dominates
        return any(d.label == "d" and 0 <= m.start - d.end <= 1 and r.words[d.start - 1:d.start] != ["not"]
                   for m in ms for d in found)

    # "i'll train a bit too", "serving it as well": the other kind of work added to the one said before
    before = ctx.values.get("kind")
    added = r.has(("too", "also", "as well", "aswell", "in addition", "on top")) and (
        train and before == str(Kind.INFERENCE) or infer and before == str(Kind.TRAINING))
    if train and infer:
        kind = Kind.TRAINING if dominant(train) and not dominant(infer) else \
            Kind.INFERENCE if dominant(infer) and not dominant(train) else Kind.MIXED
    elif mixed and not (train or infer) or mixed and train and infer or added or \
            mixed and not dominant(train + infer):
        kind = Kind.MIXED
    elif train:
        kind = Kind.TRAINING
    elif infer:
        kind = Kind.INFERENCE
    elif not_train and not not_infer:
        kind = Kind.INFERENCE
    elif not_infer and not not_train:
        kind = Kind.TRAINING
    else:
        return None
    return Finding("kind", {"kind": str(kind)}, kind.label)


def parse_memory(ctx: Context) -> Finding | None:
    r = ctx.reading
    qs = assign(r, ctx.asking).get("gpu_memory_gib", [])
    if qs:
        bad = _negatives(qs) or [q for q in qs if not BOUNDS["gpu_memory_gib"].accepts(q.value)]
        if bad:
            return Finding("gpu_memory_gib", problem=_out_of_range("gpu_memory_gib", bad[0].value, "GPU memory"))
        # "at least 24GB, ideally 48": the need is the plain figure, a hedged one is a wish.
        plain = [q for q in qs if not any(w in _HEDGED for w in r.words[max(0, q.start - 2):q.start])] or qs
        # "my gpu has 24gb but the model needs 10": what the job needs, not what a card has.
        needed = [q for q in plain if r.clause_has(q.start, lx.NEED_VERBS)]
        owned = [q for q in plain if r.clause_has(q.start, lx.OWN_VERBS)]
        plain = needed or [q for q in plain if q not in owned] or plain
        value = round(_largest(plain), 2)
        return Finding("gpu_memory_gib", {"gpu_memory_gib": value}, f"{value:g} GB of GPU memory")
    if ctx.current("gpu_memory_gib"):
        # "whatever a T4 has", "an a100 80gb": the memory of a GPU the catalog knows
        # ("each epoch was 25 minutes on colab t4": a GPU something ran on is no answer)
        sizes = [m for m in (next((x for x in map(ctx.gpu_memory, names) if x), None)
                             for start, _, names in gpu_names(r.words) if "on" not in r.words[max(0, start - 3):start])
                 if m]
        if sizes:
            value = max(sizes)
            return Finding("gpu_memory_gib", {"gpu_memory_gib": value}, f"{value:g} GB of GPU memory (that GPU's)")
        # "16gb ram" at the memory question: RAM said alone, with no computer named, is taken for the GPU's
        ram = [a.quantity for a in map(lambda q: attach(r, q), r.quantities) if a.noun == "ram" and not a.denied]
        if ram and not r.has(lx.COMPUTER_WORDS):
            value = round(max(q.value for q in ram), 2)
            if BOUNDS["gpu_memory_gib"].accepts(value):
                return Finding("gpu_memory_gib", {"gpu_memory_gib": value}, f"{value:g} GB of GPU memory")
    unknown = r.find(lx.MEMORY_NONE)
    if unknown and (ctx.current("gpu_memory_gib") or r.has(lx.MEMORY_WORDS)) and not any(
            q.dim == "params" for q in r.quantities):
        if not ctx.current("gpu_memory_gib"):
            # "not sure about memory": only when the memory words are in the same clause as the doubt.
            if not any(r.clause_has(m.start, lx.MEMORY_WORDS) for m in unknown):
                return None
        return Finding("gpu_memory_gib", {"gpu_memory_gib": 0.0}, "no particular GPU memory (I'll rank every GPU)")
    return None


_HEDGED = frozenset({"ideally", "preferably", "optimally", "better", "nicer", "maybe"})


def _epochs(r: Reading, d: Quantity) -> float:
    """A per-epoch (per-step) duration times the number of them: 'an epoch takes 40 min and I run 6 epochs'."""
    units = ("epoch", "step", "iteration", "run", "job", "batch", "experiment", "chunk", "pass")
    before = r.words[max(0, d.start - 4):d.start]
    unit = next((w for w in before if w in units), None)
    if unit is None:
        return 1.0
    for q in r.quantities:
        if q.dim == "number" and q.noun and q.noun.rstrip("s") == unit and q.value > 1:
            return q.value
    return 1.0


def parse_session(ctx: Context) -> Finding | None:
    r = ctx.reading
    qs = assign(r, ctx.asking).get("session_hours", [])
    if not qs and [m for m in r.find(lx.ALWAYS_ON) if not m.negated] and (
            ctx.current("session_hours") or r.has(lx.SESSION_CUES) or r.has(("server", "service", "api"))):
        return Finding("session_hours", {"session_hours": HOURS_PER_MONTH}, "it never stops (runs of a whole month)")
    if not qs:
        return None
    bad = _negatives(qs)
    if bad:
        return Finding("session_hours", problem=_out_of_range("session_hours", bad[0].value, "a run"))
    exact = [q for q in qs if not q.idiom] or qs
    value = round(max(q.value * _epochs(r, q) for q in exact), 4)
    if not BOUNDS["session_hours"].accepts(value):
        return Finding("session_hours", problem=_out_of_range("session_hours", value, "a run"))
    ranged = next((q for q in exact if q.low is not None and q.value * _epochs(r, q) == value), None)
    return Finding("session_hours", {"session_hours": value}, f"runs of up to {_hours(value)}" + _upper(ranged))


def _rate_words(q: Quantity) -> str:
    per = q.per_month
    if per is None or per == 1.0:
        return ""
    names = {round(WEEKS_PER_MONTH, 6): "a week", round(WEEKS_PER_MONTH * 7, 6): "a day",
             round(1 / 12, 6): "a year", round(WEEKS_PER_MONTH / 2, 6): "every two weeks"}
    return names.get(round(per, 6), "")


def parse_monthly(ctx: Context) -> Finding | None:
    r = ctx.reading
    qs = assign(r, ctx.asking).get("gpu_hours_per_month", [])
    if not qs:
        return None
    bad = _negatives(qs)
    if bad:
        return Finding("gpu_hours_per_month", problem=_out_of_range("gpu_hours_per_month", bad[0].value,
                                                                    "the GPU time"))
    # GPU time is bounded by the notebooks running at once (said in this message, answered, or the default one):
    # each runs at most the whole month, 730.5 hours.
    notebooks = _notebooks_value(ctx) or ctx.values.get("notebooks_at_once") or 1
    for x in qs:
        if x.dim == "time" and x.per_month and x.value > HOURS_PER_MONTH / x.per_month * notebooks + 1e-9:
            period = _rate_words(x) or "a month"
            return Finding("gpu_hours_per_month", problem=f"{_hours(x.value)} {period} is more than {notebooks:g} "
                                                          f"notebook{'s' if notebooks > 1 else ''} can run in "
                                                          f"{period if period.startswith('a ') else 'that time'}"
                                                          + _more_notebooks_hint(x.monthly,
                                                                                 f"{_hours(x.value)} {period}"))
    freq = next((x for x in qs if x.dim == "frequency"), None)
    if freq is not None:
        # "8 hours a day, 5 days a week", "overnight, 3 nights a week": hours per occasion x occasions.
        per_occasion = [x.value for x in r.quantities if x.dim == "time" and (
            x.per_month is None or abs(x.per_month - DAYS_PER_MONTH) < 1e-9)]
        hours = max(per_occasion) if per_occasion else lx.DURATION_IDIOMS["a night"] if \
            freq.noun in ("nights", "night") else None
        if hours is None:
            return None
        value = round(freq.value * hours * freq.per_month, 2)
        if value > HOURS_PER_MONTH * notebooks + 1e-9:
            return Finding("gpu_hours_per_month", problem=_over_month(value, notebooks))
        return Finding("gpu_hours_per_month", {"gpu_hours_per_month": value},
                       f"{freq.value:g} {freq.noun} {_rate_words(freq)} of {_hours(hours)} is about {value:.0f} "
                       "GPU hours a month")
    qs = [x for x in qs if x.dim != "frequency"]
    # "around the clock: 720 hours a month": a figure said outright wins over an idiom's
    qs = [x for x in qs if not x.idiom] or qs
    q = max(qs, key=lambda x: x.monthly)
    value = round(q.monthly, 2)
    if not BOUNDS["gpu_hours_per_month"].accepts(value):
        return Finding("gpu_hours_per_month", problem=_out_of_range("gpu_hours_per_month", value,
                                                                    "the GPU time"))
    if value > HOURS_PER_MONTH * notebooks + 1e-9:
        return Finding("gpu_hours_per_month", problem=_over_month(value, notebooks))
    rate = _rate_words(q)
    said = f"{_hours(q.value)} {rate} is about {value:.0f} GPU hours a month" if rate else \
        f"{value:g} GPU hours a month"
    return Finding("gpu_hours_per_month", {"gpu_hours_per_month": value}, said + _upper(q))


def _upper(q: Quantity | None) -> str:
    """' (the upper end of 30–36)': a range gives one value, and the reply says which."""
    return "" if q is None or q.low is None else f" (the upper end of {q.low:g}–{q.value:g})"


def _over_month(value: float, notebooks: float) -> str:
    """'1000 GPU hours a month is more than 1 notebook can run in a month (730.5 hours)...'."""
    plural = "s" if notebooks > 1 else ""
    return f"{value:g} GPU hours a month is more than {notebooks:g} notebook{plural} can run in a month " \
           f"({notebooks * HOURS_PER_MONTH:g} hours)" + _more_notebooks_hint(value, f"{value:g} hours a month")


def _more_notebooks_hint(monthly: float, said: str) -> str:
    """How to say that several notebooks share the hours, when few enough could."""
    needed = math.ceil(monthly / HOURS_PER_MONTH - 1e-9)
    if not BOUNDS["notebooks_at_once"].accepts(needed):
        return ""
    return f"; if {needed} or more notebooks run at once, say so ('{said} on {needed} notebooks')"


_PEOPLE = frozenset({"students", "student", "kids", "pupils", "learners", "people", "users", "members", "persons",
                     "employees", "team", "trainees", "participants", "attendees"})
# Said of people, these put all of them on notebooks at once (an account each is not: they may take turns).
_AT_ONCE = ("at the same time", "at once", "simultaneously", "as many as", "in parallel", "concurrently",
            "all together", "all at the same time")


def _notebooks_value(ctx: Context) -> float | None:
    """The number of notebooks a message says run at once, or None."""
    r = ctx.reading
    current = ctx.current("notebooks_at_once")
    qs = assign(r, ctx.asking).get("notebooks_at_once", [])
    value = None
    if current:
        words = r.words
        bare = [q for q in r.quantities if q.dim == "number"]
        conclusion = [q for q in bare if q.start > 0 and words[q.start - 1] in ("so", "=", "total", "thus")]
        summed = [q for q in bare if words[q.end:q.end + 1] == ["for"]]
        # "all 30 students at the same time", "as many as the class has, 18 kids": one notebook each
        people = [q for q in bare if attach(r, q).field == "students" or attach(r, q).noun in _PEOPLE]
        if conclusion:
            value = conclusion[-1].value
        elif len(summed) >= 2:
            value = sum(q.value for q in summed)
        elif people and not qs and r.has(_AT_ONCE):
            value = max(q.value for q in people)
    if value is None and r.has(lx.NOTEBOOK_ONE) and (current or r.has(lx.NOTEBOOK_NOUNS)):
        value = 1.0
    if value is None and qs:
        value = _largest(qs)
    return value


def parse_notebooks(ctx: Context) -> Finding | None:
    value = _notebooks_value(ctx)
    if value is None:
        return None
    if not BOUNDS["notebooks_at_once"].accepts(value):
        return Finding("notebooks_at_once",
                       problem=_out_of_range("notebooks_at_once", value, "the number of notebooks"))
    n = int(value)
    hours = ctx.values.get("gpu_hours_per_month")
    if hours and hours > n * HOURS_PER_MONTH + 1e-9 and "gpu_hours_per_month" not in assign(ctx.reading, ctx.asking):
        # Fewer notebooks than the GPU hours already answered need: say so rather than keep an impossible pair.
        return Finding("notebooks_at_once", problem=f"{n} notebook{'s' if n != 1 else ''} can run at most "
                                                    f"{n * HOURS_PER_MONTH:g} GPU hours in a month, and you said "
                                                    f"{hours:g}; lower the GPU hours in the same message (for "
                                                    f"example '{n} notebook{'s' if n != 1 else ''}, "
                                                    f"{math.floor(n * HOURS_PER_MONTH)} hours a month')")
    return Finding("notebooks_at_once", {"notebooks_at_once": n}, f"{n} notebook{'s' if n != 1 else ''} at once")


def _per_head(r: Reading, q: Quantity) -> str | None:
    """'student' for '$5 per student (a month)', 'each', 'per head': an amount said for each person, else None."""
    after = r.words[q.end:q.end + 5]
    for i, w in enumerate(after[:-1]):
        if w in ("per", "each", "a", "for", "every") and after[i + 1].rstrip("s") in ("student", "kid", "pupil",
                                                                                     "learner", "head", "person"):
            return after[i + 1].rstrip("s")
    return "each" if after[:1] == ["each"] else None


def _for_speed(r: Reading, q: Quantity) -> bool:
    """True when an amount is said on the condition of speed ("15 if it is much faster", "10 for something quicker")."""
    from .fields import prefer_matches
    after = [m for m in prefer_matches(r) if m.label == "speed" and r.clause[m.start] == r.clause[q.start]
             and m.start > q.end]
    return bool(after) and any(w in ("if", "for", "when") for w in r.words[q.end:after[0].start])


def _last_after_numbers(r: Reading, i: int) -> bool:
    """True when the word at i ends a run of answers with numbers ("inference 4gb 30 minutes ... one notebook free"):
    a 'free' there qualifies nothing after it, so it is the budget."""
    rest = [w for w in r.words[i + 1:] if w.isalnum()]
    return not rest and len(r.quantities) >= 2 and r.quantities[-1].end <= i


def parse_budget(ctx: Context) -> Finding | None:
    r = ctx.reading
    current = ctx.current("budget_usd_per_month")
    qs = assign(r, ctx.asking).get("budget_usd_per_month", [])
    name = "budget_usd_per_month"
    free_words = r.find(lx.BUDGET_FREE)
    free_words = [m for m in free_words if not m.negated or r.words[m.start] in lx.NEGATORS]
    if not current and not ctx.hypothetical:
        # Out of turn, 'free' is the budget said as free only, or alone in a list of answers ("...; 1; free").
        free_words = [m for m in free_words if r.words[m.start] != "free" or r.has(("only", "plans", "free only",
                                                                                     "free please", "free pls"))
                      or _listing(r) and len([w for w in r.clause_words(m.start) if w.isalnum()]) <= 2
                      or _last_after_numbers(r, m.start)]
        free_words = [m for m in free_words if " ".join(r.words[m.start:m.end]) not in ("nothing", "zero", "any",
                                                                                         "none", "zip", "nil")]
    if qs:
        bad = _negatives(qs)
        if bad:
            return Finding(name, problem=_out_of_range(name, bad[0].value, "a budget"))
        distinct = {round(q.monthly, 6) for q in qs}
        monthly = [q for q in qs if q.per_month is not None and not q.period_apart]
        if len(distinct) > 1 and len({round(q.monthly, 6) for q in monthly}) == 1:
            # "my laptop cost 1200 bucks, so 10 a month": the amount said per month is the budget
            qs, distinct = monthly, {round(monthly[0].monthly, 6)}
        own = [q for q in qs if r.clause_has(q.start, lx.OWN_LIMIT_WORDS)]
        if len(distinct) > 1 and len({round(q.monthly, 6) for q in own}) == 1:
            # "Colab Pro is like $10 and Paperspace Growth $39... I'll set 20 as my max": the user's own limit
            qs, distinct = own, {round(own[0].monthly, 6)}
        stretched = [q for q in qs if _for_speed(r, q)]
        if len(distinct) > 1 and len(stretched) == 1:
            # "5 dollars, 15 if it is much faster": the budget stretched for speed is the most that will be paid
            qs, distinct = stretched, {round(stretched[0].monthly, 6)}
        if len(distinct) > 1:
            amounts = " and ".join(f"{q.value:g}" for q in qs)
            return Finding(name, ambiguous=True, problem=f"I see two amounts ({amounts}); which one is your monthly "
                                                          "budget?")
        q = qs[0]
        if q.per_hour:
            hours = ctx.values.get("gpu_hours_per_month")
            if hours is None:
                return Finding(name, ambiguous=True, problem=f"{money(q.value)} an hour is a price, not a monthly "
                                                             "budget; what is the most you'd pay in a month")
            q = Quantity("money", q.value * hours, q.start, q.end, currency=q.currency)
        if q.monthly == 0:
            return Finding(name, {"free_only": True, name: 0.0}, "free plans only")
        amount = q.monthly
        said_rate = _rate_words(q)
        # "$5 per student, and there are 20 students": the budget covers the class (README: --students)
        each = _per_head(r, q)
        heads = next((x.value for x in r.quantities if x is not q and attach(r, x).field == "students"), None) \
            or ctx.values.get("students")
        if each and heads:
            amount *= heads
            said_rate = f"{said_rate + ' ' if said_rate else ''}x {heads:g} students".strip()
        code = q.currency or "USD"
        if code != "USD":
            rate = ctx.usd(code)
            if rate is None:
                return Finding(name, problem=f"I have no exchange rate for {code}; please give the amount in US "
                                             "dollars, for example '$20 a month'")
            usd = round(amount * rate[0], 2)
            said = f"{q.value:g} {code}{' ' + said_rate if said_rate else ''} is about {money(usd)} a month " \
                   f"(reference rate of {rate[1]})"
            amount = usd
        else:
            amount = round(amount, 2)
            said = f"{money(q.value)} {said_rate} is about {money(amount)} a month" if said_rate else \
                f"a budget of {money(amount)} a month"
        if not BOUNDS[name].accepts(amount):
            return Finding(name, problem=_out_of_range(name, amount, "a budget"))
        return Finding(name, {name: amount, "free_only": False}, said)
    scaled = r.match({"2": ("twice the budget", "double the budget", "double my budget", "twice my budget",
                            "2x the budget", "two times the budget"),
                      "0.5": ("half the budget", "half my budget", "half of the budget"),
                      "3": ("triple the budget", "three times the budget", "triple my budget")})
    budget = ctx.values.get(name)
    if scaled and budget:
        amount = round(budget * float(scaled[0].label), 2)
        return Finding(name, {name: amount, "free_only": False}, f"a budget of {money(amount)} a month")
    if free_words:
        return Finding(name, {"free_only": True, name: 0.0}, "free plans only")
    unlimited = r.find(lx.BUDGET_NO_LIMIT)
    if not current:
        # "lowest price first", "cheapest please" after the budget is said: what comes first, not the budget
        first = {i for m in prefer_matches(r) for i in range(m.start, m.end)}
        unlimited = [m for m in unlimited if m.start not in first]
    # Out of turn, only in a clause about money ("20 a month, money's no problem").
    if unlimited and (current or any(r.clause_has(m.start, lx.MONEY_TOPIC) for m in unlimited)):
        # An explicit answer: any price goes, so not free-only either (free_only False, no budget).
        return Finding(name, {name: None, "free_only": False}, "no budget limit")
    return None


def parse_predictability(ctx: Context) -> Finding | None:
    r = ctx.reading
    current = ctx.current("predictability")
    if r.has(("than price", "than the price", "than cost", "than money", "over price", "over cost", "than speed",
              "over speed")):
        return None  # "speed matters more than price": what comes first (prefer), not the GPU lottery
    # "slow sometimes", "slower at times": the speed varying, said without naming it
    qualifiers = r.find(lx.VARIABILITY_QUALIFIERS)
    varying = {r.clause[m.start] for m in r.find(lx.PREDICT_ANTI) if any(r.clause[q.start] == r.clause[m.start]
                                                                         for q in qualifiers)}
    if not current and not r.has(lx.PREDICT_WORDS) and not r.has(("no surprises", "same speed")) and not varying:
        return None
    found = r.match({"any": lx.PREDICT_ANY, "prefer": lx.PREDICT_PREFER, "require": lx.PREDICT_REQUIRE,
                     "anti": lx.PREDICT_ANTI, "accept": lx.PREDICT_ACCEPT, "mild": lx.PREDICT_MILD})
    # "speed per dollar", "sort by speed": speed as what comes first, not its steadiness
    first = {i for m in prefer_matches(r) for i in range(m.start, m.end)}
    topic = {r.clause[m.start] for m in r.find(lx.PREDICT_WORDS + ("no surprises",)) if m.start not in first} | varying
    if not current and not topic:
        return None
    if not current:
        # Only the clauses that talk about predictability count ("must be predictable, and I need background"),
        # and one right after that points back at it ("I do want a steady speed, I'd prefer it").
        topic |= {c + 1 for c in topic if any(r.clause[i] == c + 1 and w in ("it", "that", "this")
                                              for i, w in enumerate(r.words))}
        found = [m for m in found if r.clause[m.start] in topic]
    else:
        # Clauses about needs are not about predictability ("doesn't matter; I need private notebooks").
        others = {r.clause[m.start] for m in r.match(_NEED_TABLES)} - topic
        found = [m for m in found if r.clause[m.start] not in others]
    # "I don't mind the lottery", "don't care about the speed varying": the negation is of the attitude, not of the
    # variation after it.
    words = r.words
    found = [Match(m.start, m.end, m.label, False) if m.label == "anti" and m.negated and any(
        w in lx.ATTITUDE_VERBS for w in words[max(0, m.start - lx.NEGATION_REACH):m.start]) else m for m in found]
    found = [m for m in found if " ".join(r.words[m.start:m.end]) not in lx.PREDICT_INTENSIFIERS
             or not any(x.label != m.label and r.clause[x.start] == r.clause[m.start] for x in found)]
    # "same speed every time? nah": the question echoed, then answered in the negative
    words = r.words
    if "?" in words:
        after = words[len(words) - words[::-1].index("?"):]
        if after and " ".join(w for w in after if w.isalnum()) in ("nah", "no", "nope", "not really", "meh"):
            found = [m for m in found if m.label not in ("require", "prefer", "mild") or m.start > words.index("?")]
    # "steady isn't necessary", "consistency is not important": a denied predicate denies the require-word before it
    denials = [m for m in found if m.label == "any" and "not" in r.words[m.start:m.end]]
    found = [m for m in found if not (m.label == "require" and any(r.clause[d.start] == r.clause[m.start]
                                                                    and d.start > m.start for d in denials))]
    aversions = r.find(lx.PREDICT_AVERSION)
    for m in [m for m in found if m.label == "anti" and not m.negated]:
        if any(r.clause[a.start] == r.clause[m.start] and 0 < m.start - a.start <= lx.NEGATION_REACH + 1
               for a in aversions):
            found = [Match(x.start, x.end, x.label, True) if x is m else x for x in found]
    # A varying speed accepted ("slow sometimes is fine", "speed can go up and down, no problem") is no preference,
    # whatever hedge it holds ("a bit slower at times is ok"); a qualifier of the variation is no hedge either.
    accepted = [m for m in found if m.label == "anti" and not m.negated] and \
        [m for m in found if m.label == "accept" and not m.negated]
    said_anti = {r.clause[m.start] for m in found if m.label == "anti"}
    found = [m for m in found if not (m.label in ("prefer", "mild") and (accepted or r.clause[m.start] in said_anti
                                                                         and any(q.start == m.start
                                                                                 for q in qualifiers)))]
    prefer = [m for m in found if m.label == "prefer" and not m.negated]
    require = [m for m in found if m.label == "require" and not m.negated] + \
        [m for m in found if m.label == "anti" and m.negated]
    accept = [m for m in found if m.label in ("accept", "any") and not m.negated]
    anything = [m for m in found if m.label == "any" and not m.negated] + \
        [m for m in found if m.label == "require" and m.negated] + \
        [m for m in found if m.label == "anti" and not m.negated and accept]
    mild = [m for m in found if m.label == "mild" and not m.negated]
    anything += [m for m in found if m.label == "mild" and m.negated]
    if prefer:
        value = Predictability.PREFER
    elif require:
        value = Predictability.REQUIRE
    elif mild:
        value = Predictability.PREFER
    elif anything:
        value = Predictability.ANY
    else:
        return None
    said = {Predictability.ANY: "predictable speed doesn't matter",
            Predictability.PREFER: "you'd prefer predictable speed (ranked on a bad session)",
            Predictability.REQUIRE: "you need predictable speed (a spread of at most 10%)"}[value]
    return Finding("predictability", {"predictability": str(value)}, said)


# Each need's words: its keywords in advisor.vocab (the one lexicon for needs) and the chat's paraphrases.
_NEED_TABLES = {n.value: n.keywords + lx.NEED_PHRASES.get(n.value, ()) for n in Need}
_NEED_ANTONYMS = {f"~{k}": v for k, v in lx.NEED_ANTONYMS.items()}
_NEED_PHRASES = frozenset(w for words in _NEED_TABLES.values() for w in words)
# Verbs that take a need out ("drop private", "remove background").
_DROPS = ("drop", "remove", "delete", "scrap", "skip", "take out", "get rid of", "cross off", "lose", "no need for",
          "ditch", "strike")
_POST_NEGATIONS = ("not needed", "is not needed", "not necessary", "unnecessary", "not important", "not useful",
                   "not wanted", "not required either", "do not need it", "not a need")


def parse_needs(ctx: Context) -> Finding | None:
    r = ctx.reading
    current = ctx.current("needs")
    tables = dict(_NEED_TABLES)
    found = r.match({**tables, **_NEED_ANTONYMS, "_hedge": lx.HEDGES, "_post": _POST_NEGATIONS,
                     "_none": lx.NEEDS_NONE, "_all": lx.NEEDS_ALL, "_cue": lx.REQUIREMENT_CUES})
    # A denied opposite names the need ("can't be public": private); an opposite said plainly is no answer.
    found = [Match(m.start, m.end, m.label[1:], False) if m.label.startswith("~") else m for m in found
             if not m.label.startswith("~") or m.negated]
    mentions = [m for m in found if not m.label.startswith("_")]
    hedged = {r.clause[m.start] for m in found if m.label == "_hedge" and not m.negated}
    # "background is just nice to have": a hedge right after 'just' or 'only' speaks of the clause before it
    mentioned = {r.clause[m.start] for m in mentions}
    hedged |= {c - 1 for c in hedged if c not in mentioned and c - 1 in mentioned
               and any(r.clause[i] == c and w in ("just", "only") for i, w in enumerate(r.words))}
    post_negated = {r.clause[m.start] for m in found if m.label == "_post"}
    dropped = {m.start for m in mentions for d in r.find(_DROPS)
               if r.clause[d.start] == r.clause[m.start] and 0 <= m.start - d.end <= 2}
    cued = {r.clause[m.start] for m in found if m.label in ("_cue", "_hedge")} | hedged
    listing = len(set(r.clause)) >= 3 or len(r.content_words) <= 3
    status: dict[str, str] = {}
    everything = [m for m in found if m.label == "_all" and (r.words[m.start] != "all" or len(r.content_words) <= 3)]
    if everything and (current or ctx.hypothetical):
        for n in Need:
            status[n.value] = "need"
    for m in mentions:
        c = r.clause[m.start]
        if not (current or ctx.hypothetical or m.negated or c in cued or listing or m.start in dropped):
            continue
        if m.negated or c in post_negated or m.start in dropped:
            status[m.label] = "not"
        elif c in hedged:
            status[m.label] = "nice"
        else:
            status[m.label] = "need"
    nothing = [m for m in found if m.label == "_none" and not (m.negated and r.words[m.start] not in lx.NEGATORS)
               and not interjection(r.tokens, m.start)]
    # Out of turn, "none" counts only when it names the needs ("no special needs", "no features").
    named = [m for m in nothing if {"needs", "features", "need"} & set(r.words[m.start:m.end + 1])]
    if not status and not ((current or ctx.hypothetical) and nothing or named):
        return None
    if current:
        needs = [n.value for n in Need if status.get(n.value) == "need"]
        nice = [n.value for n in Need if status.get(n.value) == "nice"]
    else:
        needs = [n for n in ctx.values.get("needs") or [] if status.get(n) not in ("not", "nice")]
        needs += [n for n, s in status.items() if s == "need" and n not in needs]
        nice = [n for n in ctx.values.get("nice_to_have") or [] if status.get(n) not in ("not", "need")]
        nice += [n for n, s in status.items() if s == "nice" and n not in nice]
        needs = [n.value for n in Need if n.value in needs]
        nice = [n.value for n in Need if n.value in nice]
    return Finding("needs", {"needs": needs, "nice_to_have": nice}, needs_text(needs, nice))


def describe(name: str, workload) -> str:
    """A question's answer in a Workload, in the words the chat says it back with."""
    w = workload
    if name == "kind":
        return w.kind.label
    if name == "gpu_memory_gib":
        return f"{w.gpu_memory_gib:g} GB of GPU memory" if w.gpu_memory_gib else "no particular GPU memory"
    if name == "session_hours":
        return f"runs of up to {_hours(w.session_hours)}"
    if name == "gpu_hours_per_month":
        return f"{w.gpu_hours_per_month:g} GPU hours a month"
    if name == "notebooks_at_once":
        return f"{w.notebooks_at_once} notebook{'s' if w.notebooks_at_once != 1 else ''} at once"
    if name == "budget_usd_per_month":
        return "free plans only" if w.free_only else "no budget limit" if w.budget_usd_per_month is None else \
            f"a budget of {money(w.budget_usd_per_month)} a month"
    if name == "predictability":
        return f"predictable speed: {w.predictability.label}"
    return needs_text([str(n) for n in Need if n in w.needs], [str(n) for n in Need if n in w.nice_to_have])


def needs_text(needs, nice) -> str:
    parts = []
    if needs:
        parts.append("you need " + ", ".join(Need(n).label for n in needs))
    if nice:
        parts.append("you would like " + ", ".join(Need(n).label for n in nice) + " (it breaks ties, never excludes "
                     "a plan)")
    return "; ".join(parts) if parts else "no special features needed"


def parse_education(ctx: Context) -> Finding | None:
    r = ctx.reading
    if r.has(lx.EDUCATION_NO):
        return Finding("education", {"education": False}, "not a student or teacher")
    yes = [m for m in r.find(lx.EDUCATION_YES) if not m.negated]
    if yes:
        return Finding("education", {"education": True}, "you are a student or teacher, so education plans "
                                                          "(such as Colab Pro for Education) count")
    return None


def parse_multi_gpu(ctx: Context) -> Finding | None:
    r = ctx.reading
    found = r.find(lx.MULTI_GPU)
    # "needs 4 gpus at once", "sharded over 8 cards": a count of GPUs above one
    counted = [a for a in map(lambda q: attach(r, q), r.quantities) if a.quantity.dim == "number"
               and a.noun_after and a.noun in ("gpus", "cards", "gpu", "graphics cards") and a.quantity.value >= 2
               and not a.denied and (r.clause_has(a.quantity.start, lx.NEED_VERBS)
                                     or not r.clause_has(a.quantity.start, lx.OWN_VERBS))]
    if not found and not counted:
        return None
    value = not found[0].negated if found else not r.negated[counted[0].quantity.start]
    return Finding("multi_gpu", {"multi_gpu": value}, "your job uses every GPU of a machine" if value else
                   "your job uses one GPU")


# ---------------------------------------------------------------------------------------------
# The questions


@dataclass(frozen=True)
class Question:
    """One questionnaire step: the Workload field it asks about (and the fields it sets), its label, how it asks,
    what it means (for "what do you mean?"), its parser, its quick replies, and its value on "don't know"."""

    name: str
    label: str
    prompt: str
    description: str
    example: str
    parse: Callable[[Context], Finding | None]
    quick_replies: tuple[str, ...]
    fields: tuple[str, ...] = ()
    unknown: dict | None = None
    topic: str | None = None

    @property
    def sets(self) -> tuple[str, ...]:
        return self.fields or (self.name,)


QUESTIONS: tuple[Question, ...] = (
    Question("kind", "kind of work", "What will you mostly do on the GPU: **training** (including fine-tuning), "
             "**inference** (running a trained model), or a **mix**?",
             "Training and fine-tuning are ranked on the AI Benchmark's training score, inference on its inference "
             "score, a mix on the overall AI score.",
             "'fine-tuning BERT', 'just inference' or 'a bit of both'", parse_kind,
             ("Training", "Inference", "A mix", "Skip")),
    Question("gpu_memory_gib", "GPU memory", "How much **GPU memory** does your model need?",
             "The memory on the GPU (VRAM) your job needs; plans whose GPU has less cannot run it. Say 'don't "
             "know' and I'll rank every GPU.",
             "'16 GB', '24 gigs' or 'don't know'", parse_memory, ("8 GB", "16 GB", "24 GB", "40 GB", "Don't know"),
             unknown={"gpu_memory_gib": 0.0}),
    Question("session_hours", "longest run", "How long is your **longest uninterrupted run**?",
             "The longest time one job must run without stopping; plans whose sessions end sooner cannot finish it.",
             "'about 6 hours', '2h30', '90 minutes' or 'overnight'", parse_session,
             ("1 hour", "6 hours", "12 hours", "24 hours", "Skip")),
    Question("gpu_hours_per_month", "GPU hours a month", "About how many **GPU hours** will you use in a month "
             "(or a week, or a day)?",
             "All your GPU time in a month; a weekly or daily figure is converted (10 hours a week is about 43 a "
             "month). Free quotas and pay-per-hour prices depend on it.",
             "'40 hours a month', '10 hours a week' or '2 hours a day'", parse_monthly,
             ("10 hours a month", "10 hours a week", "2 hours a day", "100 hours a month", "Skip")),
    Question("notebooks_at_once", "notebooks at once", "How many **notebooks must run at the same time**?",
             "How many notebooks you need running at once; some free plans allow only one.",
             "'one', 'two notebooks' or '3'", parse_notebooks, ("Just one", "Two", "Three", "Skip")),
    Question("budget_usd_per_month", "budget", "What is your **monthly budget** (in US dollars, or say the "
             "currency)?",
             "The most you will pay in a month, in US dollars (another currency is converted at a dated reference "
             "rate). 'Free only' keeps to free plans; 'no limit' ranks every plan.",
             "'$10 a month', '10 bucks', '€25', 'free only' or 'no limit'", parse_budget,
             ("Free only", "$10 a month", "$50 a month", "No limit", "Skip"),
             fields=("budget_usd_per_month", "free_only"), topic="budget"),
    Question("predictability", "predictability", "How much does a **predictable speed** matter (the same speed "
             "every session, no GPU lottery)?",
             "Some free plans hand out a different GPU each session (a GPU lottery), so a run may be several times "
             "slower. 'Prefer' ranks plans on a bad session; 'require' drops plans whose speed varies by more "
             "than about 10%.",
             "'doesn't matter', 'would be nice' or 'I need the same speed every time'", parse_predictability,
             ("Doesn't matter", "Would be nice", "I need it", "Skip"), topic="predictability"),
    Question("needs", "needs", "Do you need any of: a **selectable timeout**, **background** execution (keeps "
             "running when you close the laptop), **deployment** as a service, **private** notebooks? Say 'would "
             "be nice' for a wish.",
             "Features a plan must have. A wish ('would be nice') only breaks ties and shows as a caveat.",
             "'none', 'private notebooks', 'background would be nice'", parse_needs,
             ("None", "Private notebooks", "Background execution", "Background would be nice", "Deployment"),
             fields=("needs", "nice_to_have"), topic="needs"),
)
QUESTION_BY_NAME = {q.name: q for q in QUESTIONS}
# Parsers of fields no question asks about; any message may set them.
SIDE_PARSERS: tuple[Callable[[Context], Finding | None], ...] = (parse_education, parse_multi_gpu,
                                                                  *SIDE_FIELD_PARSERS)
