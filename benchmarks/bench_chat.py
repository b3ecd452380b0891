"""The chat's accuracy on its corpora and the time of a turn.

Prints the accuracy per question (or intent) and the misses on each corpus (every tests/chat_*.toml:
chat_corpus.toml, the development corpus; chat_heldout.toml, written independently of it; chat_fresh.toml, written
after the held-out set's fixes; chat_conversations.toml, multi-turn regression conversations; chat_blind_2026-12.toml,
a blind set of cases and conversations), with conversations
scored per category (turns right), then every corpus's accuracy (cases and turns) and the total; then the
median time of a chat turn beside a bare
`recommend` call measured in the same run, and the import time of the parsing libraries beside a bare
`python -c pass`.
Run: .venv/bin/python -m benchmarks.bench_chat [--corpus FILE] [--part all|dev|held-out] [--no-timing]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from advisor.catalog import load_catalog
from advisor.chat import chat_turn
from advisor.chat.evaluate import (
    category,
    conversation_category,
    load_conversations,
    load_corpus,
    run_case,
    run_conversation,
    split,
    start_state,
)
from advisor.chat.parse import read
from advisor.chat.state import ChatState, workload_from_answers
from advisor.recommend import recommend

ROOT = Path(__file__).resolve().parent.parent

CORPUS = ROOT / "tests" / "chat_corpus.toml"
CORPORA = tuple(sorted((ROOT / "tests").glob("chat_*.toml"), key=lambda p: (p != CORPUS, p.name)))


def accuracy(catalog, part: str, corpus: Path = CORPUS) -> tuple[int, int]:
    """Prints one corpus's accuracy per question and its misses; returns (right, total). part: the development or
    held-out part of the main corpus's own split (other corpora are always run whole)."""
    cases = load_corpus(corpus)
    if not cases:
        return 0, 0
    dev, held = split(cases)
    if corpus.resolve() != CORPUS.resolve():
        part = "all"
    chosen = {"all": range(len(cases)), "dev": dev, "held-out": held}[part]
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for i in chosen:
        outcome = run_case(catalog, cases[i])
        key = category(cases[i])
        per[key][0] += outcome.passed
        per[key][1] += 1
        if not outcome.passed:
            misses.append((i, cases[i], outcome.problems))
    print(f"Chat corpus {corpus.name} ({part}: {len(chosen)} of {len(cases)} utterances)\n")
    print(f"{'question or intent':24s} {'right':>7s} {'accuracy':>9s}")
    for key, (right, total) in sorted(per.items()):
        print(f"{key:24s} {right:>3d}/{total:<3d} {right / total:>9.1%}")
    right, total = sum(v[0] for v in per.values()), sum(v[1] for v in per.values())
    print(f"{'all':24s} {right:>3d}/{total:<3d} {right / total:>9.1%}\n")
    known = [m for m in misses if m[1].get("known_miss")]
    print(f"Misses ({len(misses)}, of which {len(known)} known):" if misses else "Misses: none")
    for i, case, problems in misses:
        mark = f" [known miss: {case['known_miss']}]" if case.get("known_miss") else ""
        print(f"  #{i} {case['text']!r} at {case.get('asking', 'kind')}{mark}: {'; '.join(problems)}")
    print()
    return right, total


def conversations(catalog, corpus: Path) -> tuple[int, int]:
    """Prints a corpus's conversations scored per category (the '[word]' of each note): whole conversations right
    and turns right; returns (turns right, turns)."""
    convs = load_conversations(corpus)
    if not convs:
        return 0, 0
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    misses = []
    known_turns = 0
    for i, conv in enumerate(convs):
        outcome = run_conversation(catalog, conv)
        row = per[conversation_category(conv)]
        row[0] += outcome.passed
        row[1] += 1
        row[2] += outcome.passed_turns
        row[3] += outcome.turns
        if not outcome.passed:
            misses.append((i, conv, outcome.problems + outcome.known))
        known_turns += len(outcome.known)
    print(f"Conversations in {corpus.name} ({len(convs)})\n")
    print(f"{'category':24s} {'conversations':>14s} {'turns':>10s} {'turn accuracy':>14s}")
    for key, (c_ok, c_all, t_ok, t_all) in sorted(per.items()):
        print(f"{key:24s} {c_ok:>6d}/{c_all:<7d} {t_ok:>4d}/{t_all:<5d} {t_ok / max(t_all, 1):>14.1%}")
    t_ok, t_all = sum(v[2] for v in per.values()), sum(v[3] for v in per.values())
    c_ok = sum(v[0] for v in per.values())
    print(f"{'all':24s} {c_ok:>6d}/{len(convs):<7d} {t_ok:>4d}/{t_all:<5d} {t_ok / max(t_all, 1):>14.1%}\n")
    print(f"Misses ({len(misses)}; known-miss turns: {known_turns}):" if misses else "Misses: none")
    for i, conv, problems in misses:
        print(f"  conversation #{i} {conv.get('note', '')[:60]!r}: {' | '.join(problems)}")
    print()
    return t_ok, t_all


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def timing(catalog) -> None:
    cases = load_corpus(CORPUS)
    mid = [(start_state(c.get("asking", "kind")), c["text"]) for c in cases if c.get("asking") != "done"][:200]
    end = [(start_state("done"), c["text"]) for c in cases if c.get("asking") == "done"][:60]
    workload = workload_from_answers(ChatState.from_json(start_state("done")).answers)
    for state, text in mid[:20] + end[:5]:  # warm the catalog's score caches, as a running service has them
        chat_turn(catalog, state, text)

    def turns(pairs):
        def run():
            for state, text in pairs:
                chat_turn(catalog, state, text)
        return run

    def parse_only():
        for _, text in mid:
            read(text)

    read.cache_clear()
    baseline = _median_ms(lambda: recommend(catalog, workload), 200)
    parse = []
    for _ in range(5):
        read.cache_clear()
        parse.append(_median_ms(parse_only, 1) / len(mid))
    read.cache_clear()
    mid_ms = statistics.median(_median_ms(turns(mid), 1) / len(mid) for _ in range(5))
    read.cache_clear()
    end_ms = statistics.median(_median_ms(turns(end), 1) / len(end) for _ in range(5))
    print("\nTurn time (median; the chat's own cache of readings cleared before each pass)")
    print(f"  baseline: one bare recommend() call            {baseline:7.2f} ms")
    print(f"  reading a message (parse only)                 {statistics.median(parse):7.2f} ms  "
          f"({statistics.median(parse) / baseline:.2f} x baseline)")
    print(f"  a turn during the questionnaire                {mid_ms:7.2f} ms  ({mid_ms / baseline:.2f} x baseline)")
    print(f"  a turn after the ranking (ranks every time)    {end_ms:7.2f} ms  ({end_ms / baseline:.2f} x baseline)")


def import_times() -> None:
    def run(code: str) -> float:
        out = []
        for _ in range(5):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
            out.append((time.perf_counter() - t) * 1000)
        return statistics.median(out)

    bare = run("pass")
    print("\nImport time (a fresh interpreter, median of 5)")
    print(f"  python -c pass                                 {bare:7.1f} ms")
    for module in ("rapidfuzz", "text_to_num", "spellchecker", "advisor.chat.parse", "advisor.chat"):
        ms = run(f"import {module}")
        print(f"  import {module:40s}{ms:7.1f} ms  (+{ms - bare:.1f} ms)")
    parse = run("import advisor.chat.parse")
    first = run("from advisor.chat.parse import correct; correct('trainning')")
    print(f"  the first typo corrected (loads the English word list, once)  +{first - parse:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", "dev", "held-out"), default="all")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--corpus", type=Path, action="append",
                        help="a corpus in the same format (repeatable); default: the three corpora in tests/")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, load {load:.2f}\n")
    catalog = load_catalog()
    scores = {}
    for path in args.corpus or CORPORA:
        right, total = accuracy(catalog, args.part, path)
        turns_right, turns = conversations(catalog, path)
        scores[path] = (right + turns_right, total + turns)
    if len(scores) > 1:
        print("Accuracy per corpus")
        for path, (right, total) in scores.items():
            print(f"  {path.name:24s} {right:>4d}/{total:<4d} {right / max(total, 1):>7.1%}")
        right, total = sum(r for r, _ in scores.values()), sum(t for _, t in scores.values())
        print(f"  {'total':24s} {right:>4d}/{total:<4d} {right / total:>7.1%}")
    if not args.no_timing:
        timing(catalog)
        import_times()
    sys.exit(0 if all(r == t for r, t in scores.values()) else 1)


if __name__ == "__main__":
    main()
