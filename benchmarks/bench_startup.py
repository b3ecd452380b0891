"""Cold start of the CLI: `advisor recommend ...`, `advisor plans` and `advisor --help` in fresh processes, against
a bare `python -c pass` measured in the same run. The spec-sheet model's disk cache is warmed first (the first run
after a data change refits it once). `recommend` is measured twice: with no run store (a new user: the store's
database library is not even loaded) and with a local store holding 1,000 runs (synthetic, valid and plausible,
made as benchmarks.bench_evidence makes them), which it folds into the scores.

Targets (on this project's 2-core machine): recommend at most 0.5 s, --help at most 0.3 s.
Run: .venv/bin/python -m benchmarks.bench_startup
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, fingerprint, python_start_s

STORED_RUNS = 1000

COMMANDS = {
    "recommend": ["recommend", "--gpu-mem-gb", "16", "--gpu-hours-per-month", "40", "--budget-usd", "20"],
    "plans": ["plans"],
    "--help": ["--help"],
}
TARGETS_S = {"recommend": 0.5, "--help": 0.3}
REPEATS = 15


def wall_s(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "advisor", *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   env=env)
    return time.perf_counter() - start


def store_with_runs(folder: Path) -> Path:
    """A SQLite run store holding STORED_RUNS runs, imported as a user imports them."""
    from benchmarks.bench_evidence import make_runs

    export = folder / "runs.jsonl"
    export.write_bytes(b"\n".join(make_runs(STORED_RUNS)) + b"\n")
    store = folder / "runs.sqlite"
    subprocess.run([sys.executable, "-m", "advisor", "import", str(export)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, env=dict(os.environ, ADVISOR_RUNS_DB=str(store)))
    return store


def main() -> None:
    print(f"machine: {fingerprint()}")
    with tempfile.TemporaryDirectory() as folder:
        no_store = dict(os.environ, ADVISOR_RUNS_DB=str(Path(folder) / "none.sqlite"))
        runs = dict(os.environ, ADVISOR_RUNS_DB=str(store_with_runs(Path(folder))))
        cases = [(f"{name}{' (no run store)' if name == 'recommend' else ''}", args, no_store)
                 for name, args in COMMANDS.items()]
        cases.insert(1, (f"recommend ({STORED_RUNS:,} runs in the store)", COMMANDS["recommend"], runs))
        for _, args, env in cases:
            wall_s(args, env)  # warms the spec-model cache and the disk cache
        base = python_start_s(REPEATS)
        print(f"python -c pass: median {base * 1000:.0f} ms")
        for label, args, env in cases:
            median = statistics.median(wall_s(args, env) for _ in range(REPEATS))
            name = label.split(" ")[0]
            target = f" (target <= {TARGETS_S[name]} s)" if name in TARGETS_S else ""
            print(f"advisor {label}: median {median:.3f} s over {REPEATS} runs, {median / base:.1f}x python -c pass"
                  f"{target}")


if __name__ == "__main__":
    main()
