"""Fitting quick mode's model (advisor.bench.quick) to recorded full runs of many devices, and judging it honestly:
nested leave-one-device-out, so neither the model, its rank, its interval factor nor the plan ever sees the device
it is judged on. Used by benchmarks/calibrate_quick.py and the tests; numpy only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..vocab import Metric
from .plan import ReplayStep, simulate
from .quick import PARTS, Noise, QuickEstimate, QuickModel
from .replay import RecordedRun
from .scoring import score_full
from .subtests import all_subtests

# Iterations of the fit's alternating imputation of sub-tests a run lacks (it settles within a few dozen).
FIT_ITERATIONS = 60
# Prior sd of a device's level in log units: e^5 ~ 150x either way from the calibration average, so the level
# is set by the device's own sub-tests, never by the prior.
LEVEL_SD = 5.0


def full_truth(run: RecordedRun) -> dict[Metric, float]:
    """The library's scores of a recorded run over the sub-tests it has (points)."""
    s = score_full(run.times_ms)
    return {Metric.INFERENCE: s.inference, Metric.TRAINING: s.training, Metric.AI: s.ai}


def device_table(runs: list[RecordedRun], ids) -> tuple[list[str], list[str], np.ndarray]:
    """One row per device (its runs' log ratios averaged; NaN where none of its runs has the sub-test): device
    keys, their kinds (gpu or cpu), and the table."""
    devices = sorted({r.key for r in runs})
    kinds = [next(r.kind for r in runs if r.key == d) for d in devices]
    rows = [_nanmean_rows(np.array([r.log_ratios(ids) for r in runs if r.key == d])) for d in devices]
    return devices, kinds, np.array(rows)


def _nanmean_rows(stack: np.ndarray) -> np.ndarray:
    """Column means over the finite cells (NaN where a column has none), without numpy's empty-slice warning."""
    counts = np.isfinite(stack).sum(axis=0)
    sums = np.where(np.isfinite(stack), stack, 0).sum(axis=0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def fit_factors(X: np.ndarray, kinds: list[str], training: np.ndarray, rank: int, by_kind: bool
                ) -> tuple[dict[str, np.ndarray], dict[str, int], np.ndarray, np.ndarray, int]:
    """Prior means (and how many devices each rests on), loadings and residual variances of the device model,
    from a devices x sub-tests table of log ratios with gaps. Each device's level is removed, then the mean (per
    kind of device when by_kind and each kind has two devices or more), then the device's own training-versus-
    inference offset (a first, fixed factor: devices differ in how fast they train relative to how fast they
    infer), then a rank-`rank` SVD of what is left; missing cells are filled by the model and the fit repeated
    until stable. Residual variances use the degrees of freedom left and are shrunk halfway to their average (a
    handful of devices cannot pin 42 separate variances). training: 1 for training sub-tests, 0 for inference."""
    n, p = X.shape
    kinds_arr = np.array(kinds)
    groups = sorted(set(kinds))
    split = by_kind and len(groups) > 1 and all((kinds_arr == k).sum() >= 2 for k in groups)
    contrast = np.where(training > 0, 0.5, -0.5)  # + half the offset on training, - half on inference
    missing = ~np.isfinite(X)
    col = np.nanmean(X, axis=0)
    level = np.nanmean(X - col, axis=1)
    filled = np.where(missing, col + level[:, None], X)
    for _ in range(FIT_ITERATIONS):
        level = filled.mean(axis=1)
        centred = filled - level[:, None]
        offsets = {k: centred[kinds_arr == k].mean(axis=0) if split else centred.mean(axis=0) for k in groups}
        offset_rows = np.array([offsets[k] for k in kinds])
        resid = centred - offset_rows
        part_offset = resid[:, training > 0].mean(axis=1) - resid[:, training == 0].mean(axis=1)
        resid = resid - np.outer(part_offset, contrast)
        u, s, vt = np.linalg.svd(resid, full_matrices=False)
        fitted = (u[:, :rank] * s[:rank]) @ vt[:rank] if rank else np.zeros_like(resid)
        filled = np.where(missing, level[:, None] + offset_rows + np.outer(part_offset, contrast) + fitted, X)
    used = (len(groups) if split else 1) + 1 + rank
    dof = max(n - used, 1)
    residual = ((resid - fitted) ** 2).sum(axis=0) / dof
    residual = (residual + residual.mean()) / 2
    part_sd = math.sqrt(float((part_offset ** 2).sum()) / max(n - (len(groups) if split else 1), 1))
    loadings = np.column_stack([part_sd * contrast] + ([(vt[:rank].T * s[:rank]) / math.sqrt(max(n - 1, 1))]
                                                         if rank else []))
    shared = centred.mean(axis=0)
    means = {k: level.mean() + (offsets[k] if k in offsets else shared) for k in ("gpu", "cpu")}
    counts = {k: int((kinds_arr == k).sum()) if split else n for k in ("gpu", "cpu")}
    return means, counts, loadings, residual, dof


def fit(runs: list[RecordedRun], form: tuple[int, bool], noise: Noise, costs: dict, plan: dict, level: float,
        scale: dict | None = None, info: dict | None = None) -> QuickModel:
    """The quick model fitted to these runs. form: (rank, means by kind?). scale: the conformal factor per part
    (default 1: the bare posterior sd, used inside the calibration before the factor is known)."""
    ids = [s.id for s in all_subtests()]
    _, kinds, X = device_table(runs, ids)
    rank, by_kind = form
    training = np.array([s.kind == "training" for s in all_subtests()], dtype=float)
    means, counts, loadings, residual, dof = fit_factors(X, kinds, training, rank, by_kind)
    return QuickModel(ids, means, counts, loadings, LEVEL_SD, residual, noise,
                      scale or {str(m): 1.0 for m in PARTS}, level, costs, plan,
                      {"rank": rank, "by_kind": by_kind, "dof": dof, **(info or {})})


@dataclass(frozen=True)
class HeldOut:
    """A replay of a run that the model never saw: the estimate, the run's full scores, and the steps taken."""

    run: RecordedRun
    estimate: QuickEstimate
    truth: dict[Metric, float]
    steps: list[ReplayStep]

    def error(self, metric: Metric) -> float:
        """Relative error of the estimate (estimate / full score - 1)."""
        return self.estimate.part(metric).score / self.truth[metric] - 1

    def z(self, metric: Metric) -> float:
        """Error in multiples of the estimate's posterior sd (log units), before the conformal factor."""
        part = self.estimate.part(metric)
        return math.log(part.score / self.truth[metric]) / max(part.sd_log, 1e-9)

    def inside(self, metric: Metric) -> bool:
        part = self.estimate.part(metric)
        return part.low <= self.truth[metric] <= part.high


def replay_held_out(model: QuickModel, run: RecordedRun, budget_s: float,
                    times_ms: dict[str, float] | None = None) -> HeldOut:
    """Quick mode's replay on `times_ms` (default the run's own), judged against the run's full scores, each part
    estimated over the sub-tests the run has (two public runs lack the LSTM test)."""
    times = times_ms if times_ms is not None else run.times_ms
    steps = simulate(model, times, budget_s, run.kind)
    estimate = model.estimate({s.id: s.mean_ms for s in steps}, {s.id: s.passes for s in steps}, run.kind,
                              over={i for i, t in run.times_ms.items() if t})
    return HeldOut(run, estimate, full_truth(run), steps)


def conformal_factor(z_values: list[float], level: float) -> float:
    """The split-conformal quantile of |z|: the ceil((n + 1) * level)-th smallest of n, or the largest when n is
    too small for that rank (then the stated level is not guaranteed, and the report says how many there were)."""
    ordered = sorted(abs(z) for z in z_values)
    rank = math.ceil((len(ordered) + 1) * level)
    return ordered[min(rank, len(ordered)) - 1]


def loo(runs: list[RecordedRun], budget_s: float, form: tuple[int, bool], noise: Noise, costs: dict, plan: dict,
        level: float) -> list[HeldOut]:
    """Leave-one-device-out replays with the bare posterior sd (scale 1)."""
    out = []
    for device in sorted({r.key for r in runs}):
        model = fit([r for r in runs if r.key != device], form, noise, costs, plan, level)
        out += [replay_held_out(model, r, budget_s) for r in runs if r.key == device]
    return out


def choose(runs: list[RecordedRun], budget_s: float, forms, noise: Noise, costs: dict, plan: dict,
           level: float) -> tuple[tuple[int, bool], dict[str, float], list[HeldOut]]:
    """The model form (rank, means by kind) with the smallest leave-one-device-out squared log error over the
    three parts, and the conformal factor per part from that form's held-out errors. Returns (form, scale,
    held-out replays)."""
    best = None
    for form in forms:
        held = loo(runs, budget_s, form, noise, costs, plan, level)
        loss = float(np.mean([math.log1p(h.error(m)) ** 2 for h in held for m in PARTS]))
        if best is None or loss < best[0]:
            best = (loss, form, held)
    _, form, held = best
    scale = {str(m): conformal_factor([h.z(m) for h in held], level) for m in PARTS}
    return form, scale, held


def nested_loo(runs: list[RecordedRun], budget_s: float, forms, noise: Noise, costs: dict, plan: dict,
               level: float) -> list[tuple[HeldOut, int, dict]]:
    """For each device: model form and interval factors chosen by leave-one-device-out among the others only,
    the model fitted to the others, then the device's runs replayed. Returns (replay, form, scale) per run."""
    out = []
    for device in sorted({r.key for r in runs}):
        others = [r for r in runs if r.key != device]
        form, scale, _ = choose(others, budget_s, forms, noise, costs, plan, level)
        model = fit(others, form, noise, costs, plan, level, scale)
        out += [(replay_held_out(model, r, budget_s), form, scale) for r in runs if r.key == device]
    return out
