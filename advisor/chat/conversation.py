"""The chat questionnaire: asks the workload questions one at a time, understands ordinary answers ("about
6 hours", "16 gigs", "10 bucks", "free only", "two notebooks"), lets the user change an answer later, and
answers follow-ups ("why not Colab?") from the recommendation's reasons. Deterministic and offline.

The conversation state is a small JSON-ready dict, so a stateless front end (the HTTP API) can hand it back.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..catalog import Catalog
from ..errors import AdvisorError, ChatStateError, InvalidWorkloadError
from ..recommend import Recommendation, recommend
from ..workload import WORKLOAD_FIELDS, Workload
from ..present.labels import reasons_text, why_text
from .parse import PARSERS, SKIP_WORDS, mentioned_fields, parse_memory
from .questions import FIELD_NAMES, QUESTION_BY_KEY, QUESTIONS

STATE_VERSION = 1
MAX_MESSAGE_CHARS = 2000

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
    answers: dict = field(default_factory=dict)
    asking: str | None = None
    intent: str = "answer"
    what_if: tuple | None = None


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


def _why_line(catalog: Catalog, workload: Workload, r: Recommendation, recs: list[Recommendation]) -> str:
    return why_text(catalog, r, workload, sum(x.feasible for x in recs))


def _result_text(catalog: Catalog, workload: Workload, recs: list[Recommendation]) -> str:
    feasible = [r for r in recs if r.feasible]
    if not feasible:
        return ("No plan meets every requirement. The closest ones fail because:\n"
                + "\n".join(f"- **{r.plan.label}**: {reasons_text(r)}" for r in recs[:3])
                + "\n\nChange an answer (for example 'make the budget 50') and I will rank again.")
    lines = [f"{r.rank}. **{r.plan.label}**: {_why_line(catalog, workload, r, recs)}" for r in feasible[:5]]
    more = f"\n\n{len(feasible) - 5} more plans fit; {len(recs) - len(feasible)} do not." if len(feasible) > 5 else ""
    return ("Here is my ranking, cheapest per point of speed first:\n\n" + "\n".join(lines) + more
            + "\n\nAsk 'why not Colab?' about any plan, or change an answer ('make the budget 20').")


def _answer_why(catalog: Catalog, workload: Workload, text: str, recs: list[Recommendation]) -> str | None:
    t = text.lower()
    if not re.search(r"\bwhy\b|\bwhat about\b|\bhow about\b", t):
        return None
    matches = []
    for r in recs:
        platform = r.plan.platform
        names = {r.plan_id, r.plan_id.replace("-", " "), platform.lower(), platform.split()[-1].lower(),
                 platform.split()[0].lower(), r.plan.label.lower()}
        if any(n and re.search(r"\b" + re.escape(n) + r"\b", t) for n in names):
            matches.append(r)
    if not matches:
        if re.search(r"\bwhy\b", t) and recs and recs[0].feasible:
            top = recs[0]
            return f"**{top.plan.label}** is first because: {_why_line(catalog, workload, top, recs)}"
        return None
    tiers = {r.plan.tier.lower() for r in matches}
    exact = [r for r in matches if r.plan.tier.lower() in t and len(tiers) > 1]
    out = []
    for r in (exact or matches)[:4]:
        if r.feasible:
            out.append(f"- **{r.plan.label}** is #{r.rank}: {_why_line(catalog, workload, r, recs)}")
        else:
            out.append(f"- **{r.plan.label}** does not fit: {reasons_text(r)}.")
    return "\n".join(out)


def answers_of(state: dict) -> dict:
    """The workload understood so far, in Workload field names (None where not answered)."""
    answers = state["answers"]
    out = {name: None for name in WORKLOAD_FIELDS if not name.startswith("reference")}
    for key, value in answers.items():
        if key == "budget":
            out["budget_usd_per_month"], out["free_only"] = (None, False) if value is None else (value[0], value[1])
        else:
            out[key] = list(value) if isinstance(value, (list, tuple)) else value
    return out


def chat_turn(catalog: Catalog, state: dict | None, message: str | None, **reference) -> ChatTurn:
    """One turn of the conversation. state None starts one. Never raises on any message text.

    reference: optional reference_hours with reference_score or reference_gpu, passed to the Workload.
    Raises ChatStateError for a state this chat did not produce.
    """
    turn = _turn(catalog, state, message, **reference)
    turn.answers = answers_of(turn.state)
    step = turn.state["step"]
    key = None if turn.state["done"] or step >= len(QUESTIONS) else QUESTIONS[step].key
    turn.asking = "budget_usd_per_month" if key == "budget" else key
    return turn


def _turn(catalog: Catalog, state: dict | None, message: str | None, **reference) -> ChatTurn:
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
            why = _answer_why(catalog, workload_from_answers(answers, **reference), text, recs)
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
    workload = workload_from_answers(state["answers"], **reference)
    return ChatTurn(state, prefix + _result_text(catalog, workload, recs), ["Why not Colab?", "Make the budget 20", "Start over"], True,
                    recs, workload_from_answers(state["answers"], **reference))
