"""The conversation's state: the answers so far (Workload field names), the questions closed, a bounded undo
history. JSON-ready and small, so a stateless front end can hand it back; from_json refuses anything else."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ..errors import AdvisorError, ChatStateError
from ..workload import FIELDS, WORKLOAD_FIELDS, Workload
from .questions import QUESTION_BY_NAME, QUESTIONS

STATE_VERSION = 2
# Undo steps kept: enough to walk back a questionnaire, small enough for the API's signed token (20,000 chars).
MAX_HISTORY = 10
# Every workload field but the reference score (a benchmark's, given by the app, never said in the chat).
ANSWER_FIELDS = tuple(f for f in WORKLOAD_FIELDS if f != "reference_score")
_LIST_FIELDS = tuple(spec.name for spec in FIELDS if spec.type == "choices")


def workload_from_answers(answers: dict, **reference) -> Workload:
    """The Workload the answers describe; fields not answered take Workload's defaults.
    Raises InvalidWorkloadError for a value out of bounds."""
    kwargs = {k: v for k, v in answers.items() if v is not None and k in ANSWER_FIELDS}
    for name in _LIST_FIELDS:
        if name in kwargs:
            kwargs[name] = frozenset(kwargs[name])
    if any(v is not None for v in reference.values()):
        # A reference the front end gives (a benchmark of this machine) replaces the one said in the chat.
        for name in ("reference_hours", "reference_gpu", "reference_score"):
            kwargs.pop(name, None)
    kwargs.update({k: v for k, v in reference.items() if v is not None})
    return Workload(**kwargs)


def _check_answers(answers, where: str) -> dict:
    if not isinstance(answers, dict) or not all(isinstance(k, str) for k in answers):
        raise ChatStateError(f"conversation state: {where} is not a set of answers; start a new conversation")
    unknown = sorted(set(answers) - set(ANSWER_FIELDS))
    if unknown:
        raise ChatStateError(f"conversation state has unknown answers {unknown}; start a new conversation")
    for name, value in answers.items():
        if name in _LIST_FIELDS:
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value) and len(value) <= 8
        else:
            ok = value is None or isinstance(value, (str, int, float, bool)) and (
                not isinstance(value, str) or len(value) <= 40)
        if not ok:
            raise ChatStateError(f"conversation state holds a malformed answer for {name}; start a new conversation")
    try:
        workload_from_answers(answers)
    except (AdvisorError, TypeError, ValueError) as exc:
        raise ChatStateError(f"conversation state holds an invalid answer ({exc}); start a new conversation") from None
    return {k: list(v) if isinstance(v, list) else v for k, v in answers.items() if v is not None}


def _check_closed(closed, where: str) -> list[str]:
    if not isinstance(closed, list) or not all(isinstance(c, str) and c in QUESTION_BY_NAME for c in closed) \
            or len(set(closed)) != len(closed):
        raise ChatStateError(f"conversation state: {where} lists unknown or repeated questions; start a new "
                             "conversation")
    return list(closed)


@dataclass
class ChatState:
    """answers: Workload field -> JSON value, only for fields understood so far. closed: questions answered or
    skipped. history: earlier (answers, closed) pairs, oldest first, at most MAX_HISTORY."""

    answers: dict = field(default_factory=dict)
    closed: list = field(default_factory=list)
    history: list = field(default_factory=list)
    # The answers the last turn supposed in a what-if ({} otherwise), so "let's do that" can adopt them.
    supposed: dict = field(default_factory=dict)

    @property
    def asking(self) -> str | None:
        """The question asked next (a Workload field name), None once every question is closed."""
        return next((q.name for q in QUESTIONS if q.name not in self.closed), None)

    @property
    def done(self) -> bool:
        return self.asking is None

    def remember(self) -> None:
        """Keep the present answers for undo."""
        self.history.append([copy.deepcopy(self.answers), list(self.closed)])
        del self.history[:-MAX_HISTORY]

    def undo(self) -> bool:
        """Go back one change; False when there is nothing to undo."""
        if not self.history:
            return False
        self.answers, self.closed = self.history.pop()
        return True

    def apply(self, changes: dict) -> None:
        for name, value in changes.items():
            if value is None:
                self.answers.pop(name, None)
            else:
                self.answers[name] = value

    def last_changed(self) -> list[str]:
        """The fields the last change set (the last fact said), [] when there is none."""
        if not self.history:
            return []
        before = self.history[-1][0]
        return [k for k, v in self.answers.items() if before.get(k) != v]

    def reopen(self, name: str) -> None:
        """Ask the question that sets this field again (its answer was taken back)."""
        for q in QUESTIONS:
            if name in q.sets and q.name in self.closed:
                self.closed.remove(q.name)

    def close(self, question: str) -> None:
        if question in QUESTION_BY_NAME and question not in self.closed:
            self.closed.append(question)

    def to_json(self) -> dict:
        out = {"v": STATE_VERSION, "answers": copy.deepcopy(self.answers), "closed": list(self.closed),
               "done": self.done, "history": copy.deepcopy(self.history)}
        if self.supposed:
            out["supposed"] = copy.deepcopy(self.supposed)
        return out

    @classmethod
    def from_json(cls, data) -> ChatState:
        """A state checked field by field. Raises ChatStateError for anything this chat did not produce."""
        if not isinstance(data, dict) or data.get("v") != STATE_VERSION:
            raise ChatStateError("conversation state is missing or from another version; start a new conversation")
        if set(data) - {"v", "answers", "closed", "done", "history", "supposed"}:
            raise ChatStateError("conversation state has unknown parts; start a new conversation")
        answers = _check_answers(data.get("answers"), "answers")
        closed = _check_closed(data.get("closed"), "closed")
        history = data.get("history", [])
        if not isinstance(history, list) or len(history) > MAX_HISTORY:
            raise ChatStateError("conversation state has a malformed history; start a new conversation")
        checked = []
        for item in history:
            if not isinstance(item, list) or len(item) != 2:
                raise ChatStateError("conversation state has a malformed history; start a new conversation")
            checked.append([_check_answers(item[0], "history"), _check_closed(item[1], "history")])
        supposed = _check_answers(data.get("supposed", {}), "supposed")
        state = cls(answers, closed, checked, supposed)
        if not isinstance(data.get("done"), bool) or data["done"] != state.done:
            raise ChatStateError("conversation state is inconsistent; start a new conversation")
        return state
