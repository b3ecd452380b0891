"""Ingesting runs: the one path from a parsed run to the store that the API's POST /runs, `advisor import`,
`advisor runs --from --save` and the app's upload all take: check each run's plausibility against the catalog and
the benchmark's reference times, then store them in one transaction (all or none)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..vocab import EvidenceSource
from .record import BenchmarkRun, check_plausible, known_plan_ids, run_from_json

if TYPE_CHECKING:
    from .store import AddResult, RunStore


def parse_run(data: bytes | str | dict, data_dir: str | None = None) -> BenchmarkRun:
    """A validated run whose plan is one of the catalog in `data_dir` (default: the shipped data).
    Raises RunValidationError naming the field."""
    return run_from_json(data, known_plan_ids(data_dir))


def checked(run: BenchmarkRun, catalog, reference) -> BenchmarkRun:
    """The run when it is plausible for `catalog` and the benchmark's RunReference (the front ends pass
    advisor.bench.run_reference(); this layer sits below the benchmark), else RunValidationError."""
    return check_plausible(run, catalog, reference)


def ingest(store: RunStore, runs: Iterable[BenchmarkRun], catalog, reference, poster: str = "local",
           origin: EvidenceSource = EvidenceSource.LOCAL) -> AddResult:
    """Checks every run (RunValidationError for an implausible one, before anything is stored), then stores them
    all in one transaction. reference: the benchmark's RunReference (advisor.bench.run_reference(), passed by the
    front end). Raises RunValidationError or StoreError."""
    good = [check_plausible(run, catalog, reference) for run in runs]
    return store.add_runs(good, poster, EvidenceSource(origin))
