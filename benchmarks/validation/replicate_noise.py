"""How far Lambda's own two releases disagree on the same GPU pair: the noise floor of the job-time benchmark.

Lambda measured six GPUs (A100 40 GB PCIe, A100 80 GB SXM4 and PCIe, RTX A6000, RTX 3090, Quadro RTX 8000) in both
series of data/job_throughput.csv (`lambda@000bc82`, 2021-2022, and `lambda@0551cb7`, 2024). For every model,
precision and ordered pair of those GPUs this prints |ratio in 0551cb7 / ratio in 000bc82 - 1|, the same error
measure as bench_job's (a ratio of speeds, so a ratio of hours), with no model involved: a model that matched one
release exactly would miss the other by this much.

Run: python -m benchmarks.validation.replicate_noise
"""
from __future__ import annotations

import csv
import itertools
import math
import statistics
from collections import defaultdict

from advisor.catalog import DATA_DIR

NEW, OLD = "lambda@0551cb7", "lambda@000bc82"


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def replicate_errors() -> dict[tuple[str, str], list[float]]:
    """(model, precision) -> |ratio_new / ratio_old - 1| over ordered pairs of GPUs measured in both releases."""
    runs: dict[tuple[str, str, str], dict[str, list[float]]] = defaultdict(dict)
    with open(DATA_DIR / "job_throughput.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["series"] in (NEW, OLD) and row["status"] != "unverified":
                runs[(row["series"], row["model"], row["precision"])].setdefault(row["gpu_id"], []).append(
                    float(row["throughput_per_s"]))
    out: dict[tuple[str, str], list[float]] = defaultdict(list)
    for (series, model, precision), new in runs.items():
        old = runs.get((OLD, model, precision))
        if series != NEW or not old:
            continue
        for a, b in itertools.permutations(sorted(set(new) & set(old)), 2):
            ratio_new = _geomean(new[a]) / _geomean(new[b])
            ratio_old = _geomean(old[a]) / _geomean(old[b])
            out[(model, precision)].append(abs(ratio_new / ratio_old - 1))
    return out


def main() -> None:
    errors = replicate_errors()
    every = [e for v in errors.values() for e in v]
    within = sum(e <= 0.25 for e in every) / len(every)
    print(f"Lambda's two releases on the same GPU pair ({len(every)} pairs): "
          f"median {100 * statistics.median(every):.1f}%, within 25%: {100 * within:.1f}%")
    for (model, precision), v in sorted(errors.items()):
        print(f"  {model:20s} {precision}  median {100 * statistics.median(v):5.1f}%  "
              f"within 25%: {100 * sum(e <= 0.25 for e in v) / len(v):5.1f}%  ({len(v)} pairs)")


if __name__ == "__main__":
    main()
