"""One turn of the chat: the message is read once, the first handler of a short ordered list that recognises it
answers (start over, undo, greeting, what-if, question, answer, skip), and the workload is computed once."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

from ..catalog import Catalog
from ..errors import AdvisorError
from ..present.labels import money
from ..recommend import Recommendation, recommend
from ..vocab import HOURS_PER_MONTH, WEEKS_PER_MONTH, Need, PlanField
from ..workload import FIELD_SPECS, FIELDS, Workload
from . import lexicon as lx
from .fields import find_model, model_size, model_spans
from .nouns import denied_values, gpu_names
from .parse import Reading, read
from .questions import QUESTION_BY_NAME, QUESTIONS, SIDE_PARSERS, Context, Finding, asked_quantities, describe
from .state import ANSWER_FIELDS, ChatState, workload_from_answers
from .topics import about, explain_topic, explanation, platforms_in, ranking_text

QUESTION_LABEL = {q.name: q.label for q in QUESTIONS}
QUESTION_OF = {name: q.name for q in QUESTIONS for name in q.sets}

MAX_MESSAGE_CHARS = 2000
# What a message is taken as: new facts (answer), a correction of what was said or understood, a change of mind
# about a need or wish, a question (about a plan, a term, the ranking), a what-if (answered without changing the
# answers), undo, start over, skip; invalid, unknown, greeting and empty otherwise.
INTENTS = ("answer", "correction", "change_of_mind", "question", "what_if", "undo", "start_over", "skip",
           "invalid", "unknown", "greeting", "empty")
# The handlers' finer names for a question: about a platform, or an explanation of a term.
_INTENT_NAMES = {"about": "question", "explain": "question"}


@dataclass
class ChatTurn:
    """What the chat says back. state: the new state (JSON-ready); reply: Markdown; quick_replies: buttons;
    done: every question answered; recommendations and workload: the ranking once done; answers: every Workload
    field (but reference_*) understood so far, None where not; asking: the field asked next (None when done);
    intent: what the message was taken as; what_if: (hypothetical Workload, its ranking) for a what-if;
    topic: the platform key or idea a question was about."""

    state: dict
    reply: str
    quick_replies: list[str] = field(default_factory=list)
    done: bool = False
    recommendations: list[Recommendation] | None = None
    workload: Workload | None = None
    answers: dict = field(default_factory=dict)
    asking: str | None = None
    intent: str = "answer"
    what_if: tuple[Workload, list[Recommendation]] | None = None
    topic: str | None = None


def new_state() -> dict:
    """The state of a conversation that has not started."""
    return ChatState().to_json()


def check_state(state) -> dict:
    """A copy of a client's state after checking type, version and bounds. Raises ChatStateError."""
    return ChatState.from_json(state).to_json()


@dataclass
class _Turn:
    """Everything a handler looks at; the reading, findings, workload and ranking are computed at most once."""

    catalog: Catalog
    state: ChatState
    message: str | None
    reference: dict
    _rankings: dict = field(default_factory=dict)

    @cached_property
    def reading(self) -> Reading:
        return read((self.message or "")[:MAX_MESSAGE_CHARS])

    def context(self, hypothetical: bool = False) -> Context:
        return Context(self.reading, None if hypothetical else self.state.asking, self.state.answers, self._usd,
                       hypothetical, self._gpu_memory, self._gpu_id)

    def _gpu(self, name: str):
        try:
            return self.catalog.gpu(name)
        except AdvisorError:
            return None

    def _gpu_id(self, name: str) -> str | None:
        try:
            return self.catalog.gpu(name).gpu_id
        except AdvisorError:
            return None

    def _gpu_memory(self, name: str) -> float | None:
        try:
            return self.catalog.gpu(name).memory_gib
        except AdvisorError:
            return None

    def _usd(self, currency: str):
        rate = self.catalog.usd_rate(currency)
        return None if rate is None else (rate.usd_per_unit, rate.provenance.as_of.isoformat())

    @cached_property
    def findings(self) -> list[Finding]:
        return findings(self.context())

    def workload(self, answers: dict | None = None) -> Workload | None:
        try:
            return workload_from_answers(self.state.answers if answers is None else answers, **self.reference)
        except AdvisorError:
            return None

    def ranking(self, workload: Workload | None) -> list[Recommendation] | None:
        """The ranking for a workload, computed once per turn per workload (Workload is frozen and hashable)."""
        if workload is None:
            return None
        if workload not in self._rankings:
            try:
                self._rankings[workload] = recommend(self.catalog, workload)
            except AdvisorError:
                self._rankings[workload] = None
        return self._rankings[workload]


def findings(ctx: Context) -> list[Finding]:
    """What a message says about every question and side field, the question being asked first."""
    order = sorted(QUESTIONS, key=lambda q: q.name != ctx.asking)
    out = [f for f in (q.parse(ctx) for q in order) if f is not None]
    slots = _list_slots(ctx)
    if slots is not None:
        # the items' readings win; a reading of the whole message stays where no item took its question or number
        taken = {v for f in slots for v in f.changes.values() if _numeric(v)}
        out = slots + [f for f in out if f.question not in {g.question for g in slots}
                       and not any(_numeric(v) and v in taken for v in f.changes.values())]
    out += [f for f in (p(ctx) for p in SIDE_PARSERS) if f is not None]
    reference = next((f.changes["reference_hours"] for f in out if "reference_hours" in f.changes), None)
    if reference is not None:
        # "my epoch takes 20 minutes on a T4" is the job's time on a reference GPU, not the longest run.
        out = [f for f in out if abs((f.changes.get("session_hours") or -1) - reference) > 1e-3]
    return out + _list_tail(ctx, out)


# A list of answers is terse: at least this many items separated by commas or semicolons, each this short.
LIST_ITEMS = 3
LIST_ITEM_WORDS = 4


def _list_slots(ctx: Context) -> list[Finding] | None:
    """A list of short answers ("2 hrs, 10 hrs a week, just 1", "mixed, 8 GB, 2 hours, 20 a month, one"): each item
    read alone at the question after the one the item before answered, so a bare count after the hours is the
    notebooks and "20 a month" after a run's length is GPU hours. None when the message is no such list or an item
    answers nothing."""
    r = ctx.reading
    if ctx.hypothetical or ctx.asking is None or not r.quantities:
        return None
    items: list[list[str]] = [[]]
    for tok in r.tokens:
        if tok.text in (",", ";"):
            items.append([])
        elif tok.text.isalnum() or tok.text in ("$", ".") or any(c.isdigit() for c in tok.text):
            items[-1].append(tok.text)
    items = [[w for w in item if w != "."] for item in items]
    items = [item for item in items if item]
    if len(items) < LIST_ITEMS or any(len(item) > LIST_ITEM_WORDS for item in items):
        return None
    names = [q.name for q in QUESTIONS]
    at = names.index(ctx.asking)
    out: dict[str, Finding] = {}
    for item in items:
        asking = names[at] if at < len(names) else None
        sub = Context(read(" ".join(item)), asking, ctx.values, ctx.usd, False, ctx.gpu_memory, ctx.gpu_id)
        order = sorted(QUESTIONS, key=lambda q: q.name != asking)
        found = [f for f in (q.parse(sub) for q in order) if f is not None and (f.changes or f.problem)]
        if not found:
            return None
        taken = found
        if asking in {f.question for f in found} and len(sub.reading.quantities) == 1:
            # the item's one number answers the question asked; words without numbers answer their own
            taken = [f for f in found if f.question == asking or not any(_numeric(v) for v in f.changes.values())]
        for f in taken:
            out.setdefault(f.question, f)
        at = max(names.index(f.question) for f in taken) + 1
    return list(out.values())


def _numeric(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _list_tail(ctx: Context, found: list[Finding]) -> list[Finding]:
    """The clauses after the last quantity of a list of answers ("..., $10, doesn't matter, nothing"), each read as
    the answer to the next question in the questionnaire's order (predictability, then needs)."""
    r = ctx.reading
    if ctx.hypothetical or len(set(r.clause)) < 4 or len(r.quantities) < 2:
        return []
    names = [q.name for q in QUESTIONS]
    said = {f.question for f in found if f.changes}
    if "budget_usd_per_month" not in said:
        return []
    last_clause = max(r.clause[q.start] for q in r.quantities)
    tail = sorted({c for c in r.clause if c > last_clause})
    out, at = [], names.index("budget_usd_per_month") + 1
    for c in tail:
        words = [t.text for t, k in zip(r.tokens, r.clause, strict=True) if k == c and t.text.isalnum()]
        if not words or at >= len(names):
            continue
        name = names[at]
        at += 1
        if name in said:  # this clause said it already, in words of its own ("steady speed needed")
            continue
        q = QUESTION_BY_NAME[name]
        finding = q.parse(Context(read(" ".join(words)), name, ctx.values, ctx.usd, False, ctx.gpu_memory,
                                  ctx.gpu_id))
        if finding is None or not finding.changes:
            break
        out.append(finding)
    return out


# ---------------------------------------------------------------------------------------------
# Handlers, tried in order; each returns (intent, reply, extras) or None.


def _reply(intent: str, text: str, **extra) -> dict:
    return {"intent": intent, "reply": text, **extra}


def _prompt(state: ChatState) -> str:
    q = QUESTION_BY_NAME.get(state.asking or "")
    return q.prompt if q else ""


def handle_empty(t: _Turn):
    if t.message is not None and t.message != "":
        return None
    if t.state.done:
        return _reply("empty", "Here is your ranking again.", rank=True)
    hello = "Hi! I'll ask a few short questions about your work and rank the GPU notebook plans for it. You can " \
            "answer several at once, in your own words.\n\n" if not t.state.answers and not t.state.closed else ""
    return _reply("empty", hello + _prompt(t.state))


def handle_blank(t: _Turn):
    if t.reading.content_words:
        return None
    return _reply("unknown", "I didn't catch anything there. " + (_prompt(t.state) or "Ask about a plan, or change "
                                                                   "an answer."))


def handle_start_over(t: _Turn):
    r = t.reading
    found = [m for m in r.find_exact(lx.START_OVER) if not m.negated]
    if not found:
        return None
    t.state.remember()
    t.state.answers, t.state.closed = {}, []
    return _reply("start_over", "Starting over: I've forgotten your answers.\n\n" + _prompt(t.state))


def handle_undo(t: _Turn):
    r = t.reading
    found = r.find_exact(lx.UNDO)
    if not found or not r.is_only(lx.UNDO) and _answers_besides(t, found):
        return None
    if not t.state.undo():
        return _reply("undo", "There is nothing to undo yet. " + _prompt(t.state))
    text = "Undone; back to where we were."
    if t.state.done:
        return _reply("undo", text, rank=True)
    return _reply("undo", f"{text} {_prompt(t.state)}")


def _answers_besides(t: _Turn, phrases: list) -> bool:
    """True when the message answers a question outside the given phrases ("undo, 5 hours"); the phrases' own
    words ("go back one") are no answer."""
    if not any(f.changes for f in t.findings):
        return False
    corrections = {" ".join(m) for m in map(str.split, lx.CORRECTION_CUES)}
    if all(" ".join(t.reading.words[m.start:m.end]) in corrections for m in phrases):
        return True  # "scratch that, it's training only": a correction cue, then the answer it corrects
    inside = {i for m in phrases for i in range(m.start, m.end)}
    rest = " ".join(tok.text for i, tok in enumerate(t.reading.tokens) if i not in inside)
    ctx = t.context()
    return any(f.changes for f in findings(Context(read(rest), ctx.asking, ctx.values, ctx.usd, False,
                                                   ctx.gpu_memory, ctx.gpu_id)))


def handle_greeting(t: _Turn):
    r = t.reading
    if not r.is_only(lx.GREETINGS, fillers=("there", "please", "!", "everyone", "all", "again")):
        # "hey whats up", "heya, thx for helping": greetings and thanks, give or take small words, and no answer
        said = r.find(lx.GREETINGS + lx.GREETING_THANKS)
        covered = {i for m in said for i in range(m.start, m.end)}
        rest = [w for i, w in enumerate(r.words) if i not in covered and w.isalnum() and w not in lx.GREETING_FILLERS]
        real = [m for m in said if " ".join(r.words[m.start:m.end]) not in lx.WEAK_GREETINGS]
        if rest or not real or any(f.changes for f in t.findings):
            return None
    return _reply("greeting", "Hello! " + (_prompt(t.state) or "Ask 'why not Colab?', 'what if I had $20?', or "
                                                                 "change an answer."))


def handle_skip_exact(t: _Turn):
    if not (t.reading.is_only(lx.SKIP) or t.reading.content_words[:1] == ["skip"]):
        return None
    q = QUESTION_BY_NAME.get(t.state.asking or "")
    if q is not None and q.unknown is not None and q.parse(t.context()) is not None:
        return None  # "don't know" answers the memory question: no particular memory
    return _skip(t)


def _skip(t: _Turn):
    q = QUESTION_BY_NAME.get(t.state.asking or "")
    if q is None:
        return None
    t.state.remember()
    t.state.close(q.name)
    default = describe(q.name, workload_from_answers({}))
    return _reply("skip", f"Skipped; I'll assume {default} (the default). " + _next(t), rank=t.state.done)


def _next(t: _Turn) -> str:
    return f"That's all I need.\n\n{summary(t.state)}" if t.state.done else _prompt(t.state)


def summary(state: ChatState) -> str:
    """'Your answers:' and one line per question, '(default)' where the Workload default applies."""
    workload = workload_from_answers(state.answers)
    lines = []
    for q in QUESTIONS:
        said = any(state.answers.get(f) is not None for f in q.sets)
        lines.append(f"- {q.label}: {describe(q.name, workload)}{'' if said else ' (default)'}")
    if workload.education:
        lines.append("- education plans: yes (student or teacher)")
    return "Your answers:\n" + "\n".join(lines)


def handle_what_if(t: _Turn):
    r = t.reading
    opener = r.find(("what about", "how about", "and", "with"))
    conditional = r.is_question and ("if" in r.words or "would" in r.words) and not platforms_in(r, t.catalog)
    # "bonus if I can host it", "nice if it could run overnight": a wish, said as a condition.
    markers = [m for m in r.find(lx.WHAT_IF) if not (r.words[m.start] == "if" and m.start > 0
                                                     and r.words[m.start - 1] in lx.WISH_BEFORE_IF)]
    marker = markers or conditional or (r.is_question and opener and opener[0].start == 0)
    asking = r.is_question and any(m.start == 0 for m in r.find(lx.ASKING_OPENERS)) \
        and not platforms_in(r, t.catalog) and explain_topic(r) is None \
        and not r.has(("difference", "differ", "mean", "means", "meaning"))
    if r.has(lx.CHANGE_OF_MIND_CUES) and not r.has(lx.WHAT_IF[:5]):
        return None  # "actually forget free only, I can spend 10 if it's faster": a decision, not a what-if
    if not (marker or asking) or r.has(lx.TERM_QUESTIONS) and not markers:
        return None  # "what counts as a GPU hour if I have two notebooks open?": a term asked about
    found = [f for f in findings(t.context(hypothetical=True)) if f.changes or f.problem]
    if not found and (markers or r.is_question and "if" in r.words) and r.quantities:
        # A what-if's quantity read at a question: the one it names ("and if two of us ran notebooks at once?"),
        # else for a bare number ("what if I only needed 16?" just after "24 GB") the last one answered, for a
        # measure ("supposing I doubled it to 60 hours") the one being asked.
        bare = all(q.dim == "number" and q.noun is None for q in r.quantities)
        named = [m.label for m in r.match(field_names()) if m.label in QUESTION_BY_NAME]
        for at in named + [t.state.closed[-1] if bare and t.state.closed else t.state.asking]:
            if at is not None:
                found = [f for f in findings(replace(t.context(hypothetical=True), asking=at))
                         if f.changes or f.problem]
            if found:
                break
    if not found:
        return None
    problems = [f.problem for f in found if f.problem]
    if problems:
        return _reply("invalid", problems[0] + ("" if problems[0].endswith("?") else ".") + " Your answers stay as "
                                               "they are. " + _prompt(t.state))
    answers = dict(t.state.answers)
    for f in found:
        for k, v in f.changes.items():
            if v is None:
                answers.pop(k, None)
            else:
                answers[k] = v
    workload = t.workload(answers)
    recs = t.ranking(workload)
    if workload is None or recs is None:
        return _reply("invalid", "I can't rank that combination. " + _prompt(t.state))
    said = "; ".join(f.said for f in found)
    real = t.ranking(t.workload())
    diff = _difference(real, recs)
    text = f"**Hypothetically, with {said}** (your answers stay as they are):\n\n" + \
        ranking_text(t.catalog, workload, recs, top=3)
    if diff:
        text += "\n\n" + diff
    # A question with a value in it ("which plan is the fastest?", "is there anything free?") is answered the same
    # way, and is a question; "what if ...", "and with 24 GB?" are what-ifs.
    intent = "question" if asking and not marker else "what_if"
    # kept for "let's do that": what the what-if changes (a field it drops is set to None)
    t.state.supposed = {k: answers.get(k) for k in set(answers) | set(t.state.answers)
                        if answers.get(k) != t.state.answers.get(k)}
    return _reply(intent, text, what_if=(workload, recs), hypothetical=answers, topic="what_if")


def handle_adopt(t: _Turn):
    """'let's do that', 'go with that' just after a what-if: its supposed answers become the answers."""
    r = t.reading
    supposed = t.state.supposed
    if not supposed or r.quantities or not r.has(lx.ADOPT_WHAT_IF) or r.has(lx.NEGATORS):
        return None
    t.state.remember()
    t.state.apply(supposed)
    for name, value in supposed.items():
        if name in QUESTION_OF and value is not None:
            t.state.close(QUESTION_OF[name])
    names = ", ".join(dict.fromkeys(QUESTION_LABEL.get(QUESTION_OF.get(k, ""), k.replace("_", " "))
                                    for k in supposed))
    return _reply("change_of_mind", f"Done: your answers now have the what-if's {names}." + _again(t),
                  rank=t.state.done)


def _difference(real: list[Recommendation] | None, other: list[Recommendation]) -> str:
    if not real:
        return ""
    fits = {r.plan_id for r in real if r.feasible}
    fits_then = {r.plan_id for r in other if r.feasible}
    label = {r.plan_id: r.plan.label for r in real + other}
    parts = []
    gained, lost = sorted(fits_then - fits), sorted(fits - fits_then)
    if gained:
        parts.append("would fit too: " + ", ".join(label[p] for p in gained))
    if lost:
        parts.append("would no longer fit: " + ", ".join(label[p] for p in lost))
    top_now = next((r for r in real if r.feasible), None)
    top_then = next((r for r in other if r.feasible), None)
    if top_now and top_then and top_now.plan_id != top_then.plan_id:
        parts.append(f"first place would go from {top_now.plan.label} to {top_then.plan.label}")
    return "Compared with your ranking: " + "; ".join(parts) + "." if parts else \
        "Compared with your ranking: nothing changes."


def handle_question(t: _Turn):
    r = t.reading
    keys = platforms_in(r, t.catalog)
    asking = r.is_question or r.has(lx.WHY_WORDS[:2]) or r.has(("tell me about", "explain"))
    short = len(r.content_words) <= 4
    if asked_quantities(r) and any(f.changes for f in t.findings) and r.words[-1:] != ["?"]:
        return None  # "is colab pro+ really $50? way too much, my limit is 15": the question, then the answer
    if keys and (asking or short):
        workload = t.workload()
        recs = t.ranking(workload)
        text = about(t.catalog, keys[0], r, workload, recs, provisional=not t.state.done)
        return _reply("about", text + _again(t), topic=keys[0])
    if not asking:
        return None
    topic = explain_topic(r)
    q = QUESTION_BY_NAME.get(t.state.asking or "")
    if topic is None and r.has(lx.CLARIFY) and q is not None:
        topic = q.topic
        if topic is None:
            return _reply("explain", q.description + _again(t), topic=q.name)
    if topic is None:
        return None
    if topic in ("budget", "needs", "predictability") and any(f.changes for f in t.findings) and not r.is_question:
        return None
    return _reply("explain", explanation(topic, t.catalog) + _again(t), topic=topic)


def _again(t: _Turn) -> str:
    return "\n\n" + _prompt(t.state) if not t.state.done else ""


def handle_answer(t: _Turn):
    found = _to_last_fact(t, t.findings)
    if not found:
        return None
    if t.reading.is_question and t.reading.has(lx.CLARIFY[-3:]):
        return None  # "what's the difference between training and inference?": explained, not taken
    problems = [f for f in found if f.problem]
    if problems:
        intent = "unknown" if problems[0].ambiguous else "invalid"
        text = problems[0].problem
        text += " " if text.endswith("?") else ". Nothing changed. "
        return _reply(intent, text + _prompt(t.state))
    current = t.state.asking
    # a size said alone ("it's a 7B model"); one inside a model's name ("Qwen 2.5 7B") comes with the model
    params = next((q for q in t.reading.quantities if q.dim == "params" and not any(
        start <= q.start and q.end <= end for start, end in model_spans(t.reading))), None)
    if current == "gpu_memory_gib" and params is not None and all(f.question != current for f in found) \
            and not any(k == "gpu_memory_gib" for f in found for k in f.changes):
        return None  # "it's a 7B model": the memory it needs is explained (handle_unknown), not guessed
    before = dict(t.state.answers)
    t.state.remember()
    denied = denied_values(t.reading)
    # A correction never sets the value it negates; an answer already holding it is taken back.
    wrong = [name for name, v in before.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
             and any(abs(v - d) < 1e-9 for d in denied) and not any(name in f.changes for f in found)]
    for name in wrong:
        t.state.answers.pop(name, None)
        t.state.reopen(name)
    for f in found:
        t.state.apply(f.changes)
        t.state.close(f.question)
    said = "; ".join(f.said for f in found)
    if wrong:
        said += "; " + ", ".join(f"not {before[n]:g} (I've forgotten that {QUESTION_LABEL.get(n, n)})"
                                 for n in wrong)
    intent = _answer_intent(t, found, before, denied)
    remarks = _remarks(t, found)
    lead = {"correction": "Corrected", "change_of_mind": "Changed"}.get(intent)
    if t.state.done:
        if current is None:
            return _reply(intent, f"{lead or 'Updated'}: {said}.{remarks}", rank=True)
        return _reply(intent, f"{lead or 'Got it'}: {said}.{remarks} That's all I need.\n\n{summary(t.state)}",
                      rank=True)
    other = current is not None and all(f.question != current for f in found)
    lead = lead or ("Noted" if other else "Got it")
    return _reply(intent, f"{lead}: {said}.{remarks}\n\n" + _prompt(t.state))


# Words for the period a monthly figure may have been meant in ("that's per week"), by the period they name; how
# many of each make a month is the lexicon's (lexicon.PERIODS).
_PERIOD_OF = {"week": "week", "weekly": "week", "day": "day", "daily": "day", "month": "month", "monthly": "month",
              "year": "year", "yearly": "year", "annually": "year", "annual": "year"}
_PERIOD_FIELDS = ("budget_usd_per_month", "gpu_hours_per_month")


def handle_period_fix(t: _Turn):
    """'wait, that's per week, not per month': the last figure said with a period is read in the other period (a
    message with no figure of its own and a correction cue or a denied period)."""
    r = t.reading
    # "sorry, I meant a week" after a monthly figure: 'a week' names the period, not a week-long run
    bare_periods = all(q.idiom and r.words[q.start:q.end][-1:] and r.words[q.end - 1] in _PERIOD_OF
                       and q.end - q.start <= 2 for q in r.quantities)
    if not bare_periods or r.is_question:
        return None
    # a period noun after 'per', 'a', 'each' ("per week"); an adverb alone ("that's weekly, not monthly")
    said = [(i, _PERIOD_OF[w]) for i, w in enumerate(r.words) if w in _PERIOD_OF and (
        r.words[i - 1:i] in (["per"], ["a"], ["each"], ["every"], ["the"]) or w != _PERIOD_OF[w])]
    denied = [w for i, w in said if "not" in r.words[max(0, i - 3):i] or "no" in r.words[max(0, i - 2):i]]
    meant = [w for i, w in said if w not in denied]
    last = [k for k in t.state.last_changed() if k in _PERIOD_FIELDS]
    if not meant or not last or not (denied or r.has(lx.CORRECTION_CUES)) or len(set(meant)) > 1:
        return None
    name, old = last[0], t.state.answers.get(last[0])
    if not isinstance(old, (int, float)) or isinstance(old, bool) or not old:
        return None
    period = meant[0]
    # a figure said per `denied` (else per month), meant per `period`: times the periods in a month
    value = round(old * lx.PERIODS[period] / lx.PERIODS[denied[0] if denied else "month"], 2)
    if name == "gpu_hours_per_month" and value > HOURS_PER_MONTH * (t.state.answers.get("notebooks_at_once") or 1):
        return None
    t.state.remember()
    t.state.apply({name: value})
    before, after = (money(old), money(value)) if name == "budget_usd_per_month" else \
        (f"{old:g} GPU hours", f"{value:g} GPU hours")
    return _reply("correction", f"Corrected: {before} a {period} is {after} a month." + _again(t), rank=t.state.done)


def handle_denial(t: _Turn):
    """'no, not 384', '384 is wrong': an answer holding a denied number is taken back and asked again."""
    denied = denied_values(t.reading)
    if not denied or any(f.changes for f in _to_last_fact(t, t.findings)):
        return None  # "wait, not 30, 25": the new value is taken by the answer handler
    wrong = [name for name, v in t.state.answers.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
             and any(abs(v - d) < 1e-9 for d in denied)]
    if not wrong:
        return None
    t.state.remember()
    for name in wrong:
        t.state.answers.pop(name, None)
        t.state.reopen(name)
    said = ", ".join(f"{QUESTION_LABEL.get(n, n)} (not {d:g})" for n in wrong for d in denied[:1])
    return _reply("correction", f"Corrected: I've forgotten the {said}. " + _prompt(t.state), rank=t.state.done)


def _to_last_fact(t: _Turn, found: list[Finding]) -> list[Finding]:
    """A correction that names no field ("no wait, make it 6 hours") corrects the last fact said, when the
    message reads as an answer to that fact's question too."""
    r = t.reading
    current = t.state.asking
    strong = [m for m in r.find(lx.CORRECTION_CUES) if " ".join(r.words[m.start:m.end]) not in lx.WEAK_CORRECTION_CUES]
    # A weak cue ("sorry", "actually", "make it") reads a message again only when it answers nothing as it stands
    # ("ugh sorry, 15 actually" at the predictability question); "actually 2" at the notebooks question is 2 notebooks.
    cue = strong or _leading_no(r) or r.has(lx.CORRECTION_CUES) and not any(f.changes for f in found)
    last = t.state.last_changed()
    # Only a message that reads as nothing, or only as an answer to the question being asked ("no wait, 20" at
    # the predictability question, "make it 40" after the ranking), is read again.
    # A bare number ("no wait, ... so 15 a month") says no field of its own, wherever else it might fit.
    bare = bool(r.quantities) and all(q.dim == "number" and q.noun is None and q.currency is None
                                      for q in r.quantities)
    # A fact said in passing beside the correction ("no wait, 7 hours, the dataset is 60 GB") answers no question,
    # so it does not stop the reading again.
    asked = [f for f in found if f.changes and f.question in QUESTION_LABEL]
    if not cue or not last or any(f.question != current for f in asked) and not (strong and bare):
        return found
    q = next((q for q in QUESTIONS if set(q.sets) & set(last)), None)
    if q is None or q.name == current:
        return found
    ctx = t.context()
    again = findings(Context(r, q.name, ctx.values, ctx.usd, False, ctx.gpu_memory, ctx.gpu_id))
    if not any(f.question == q.name and f.changes for f in again):
        return found
    return [f for f in again if f.question != current]


def _leading_no(r: Reading) -> bool:
    """'no, 6 hours', 'nope, 2 notebooks': a message that opens with 'no' and gives a quantity corrects."""
    words = [w for w in r.content_words if w not in lx.WEAK_OPENERS]  # "hmm no, just one"
    return bool(r.quantities) and words[:1] in (["no"], ["nope"], ["nah"])


def _answer_intent(t: _Turn, found: list[Finding], before: dict, denied: list[float]) -> str:
    """'change_of_mind' for a new decision ("forget free only", "on second thought, no background"),
    'correction' for a fix of what was said or understood ("16 GB not 384", "no wait, 24", "make it 12"), else
    'answer' (new facts)."""
    r = t.reading
    changed = {k for f in found for k, v in f.changes.items() if before.get(k) is not None and before.get(k) != v}
    # Only words that say so make a change of mind; "actually", "make it", "sorry" fix what was said ("actually i
    # can do $10", "actually no, i want it fast").
    if r.has(lx.CHANGE_OF_MIND_CUES):
        return "change_of_mind"
    strong = [m for m in r.find(lx.CORRECTION_CUES) if " ".join(r.words[m.start:m.end]) not in lx.WEAK_CORRECTION_CUES]
    # A need demoted to a wish or a wish made a need ("background isn't essential, just nice to have", "let me
    # soften that: ... merely desirable") is a new decision, unless words say what was said is being fixed.
    if not strong and not denied and _need_moved(found, before):
        return "change_of_mind"
    if denied or strong or (r.has(lx.CORRECTION_CUES) or _leading_no(r)) and changed:
        return "correction"
    if changed and r.has(lx.CHANGE_CUES + ("instead",)):
        return "correction"
    if changed and r.content_words[:1] in (["no"], ["nope"], ["nah"]):
        return "correction"  # "no, LoRA, not full fine-tuning"
    # A need given up ("we don't strictly need the deployment feature") is a new decision; another answer given
    # before and now said otherwise, out of turn ("it's not only inference, I also fine-tune"), a correction.
    after_needs = next((f.changes["needs"] for f in found if "needs" in f.changes), None)
    if after_needs is not None and set(before.get("needs") or ()) - set(after_needs):
        return "change_of_mind"
    current = t.state.asking
    if changed and current is not None and any(k in QUESTION_OF and QUESTION_OF[k] != current for k in changed):
        return "correction"
    return "answer"


def _need_moved(found: list[Finding], before: dict) -> bool:
    """True when a need said before is now a wish, or a wish a need."""
    after = {k: v for f in found for k, v in f.changes.items() if k in ("needs", "nice_to_have")}
    if not after:
        return False
    needs, nice = set(before.get("needs") or ()), set(before.get("nice_to_have") or ())
    return bool(needs & set(after.get("nice_to_have") or ()) or nice & set(after.get("needs") or ()))


def _remarks(t: _Turn, found: list[Finding]) -> str:
    """What a new answer means against the catalog's published limits (a weekly free quota exceeded)."""
    monthly = next((f.changes.get("gpu_hours_per_month") for f in found if "gpu_hours_per_month" in f.changes), None)
    if not monthly:
        return ""
    weekly = monthly / WEEKS_PER_MONTH
    over = [(p, p.fact(PlanField.GPU_HOURS_PER_WEEK)) for p in t.catalog.free_plans()
            if p.fact(PlanField.GPU_HOURS_PER_WEEK) is not None and weekly > p.fact(PlanField.GPU_HOURS_PER_WEEK)]
    if not over:
        return ""
    return " That is about {:.0f} hours a week, more than the free quota of {}.".format(
        weekly, ", ".join(f"{p.label} ({q:g} h a week)" for p, q in over))


def field_names() -> dict[str, tuple[str, ...]]:
    """Each answer's names, from its question's label and workload.FIELDS' label and nouns ('GPU memory',
    'budget', 'dataset size'): a question field's group is named by its question."""
    out: dict[str, tuple[str, ...]] = {}
    for spec in FIELDS:
        q = next((q for q in QUESTIONS if spec.name in q.sets), None)
        key = q.name if q else spec.name
        names = (spec.label.split("(")[0].strip(), *spec.nouns) + ((q.label,) if q else ())
        out[key] = tuple(dict.fromkeys(out.get(key, ()) + names))
    return out


def handle_forget(t: _Turn):
    """'change the budget', 'forget my GPU memory': the answer is forgotten and its question asked again."""
    r = t.reading
    if not r.find(lx.FORGET_CUES) or any(f.changes for f in t.findings) or r.is_question:
        return None
    named = r.match(field_names())
    said = [m.label for m in named if any(k in t.state.answers for k in _sets(m.label))]
    needs = [n for n in Need if r.has(n.keywords) and n.value in (t.state.answers.get("needs", []) +
                                                                   t.state.answers.get("nice_to_have", []))]
    if not said and needs:
        # "forget the background thing": one need or wish is dropped
        t.state.remember()
        for key in ("needs", "nice_to_have"):
            t.state.answers[key] = [v for v in t.state.answers.get(key, []) if v not in {n.value for n in needs}]
        return _reply("change_of_mind", f"Dropped: {', '.join(n.label for n in needs)}." + _again(t),
                      rank=t.state.done)
    if not said:
        return None
    name = said[0]
    t.state.remember()
    for key in _sets(name):
        t.state.answers.pop(key, None)
    t.state.reopen(name)
    label = QUESTION_LABEL.get(name) or FIELD_SPECS[name].label.split("(")[0].strip()
    q = QUESTION_BY_NAME.get(name)
    ask = q.prompt if q else f"What is your {label}? (or say 'skip')"
    return _reply("change_of_mind", f"Let's change the {label}: I've forgotten what you said. {ask}")


def _sets(name: str) -> tuple[str, ...]:
    q = QUESTION_BY_NAME.get(name)
    return q.sets if q else (name,)


@dataclass(frozen=True)
class Understood:
    """One answer as the chat understood it: its field (a question's name for its group), label, the words it
    is said back with, and how to change it (a message the chat understands)."""

    name: str
    label: str
    text: str
    change: str


def understood(state: dict) -> list[Understood]:
    """Every answer given so far, in question order then the other fields, with a message that changes it."""
    chat = ChatState.from_json(state)
    try:
        workload = workload_from_answers(chat.answers)
    except AdvisorError:
        return []
    out = []
    for q in QUESTIONS:
        if any(chat.answers.get(k) is not None for k in q.sets):
            out.append(Understood(q.name, q.label, describe(q.name, workload), f"change the {q.label}"))
    asked = {k for q in QUESTIONS for k in q.sets}
    for spec in FIELDS:
        value = chat.answers.get(spec.name)
        if spec.name in asked or value is None or value == spec.default or value == []:
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list) else \
            ("yes" if value else "no") if isinstance(value, bool) else f"{value:,g}" if isinstance(value, float) \
            else str(value)
        label = spec.label.split("(")[0].strip()
        out.append(Understood(spec.name, label, shown, f"forget the {label}"))
    return out


def handle_thanks(t: _Turn):
    """'ok makes sense. thanks!': small talk gets a short reply, nothing changes."""
    r = t.reading
    words = [w for w in r.content_words if w not in ("so", "very", "much", "a", "lot", "for", "the", "help",
                                                     "ok", "okay", "really", "is", "was", "that")]
    text = " ".join(words)
    if not words or len(r.find(lx.THANKS)) == 0 or any(f.changes for f in t.findings):
        return None
    covered = sum(m.end - m.start for m in r.find(lx.THANKS))
    if covered < len(words) - 1 or len(text) > 60:
        return None
    return _reply("greeting", "You're welcome! " + (_prompt(t.state) or "Ask about a plan, try a what-if, or "
                                                                           "change an answer."))


def handle_pick(t: _Turn):
    """'which one should I pick?': the first plan of the ranking and why, in one sentence."""
    if not t.reading.has(lx.PICK) or any(f.changes for f in t.findings):
        return None
    recs = t.ranking(t.workload()) if t.state.done else None
    best = next((r for r in recs or [] if r.feasible), None)
    if best is None:
        text = "Once I have your answers I'll rank the plans. " + _prompt(t.state) if not t.state.done else \
            "No plan fits every answer yet; change one (the budget, the memory) and I'll rank again."
        return _reply("question", text, topic="pick")
    second = next((r for r in recs[recs.index(best) + 1:] if r.feasible), None)
    text = f"I'd pick **{best.plan.label}**: it ranks first for your answers"
    if second is not None:
        text += f"; the runner-up is {second.plan.label}"
    return _reply("question", text + ". Ask 'why not ...?' about any other plan.", topic="pick")


def handle_gpu_question(t: _Turn):
    """'does the L4 have 24 GB?', 'how much memory is on a t4?': a question about a GPU the catalog knows, answered
    from its spec sheet; nothing said in it is an answer."""
    r = t.reading
    if not r.is_question:
        return None
    gpus = []
    for _, _, names in gpu_names(r.words):
        gpu = next((g for g in map(t._gpu, names) if g is not None), None)
        if gpu is not None and gpu not in gpus:
            gpus.append(gpu)
    if not gpus:
        return None
    text = "; ".join(f"the {g.name} has {g.memory_gib:g} GB of GPU memory" for g in gpus)
    return _reply("question", text[0].upper() + text[1:] + " (its spec sheet)." + _again(t), topic="gpu")


def handle_model_memory(t: _Turn):
    """'how much memory does a 7b model need?', 'how much vram does sdxl need?': the weights' memory, answered
    without changing anything."""
    r = t.reading
    params = next((q for q in r.quantities if q.dim == "params"), None)
    if not r.is_question or not r.has(lx.MEMORY_WORDS + ("vram", "fit", "need", "gb")):
        return None
    named = model_size(find_model(r))
    if params is not None:
        billions = params.value / 1e9
    elif named is not None:
        billions = named
    else:
        return None
    method = next((m.label for m in r.match({"qlora": ("qlora", "4 bit"), "lora": ("lora",)})), None)
    size = {"qlora": 0.5, "lora": 2.0}.get(method or "", 2.0) * billions
    text = f"A {billions:g}B-parameter model's weights take about {size:g} GB " + \
        ("in 4-bit (QLoRA)" if method == "qlora" else "in 16-bit precision") + \
        ("; full training needs several times that (gradients, optimiser state, activations)" if not method else
         "; add a few GB for the adapters, activations and the batch") + "."
    return _reply("question", text + _again(t), topic="model_memory")


def handle_other_question(t: _Turn):
    """A question the chat has no topic for: explain the question being asked, or after the ranking how it works
    and what it says."""
    r = t.reading
    if not r.is_question:
        return None
    q = QUESTION_BY_NAME.get(t.state.asking or "")
    if q is not None:
        if not (r.has(lx.QUESTION_WORDS[q.name]) or r.has(lx.CLARIFY)):
            return None  # an off-topic question ("what's the weather like?")
        return _reply("explain", f"{q.description}\n\n{q.prompt} For example {q.example}.", topic=q.topic or q.name)
    if not r.has(lx.QUESTION_WORDS["done"]):
        return None
    return _reply("explain", explanation("how_it_works", t.catalog), topic="how_it_works", rank=True)


def handle_skip(t: _Turn):
    return _skip(t) if t.reading.has(lx.SKIP) or t.reading.is_only(lx.SOFT_SKIP) else None


def handle_unknown(t: _Turn):
    q = QUESTION_BY_NAME.get(t.state.asking or "")
    r = t.reading
    params = next((x for x in r.quantities if x.dim == "params"), None)
    if params is not None and q is not None and q.name == "gpu_memory_gib":
        billions = params.value / 1e9
        return _reply("unknown", f"A {billions:g}B-parameter model needs about {2 * billions:g} GB for its weights "
                                 "alone in 16-bit precision, and more to train or fine-tune it (gradients, "
                                 "optimiser state, activations), so the memory depends on how you run it. How many "
                                 "GB does your job use? Say 'don't know' and I'll rank every GPU.")
    if q is None:
        return _reply("unknown", "Sorry, I didn't catch that. You can ask 'why not Colab?', 'what if I had $20?', "
                                 "change an answer ('make the budget 20', 'actually I need 24 GB'), 'undo' or "
                                 "'start over'.", rank=False)
    return _reply("unknown", f"Sorry, I didn't understand that as an answer. {q.prompt} For example {q.example}, "
                             "or 'skip'.")


HANDLERS: tuple[Callable[[_Turn], dict | None], ...] = (
    handle_empty, handle_blank, handle_start_over, handle_undo, handle_greeting, handle_skip_exact,
    handle_adopt, handle_what_if, handle_question, handle_pick, handle_forget, handle_gpu_question,
    handle_model_memory, handle_period_fix, handle_denial, handle_answer, handle_thanks, handle_other_question,
    handle_skip, handle_unknown,
)


# ---------------------------------------------------------------------------------------------
# The turn


def chat_turn(catalog: Catalog, state: dict | None, message: str | None, **reference) -> ChatTurn:
    """One turn of the conversation; state None starts one. Never raises on any message text.

    reference: optional reference_hours with reference_score or reference_gpu, passed to the Workload.
    Raises ChatStateError for a state this chat did not produce.
    """
    chat = ChatState() if state is None else ChatState.from_json(state)
    t = _Turn(catalog, chat, None if message is None else str(message), reference)
    out = None
    for handler in HANDLERS:
        out = handler(t)
        if out is not None:
            break
    assert out is not None
    if out.get("what_if") is None:
        chat.supposed = {}  # a what-if is adopted only by the turn right after it
    workload = t.workload()
    recs = t.ranking(workload) if chat.done else None
    reply = out["reply"]
    if chat.done and out.get("rank"):
        reply += "\n\n" + (ranking_text(catalog, workload, recs) if recs is not None and workload is not None
                           else "I couldn't rank the plans for these answers; change one, or say 'undo'.")
    answers = {name: chat.answers.get(name) for name in ANSWER_FIELDS}
    return ChatTurn(state=chat.to_json(), reply=reply, quick_replies=quick_replies(chat, recs, out["intent"],
                                                                                    t.message),
                    done=chat.done, recommendations=recs if chat.done else None,
                    workload=workload if chat.done else None, answers=answers, asking=chat.asking,
                    intent=_INTENT_NAMES.get(out["intent"], out["intent"]), what_if=out.get("what_if"),
                    topic=out.get("topic"))


def quick_replies(state: ChatState, recs: list[Recommendation] | None, intent: str,
                  said: str | None = None) -> list[str]:
    """Buttons that fit where the conversation is: the question's own answers, or after the ranking a question
    about a plan (not the one just asked), a what-if that makes sense for these answers, undo and start over."""
    if not state.done:
        q = QUESTION_BY_NAME[state.asking]
        out = list(q.quick_replies)
        if q.name == "budget_usd_per_month" and state.answers.get("education") is False:
            out = [x for x in out if x != "Free only"] + ["Free only"]
        return out + (["Undo"] if state.history else [])
    out = []
    if recs:
        asked = (said or "").strip().lower()
        platforms = list(dict.fromkeys([r.plan.platform for r in recs if not r.feasible] +
                                       [r.plan.platform for r in recs[1:]]))
        other = next((p for p in platforms if f"why not {p}?".lower() != asked), None)
        if other is not None:
            out.append(f"Why not {other}?")
    answers = state.answers
    if not answers.get("free_only"):
        budget = answers.get("budget_usd_per_month")
        if budget:
            out.append(f"What if I had ${budget * 2:g}?")
    if (answers.get("gpu_memory_gib") or 0) < 24:
        out.append("And with 24 GB?")
    out += ["Undo", "Start over"]
    return out
