"""Kept for code written before advisor.runs: the run record and store now live in advisor/runs/."""
from .errors import RunValidationError, StoreError
from .runs.location import default_target
from .runs.record import MAX_RUN_BYTES, RUN_SCHEMA, BenchmarkRun, run_from_json, runs_from_bytes, runs_from_file
from .runs.store import RunStore, StoredRun

__all__ = ["MAX_RUN_BYTES", "RUN_SCHEMA", "BenchmarkRun", "RunStore", "RunValidationError", "StoreError",
           "StoredRun", "default_target", "runs_from_bytes", "run_from_json", "runs_from_file"]
