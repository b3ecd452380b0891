"""Catalog load time and recommendation latency on the shipped catalog, with a same-run CPU baseline.

Targets (on this project's 2-core machine): recommendation p50 at most 2 ms, catalog load at most 300 ms.
Run: .venv/bin/python -m benchmarks.bench_core
"""
from __future__ import annotations

import random
import statistics
import time

from advisor import Workload, load_catalog, recommend
from advisor.catalog.as_of import _catalog_cached
from advisor.catalog.load import _load_raw_cached, load_raw
from advisor.distributions import score_book
from advisor.vocab import Kind, Need, Predictability
from benchmarks.common import cpu_unit_ms, fingerprint, percentile


def random_workload(rng: random.Random) -> Workload:
    ref = rng.random() < 0.3
    return Workload(
        kind=rng.choice(list(Kind)), gpu_memory_gib=rng.choice([0, 8, 12, 16, 24, 40]),
        session_hours=rng.uniform(0.5, 24), gpu_hours_per_month=rng.uniform(0, 300),
        notebooks_at_once=rng.randint(1, 3), budget_usd_per_month=rng.choice([None, 0, 10, 50, 200]),
        predictability=rng.choice(list(Predictability)),
        needs=frozenset(rng.sample(list(Need), rng.randint(0, 2))),
        nice_to_have=frozenset(rng.sample(list(Need), rng.randint(0, 1))), free_only=rng.random() < 0.2,
        education=rng.random() < 0.2, reference_hours=2.0 if ref else None, reference_gpu="t4" if ref else None)


def timed_ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def cpu_ms(fn) -> float:
    """CPU time of this thread, in ms: unlike wall time, it does not grow when other processes share the cores."""
    start = time.thread_time()
    fn()
    return (time.thread_time() - start) * 1000


def main() -> None:
    print(f"machine: {fingerprint()}")
    unit = cpu_unit_ms()
    print(f"baseline: a fixed pure-Python workload takes {unit:.1f} ms here")

    def parse():
        _load_raw_cached.cache_clear()
        load_raw()

    def cold_catalog():
        _load_raw_cached.cache_clear()
        _catalog_cached.cache_clear()
        score_book.cache_clear()
        score_book(load_catalog())

    parse_ms = statistics.median(timed_ms(parse) for _ in range(20))
    cold_ms = statistics.median(timed_ms(cold_catalog) for _ in range(20))
    catalog = load_catalog()
    print(f"plans: {len(catalog.plans)}, plan options: {sum(len(p.options) for p in catalog.plans.values())}")
    print(f"catalog load, parse + validate: median {parse_ms:.1f} ms ({parse_ms / unit:.2f} baselines; "
          "target <= 300 ms)")
    print(f"catalog load with score book (spec model from its cache): median {cold_ms:.1f} ms "
          f"({cold_ms / unit:.2f} baselines)")
    rng = random.Random(7)
    workloads = [random_workload(rng) for _ in range(1000)]
    recommend(catalog, workloads[0])
    times = [timed_ms(lambda w=w: recommend(catalog, w)) for w in workloads]
    cpu = [cpu_ms(lambda w=w: recommend(catalog, w)) for w in workloads]
    p50, p95 = percentile(times, 50), percentile(times, 95)
    print(f"recommend over 1000 random workloads: wall p50 {p50:.2f} ms, p95 {p95:.2f} ms; CPU time p50 "
          f"{percentile(cpu, 50):.2f} ms, p95 {percentile(cpu, 95):.2f} ms "
          f"({percentile(cpu, 50) / unit:.3f} baselines; "
          "target p50 <= 2 ms)")


if __name__ == "__main__":
    main()
