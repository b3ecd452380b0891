"""Cold start of the CLI: `advisor recommend ...`, `advisor plans` and `advisor --help` in fresh processes, against
a bare `python -c pass` measured in the same run. The spec-sheet model's disk cache is warmed first (the first run
after a data change refits it once).

Targets (on this project's 2-core machine): recommend at most 0.5 s, --help at most 0.3 s.
Run: .venv/bin/python -m benchmarks.bench_startup
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time

from benchmarks.common import ROOT, fingerprint, python_start_s

COMMANDS = {
    "recommend": ["recommend", "--gpu-mem-gb", "16", "--gpu-hours-per-month", "40", "--budget-usd", "20"],
    "plans": ["plans"],
    "--help": ["--help"],
}
TARGETS_S = {"recommend": 0.5, "--help": 0.3}
REPEATS = 15


def wall_s(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "advisor", *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    print(f"machine: {fingerprint()}")
    wall_s(COMMANDS["recommend"])  # warms the spec-model cache and the disk cache
    base = python_start_s(REPEATS)
    print(f"python -c pass: median {base * 1000:.0f} ms")
    for name, args in COMMANDS.items():
        median = statistics.median(wall_s(args) for _ in range(REPEATS))
        target = f" (target <= {TARGETS_S[name]} s)" if name in TARGETS_S else ""
        print(f"advisor {name}: median {median:.3f} s over {REPEATS} runs, {median / base:.1f}x python -c pass{target}")


if __name__ == "__main__":
    main()
