"""Measures catalog load time and recommendation latency on the full shipped catalog.

Targets (issue 2, on a 2-core machine): recommendation p50 <= 2 ms, catalog load <= 300 ms.
Run: .venv/bin/python benchmarks/bench_core.py
"""
from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from advisor import Workload, load_catalog, recommend  # noqa: E402
from advisor.catalog import _load_raw_cached, load_raw  # noqa: E402
from advisor.workload import KINDS, NEEDS, PREDICTABILITY  # noqa: E402


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def random_workload(rng: random.Random) -> Workload:
    ref = rng.random() < 0.3
    return Workload(
        kind=rng.choice(KINDS), gpu_memory_gib=rng.choice([0, 8, 12, 16, 24, 40]), session_hours=rng.uniform(0.5, 24),
        gpu_hours_per_month=rng.uniform(0, 300), notebooks_at_once=rng.randint(1, 3),
        budget_usd_per_month=rng.choice([None, 0, 10, 50, 200]), predictability=rng.choice(PREDICTABILITY),
        needs=frozenset(rng.sample(NEEDS, rng.randint(0, 2))), free_only=rng.random() < 0.2,
        reference_hours=rng.uniform(0.5, 10) if ref else None, reference_gpu=rng.choice(["t4", "k80", "a100-40gb"]) if ref else None)


def main() -> None:
    # Cold: parse and validate every file, then build the score distributions (the regression fit included).
    cold = []
    for _ in range(20):
        _load_raw_cached.cache_clear()
        t = time.perf_counter()
        catalog = load_catalog()
        catalog.scores.option_score(*next((p, p.options[0]) for p in catalog.plans.values()), "ai")
        cold.append((time.perf_counter() - t) * 1000)
    # Parse and validate only.
    parse = []
    for _ in range(20):
        _load_raw_cached.cache_clear()
        t = time.perf_counter()
        load_raw()
        parse.append((time.perf_counter() - t) * 1000)

    catalog = load_catalog()
    rng = random.Random(0)
    workloads = [random_workload(rng) for _ in range(1000)]
    for w in workloads[:50]:  # warm the per-catalog score caches, as a running service has them
        recommend(catalog, w)
    times = []
    for w in workloads:
        t = time.perf_counter()
        recommend(catalog, w)
        times.append((time.perf_counter() - t) * 1000)
    print(f"plans: {len(catalog.plans)}, plan options: {sum(len(p.options) for p in catalog.plans.values())}")
    print(f"catalog load, parse + validate: median {statistics.median(parse):.1f} ms (target <= 300 ms)")
    print(f"catalog load, cold with score model: median {statistics.median(cold):.1f} ms; the first in a process "
          f"{cold[0]:.0f} ms (it imports scikit-learn)")
    print(f"recommend over 1000 random workloads: p50 {percentile(times, 50):.2f} ms, p95 {percentile(times, 95):.2f} ms "
          f"(target p50 <= 2 ms)")


if __name__ == "__main__":
    main()
