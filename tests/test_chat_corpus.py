"""The chat corpora: every utterance and conversation of every tests/chat_*.toml, run through the chat engine on
the shipped catalog, must be understood as its corpus says (intent, topic, the fields it sets, the values it must
never store and the ones it leaves alone). tests/chat_corpus.toml is the development corpus;
tests/chat_heldout.toml was written independently of it and of the parser; tests/chat_fresh.toml was written after
the held-out set's fixes and before its own first run; the three are frozen regression sets.
tests/chat_conversations.toml holds multi-turn regression conversations (corrections, changes of mind, what-ifs).
tests/chat_blind_2026-12.toml was written blind (without the parser or the other corpora) and scored before any fix
(its header gives the first-run figure); it is a frozen regression set since, as are tests/chat_blind2_2026-12.toml
and tests/chat_blind3_2026-12.toml, the second and third blind sets. A case or turn with a `known_miss` reason is a miss not yet fixed: reported (xfail), not failed."""
from __future__ import annotations

from pathlib import Path

import pytest

from advisor.chat.evaluate import (
    category,
    conversation_category,
    load_conversations,
    load_corpus,
    run_case,
    run_conversation,
    split,
)

HERE = Path(__file__).parent
# Every corpus file in tests/, named by what follows 'chat_' ("chat_corpus.toml" is 'main').
CORPUS_FILES = {("main" if p.stem == "chat_corpus" else p.stem.removeprefix("chat_")): p.name
                for p in sorted(HERE.glob("chat_*.toml"))}
CORPORA = {name: load_corpus(HERE / file) for name, file in CORPUS_FILES.items()}
CONVERSATIONS = {name: load_conversations(HERE / file) for name, file in CORPUS_FILES.items()}
CONV_CASES = [(name, i) for name, convs in CONVERSATIONS.items() for i in range(len(convs))]
CORPUS = CORPORA["main"]
DEV, HELD_OUT = split(CORPUS)
CASES = [(name, i) for name, cases in CORPORA.items() for i in range(len(cases))]


def _id(name: str, i: int) -> str:
    case = CORPORA[name][i]
    return f"{name}-{i}-{category(case)}-{case['text'][:40]}"


@pytest.mark.parametrize(("corpus", "index"), CASES, ids=[_id(*c) for c in CASES])
def test_corpus_case(today_world, corpus, index):
    # One utterance of a corpus; the failure message says what was understood instead.
    case = CORPORA[corpus][index]
    outcome = run_case(today_world, case)
    if outcome.known_miss:
        pytest.xfail(f"known miss: {outcome.known_miss}: " + "; ".join(outcome.problems))
    assert outcome.passed, (f"{case['text']!r} at {case.get('asking', 'kind')!r}"
                            f"{' after ' + repr(case['before']) if case.get('before') else ''}: "
                            + "; ".join(outcome.problems) + f"\nreply: {outcome.reply[:300]}")


@pytest.mark.parametrize(("corpus", "index"), CONV_CASES,
                         ids=[f"{n}-{i}-{conversation_category(CONVERSATIONS[n][i])}" for n, i in CONV_CASES])
def test_conversation(today_world, corpus, index):
    # One conversation from a fresh start: every turn's intent, stored values and never-stored values.
    conv = CONVERSATIONS[corpus][index]
    outcome = run_conversation(today_world, conv)
    assert outcome.accepted, f"{conv.get('note', '')}: " + " | ".join(outcome.problems)
    if outcome.known:
        pytest.xfail(" | ".join(outcome.known))
    assert outcome.passed, f"{conv.get('note', '')}: " + " | ".join(outcome.problems)


def test_the_regression_conversations_are_many_and_varied():
    # The issue asks for 10+ conversations; they cover corrections, changes of mind, what-ifs and questions.
    convs = CONVERSATIONS["conversations"]
    assert len(convs) >= 10
    assert {"correction", "change_of_mind", "what_if", "question", "nouns"} <= {conversation_category(c)
                                                                                 for c in convs}


def test_a_conversation_case_that_stores_a_never_value_fails(today_world):
    # The evaluator itself: a 'never' value that is stored is a failure (so the corpus checks can fail).
    conv = {"turn": [{"say": "training, 16 GB", "never": {"gpu_memory_gib": 16}}]}
    assert not run_conversation(today_world, conv).passed
    conv = {"turn": [{"say": "fine-tuning llama 3 8b", "expect": {"model": "llama-3 8B"}}]}
    assert run_conversation(today_world, conv).passed  # model names compared without case, space, punctuation


def test_corpus_is_large_and_split():
    # The issue asks for at least 300 utterances; the split keeps a held-out third apart from development.
    assert len(CORPUS) >= 300
    assert not set(DEV) & set(HELD_OUT) and len(HELD_OUT) == len(CORPUS) // 3


def test_heldout_and_fresh_sets_are_whole():
    # The independent sets keep every utterance written for them; none is dropped to make the rest pass.
    assert len(CORPORA["heldout"]) == 280 and len(CORPORA["fresh"]) == 60
    assert len(CORPORA["blind_2026-12"]) == 215 and len(CONVERSATIONS["blind_2026-12"]) == 53
    assert len(CORPORA["blind2_2026-12"]) == 228 and len(CONVERSATIONS["blind2_2026-12"]) == 48
    assert len(CORPORA["blind3_2026-12"]) == 228 and len(CONVERSATIONS["blind3_2026-12"]) == 48


@pytest.mark.parametrize("corpus", list(CORPORA))
def test_every_currency_in_the_corpus_has_a_dated_rate(today_world, corpus):
    if not CORPORA[corpus]:
        pytest.skip("a file of conversations only")
    # Currency cases convert with the catalog's dated rate from data/fx_rates.csv.
    codes = {c["expect"]["budget_usd_per_month"].split()[1] for c in CORPORA[corpus]
             if isinstance(c.get("expect", {}).get("budget_usd_per_month"), str)}
    assert codes
    for code in codes:
        rate = today_world.usd_rate(code)
        assert rate is not None and rate.usd_per_unit > 0 and rate.provenance.as_of <= today_world.as_of


def test_a_known_miss_is_reported_not_failed(today_world):
    # A case or turn marked known_miss that fails is scored as a miss but accepted; unmarked, it fails.
    case = {"asking": "kind", "text": "training", "expect": {"kind": "inference"}}
    outcome = run_case(today_world, case)
    assert not outcome.passed and not outcome.accepted and outcome.known_miss is None
    outcome = run_case(today_world, {**case, "known_miss": "demo"})
    assert not outcome.passed and outcome.accepted and outcome.known_miss == "demo"
    conv = {"turn": [{"say": "training", "expect": {"kind": "inference"}, "known_miss": "demo"}]}
    result = run_conversation(today_world, conv)
    assert not result.passed and result.accepted and result.known and not result.problems
