"""Recommendation latency on a generated marketplace-sized catalog (10,000 offers), beside the shipped catalog and a
fixed pure-Python baseline measured in the same run.

The generated catalog is the shipped data plus synthetic hourly marketplaces (example.org sources): each has its
own rate card (every catalog GPU at a random multiple of a base price) and offers of 1 to 8 GPUs of every model, so
that the plans hold `--offers` options in all. Targets (issue 16): p50 at most 2 ms on the shipped catalog and at
most 50 ms on 10,000 offers.
Run: .venv/bin/python -m benchmarks.bench_scale [--offers 10000]
"""
from __future__ import annotations

import argparse
import csv
import random
import shutil
import tempfile
from pathlib import Path

from advisor import load_catalog, recommend
from advisor.catalog import DATA_DIR
from benchmarks.bench_core import cpu_ms, random_workload
from benchmarks.common import cpu_unit_ms, fingerprint, percentile

SOURCE = "https://example.org/synthetic-marketplace"
COUNTS = (1, 2, 4, 8)


def write_marketplace(folder: Path, offers: int, seed: int = 11) -> int:
    """Copies the shipped data into `folder` and appends synthetic hourly marketplaces holding `offers` options in
    all. Returns the number of options written."""
    for path in DATA_DIR.glob("*.csv"):
        shutil.copy(path, folder / path.name)
    rng = random.Random(seed)
    with open(DATA_DIR / "gpus.csv", newline="") as f:
        gpus = [row["gpu_id"] for row in csv.DictReader(f) if row["vendor"] == "nvidia"]
    per_plan = len(gpus) * len(COUNTS)
    plans = max(1, -(-offers // per_plan))
    written = 0
    with open(folder / "plans.csv", "a", newline="") as p, open(folder / "plan_gpus.csv", "a", newline="") as o, \
            open(folder / "gpu_rates.csv", "a", newline="") as r, open(folder / "plan_facts.csv", "a", newline="") as x:
        plans_w, options_w, rates_w, facts_w = csv.writer(p), csv.writer(o), csv.writer(r), csv.writer(x)
        for i in range(plans):
            plan_id = f"market-{i:04d}"
            plans_w.writerow([plan_id, f"Market {i}", "Offers", "hourly", SOURCE, plan_id, ""])
            facts_w.writerow([plan_id, "monthly_price_usd", "0", "2026-11-01", SOURCE, "estimate", "synthetic", ""])
            if rng.random() < 0.3:
                facts_w.writerow([plan_id, "requires_card", "true", "2026-11-01", SOURCE, "estimate", "synthetic", ""])
            for gpu in gpus:
                rates_w.writerow([plan_id, gpu, f"{rng.uniform(0.1, 4.0):.3f}", "usd_per_hour", "on-demand", "list", "",
                                  "2026-11-01", SOURCE, "estimate", "synthetic", ""])
                for count in COUNTS:
                    if written >= offers:
                        break
                    options_w.writerow([plan_id, f"{gpu}-x{count}", gpu, count, "1", "", "2026-11-01", SOURCE,
                                        "estimate", "synthetic", ""])
                    written += 1
    return written


def _p50_cpu_ms(catalog, workloads) -> tuple[float, float]:
    recommend(catalog, workloads[0])
    times = [cpu_ms(lambda w=w: recommend(catalog, w)) for w in workloads]
    return percentile(times, 50), percentile(times, 95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--workloads", type=int, default=200)
    args = parser.parse_args()
    print(f"machine: {fingerprint()}")
    unit = cpu_unit_ms()
    print(f"baseline: a fixed pure-Python workload takes {unit:.1f} ms here")
    rng = random.Random(7)
    workloads = [random_workload(rng) for _ in range(args.workloads)]
    shipped = load_catalog()
    p50, p95 = _p50_cpu_ms(shipped, workloads)
    options = sum(len(p.options) for p in shipped.plans.values())
    print(f"shipped catalog ({len(shipped.plans)} plans, {options} options): recommend CPU p50 {p50:.2f} ms, p95 "
          f"{p95:.2f} ms ({p50 / unit:.3f} baselines; target p50 <= 2 ms)")
    with tempfile.TemporaryDirectory() as tmp:
        written = write_marketplace(Path(tmp), args.offers)
        big = load_catalog(data_dir=Path(tmp))
        options = sum(len(p.options) for p in big.plans.values())
        big_p50, big_p95 = _p50_cpu_ms(big, workloads)
    print(f"generated catalog ({len(big.plans)} plans, {options} options, {written} of them generated offers): "
          f"recommend CPU p50 {big_p50:.2f} ms, p95 {big_p95:.2f} ms ({big_p50 / unit:.3f} baselines, "
          f"{big_p50 / p50:.1f} x the shipped catalog; target p50 <= 50 ms)")


if __name__ == "__main__":
    main()
