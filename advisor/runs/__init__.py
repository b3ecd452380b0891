"""Benchmark runs: the run record and its validation (record), the run store over SQLite or PostgreSQL (store), and
runs folded into evidence for the score book (evidence).

Importing this package is light: the store (SQLAlchemy) loads only when `RunStore` is first used.
"""
from .record import (MAX_RUN_BYTES, RUN_SCHEMA, BenchmarkRun, check_plausible, iter_runs_from_file,
                     plausibility_problem, run_from_json, runs_from_bytes, runs_from_file)

__all__ = ["MAX_RUN_BYTES", "RUN_SCHEMA", "BenchmarkRun", "RunStore", "StoredRun", "check_plausible",
           "iter_runs_from_file", "plausibility_problem", "run_from_json", "runs_from_bytes", "runs_from_file"]


def __getattr__(name: str):
    if name in ("RunStore", "StoredRun", "RunFilter", "RunPage"):
        from . import store

        return getattr(store, name)
    raise AttributeError(name)
