"""The chat questionnaire: asks the workload questions one at a time, understands ordinary answers ("about
6 hours", "16 gigs", "10 bucks", "free only", "two notebooks"), lets the user change an answer later, and
answers follow-ups ("why not Colab?") from the recommendation's reasons. Deterministic and offline.

The conversation state is a small JSON-ready dict, so a stateless front end (the HTTP API) can hand it back.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .catalog import Catalog
from .errors import AdvisorError, InvalidWorkloadError
from .recommend import Recommendation, recommend
from .workload import Workload

STATE_VERSION = 1
MAX_MESSAGE_CHARS = 2000

NUMBER_WORDS = {
    "zero": 0, "none": 0, "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "couple": 2, "pair": 2, "three": 3,
    "few": 3, "several": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "dozen": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "hundred": 100, "half": 0.5,
}
_NUM = r"(\d+(?:[.,]\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
SKIP_WORDS = re.compile(r"^\s*(skip|pass|don'?t know|dunno|not sure|no idea|default|whatever|idk)\b")


class ChatStateError(AdvisorError, ValueError):
    "The conversation state is not one this chat produced"


@dataclass(frozen=True)
class Question:
    """One questionnaire step: the field it fills, how it asks, quick replies, and the default on 'skip'."""

    key: str
    prompt: str
    quick_replies: tuple[str, ...]
    default: object
    default_text: str
    example: str


QUESTIONS = (
    Question("kind", "What will you mostly do on the GPU: **training**, **inference**, or a **mix**?",
             ("Training", "Inference", "A mix", "Skip"), "mixed", "a mix of training and inference",
             "'training mostly', 'inference' or 'a bit of both'"),
    Question("gpu_memory_gib", "How much **GPU memory** does your model need?",
             ("8 GB", "16 GB", "24 GB", "40 GB", "Don't know"), 0.0, "no particular GPU memory",
             "'16 GB', '24 gigs' or 'don't know'"),
    Question("session_hours", "How long is your **longest uninterrupted run**?",
             ("1 hour", "6 hours", "12 hours", "24 hours", "Skip"), 2.0, "runs of up to 2 hours",
             "'about 6 hours', '90 minutes' or 'a day'"),
    Question("gpu_hours_per_month", "About how many **GPU hours a month** will you use?",
             ("10 hours", "40 hours", "100 hours", "300 hours", "Skip"), 20.0, "20 GPU hours a month",
             "'40 hours a month' or 'about 100'"),
    Question("notebooks_at_once", "How many **notebooks must run at the same time**?",
             ("Just one", "Two", "Three or more", "Skip"), 1, "one notebook at a time", "'one', 'two notebooks' or '3'"),
    Question("budget", "What is your **monthly budget**?",
             ("Free only", "$10", "$50", "No limit", "Skip"), None, "no budget limit",
             "'$10 a month', '10 bucks', 'free only' or 'no limit'"),
    Question("predictability", "How much does a **predictable run time** matter (same speed every session)?",
             ("Doesn't matter", "I'd prefer it", "I need it", "Skip"), "any", "predictability doesn't matter",
             "'doesn't matter', 'I'd prefer it' or 'I need it to be predictable'"),
    Question("needs", "Do you need any of: a **selectable timeout**, **background** execution, **deployment** as a "
                      "service, **private** notebooks?",
             ("None", "Private notebooks", "Background execution", "Selectable timeout", "Deployment"), (),
             "no special features", "'none', 'private notebooks' or 'background and deployment'"),
)
QUESTION_BY_KEY = {q.key: q for q in QUESTIONS}
FIELD_NAMES = {"kind": "kind of work", "gpu_memory_gib": "GPU memory", "session_hours": "longest run",
               "gpu_hours_per_month": "GPU hours a month", "notebooks_at_once": "notebooks at once",
               "budget": "budget", "predictability": "predictability", "needs": "needs"}


def _to_number(token: str) -> float:
    token = token.strip().lower()
    if token in NUMBER_WORDS:
        return float(NUMBER_WORDS[token])
    return float(token.replace(",", "."))


def _first_number(text: str) -> float | None:
    m = re.search(r"\b" + _NUM + r"\b", text)
    if m is None:
        m = re.search(r"(\d+(?:[.,]\d+)?)", text)
    return None if m is None else _to_number(m.group(1))


# ---------------------------------------------------------------------------------------------
# Parsers: each returns the value, or None when it does not understand the text.


def parse_kind(text: str):
    t = text.lower()
    has_train = re.search(r"\btrain", t) is not None
    has_infer = re.search(r"\b(inferenc\w*|infer\w*|serv(e|ing)|deploy\w*|predictions?)\b", t) is not None
    if re.search(r"\b(both|mix\w*|mixture|a bit of each|half and half|equally)\b", t) or (has_train and has_infer):
        return "mixed"
    if has_train:
        return "training"
    if has_infer:
        return "inference"
    return None


MEMORY_UNITS = ((r"(gb|gib|gigs?|gigabytes?|g\b)", 1.0), (r"(mb|mib|megabytes?)", 1 / 1024))
HOUR_UNITS = ((r"(hours?|hrs?|h)\b", 1.0), (r"(minutes?|mins?|m)\b", 1 / 60), (r"(days?)\b", 24.0))


def _quantity(text: str, units) -> float | None:
    """The first 'number unit' in text, converted: units are (pattern, factor) pairs tried in order."""
    for unit, factor in units:
        m = re.search(_NUM + r"\s*-?\s*" + unit, text)
        if m:
            return round(_to_number(m.group(1)) * factor, 3)
    return None


def parse_memory(text: str):
    t = text.lower()
    value = _quantity(t, MEMORY_UNITS)
    if value is not None:
        return value
    if re.search(r"\b(no|none|nothing|any|doesn'?t matter|not much|tiny|small)\b", t):
        return 0.0
    if re.fullmatch(r"\s*(about|around|roughly|~)?\s*" + _NUM + r"\s*", t):
        return _first_number(t)
    return None


def parse_hours(text: str, plain_number_ok: bool = True):
    t = text.lower()
    if re.search(r"\bhalf an? hour\b", t):
        return 0.5
    if re.search(r"\b(overnight|all night)\b", t):
        return 12.0
    if re.search(r"\b(all day|a day|one day|a full day)\b", t):
        return 24.0
    value = _quantity(t, HOUR_UNITS)
    if value is not None:
        return value
    if plain_number_ok and re.fullmatch(r"\s*(about|around|roughly|maybe|~)?\s*" + _NUM + r"\s*(a month|per month|monthly)?\s*", t):
        return _first_number(t)
    return None


def parse_count(text: str):
    t = text.lower()
    if re.search(r"\b(just one|only one|one at a time|single)\b", t):
        return 1
    if re.search(r"\b(or more|several|many|lots)\b", t):
        return max(3, int(_first_number(t) or 3))
    value = _first_number(t)
    if value is None:
        return None
    if value != int(value):
        return None
    return int(value)


def parse_budget(text: str):
    """(budget_usd_per_month or None, free_only) or None when not understood."""
    t = text.lower()
    if re.search(r"\b(free only|only free|free|nothing|no money|zero|\$0|broke)\b", t) and not re.search(r"\d", t.replace("$0", "")):
        return (None, True)
    if re.search(r"\b(no limit|unlimited|no budget|doesn'?t matter|any|whatever it takes|money is no object)\b", t):
        return (None, False)
    m = re.search(r"\$\s*(\d+(?:[.,]\d+)?)", t) or re.search(r"(\d+(?:[.,]\d+)?)\s*(\$|usd|dollars?|bucks)", t) \
        or re.search(_NUM + r"\s*(usd|dollars?|bucks)", t)
    if m:
        return (_to_number(m.group(1)), False)
    if re.fullmatch(r"\s*(about|around|up to|maybe|make (it|the budget)|budget( of| is)?)?\s*" + _NUM + r"\s*(a month|per month|monthly)?\s*", t):
        return (_first_number(t), False)
    m = re.search(r"budget\D{0,20}" + _NUM, t)
    if m:
        return (_to_number(m.group(1)), False)
    return None


def parse_predictability(text: str):
    t = text.lower()
    if re.search(r"\b(require|must|need|essential|critical|crucial|very|always|definitely|yes,? (it )?matters)\b", t) \
            and not re.search(r"\b(don'?t|do not|doesn'?t|no)\s+(need|care|matter)", t):
        return "require"
    if re.search(r"\b(prefer|nice|would like|somewhat|a bit|a little|bit|rather|yes|ideally)\b", t):
        return "prefer"
    if re.search(r"\b(any|doesn'?t matter|don'?t care|not important|no|nope|whatever|fine)\b", t):
        return "any"
    return None


def parse_needs(text: str):
    t = text.lower()
    found = set()
    if re.search(r"time-?out", t):
        found.add("selectable-timeout")
    if re.search(r"background|unattended|while (i'?m|i am) away|close (the|my) (tab|laptop|browser)", t):
        found.add("background")
    if re.search(r"deploy|as a service|serve|endpoint|\bapi\b", t):
        found.add("deployment")
    if re.search(r"privat|secret|confidential|not public", t):
        found.add("private")
    if found:
        return tuple(sorted(found))
    if re.search(r"\b(none|no|nothing|nope|not really|neither)\b", t):
        return ()
    return None


PARSERS = {
    "kind": parse_kind, "gpu_memory_gib": parse_memory, "session_hours": parse_hours,
    "gpu_hours_per_month": parse_hours, "notebooks_at_once": parse_count, "budget": parse_budget,
    "predictability": parse_predictability, "needs": parse_needs,
}

# Words that point at one field, for changes made out of turn ("make the budget 20", "actually I need 24 GB").
FIELD_MARKERS = {
    "budget": r"budget|\$|\bbucks\b|\bdollars?\b|\busd\b|free only|only free|no limit",
    "gpu_memory_gib": r"\d\s*(gb|gib|gigs?)\b|\bmemory\b|\bvram\b|\bgigs?\b",
    "session_hours": r"\bsession|\buninterrupted|\blongest\b|\bin one go\b|\brun(s)? (of|for|take)",
    "gpu_hours_per_month": r"(a|per|each|every)\s+month|\bmonthly hours|\bgpu hours",
    "notebooks_at_once": r"\bnotebooks?\b|\bat (the same time|once)\b|\bconcurrent",
    "predictability": r"predictab|consisten|reliab|\bvariance\b|\bspread\b",
    "kind": r"\btrain(ing)?\b|\binference\b",
    "needs": r"time-?out|\bbackground\b|\bdeploy|\bprivate\b",
}


def mentioned_fields(text: str) -> list[str]:
    t = text.lower()
    found = [k for k, pattern in FIELD_MARKERS.items() if re.search(pattern, t)]
    # "$10 a month" is a budget, not hours a month.
    if "budget" in found and "gpu_hours_per_month" in found and not re.search(r"hours?", t):
        found.remove("gpu_hours_per_month")
    return found


# ---------------------------------------------------------------------------------------------
# The conversation


@dataclass
class ChatTurn:
    """What the chat says back: the new state, the reply (Markdown), quick replies, and when done the ranking."""

    state: dict
    reply: str
    quick_replies: list[str] = field(default_factory=list)
    done: bool = False
    recommendations: list[Recommendation] | None = None
    workload: Workload | None = None


def new_state() -> dict:
    return {"v": STATE_VERSION, "answers": {}, "step": 0, "done": False}


def check_state(state) -> dict:
    """A copy of a state after checking its shape. Raises ChatStateError."""
    if not isinstance(state, dict) or state.get("v") != STATE_VERSION:
        raise ChatStateError("conversation state is missing or from another version; start a new conversation")
    answers = state.get("answers")
    step = state.get("step")
    if not isinstance(answers, dict) or not isinstance(step, int) or isinstance(step, bool) \
            or not 0 <= step <= len(QUESTIONS) or not isinstance(state.get("done"), bool):
        raise ChatStateError("conversation state is malformed; start a new conversation")
    unknown = set(answers) - set(QUESTION_BY_KEY)
    if unknown:
        raise ChatStateError(f"conversation state has unknown answers {sorted(unknown)}; start a new conversation")
    out = {"v": STATE_VERSION, "answers": dict(answers), "step": step, "done": state["done"]}
    try:
        workload_from_answers(out["answers"])
    except (InvalidWorkloadError, TypeError, ValueError) as exc:
        raise ChatStateError(f"conversation state holds an invalid answer ({exc}); start a new conversation") from None
    return out


def workload_from_answers(answers: dict, **reference) -> Workload:
    """The Workload the answers describe; unanswered questions take their stated defaults."""
    def get(key):
        value = answers.get(key, QUESTION_BY_KEY[key].default)
        return value
    budget = get("budget")
    budget_usd, free_only = (None, False) if budget is None else (budget[0], bool(budget[1]))
    return Workload(kind=get("kind"), gpu_memory_gib=float(get("gpu_memory_gib")), session_hours=float(get("session_hours")),
                    gpu_hours_per_month=float(get("gpu_hours_per_month")), notebooks_at_once=int(get("notebooks_at_once")),
                    budget_usd_per_month=None if budget_usd is None else float(budget_usd), free_only=free_only,
                    predictability=get("predictability"), needs=frozenset(get("needs")), **reference)


def describe(key: str, value) -> str:
    if key == "kind":
        return {"training": "training", "inference": "inference", "mixed": "a mix of training and inference"}[value]
    if key == "gpu_memory_gib":
        return "no particular GPU memory" if not value else f"{value:g} GB of GPU memory"
    if key == "session_hours":
        return f"runs of up to {value:g} hour{'s' if value != 1 else ''}"
    if key == "gpu_hours_per_month":
        return f"{value:g} GPU hours a month"
    if key == "notebooks_at_once":
        return f"{value} notebook{'s' if value != 1 else ''} at once"
    if key == "budget":
        if value is None or (value[0] is None and not value[1]):
            return "no budget limit"
        return "free plans only" if value[1] else f"a budget of ${value[0]:g} a month"
    if key == "predictability":
        return {"any": "predictability doesn't matter", "prefer": "you'd prefer predictable speed",
                "require": "you need predictable speed (within about ±10%)"}[value]
    if key == "needs":
        return "no special features" if not value else "you need " + ", ".join(value)
    return str(value)


def _validated(answers: dict, key: str, value) -> str | None:
    """None when the answer makes a valid workload, else what is wrong with it."""
    trial = dict(answers)
    trial[key] = value
    try:
        workload_from_answers(trial)
    except InvalidWorkloadError as exc:
        return exc.message
    return None


def _summary(answers: dict) -> str:
    lines = [f"- {FIELD_NAMES[q.key]}: {describe(q.key, answers.get(q.key, q.default))}"
             + ("" if q.key in answers else " (default)") for q in QUESTIONS]
    return "\n".join(lines)


def _result_text(recs: list[Recommendation]) -> str:
    feasible = [r for r in recs if r.feasible]
    if not feasible:
        return ("No plan meets every requirement. The closest ones fail because:\n"
                + "\n".join(f"- **{r.platform} {r.plan}**: {'; '.join(r.reasons)}" for r in recs[:3])
                + "\n\nChange an answer (for example 'make the budget 50') and I will rank again.")
    lines = [f"{r.rank}. **{r.platform} {r.plan}** ({r.gpu}): {r.why}" for r in feasible[:5]]
    more = f"\n\n{len(feasible) - 5} more plans fit; {len(recs) - len(feasible)} do not." if len(feasible) > 5 else ""
    return ("Here is my ranking, cheapest per point of speed first:\n\n" + "\n".join(lines) + more
            + "\n\nAsk 'why not Colab?' about any plan, or change an answer ('make the budget 20').")


def _answer_why(text: str, recs: list[Recommendation]) -> str | None:
    t = text.lower()
    if not re.search(r"\bwhy\b|\bwhat about\b|\bhow about\b", t):
        return None
    matches = []
    for r in recs:
        names = {r.plan_id, r.plan_id.replace("-", " "), r.platform.lower(), r.platform.split()[-1].lower(),
                 r.platform.split()[0].lower(), f"{r.platform} {r.plan}".lower()}
        if any(n and re.search(r"\b" + re.escape(n) + r"\b", t) for n in names):
            matches.append(r)
    if not matches:
        if re.search(r"\bwhy\b", t) and recs and recs[0].feasible:
            top = recs[0]
            return f"**{top.platform} {top.plan}** is first because: {top.why}"
        return None
    plan_words = {r.plan.lower() for r in matches}
    exact = [r for r in matches if r.plan.lower() in t and len(plan_words) > 1]
    chosen = exact or matches
    out = []
    for r in chosen[:4]:
        if r.feasible:
            out.append(f"- **{r.platform} {r.plan}** is #{r.rank}: {r.why}")
        else:
            out.append(f"- **{r.platform} {r.plan}** does not fit: {'; '.join(r.reasons)}.")
    return "\n".join(out)


def chat_turn(catalog: Catalog, state: dict | None, message: str | None, **reference) -> ChatTurn:
    """One turn of the conversation. state None starts one. Never raises on any message text.

    reference: optional reference_hours with reference_score or reference_gpu, passed to the Workload.
    Raises ChatStateError for a state this chat did not produce.
    """
    state = new_state() if state is None else check_state(state)
    text = (message or "")[:MAX_MESSAGE_CHARS].strip()
    answers = state["answers"]
    if not text:
        if state["done"]:
            return _finish(catalog, state, "", reference)
        q = QUESTIONS[state["step"]]
        greeting = "Hi! I'll ask a few questions about your work and rank the GPU notebook plans for it. " \
            if state["step"] == 0 and not answers else ""
        return ChatTurn(state, greeting + q.prompt, list(q.quick_replies))
    low = text.lower()
    if re.search(r"\b(start over|restart|reset|begin again)\b", low):
        fresh = new_state()
        return ChatTurn(fresh, "Starting over. " + QUESTIONS[0].prompt, list(QUESTIONS[0].quick_replies))
    if state["done"]:
        if re.search(r"\b(summary|my answers|what did i say)\b", low):
            return _finish(catalog, state, "Your answers:\n" + _summary(answers) + "\n\n", reference)
        recs = _recommendations(catalog, answers, reference)
        if isinstance(recs, list):
            why = _answer_why(text, recs)
            if why is not None:
                return ChatTurn(state, why, ["Why not Colab?", "Start over"], True, recs,
                                workload_from_answers(answers, **reference))
    current = None if state["done"] else QUESTIONS[state["step"]]
    mentioned = mentioned_fields(text)
    # An answer to the current question, unless the message clearly talks about other fields.
    if current is not None and (not mentioned or current.key in mentioned):
        if SKIP_WORDS.search(low) and not (current.key == "gpu_memory_gib" and parse_memory(text) is not None):
            answers[current.key] = current.default
            return _advance(catalog, state, f"OK, I'll assume {current.default_text}. ", reference)
        value = PARSERS[current.key](text)
        if value is not None:
            problem = _validated(answers, current.key, value)
            if problem:
                return ChatTurn(state, f"That doesn't work: {problem}. Try {current.example}.", list(current.quick_replies))
            answers[current.key] = value
            return _advance(catalog, state, f"Got it: {describe(current.key, value)}. ", reference)
    # Changes to earlier answers.
    changed = []
    for key in mentioned:
        value = PARSERS[key](text)
        if value is not None and _validated(answers, key, value) is None:
            answers[key] = value
            changed.append(describe(key, value))
    if changed:
        prefix = "Updated: " + "; ".join(changed) + ". "
        if state["done"]:
            return _finish(catalog, state, prefix, reference)
        return ChatTurn(state, prefix + current.prompt, list(current.quick_replies))
    if current is None:
        return ChatTurn(state, "I didn't catch that. Ask 'why not Colab?', change an answer ('make the budget 20', "
                               "'actually I need 24 GB'), or say 'start over'.",
                        ["Why not Colab?", "Summary", "Start over"], True,
                        *(_done_extras(catalog, answers, reference)))
    return ChatTurn(state, f"Sorry, I didn't understand that as an answer. Try {current.example}, or 'skip'.",
                    list(current.quick_replies))


def _advance(catalog, state, prefix, reference) -> ChatTurn:
    answers = state["answers"]
    while state["step"] < len(QUESTIONS) and QUESTIONS[state["step"]].key in answers:
        state["step"] += 1
    if state["step"] >= len(QUESTIONS):
        state["done"] = True
        return _finish(catalog, state, prefix + "That's all I need.\n\nYour answers:\n" + _summary(answers) + "\n\n", reference)
    q = QUESTIONS[state["step"]]
    return ChatTurn(state, prefix + q.prompt, list(q.quick_replies))


def _recommendations(catalog, answers, reference):
    try:
        return recommend(catalog, workload_from_answers(answers, **reference))
    except AdvisorError as exc:
        return str(exc)


def _done_extras(catalog, answers, reference):
    recs = _recommendations(catalog, answers, reference)
    if isinstance(recs, str):
        return (None, None)
    return (recs, workload_from_answers(answers, **reference))


def _finish(catalog, state, prefix, reference) -> ChatTurn:
    recs = _recommendations(catalog, state["answers"], reference)
    if isinstance(recs, str):
        return ChatTurn(state, prefix + f"I couldn't rank the plans: {recs}", ["Start over"], True)
    return ChatTurn(state, prefix + _result_text(recs), ["Why not Colab?", "Make the budget 20", "Start over"], True,
                    recs, workload_from_answers(state["answers"], **reference))
