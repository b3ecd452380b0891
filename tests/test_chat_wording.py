"""Wording: every reply template of the chat, rendered through real conversations (every utterance of the
development corpus at its question, and rankings whose counts are 0, 1 and many), reads as English: no 'a' before
a vowel sound, no plural after 1 (UX probe defect 27: "a AI score", "1 more plans fit", "1 GPU hours a month")."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from advisor.chat import chat_turn
from advisor.chat.evaluate import load_conversations, load_corpus, start_state

HERE = Path(__file__).parent
# 'a' before a vowel sound; words that start with a vowel letter but a consonant sound are allowed.
A_BEFORE_VOWEL = re.compile(r"\ba (?!(one|once|u[bcfgklmnrst][aeiouy]|us\b|usa|eu|uni|use|user|usual|utility)\w*)"
                            r"[aeiouAEIOU]\w*")
ONE_PLURAL = re.compile(r"(?<![\d.,])\b1 (more )?(plans|notebooks|GPU hours|hours|students|examples|epochs|do not)\b")


def problems(text: str) -> list[str]:
    return [m.group(0) for m in A_BEFORE_VOWEL.finditer(text)] + [m.group(0) for m in ONE_PLURAL.finditer(text)]


@pytest.mark.parametrize("text", ["a AI score", "1 more plans fit", "1 GPU hours a month", "1 do not fit"])
def test_the_checker_finds_the_probe_mistakes(text):
    # The checker itself can fail: each mistake the probe saw is caught.
    assert problems(text)


def test_every_reply_of_the_corpus_reads_as_english(today_world):
    bad = {}
    for case in load_corpus(HERE / "chat_corpus.toml"):
        state = start_state(case.get("asking", "kind"))
        for message in case.get("before", []) + [case["text"]]:
            turn = chat_turn(today_world, state, message)
            state = turn.state
            found = problems(turn.reply)
            if found:
                bad[message] = found
    assert not bad, bad


def test_every_reply_of_the_conversations_reads_as_english(today_world):
    for conv in load_conversations(HERE / "chat_conversations.toml"):
        state = None
        for step in conv["turn"]:
            turn = chat_turn(today_world, state, step["say"])
            state = turn.state
            assert not problems(turn.reply), (step["say"], problems(turn.reply))


@pytest.mark.parametrize("budget", ["free only", "$5", "$20", "no limit"])
@pytest.mark.parametrize("memory", ["8 GB", "24 GB", "80 GB"])
def test_rankings_with_few_and_many_plans_read_as_english(today_world, budget, memory):
    # Different budgets and memory needs leave 0, 1 or many plans beyond the top three and outside the ranking.
    turn = chat_turn(today_world, start_state("done"), f"{memory}, {budget}")
    assert turn.done and not problems(turn.reply), problems(turn.reply)
