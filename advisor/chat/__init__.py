"""The chat questionnaire: asks the workload questions one at a time, understands ordinary answers, questions,
what-ifs and corrections, and ranks the plans. Deterministic and offline; no language model.

The conversation state is a small JSON-ready dict, so a stateless front end (the HTTP API) can hand it back.
"""
from .conversation import ChatTurn, chat_turn, check_state, new_state
from .state import workload_from_answers

__all__ = ["ChatTurn", "chat_turn", "check_state", "new_state", "workload_from_answers"]
