"""Kept for code written before advisor/runs/ (the app, older tests): the run record and the store now live in
advisor.runs; import from there. own_evidence is the app's old per-plan summary of the user's complete GPU runs;
advisor.runs.evidence folds runs into the score book instead."""
from __future__ import annotations

import math

from .errors import RunValidationError, StoreError
from .runs.location import default_target
from .runs.record import MAX_RUN_BYTES, RUN_SCHEMA, BenchmarkRun, run_from_json, runs_from_bytes, runs_from_file
from .runs.store import RunStore, StoredRun

__all__ = ["MAX_RUN_BYTES", "RUN_SCHEMA", "BenchmarkRun", "RunStore", "RunValidationError", "StoreError",
           "StoredRun", "default_target", "own_evidence", "runs_from_bytes", "run_from_json", "runs_from_file"]


def own_evidence(runs: list[StoredRun]) -> dict[str, dict]:
    """The user's runs per plan: {plan_id: {n, mean, sd}} of complete GPU runs' AI scores (points)."""
    by_plan: dict[str, list[float]] = {}
    for stored in runs:
        run = stored.run
        if run.platform and run.scores.ai is not None and not run.partial and run.device.kind == "gpu":
            by_plan.setdefault(run.platform, []).append(float(run.scores.ai))
    out = {}
    for plan_id, scores in by_plan.items():
        n = len(scores)
        mean = sum(scores) / n
        sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / (n - 1)) if n > 1 else None
        out[plan_id] = {"n": n, "mean": round(mean, 1), "sd": None if sd is None else round(sd, 1)}
    return out
