"""How far a perfect knowledge of each held-out GPU's offset would take the job-time benchmark: its ceiling.

bench_job's error on a pair (held-out GPU g predicted from a measured GPU r on a workload no fit saw) is the spec
sheet's miss on g, r's anchor's miss, and what is particular to this workload on this pair of GPUs. This script
removes, after the fact, the median error of each held-out GPU (then of each GPU and family, then GPU, family and
precision): an oracle that knew, for a GPU the model never saw, exactly how far its spec sheet misses on every kind
of work. No model could know that; the figures are an indicative bound on what a better GPU-level term (chip,
generation, clocks) could give: not a strict one, since another offset than the median could score a little more
within 25% (the window is not symmetric in log terms), and a GPU feature that interacts with the workload (L2 cache
against model size) works on the workload x GPU term the oracle leaves in place. That term and the measurements' own
noise (replicate_noise.py) are what remains. The same is printed for the protocol where the workload is seen on the
other GPUs.

Run: python -m benchmarks.validation.oracle_offsets
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable

from advisor import load_catalog
from advisor.job.throughput import throughput_model


def summary(errors: list[float]) -> str:
    """Median |predicted / true hours - 1| and the share within 25%, from log errors."""
    misses = [abs(math.exp(e) - 1) for e in errors]
    return (f"median {statistics.median(misses):5.1%}  within 25%: {sum(m <= 0.25 for m in misses) / len(misses):5.1%}"
            f"  ({len(misses)} pairs)")


def less_oracle(errors: list[dict], key: Callable[[dict], tuple]) -> list[float]:
    """Each error less the median error of its key's cell (the oracle's offset for that cell)."""
    cells: dict[tuple, list[float]] = defaultdict(list)
    for e in errors:
        cells[key(e)].append(e["error"])
    medians = {k: statistics.median(v) for k, v in cells.items()}
    return [e["error"] - medians[key(e)] for e in errors]


ORACLES: tuple[tuple[str, Callable[[dict], tuple]], ...] = (
    ("held-out GPU", lambda e: (e["gpu"],)),
    ("held-out GPU and family", lambda e: (e["gpu"], e["family"])),
    ("held-out GPU, family and precision", lambda e: (e["gpu"], e["family"], e["precision"])),
)


def main() -> None:
    model = throughput_model(load_catalog().gpus)
    for protocol, errors in (("new workload (bench_job's first line)", model.loo_errors_),
                             ("workload seen on the other GPUs", model._loo_errors(leave_model_out=False))):
        unseen = [e for e in errors if e["pool"] != "measured"]
        print(f"{protocol}:")
        print(f"  the model as shipped                                        {summary([e['error'] for e in unseen])}")
        for name, key in ORACLES:
            print(f"  less an oracle offset per {name:34} {summary(less_oracle(unseen, key))}")


if __name__ == "__main__":
    main()
