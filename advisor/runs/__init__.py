"""Benchmark runs: the run record and its validation (record), the run store over SQLite or PostgreSQL (store), and
runs folded into evidence for the score book (evidence). Where the store is: location.

Importing this package loads nothing heavy: each name loads its module (pydantic, SQLAlchemy) on first use.
"""
from __future__ import annotations

import importlib

_HOME = {"MAX_RUN_BYTES": "record", "RUN_SCHEMA": "record", "BenchmarkRun": "record", "check_plausible": "record",
         "iter_runs_from_file": "record", "plausibility_problem": "record", "run_from_json": "record",
         "runs_from_bytes": "record", "runs_from_file": "record", "RunStore": "store", "StoredRun": "store",
         "RunFilter": "store", "RunPage": "store", "build_evidence": "evidence", "EvidenceCache": "evidence",
         "RunEvidence": "evidence", "default_target": "location"}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(name)
