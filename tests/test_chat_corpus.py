"""The chat corpus (tests/chat_corpus.toml): every utterance, run through the chat engine on the shipped catalog,
must be understood as the corpus says (intent, topic, the fields it sets and the ones it leaves alone)."""
from __future__ import annotations

from pathlib import Path

import pytest

from advisor.chat.evaluate import category, load_corpus, run_case, split

CORPUS = load_corpus(Path(__file__).with_name("chat_corpus.toml"))
DEV, HELD_OUT = split(CORPUS)


def _id(i: int) -> str:
    case = CORPUS[i]
    return f"{i}-{category(case)}-{case['text'][:40]}"


@pytest.mark.parametrize("index", range(len(CORPUS)), ids=[_id(i) for i in range(len(CORPUS))])
def test_corpus_case(today_world, index):
    # One utterance of the corpus; the failure message says what was understood instead.
    case = CORPUS[index]
    outcome = run_case(today_world, case)
    assert outcome.passed, (f"{case['text']!r} at {case.get('asking', 'kind')!r}"
                            f"{' after ' + repr(case['before']) if case.get('before') else ''}: "
                            + "; ".join(outcome.problems) + f"\nreply: {outcome.reply[:300]}")


def test_corpus_is_large_and_split():
    # The issue asks for at least 300 utterances; the split keeps a held-out third apart from development.
    assert len(CORPUS) >= 300
    assert not set(DEV) & set(HELD_OUT) and len(HELD_OUT) == len(CORPUS) // 3


def test_every_currency_in_the_corpus_has_a_dated_rate(today_world):
    # Currency cases convert with the catalog's dated rate from data/fx_rates.csv.
    codes = {c["expect"]["budget_usd_per_month"].split()[1] for c in CORPUS
             if isinstance(c.get("expect", {}).get("budget_usd_per_month"), str)}
    assert codes
    for code in codes:
        rate = today_world.usd_rate(code)
        assert rate is not None and rate.usd_per_unit > 0 and rate.provenance.as_of <= today_world.as_of
