"""Runs a corpus of utterances (tests/chat_corpus.toml; format in its header) through the chat engine and says
which ones it understood as the corpus expects. Used by tests/test_chat_corpus.py and benchmarks/bench_chat.py."""
from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..catalog import Catalog
from .conversation import chat_turn
from .questions import QUESTIONS
from .state import ChatState

# The seed of the development / held-out split (2/3 to develop against, 1/3 held out).
SPLIT_SEED = 20261128
NUMBER_TOLERANCE = 0.05
# Answers a case at a later question starts from: a neutral workload (no needs, a numeric budget, not free only).
NEUTRAL = {"kind": "mixed", "gpu_memory_gib": 8.0, "session_hours": 3.0, "gpu_hours_per_month": 30.0,
           "notebooks_at_once": 1, "budget_usd_per_month": 15.0, "free_only": False, "predictability": "any",
           "needs": [], "nice_to_have": []}


def load_corpus(path: Path | str) -> list[dict]:
    with open(path, "rb") as f:
        return tomllib.load(f)["case"]


def split(cases: list[dict], seed: int = SPLIT_SEED) -> tuple[list[int], list[int]]:
    """(development indices, held-out indices): a fixed shuffle, the first third held out."""
    order = list(range(len(cases)))
    random.Random(seed).shuffle(order)
    held = set(order[:len(cases) // 3])
    return [i for i in range(len(cases)) if i not in held], sorted(held)


def category(case: dict) -> str:
    """What a case is scored under: the question it is asked at, or its intent when that is not an answer."""
    intent = case.get("intent", "answer")
    if intent not in ("answer",):
        return intent
    return case.get("asking", "kind")


def start_state(asking: str) -> dict:
    """The state of a conversation at `asking` ('done': every question answered) with neutral answers."""
    names = [q.name for q in QUESTIONS]
    before = names if asking == "done" else names[:names.index(asking)]
    answers = {}
    for q in QUESTIONS:
        if q.name in before:
            answers.update({k: NEUTRAL[k] for k in q.sets})
    return ChatState(answers=answers, closed=before).to_json()


def expected_value(catalog: Catalog, name: str, value):
    """The value a case expects, with an amount in another currency ('25 EUR') converted at the catalog's rate."""
    if name == "budget_usd_per_month" and isinstance(value, str):
        amount, code = value.split()
        rate = catalog.usd_rate(code)
        if rate is None:
            raise ValueError(f"no exchange rate for {code} in the catalog")
        return round(float(amount) * rate.usd_per_unit, 2)
    return value


def _same(expected, got) -> bool:
    if isinstance(expected, list):
        return isinstance(got, (list, tuple, set, frozenset)) and {str(x) for x in expected} == {str(x) for x in got}
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got or expected == got and type(expected) is type(got)
    if isinstance(expected, (int, float)):
        return isinstance(got, (int, float)) and abs(float(expected) - float(got)) <= NUMBER_TOLERANCE
    return str(expected) == (None if got is None else str(got))


@dataclass
class Outcome:
    """One case's result: passed, and what went wrong otherwise."""

    case: dict
    passed: bool
    problems: list[str]
    reply: str


def run_case(catalog: Catalog, case: dict) -> Outcome:
    """Sends the case's `before` messages and its text from the state at its question, then checks the intent,
    topic, expected values and unchanged fields."""
    state = start_state(case.get("asking", "kind"))
    for message in case.get("before", []):
        state = chat_turn(catalog, state, message).state
    before = {k: v for k, v in ChatState.from_json(state).answers.items()}
    turn = chat_turn(catalog, state, case["text"])
    problems = []
    intent = case.get("intent", "answer")
    if turn.intent != intent:
        problems.append(f"intent {turn.intent!r}, expected {intent!r}")
    if "topic" in case and turn.topic != case["topic"]:
        problems.append(f"topic {turn.topic!r}, expected {case['topic']!r}")
    if intent == "what_if":
        got = {} if turn.what_if is None else turn.what_if[0].to_dict()
        if turn.answers != {k: before.get(k) for k in turn.answers}:
            changed = sorted(k for k in turn.answers if turn.answers[k] != before.get(k))
            problems.append(f"a what-if changed the answers: {changed}")
    else:
        got = turn.answers
    for name, value in case.get("expect", {}).items():
        want = expected_value(catalog, name, value)
        if not _same(want, got.get(name)):
            problems.append(f"{name} = {got.get(name)!r}, expected {want!r}")
    for name in case.get("unchanged", []):
        if not _same(before.get(name), turn.answers.get(name)) and before.get(name) != turn.answers.get(name):
            problems.append(f"{name} changed from {before.get(name)!r} to {turn.answers.get(name)!r}")
    return Outcome(case, not problems, problems, turn.reply)
