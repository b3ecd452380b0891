"""Tests for advisor.chat: ordinary answers, skips, re-asks, changes, follow-ups, and fuzzing."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.chat import (ChatStateError, chat_turn, check_state, parse_budget, parse_count, parse_hours,
                          parse_kind, parse_memory, parse_needs, parse_predictability)


@pytest.mark.parametrize("parser, text, expected", [
    (parse_hours, "about 6 hours", 6),
    (parse_hours, "90 minutes", 1.5),
    (parse_hours, "half an hour", 0.5),
    (parse_hours, "a day", 24),
    (parse_hours, "two hours", 2),
    (parse_hours, "40 hours a month", 40),
    (parse_memory, "16GB", 16),
    (parse_memory, "16 gigs", 16),
    (parse_memory, "24 GiB please", 24),
    (parse_memory, "512 MB", 0.5),
    (parse_memory, "no idea, tiny model", 0),
    (parse_budget, "$10 a month", (10, False)),
    (parse_budget, "10 bucks", (10, False)),
    (parse_budget, "free only", (None, True)),
    (parse_budget, "no limit", (None, False)),
    (parse_budget, "twenty dollars", (20, False)),
    (parse_count, "two notebooks", 2),
    (parse_count, "just one", 1),
    (parse_count, "3", 3),
    (parse_kind, "training mostly", "training"),
    (parse_kind, "inference", "inference"),
    (parse_kind, "a bit of both", "mixed"),
    (parse_predictability, "I need it to be predictable", "require"),
    (parse_predictability, "I'd prefer it", "prefer"),
    (parse_predictability, "doesn't matter", "any"),
    (parse_needs, "private notebooks and deployment", ("deployment", "private")),
    (parse_needs, "none", ()),
])
def test_ordinary_answers_are_understood(parser, text, expected):
    assert parser(text) == expected


@pytest.mark.parametrize("parser, text", [
    (parse_hours, "whenever"), (parse_memory, "blue"), (parse_budget, "hmm"), (parse_kind, "gaming"),
    (parse_needs, "pizza"), (parse_count, "some"),
])
def test_nonsense_is_not_understood(parser, text):
    assert parser(text) is None


def talk(catalog, *messages):
    turn = chat_turn(catalog, None, None)
    for message in messages:
        # Round-trip through JSON as the API does.
        turn = chat_turn(catalog, json.loads(json.dumps(turn.state)), message)
    return turn


ANSWERS = ["training mostly", "16 gigs", "about 6 hours", "40 hours a month", "just one", "10 bucks",
           "doesn't matter", "none"]


def test_a_whole_conversation_ends_with_a_summary_and_ranking(today_world):
    turn = talk(today_world, *ANSWERS)
    assert turn.done and turn.recommendations
    assert "Your answers" in turn.reply and "16 GB of GPU memory" in turn.reply
    assert "1. **" in turn.reply
    assert turn.workload.kind == "training" and turn.workload.budget_usd_per_month == 10


def test_nonsense_gets_a_specific_re_ask_with_an_example(today_world):
    turn = talk(today_world, "training", "purple elephant")
    assert "didn't understand" in turn.reply and "16 GB" in turn.reply
    assert turn.state["step"] == 1 and not turn.done


def test_skip_takes_the_stated_default(today_world):
    turn = talk(today_world, "skip")
    assert "I'll assume a mix" in turn.reply
    assert turn.state["answers"]["kind"] == "mixed"


def test_changing_an_answer_later_updates_the_ranking(today_world):
    before = talk(today_world, *ANSWERS)
    after = chat_turn(today_world, before.state, "make the budget 60")
    assert "Updated: a budget of $60" in after.reply
    assert after.workload.budget_usd_per_month == 60
    feasible_before = {r.plan_id for r in before.recommendations if r.feasible}
    feasible_after = {r.plan_id for r in after.recommendations if r.feasible}
    assert feasible_before < feasible_after
    bigger = chat_turn(today_world, after.state, "actually I need 40 GB")
    assert bigger.workload.gpu_memory_gib == 40


def test_out_of_turn_change_while_questions_remain(today_world):
    turn = talk(today_world, "training", "actually make the budget 20")
    assert "Updated: a budget of $20" in turn.reply
    assert "GPU memory" in turn.reply  # the pending question is asked again


def test_why_not_colab_answers_from_the_reasons(article_world):
    turn = talk(article_world, "mixed", "skip", "skip", "skip", "two notebooks", "free only", "I need it", "none")
    answer = chat_turn(article_world, turn.state, "why not Colab?")
    assert "Colab Free" in answer.reply and "vary" in answer.reply


def test_start_over(today_world):
    turn = talk(today_world, "training", "start over")
    assert turn.state["answers"] == {} and turn.state["step"] == 0


@pytest.mark.parametrize("state", [
    "nope", {"v": 99}, {"v": 1, "answers": {"colour": "red"}, "step": 0, "done": False},
    {"v": 1, "answers": {"kind": "gaming"}, "step": 0, "done": False},
    {"v": 1, "answers": {"budget": 5}, "step": 0, "done": False},
    {"v": 1, "answers": {}, "step": 99, "done": False},
])
def test_foreign_states_are_refused(state):
    with pytest.raises(ChatStateError):
        check_state(state)


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_chat_never_raises_on_any_text(today_world, text):
    for parser in (parse_hours, parse_memory, parse_budget, parse_count, parse_kind, parse_predictability, parse_needs):
        parser(text)
    turn = chat_turn(today_world, None, text)
    assert turn.reply
    done = talk(today_world, *ANSWERS)
    assert chat_turn(today_world, done.state, text).reply


@given(st.lists(st.sampled_from(ANSWERS + ["skip", "why not kaggle", "make the budget 5", "??", "2", "start over"]), max_size=12))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_sequence_of_messages_keeps_a_valid_state(today_world, messages):
    turn = talk(today_world, *messages)
    check_state(turn.state)
