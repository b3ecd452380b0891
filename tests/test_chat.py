"""Tests for advisor.chat: every intent, undo and start over, what-ifs that change nothing, the state's round trip
and refusals, answers/asking, the issue's regressions, and fuzzing of the parser and of whole conversations."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.chat import chat_turn, check_state, new_state, workload_from_answers
from advisor.chat.conversation import INTENTS
from advisor.chat.evaluate import load_corpus, start_state
from advisor.chat.parse import correct, read
from advisor.chat.questions import QUESTIONS
from advisor.chat.state import MAX_HISTORY, ChatState
from advisor.errors import ChatStateError
from advisor.vocab import HOURS_PER_MONTH
from advisor.workload import WORKLOAD_FIELDS

ANSWER_FIELDS = [f for f in WORKLOAD_FIELDS if f != "reference_score"]  # the chat never hears a score
NEUTRAL_ANSWERS = ["training", "16 GB", "6 hours", "40 hours a month", "one", "$20 a month", "doesn't matter", "none"]


def talk(catalog, messages, state=None):
    turn = chat_turn(catalog, state, None)
    for m in messages:
        turn = chat_turn(catalog, turn.state, m)
    return turn


@pytest.fixture
def done(today_world):
    return talk(today_world, NEUTRAL_ANSWERS)


# "change the <label> to <answer>": every question's own label names it, so the answer replaces the old one in
# one turn (the old rule forgot it and asked again when the label was no noun of the field, as for notebooks).
NEW_ANSWERS = {"kind": ("inference", {"kind": "inference"}), "gpu_memory_gib": ("24 GB", {"gpu_memory_gib": 24.0}),
               "session_hours": ("12 hours", {"session_hours": 12.0}),
               "gpu_hours_per_month": ("100 hours", {"gpu_hours_per_month": 100.0}),
               "notebooks_at_once": ("2", {"notebooks_at_once": 2}),
               "budget_usd_per_month": ("$35", {"budget_usd_per_month": 35.0}),
               "predictability": ("I need it", {"predictability": "require"}),
               "needs": ("private notebooks", {"needs": ["private"]})}


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.name)
def test_change_the_label_to_a_new_answer_replaces_it(done, today_world, question):
    said, expected = NEW_ANSWERS[question.name]
    turn = chat_turn(today_world, done.state, f"change the {question.label} to {said}")
    assert {k: turn.answers[k] for k in expected} == expected, turn.reply


# ---------------------------------------------------------------------------------------------
# The questionnaire


def test_first_turn_greets_and_asks_the_first_question(today_world):
    turn = chat_turn(today_world, None, None)
    assert turn.intent == "empty" and turn.asking == "kind" and not turn.done
    assert set(turn.answers) == set(ANSWER_FIELDS) and all(v is None for v in turn.answers.values())
    assert turn.quick_replies and "training" in turn.reply.lower()


def test_a_conversation_reaches_a_ranking(done):
    assert done.done and done.asking is None and done.intent == "answer"
    assert done.recommendations and done.workload is not None
    assert done.workload.budget_usd_per_month == 20 and done.workload.kind == "training"
    assert "Your answers" in done.reply and "1. **" in done.reply
    assert done.answers["needs"] == [] and done.answers["free_only"] is False


def test_asking_follows_the_questions_and_answers_are_said_back(today_world):
    turn = talk(today_world, ["fine-tune BERT"])
    assert turn.asking == "gpu_memory_gib" and turn.answers["kind"] == "training"
    assert "training" in turn.reply.lower()


def test_several_answers_in_one_message_are_all_taken_and_said_back(today_world):
    turn = talk(today_world, ["training", "16 GB", "3 hours", "10 hours a week", "$10 a month, two notebooks, "
                                                                                 "runs of 5 hours"])
    a = turn.answers
    assert a["budget_usd_per_month"] == 10 and a["notebooks_at_once"] == 2 and a["session_hours"] == 5
    assert "$10.00" in turn.reply and "2 notebooks" in turn.reply and "5 hours" in turn.reply
    assert turn.asking == "predictability"


def test_an_answer_to_another_question_is_taken_and_the_question_asked_again(today_world):
    turn = talk(today_world, ["my runs take 5 hours"])
    assert turn.answers["session_hours"] == 5 and turn.answers["kind"] is None and turn.asking == "kind"
    assert "Noted" in turn.reply


def test_rates_are_converted_and_said_back_with_the_free_quota(today_world):
    turn = talk(today_world, ["training", "16 GB", "3 hours", "35 hours a week"])
    assert turn.answers["gpu_hours_per_month"] == pytest.approx(152.19, abs=0.01)
    assert "152" in turn.reply and "Kaggle" in turn.reply  # Kaggle's free quota is 30 hours a week
    assert talk(today_world, ["training", "16 GB", "3 hours", "2 hours a day"]).answers[
        "gpu_hours_per_month"] == pytest.approx(60.88, abs=0.01)


def test_a_wish_is_nice_to_have_not_a_need(today_world):
    turn = talk(today_world, NEUTRAL_ANSWERS[:-1] + ["background execution would be nice"])
    assert turn.answers["needs"] == [] and turn.answers["nice_to_have"] == ["background"]
    assert turn.workload.nice_to_have == {"background"} and not turn.workload.needs


def test_i_am_a_student_sets_education(today_world):
    turn = talk(today_world, ["I'm a student"])
    assert turn.answers["education"] is True and turn.asking == "kind"
    done = talk(today_world, ["I'm a student"] + NEUTRAL_ANSWERS)
    assert any(r.plan.fact("requires_education") for r in done.recommendations)


# ---------------------------------------------------------------------------------------------
# Every intent


@pytest.mark.parametrize("asking, message, intent", [
    ("kind", "training", "answer"),
    ("gpu_memory_gib", "skip", "skip"),
    ("kind", "what is an AI score?", "question"),
    ("kind", "what's Kaggle?", "question"),
    ("done", "what if I had $20?", "what_if"),
    ("done", "undo", "undo"),
    ("done", "start over", "start_over"),
    ("session_hours", "runs of -5 hours", "invalid"),
    ("kind", "banana", "unknown"),
    ("kind", "hello", "greeting"),
])
def test_every_intent(today_world, asking, message, intent):
    assert chat_turn(today_world, start_state(asking), message).intent == intent
    assert intent in INTENTS


def test_a_question_is_answered_not_taken_as_an_answer(today_world):
    # Issue 10: "what does training score mean?" changed the answer to training.
    turn = chat_turn(today_world, None, "what does training score mean?")
    assert turn.intent == "question" and turn.topic == "training_score" and turn.answers["kind"] is None
    assert "training score" in turn.reply


def test_why_not_colab_is_answered_before_the_ranking_from_the_catalog(today_world):
    turn = chat_turn(today_world, start_state("budget_usd_per_month"), "why not Colab?")
    assert turn.intent == "question" and turn.topic == "colab" and "Google Colab" in turn.reply
    assert "answers so far" in turn.reply and turn.asking == "budget_usd_per_month"


def test_a_fact_question_quotes_the_catalog_with_its_source(today_world):
    turn = chat_turn(today_world, start_state("done"), "is kaggle ok if i close my laptop?")
    plan = today_world.plans["kaggle-free"]
    fact = plan.facts["background_execution"]
    assert turn.intent == "question" and turn.answers["needs"] == []
    assert fact.observation.provenance.as_of.isoformat() in turn.reply
    assert ("yes" if fact.value else "no") in turn.reply


def test_a_platform_not_in_the_catalog_is_said_so(today_world):
    turn = chat_turn(today_world, start_state("done"), "and lightning ai?")
    assert turn.intent == "question" and "not in my catalog" in turn.reply


def test_a_what_if_shows_a_ranking_and_changes_nothing(today_world):
    state = start_state("done")
    turn = chat_turn(today_world, state, "what if I had $20?")
    hypothetical, recs = turn.what_if
    assert hypothetical.budget_usd_per_month == 20 and recs
    assert ChatState.from_json(turn.state).answers == ChatState.from_json(state).answers
    assert turn.answers["budget_usd_per_month"] == 15
    assert turn.recommendations is not None and turn.done


def test_undo_go_back_and_start_over(today_world):
    turn = talk(today_world, ["training", "16 GB", "actually 24 GB"])
    assert turn.answers["gpu_memory_gib"] == 24
    turn = chat_turn(today_world, turn.state, "undo")
    assert turn.intent == "undo" and turn.answers["gpu_memory_gib"] == 16
    turn = chat_turn(today_world, turn.state, "go back")
    assert turn.answers["gpu_memory_gib"] is None and turn.asking == "gpu_memory_gib"
    turn = chat_turn(today_world, turn.state, "start over")
    assert turn.intent == "start_over" and turn.asking == "kind" and all(v is None for v in turn.answers.values())
    assert chat_turn(today_world, None, "undo").intent == "undo"  # nothing to undo: said so, nothing breaks


def test_go_back_to_a_value_is_a_change_not_an_undo(today_world):
    turn = chat_turn(today_world, start_state("done"), "let's say 3 notebooks")
    turn = chat_turn(today_world, turn.state, "go back to 1 notebook")
    assert turn.intent == "correction" and turn.answers["notebooks_at_once"] == 1


def test_out_of_range_values_get_a_clear_message_and_change_nothing(today_world):
    state = start_state("gpu_memory_gib")
    turn = chat_turn(today_world, state, "2 TB")
    assert turn.intent == "invalid" and "1,024" in turn.reply and turn.state == state
    assert "Nothing changed" in turn.reply


def test_money_in_another_currency_is_converted_at_a_dated_rate(today_world):
    turn = chat_turn(today_world, start_state("budget_usd_per_month"), "€25")
    rate = today_world.usd_rate("EUR")
    assert turn.answers["budget_usd_per_month"] == pytest.approx(25 * rate.usd_per_unit, abs=0.01)
    assert rate.provenance.as_of.isoformat() in turn.reply


def test_a_currency_without_a_rate_asks_for_dollars(today_world, article_world):
    for catalog, text in ((today_world, "100 pesos"), (article_world, "€25")):  # no EUR rate in force in 2022
        turn = chat_turn(catalog, start_state("budget_usd_per_month"), text)
        assert turn.intent == "invalid" and "dollars" in turn.reply and turn.answers["budget_usd_per_month"] is None


def test_quick_replies_fit_the_conversation(today_world):
    broke = talk(today_world, NEUTRAL_ANSWERS[:5] + ["nothing, I'm broke"] + NEUTRAL_ANSWERS[6:])
    assert broke.answers["free_only"] is True
    assert not any("$" in q or "budget" in q.lower() for q in broke.quick_replies)
    paying = talk(today_world, NEUTRAL_ANSWERS)
    assert any("$40" in q for q in paying.quick_replies)


def test_reference_job_is_passed_to_the_workload(today_world):
    turn = chat_turn(today_world, start_state("done"), "training", reference_hours=2.0, reference_gpu="t4")
    assert turn.workload.reference_hours == 2.0 and turn.workload.reference_gpu == "t4"


# ---------------------------------------------------------------------------------------------
# Regressions from issue 10: the chat read the opposite of what was said


@pytest.mark.parametrize("asking, message, field, expected", [
    ("needs", "I don't need a private notebook", "needs", []),           # became "you need private"
    ("predictability", "not very important", "predictability", "any"),   # became "you need predictable speed"
    ("kind", "no training, only inference", "kind", "inference"),        # became "a mix"
    ("gpu_hours_per_month", "maybe 10 hours a week", "gpu_hours_per_month", 43.48),  # became 10 a month
    ("session_hours", "2h30", "session_hours", 2.5),                     # not understood
    ("notebooks_at_once", "a couple", "notebooks_at_once", 2),           # not understood
    ("kind", "fine-tune", "kind", "training"),                           # not understood for 11 turns
])
def test_issue_10_regressions(today_world, asking, message, field, expected):
    got = chat_turn(today_world, start_state(asking), message).answers[field]
    assert got == pytest.approx(expected, abs=0.01) if isinstance(expected, float) else got == expected


@pytest.mark.parametrize("asking, message, field, expected", [
    ("gpu_memory_gib", "whatever a T4 has", "gpu_memory_gib", 16.0),       # a GPU's memory from the catalog
    ("gpu_memory_gib", "80GB A100", "gpu_memory_gib", 80.0),               # "A100" is a name, not 100
    ("gpu_hours_per_month", "8 hours a day, 5 days a week", "gpu_hours_per_month", 173.93),
    ("gpu_hours_per_month", "3 times a week, 2 hours each", "gpu_hours_per_month", 26.09),
    ("gpu_hours_per_month", "10 hours per weekend", "gpu_hours_per_month", 43.48),
    ("budget_usd_per_month", "$0.50 an hour", "budget_usd_per_month", 15.0),  # x the 30 h a month already given
    ("kind", "I do the inference only, the training is not for me", "kind", "inference"),
    ("predictability", "it matters a lot", "predictability", "require"),
    ("needs", "timeout control would be handy", "nice_to_have", ["selectable-timeout"]),
])
def test_phrasings_beyond_the_corpus(today_world, asking, message, field, expected):
    # Written while developing, after the corpus passed: regression pins, not evidence of accuracy.
    got = chat_turn(today_world, start_state(asking), message).answers[field]
    assert got == pytest.approx(expected, abs=0.01) if isinstance(expected, float) else got == expected


@pytest.mark.parametrize("typed, meant", [
    ("trainning", "training"), ("budjet", "budget"), ("notbooks", "notebooks"), ("wnat", "want"),  # typos
    ("text", "text"), ("game", "game"), ("bert", "bert"), ("colleague", "colleague"),  # real words stay
])
def test_typos_are_corrected_but_real_words_are_not(typed, meant):
    assert correct(typed) == meant


def test_no_limit_is_an_explicit_answer_not_free_only(today_world):
    # Settled with the held-out set: "no limit" answers the budget question as 'not free-only, no budget'.
    turn = chat_turn(today_world, start_state("budget_usd_per_month"), "money is no object")
    assert turn.answers["free_only"] is False and turn.answers["budget_usd_per_month"] is None
    assert turn.asking == "predictability" and "no budget limit" in turn.reply


def test_gpu_hours_are_bounded_by_the_notebooks_running_at_once(today_world):
    # A notebook runs at most a month of 730.5 hours: more GPU hours need more notebooks at once, said in the same
    # message or answered before; fewer notebooks than the hours need are refused too.
    at_hours = start_state("gpu_hours_per_month")
    alone = chat_turn(today_world, at_hours, "1000 gpu hours a month")
    assert alone.intent == "invalid" and alone.answers["gpu_hours_per_month"] is None
    assert "on 2 notebooks" in alone.reply
    both = chat_turn(today_world, at_hours, "1000 hours a month on 2 notebooks")
    assert both.answers["gpu_hours_per_month"] == 1000 and both.answers["notebooks_at_once"] == 2
    ranked = talk(today_world, NEUTRAL_ANSWERS[5:], both.state)
    assert ranked.done
    fewer = chat_turn(today_world, ranked.state, "set notebooks to 1")
    assert fewer.intent == "invalid" and fewer.answers["notebooks_at_once"] == 2
    assert chat_turn(today_world, ranked.state, "1 notebook, 700 hours a month").answers["notebooks_at_once"] == 1


def test_the_words_of_an_undo_phrase_are_not_an_answer(today_world):
    # "go back one": the "one" belongs to the command (it became 1 GPU hour a month); "undo, 5 hours" answers.
    after = chat_turn(today_world, start_state("session_hours"), "3 hrs").state
    back = chat_turn(today_world, after, "oops that was wrong, go back one")
    assert back.intent == "undo" and back.asking == "session_hours" and back.answers["gpu_hours_per_month"] is None
    assert chat_turn(today_world, after, "scratch that, 5 hours a week").intent == "correction"  # a correction of the last answer


@pytest.mark.parametrize("text, clauses", [
    ("not inference - training", 2),  # a dash between words ends a clause (and a negation's reach)
    ("5-6 hours", 1),                 # a dash between numbers is a range
    ("budget -5", 1),                 # a dash before a number is a minus sign
])
def test_a_dash_ends_a_clause_only_between_words(text, clauses):
    assert len(set(read(text).clause)) == clauses


def test_lexicon_phrases_normalise_the_same_word_by_word():
    # The lexicon's phrases are normalised word by word (fast start with the generated tables); that must give the
    # words normalising the whole phrase gives.
    from advisor.chat import lexicon as lx
    from advisor.chat.parse import _normal_phrase, _words, normalise

    phrases = {p for k, v in vars(lx).items() if k.isupper() and isinstance(v, (tuple, frozenset, dict))
               for table in (v.values() if isinstance(v, dict) else [v])
               for p in (table if isinstance(table, (tuple, frozenset)) else [])
               if isinstance(p, str)}
    assert len(phrases) > 2000
    assert [p for p in phrases if _words(normalise(p)) != _words(_normal_phrase(p))] == []


def test_a_model_name_close_to_a_command_does_not_start_over(today_world):
    # "ResNet" is one letter from "reset": destructive commands match only words as typed.
    turn = chat_turn(today_world, None, "I'm training a ResNet, needs 12GB, each run is about 4 hours")
    assert turn.intent == "answer" and turn.answers["gpu_memory_gib"] == 12 and turn.answers["session_hours"] == 4


# ---------------------------------------------------------------------------------------------
# The state


def test_state_round_trips_through_json(done):
    data = json.loads(json.dumps(done.state))
    assert check_state(data) == done.state
    assert ChatState.from_json(data).to_json() == done.state
    assert workload_from_answers(done.state["answers"]) == done.workload


def test_state_stays_small_and_its_history_bounded(today_world):
    turn = talk(today_world, NEUTRAL_ANSWERS + ["make the budget 30", "actually I need 24 GB"] * 20)
    assert len(turn.state["history"]) == MAX_HISTORY
    assert len(json.dumps(turn.state)) < 8000  # the API signs it and caps the token at 20,000 characters


@pytest.mark.parametrize("state", [
    None, "x", [], {}, {"v": 1, "answers": {}, "step": 0, "done": False},                    # another version
    {"v": 2, "answers": {"colour": "red"}, "closed": [], "done": False, "history": []},        # unknown field
    {"v": 2, "answers": {"gpu_memory_gib": -1}, "closed": [], "done": False, "history": []},  # out of bounds
    {"v": 2, "answers": {"kind": "poetry"}, "closed": [], "done": False, "history": []},      # not a Kind
    {"v": 2, "answers": {}, "closed": ["kind", "kind"], "done": False, "history": []},        # repeated question
    {"v": 2, "answers": {}, "closed": ["nope"], "done": False, "history": []},                # unknown question
    {"v": 2, "answers": {}, "closed": [], "done": True, "history": []},                       # inconsistent
    {"v": 2, "answers": {}, "closed": [], "done": False, "history": [[{}, []]] * (MAX_HISTORY + 1)},
    {"v": 2, "answers": {}, "closed": [], "done": False, "history": [["x"]]},                 # malformed history
    {"v": 2, "answers": {"needs": "private"}, "closed": [], "done": False, "history": []},    # not a list
    {"v": 2, "answers": {}, "closed": [], "done": False, "history": [], "extra": 1},          # unknown part
])
def test_check_state_refuses_states_it_did_not_produce(today_world, state):
    with pytest.raises(ChatStateError):
        check_state(state)
    if state is not None:
        with pytest.raises(ChatStateError):
            chat_turn(today_world, state, "hi")


def test_new_state_is_valid():
    assert check_state(new_state()) == new_state()


# ---------------------------------------------------------------------------------------------
# Fuzzing: no text breaks the parser or a turn, and every state a turn returns is valid

_words = st.sampled_from(["training", "16", "GB", "hours", "a", "week", "$", "€", "-", "no", "not", "undo",
                          "what", "if", "why", "colab", "?", ",", "2h30", "free", "only", "would", "be", "nice",
                          "private", "start", "over", "skip", "twenty", "couple", "k", "b", "and", "between",
                          "negative", "gpu", "in", "every", "year", "really", "Go", "fit", "models", "public",
                          "notebooks", "to", ":", "1000", "back", "one", "bonus"])
_corpus_texts = st.sampled_from([c["text"] for name in ("chat_corpus.toml", "chat_heldout.toml", "chat_fresh.toml")
                                 for c in load_corpus(Path(__file__).with_name(name))])
# Corpus utterances with a random piece of text spliced in: a crash of this kind (a currency word whose phrase key
# differed from its match) was found by fuzzing.
_spliced = st.tuples(_corpus_texts, st.text(max_size=6), st.integers(0, 200)).map(
    lambda t: t[0][:t[2]] + t[1] + t[0][t[2]:])
_texts = st.one_of(st.text(max_size=300), st.lists(_words, max_size=25).map(" ".join), _spliced)


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_the_parser_never_raises(text):
    r = read(text)
    assert len(r.tokens) == len(r.clause) == len(r.negated)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([q.name for q in QUESTIONS] + ["done"]), _texts)
def test_a_turn_never_raises_on_any_text(today_world, asking, text):
    turn = chat_turn(today_world, start_state(asking), text)
    assert turn.intent in INTENTS and check_state(turn.state) == turn.state
    assert set(turn.answers) == set(ANSWER_FIELDS)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_texts, min_size=1, max_size=12))
def test_any_sequence_of_messages_keeps_a_valid_state(today_world, messages):
    turn = chat_turn(today_world, None, None)
    for m in messages:
        turn = chat_turn(today_world, turn.state, m)
        assert check_state(json.loads(json.dumps(turn.state))) == turn.state
        assert turn.done == (turn.asking is None)
        hours, notebooks = turn.answers["gpu_hours_per_month"], turn.answers["notebooks_at_once"] or 1
        assert hours is None or hours <= notebooks * HOURS_PER_MONTH + 1e-6  # no impossible pair is kept


# ---------------------------------------------------------------------------------------------
# Quantities attached to nouns (advisor.chat.nouns) and the fields no question asks about (advisor.chat.fields)

from advisor.chat.fields import CHAT_FIELDS, model_phrases  # noqa: E402
from advisor.chat.nouns import attached, noun_table  # noqa: E402
from advisor.chat.parse import _key  # noqa: E402
from advisor.workload import FIELDS  # noqa: E402


@pytest.mark.parametrize(("text", "surface", "field", "denied"), [
    ("16 GB, and my dataset is 40 GB", "40 gb", "dataset_gib", False),  # the noun before: dataset
    ("training on 40 GB of data with 24 GB of vram", "24 gb", "gpu_memory_gib", False),  # "of vram" after
    ("my images are 384px", "384", "foreign", False),  # an image size measures no field
    ("16 gb not 384", "384", None, True),  # a negated number is denied
    ("my laptop gpu 6 gb it is not enough", "6 gb", "gpu_memory_gib", True),  # "not enough" denies it
    ("for my class of 30", "30", "students", False),  # "class of" before the number
    ("on 20k examples", "20 k", "samples", False),
    ("5 years of experience", "5", "foreign", False),
])
def test_a_quantity_keeps_its_words_and_its_noun(text, surface, field, denied):
    found = {a.surface: a for a in attached(read(text))}
    assert surface in found, found
    assert found[surface].field == field and found[surface].denied is denied


def test_every_chat_field_entry_names_a_declared_field_and_nouns_resolve():
    # A chat attribute for a field FIELDS does not declare would silently do nothing.
    names = {s.name for s in FIELDS}
    assert set(CHAT_FIELDS) <= names
    assert set(f for fields_ in noun_table().values() for f in fields_) <= names | {"foreign"}


@pytest.mark.parametrize(("asking", "text", "expect"), [
    ("kind", "I want it fast", {"prefer": "speed"}),
    ("kind", "cheapest please", {"prefer": "cost"}),
    ("kind", "I can spend up to 10 bucks if it's much faster", {"budget_usd_per_month": 10.0, "prefer": "speed"}),
    ("kind", "for my class of 30", {"students": 30}),
    ("kind", "I don't have a credit card", {"cannot_provide": ["card"]}),
    ("kind", "fine-tuning llama 3 8b with qlora on 20k examples",
     {"kind": "training", "method": "qlora", "samples": 20000.0, "params_billion": 8.0}),
    ("kind", "my epoch takes 20 minutes on Colab's T4", {"reference_gpu": "t4"}),
    ("gpu_memory_gib", "16 GB, and my dataset is 40 GB", {"gpu_memory_gib": 16.0, "dataset_gib": 40.0}),
    ("gpu_memory_gib", "batch size 32, 3 epochs, 24 GB", {"batch": 32, "epochs": 3.0, "gpu_memory_gib": 24.0}),
])
def test_the_new_fields_are_understood(today_world, asking, text, expect):
    turn = chat_turn(today_world, start_state(asking), text)
    assert {k: turn.answers[k] for k in expect} == expect, turn.reply


@pytest.mark.parametrize("text, budget", [
    ("I don't want to pay more than $20", 20.0), ("won't pay more than 15", 15.0),
    ("I can't spend more than 30 dollars", 30.0), ("no more than $20", 20.0), ("I can't afford more than 10", 10.0),
])
def test_a_negated_more_than_is_a_ceiling_not_free_only(today_world, text, budget):
    # "won't pay more than 15" had been read as free only (a negated 'pay', the amount denied by 'more than').
    turn = chat_turn(today_world, start_state("budget_usd_per_month"), text)
    assert turn.answers["budget_usd_per_month"] == budget and turn.answers["free_only"] is False, turn.reply


@pytest.mark.parametrize(("asking", "text", "expect"), [
    ("session_hours", "it shouldn't take longer than 5 hours", {"session_hours": 5.0}),
    ("gpu_memory_gib", "it doesn't need more than 12 GB", {"gpu_memory_gib": 12.0}),
    ("needs", "I don't need anything special", {"needs": [], "nice_to_have": []}),
    ("gpu_hours_per_month", "every evening for about 2 hours", {"gpu_hours_per_month": 60.88}),
    ("session_hours", "I run it in the evening for 4 hours", {"session_hours": 4.0, "kind": "mixed"}),
])
def test_limits_periods_and_no_needs_in_everyday_words(today_world, asking, text, expect):
    turn = chat_turn(today_world, start_state(asking), text)
    assert turn.intent == "answer" and {k: turn.answers[k] for k in expect} == expect, turn.reply


@pytest.mark.parametrize("fix", ["wait, that's per week, not per month", "wait, that's weekly, not monthly",
                                 "sorry, I meant a week"])
def test_a_period_correction_reads_the_last_figure_in_that_period(today_world, fix):
    # the adverbs ("weekly") had been taken only after 'per' or 'a', so the second wording was not understood
    state = chat_turn(today_world, start_state("budget_usd_per_month"), "$10").state
    turn = chat_turn(today_world, state, fix)
    assert turn.intent == "correction" and turn.answers["budget_usd_per_month"] == 43.48, turn.reply


def test_lets_do_that_adopts_the_what_if_just_shown_and_only_then(done, today_world):
    what_if = chat_turn(today_world, done.state, "what if I had $35 and needed 24 GB?")
    assert what_if.intent == "what_if" and what_if.answers["budget_usd_per_month"] == 20
    adopted = chat_turn(today_world, what_if.state, "ok let's do that")
    assert adopted.answers["budget_usd_per_month"] == 35 and adopted.answers["gpu_memory_gib"] == 24
    assert chat_turn(today_world, adopted.state, "undo").answers["budget_usd_per_month"] == 20
    # a turn in between, and the what-if is gone: "do that" then adopts nothing
    later = chat_turn(today_world, chat_turn(today_world, what_if.state, "why not Kaggle?").state, "let's do that")
    assert later.answers["budget_usd_per_month"] == 20


def test_a_correction_never_sets_the_value_it_negates(today_world):
    # UX probe defect 2: "16 gb not 384" took 384 as the run length.
    turn = chat_turn(today_world, start_state("session_hours"), "16 gb not 384")
    assert 384 not in [v for v in turn.answers.values() if isinstance(v, (int, float))]
    assert turn.answers["gpu_memory_gib"] == 16 and turn.intent == "correction"


# The issue's rule as a property: whatever words carry a correction, the value it negates is never what is stored.
_SAID = {"gpu_memory_gib": "{} GB", "session_hours": "{} hours", "budget_usd_per_month": "${}",
         "notebooks_at_once": "{} notebooks", "gpu_hours_per_month": "{} hours a month"}
_CORRECTIONS = ("{new}, not {old}", "not {old}, {new}", "{old}... no, make that {new}", "{new} instead of {old}",
                "sorry, {new} not {old}", "no wait, {new}", "scratch that, {new}", "I meant {new}, not {old}",
                "{old} is wrong, {new}")  # not "actually {new}": at the next question it answers that (house rule)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(field=st.sampled_from(sorted(_SAID)), template=st.sampled_from(_CORRECTIONS),
       old=st.integers(2, 9), new=st.integers(11, 30))
def test_no_correction_ever_stores_the_value_it_negates(today_world, field, template, old, new):
    said = _SAID[field]
    state = chat_turn(today_world, start_state(field), said.format(old)).state
    assert ChatState.from_json(state).answers[field] == old
    turn = chat_turn(today_world, state, template.format(old=said.format(old), new=said.format(new)))
    assert turn.answers[field] != old, (template, turn.reply)
    assert turn.answers[field] in (new, None), (template, turn.reply)  # taken, or asked again; never a third value


def test_a_wrong_value_already_stored_is_taken_back(today_world):
    # A value the user denies later is forgotten and its question asked again.
    state = chat_turn(today_world, start_state("session_hours"), "runs of 384 hours").state
    turn = chat_turn(today_world, state, "no, not 384")
    assert turn.answers["session_hours"] is None and turn.asking == "session_hours"


def test_model_names_come_from_the_model_table_when_present(tmp_path):
    # data/models.csv (name, aliases) is read lazily; absent, no names (the user's words are kept instead).
    (tmp_path / "models.csv").write_text("model_id,name,aliases\nresnet-50,ResNet-50,resnet50;resnet\n")
    assert model_phrases(tmp_path) == {"ResNet-50": (_key("ResNet-50"), "resnet50", "resnet")}
    assert model_phrases(tmp_path / "absent") == {}


# ---------------------------------------------------------------------------------------------
# Keeping and sharing a conversation (advisor.chat.share), the understood panel and changing one answer

from advisor.chat import share  # noqa: E402
from advisor.chat.conversation import understood  # noqa: E402


def test_a_conversation_link_replays_to_the_same_answers(today_world):
    messages = ["training, 16 GB", "sorry, I meant 24 gb", "runs of 5 hours", "undo", "6 hours"]
    state = None
    for m in messages:
        turn = chat_turn(today_world, state, m)
        state = turn.state
    again, transcript = share.replay(today_world, share.decode(share.encode(messages)))
    assert again.answers == turn.answers and again.state == turn.state
    assert [text for role, text in transcript if role == "user"] == messages


@pytest.mark.parametrize("link", ["", "!!!", "eJwLSS0uAQAEXQHB", "x" * 7000, share.encode([])[:-2] + "zz"])
def test_a_damaged_link_is_refused_with_a_message(link):
    # A foreign, truncated or oversized link raises ChatStateError (the app then starts afresh), never crashes.
    try:
        assert share.decode(link) == []  # an empty conversation is the one valid reading of these
    except ChatStateError as exc:
        assert "conversation" in str(exc)


@given(st.lists(st.text(max_size=80), max_size=8))
@settings(max_examples=40, deadline=None)
def test_any_messages_survive_a_link(messages):
    assert share.decode(share.encode(messages)) == messages


def test_the_understood_panel_lists_every_answer_and_each_can_be_changed(today_world):
    turn = chat_turn(today_world, None, "training, 16gb, 3 hour runs, dataset 30 GB, for my class of 30")
    rows = {u.name: u for u in understood(turn.state)}
    assert {"kind", "gpu_memory_gib", "session_hours", "dataset_gib", "students"} <= set(rows)
    for name in ("gpu_memory_gib", "dataset_gib"):
        changed = chat_turn(today_world, turn.state, rows[name].change)
        assert changed.answers[name] is None and changed.intent == "change_of_mind"
    assert chat_turn(today_world, turn.state, rows["gpu_memory_gib"].change).asking == "gpu_memory_gib"


def test_the_chat_names_models_from_the_table_as_typed(today_world, tmp_path, monkeypatch):
    # The issue's example: "training a resnet" reaches ResNet-50 through the table's aliases ('resnet' is not
    # corrected to 'reset'); the 3 of "Llama 3 8B" is no quantity.
    import advisor.catalog

    (tmp_path / "models.csv").write_text("model_id,name,aliases\nresnet-50,ResNet-50,resnet50;resnet\n"
                                         "llama-3-8b,Llama 3 8B,llama 3;llama3 8b\n")
    monkeypatch.setattr(advisor.catalog, "DATA_DIR", tmp_path)
    turn = chat_turn(today_world, None, "training a resnet, need 16 GB")
    assert turn.answers["model"] == "ResNet-50" and turn.answers["gpu_memory_gib"] == 16
    turn = chat_turn(today_world, turn.state, "actually fine-tuning llama 3 8b")
    assert turn.answers["model"] == "Llama 3 8B" and turn.answers["session_hours"] is None


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_any_link_text_is_read_or_refused_with_a_chat_state_error(text):
    # A link is user input: decode never raises anything but ChatStateError.
    try:
        assert isinstance(share.decode(text), list)
    except ChatStateError:
        pass


def test_every_plan_of_the_catalog_is_reached_by_its_own_name(today_world):
    # Plan names come from the catalog (issue 18, goal 3): a question naming a plan by its platform and tier is
    # about that plan first ("Colab Pro for Education" reaches colab-pro-edu, not Colab Pro).
    for plan in today_world.plans.values():
        name = f"{plan.platform} {plan.tier.split('(')[0].strip()}"
        turn = chat_turn(today_world, start_state("done"), f"why not {name}?")
        assert turn.intent == "question", (name, turn.intent)
        first = turn.reply.split("**")[1] if "**" in turn.reply else ""
        assert first == plan.label, (name, first)


def test_the_why_not_quick_reply_moves_on_once_asked(today_world):
    # UX probe defect 27: the "Why not Google Colab?" button stayed after being asked.
    turn = chat_turn(today_world, start_state("done"), "16 GB")
    asked = next(q for q in turn.quick_replies if q.startswith("Why not"))
    again = chat_turn(today_world, turn.state, asked)
    assert asked not in again.quick_replies


# ---------------------------------------------------------------------------------------------
# The rules the blind set of 2026-12 taught (tests/chat_blind_2026-12.toml pins its own sentences; these pin the
# rules on other words)

@pytest.mark.parametrize(("text", "expect"), [
    # a negation stops at 'if' and at an attitude verb: the variation is accepted, not denied
    ("i really don't care whether the speed changes", "any"),
    ("don't mind the gpu lottery", "any"),
    # a varying speed accepted is no preference, whatever hedge it holds
    ("a bit slower now and then is ok", "any"),
    # ... and a varying speed feared is still a requirement
    ("i'd hate it if the speed varies", "require"),
])
def test_an_accepted_variation_is_any(today_world, text, expect):
    turn = chat_turn(today_world, start_state("predictability"), text)
    assert turn.answers["predictability"] == expect


@pytest.mark.parametrize(("text", "expect"), [
    ("my pc has 64gb of ram, the model needs maybe 12gb", 12),    # RAM is the computer's
    ("i have a 4070 with 12 gb, but the model wants 16", 16),     # a card one has is not the need
    ("checkpoints take 50gb on disk, the model fits in 12gb", 12),  # disk is not GPU memory
    ("an a100 80gb", 80),                                          # a GPU named with its memory is that GPU
])
def test_the_memory_the_job_needs_is_not_a_computers(today_world, text, expect):
    turn = chat_turn(today_world, start_state("gpu_memory_gib"), text)
    assert turn.answers["gpu_memory_gib"] == expect


def test_a_list_of_answers_fills_the_questions_in_order(today_world):
    # A bare duration beside GPU time said per period is the longest run; a bare number after the GPU time is the
    # notebooks; the clauses after the budget answer predictability and needs.
    turn = chat_turn(today_world, None, "inference, 16 gb, 2 hrs, 50 hours per month, 1, 10 dollars, doesn't "
                                        "matter, nothing")
    a = turn.answers
    assert (a["session_hours"], a["gpu_hours_per_month"], a["notebooks_at_once"], a["budget_usd_per_month"]) == \
        (2, 50, 1, 10) and a["predictability"] == "any" and a["needs"] == [] and turn.done


def test_model_names_are_matched_without_spaces_or_punctuation(today_world):
    for text in ("lora on qwen 2.5 7b", "Qwen2.5-7B lora", "qwen2.5 7b with lora"):
        assert chat_turn(today_world, None, text).answers["model"] == "Qwen 2.5 7B", text


def test_a_question_about_a_gpu_stores_nothing(today_world):
    turn = chat_turn(today_world, start_state("gpu_memory_gib"), "is the a10 24gb?")
    assert turn.intent == "question" and turn.answers["gpu_memory_gib"] is None


def test_free_is_a_budget_of_zero(today_world):
    turn = chat_turn(today_world, start_state("budget_usd_per_month"), "we have no funding at all")
    assert turn.answers["budget_usd_per_month"] == 0 and turn.answers["free_only"] is True
