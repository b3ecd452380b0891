"""Quick mode against a full run on the same machine: wall time of real quick runs (TensorFlow start-up included)
and each part's error against the full run's scores, with the machine's fingerprint and load.

Targets: quick mode at most 60 s wall whatever the machine's speed; its estimates inside their intervals. The
baseline is a full run on this machine, made now (about 20-60 minutes on a 2-core CPU) or read from
--full-run FILE (a run JSON this script saved earlier; its fingerprint must match this machine's). Runs on the
CPU, as this project's machine has no GPU.
Run: .venv/bin/python -m benchmarks.bench_quick [--repeats 3] [--budget 45] [--full-run FILE] [--save-full FILE]
     [--save-quick DIR]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from advisor.bench import machine_fingerprint, run_benchmark
from advisor.runs.record import run_from_json
from advisor.vocab import Metric

ROOT = Path(__file__).resolve().parent.parent

PARTS = (Metric.AI, Metric.INFERENCE, Metric.TRAINING)
TARGET_WALL_S = 60.0


def load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def bare_python_s() -> float:
    """A bare interpreter start, the machine-speed baseline measured in the same run."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget", type=float, default=45.0)
    parser.add_argument("--full-run", type=Path, help="a full run JSON saved earlier on this machine")
    parser.add_argument("--save-full", type=Path, help="where to save the full run made now")
    parser.add_argument("--save-quick", type=Path, help="a folder to save each quick run's JSON in")
    args = parser.parse_args()
    here = machine_fingerprint()
    print(f"machine: {json.dumps({k: v for k, v in here.items() if k != 'tensorflow_version'})}")
    print(f"bare python start: {bare_python_s():.3f} s; {load()}", flush=True)
    if args.full_run:
        full = run_from_json(args.full_run.read_text())
        theirs = full.device.fingerprint.model_dump() if full.device.fingerprint else {}
        same = all(theirs.get(k) == here[k] for k in ("cpu_model", "cpu_family", "cpu_model_number", "cpu_flags",
                                                       "cpu_count"))
        print(f"full run: {args.full_run.name}, made {full.started_at:%Y-%m-%d %H:%M} UTC, "
              f"{(full.finished_at - full.started_at).total_seconds():.0f} s; fingerprint "
              f"{'matches this machine' if same else 'DIFFERS from this machine: ' + json.dumps(theirs)}")
        full_wall = (full.finished_at - full.started_at).total_seconds()
    else:
        print(f"full run starting {dt.datetime.now():%H:%M}; {load()}", flush=True)
        start = time.perf_counter()
        full = run_benchmark("full", force_cpu=True)
        full_wall = time.perf_counter() - start
        print(f"full run: {full_wall:.0f} s wall, {full.tests_used} sub-tests; {load()}")
        if args.save_full:
            args.save_full.write_text(json.dumps(full.to_dict(), indent=1) + "\n")
            print(f"saved {args.save_full}")
    truth = {Metric.AI: full.scores.ai, Metric.INFERENCE: full.scores.inference,
             Metric.TRAINING: full.scores.training}
    print("full scores: " + ", ".join(f"{m} {truth[m]:,.0f}" for m in PARTS), flush=True)

    rows = []
    for n in range(1, args.repeats + 1):
        before = load()
        start = time.perf_counter()
        run = run_benchmark("quick", force_cpu=True, budget_s=args.budget)
        wall = time.perf_counter() - start
        s = run.scores
        parts = {Metric.AI: (s.ai, s.ai_low, s.ai_high), Metric.INFERENCE: (s.inference, s.inference_low,
                                                                            s.inference_high),
                 Metric.TRAINING: (s.training, s.training_low, s.training_high)}
        errors = {m: parts[m][0] / truth[m] - 1 for m in PARTS}
        inside = {m: parts[m][1] <= truth[m] <= parts[m][2] for m in PARTS}
        rows.append((wall, errors, inside))
        if args.save_quick:
            args.save_quick.mkdir(parents=True, exist_ok=True)
            (args.save_quick / f"quick_run_{run.started_at:%Y-%m-%dT%H%M%S}.json").write_text(
                json.dumps(run.to_dict(), indent=1) + "\n")
        print(f"quick run {n}: {wall:.1f} s wall ({run.measured_s:.0f} s measuring, {run.tests_used} sub-tests; "
              f"{wall / full_wall:.1%} of the full run's time); " + "; ".join(
                  f"{m} {parts[m][0]:,.0f} ({parts[m][1]:,.0f}-{parts[m][2]:,.0f}) {errors[m]:+.1%} "
                  f"{'inside' if inside[m] else 'OUTSIDE'}" for m in PARTS) + f"; {before} -> {load()}", flush=True)
    walls = [r[0] for r in rows]
    print(f"quick mode over {len(rows)} runs: wall median {statistics.median(walls):.1f} s, max {max(walls):.1f} s "
          f"(target <= {TARGET_WALL_S:.0f} s: {'met' if max(walls) <= TARGET_WALL_S else 'NOT met'})")
    for m in PARTS:
        errs = [abs(r[1][m]) for r in rows]
        print(f"  {m}: |error| against the full run median {statistics.median(errs):.1%}, max {max(errs):.1%}; "
              f"inside the interval in {sum(r[2][m] for r in rows)} of {len(rows)}")


if __name__ == "__main__":
    main()
