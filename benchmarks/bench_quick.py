"""Quick mode against a full run on the same machine: wall time of a real quick run (TensorFlow start included)
and how far its AI estimate is from the full run's AI score.

Targets (issue 3, 2-core CPU machine): quick mode at most 60 s; estimate within 15% of a full run's AI score.
The full run is the newest worker output in benchmarks/validation/, which the calibration never reads (pass
--full-run FILE to pick another, or --run-full to make a new one now; a full run takes about 20 minutes here).
Run: .venv/bin/python benchmarks/bench_quick.py [--repeats 3] [--full-run FILE | --run-full]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.bench import run_benchmark, score_full  # noqa: E402

HELD_OUT_DIR = ROOT / "benchmarks" / "validation"


def full_scores_from(path: Path):
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    times = {e["id"]: e["mean_ms"] for e in events if e.get("event") == "test" and e.get("status") == "ok"}
    return score_full(times), len(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full-run", type=Path)
    parser.add_argument("--run-full", action="store_true")
    args = parser.parse_args()
    if args.run_full:
        run = run_benchmark("full", force_cpu=True)
        full_ai, label = run.scores.ai, f"a new full run ({run.tests_used} sub-tests)"
    else:
        candidates = [args.full_run] if args.full_run else sorted(HELD_OUT_DIR.glob("*.jsonl"))
        if not candidates:
            sys.exit("no held-out full run in benchmarks/validation/: pass --run-full or --full-run FILE")
        scores, n = full_scores_from(candidates[-1])
        full_ai, label = scores.ai, f"{candidates[-1].name} ({n} sub-tests; not used by the calibration)"
    results = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        run = run_benchmark("quick", force_cpu=True)
        wall = time.perf_counter() - start
        s = run.scores
        results.append((wall, s.ai, s.ai_low, s.ai_high))
        print(f"quick run: {wall:.1f} s wall, AI {s.ai} (interval {s.ai_low}-{s.ai_high}), "
              f"{run.tests_used} sub-tests, error against the full run {s.ai / full_ai - 1:+.1%}", flush=True)
    walls = [r[0] for r in results]
    errors = [abs(r[1] / full_ai - 1) for r in results]
    inside = sum(r[2] <= full_ai <= r[3] for r in results)
    print(f"full run AI score {full_ai} from {label}")
    print(f"quick mode over {len(results)} runs: wall median {statistics.median(walls):.1f} s, max {max(walls):.1f} s "
          f"(target <= 60 s); |error| median {statistics.median(errors):.1%}, max {max(errors):.1%} (target <= 15%); "
          f"full score inside the interval in {inside} of {len(results)}")


if __name__ == "__main__":
    main()
