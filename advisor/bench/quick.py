"""Quick mode's estimator: a Gaussian model of the 42 sub-tests' log speed ratios across devices, conditioned on
whichever sub-tests finished, giving inference, training and AI score each an estimate and an interval.

A device's log speed ratios x_i = log(reference ms / measured ms) are modelled as a device level (shared by all
sub-tests, nearly flat prior), plus a few device factors with loadings learned from the calibration devices
(the shape in which CPUs, GPUs and edge boards differ), plus per-sub-test residuals. A quick run observes some
x_i with timing noise (a few passes instead of the library's 21, and a run on another day); conditioning the
Gaussian on them gives the mean and covariance of every sub-test's full-run ratio, hence of the inference and
training scores (geometric means x 10,000, as the library scores) and of the AI score (their sum).

The interval of each part is its posterior sd times a factor set by conformal calibration on leave-one-device-
out errors (benchmarks/calibrate_quick.py), and is widened further when the finished sub-tests look unlike the
calibration devices (the multivariate-t rule). Fewer sub-tests, or a device unlike the calibration set, give a
wider interval. Everything is numpy; nothing here imports TensorFlow.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ..vocab import DeviceKind, Metric
from .subtests import all_subtests

SCALE = 10000
CALIBRATION_FILE = Path(__file__).with_name("quick_calibration.json")
PARTS = (Metric.INFERENCE, Metric.TRAINING, Metric.AI)


@dataclass(frozen=True)
class PartEstimate:
    """One score (points, as AI Benchmark prints them): the estimate, its interval, and the sd of its log."""

    score: float
    low: float
    high: float
    sd_log: float


@dataclass(frozen=True)
class QuickEstimate:
    """Estimates of the three scores from `subtests` finished sub-tests; `level` is the intervals' nominal
    coverage (0.9: nine held-out devices in ten inside). `inflation`: how much the finished sub-tests' surprise
    widened the intervals (1 when they look like the calibration devices)."""

    ai: PartEstimate
    inference: PartEstimate
    training: PartEstimate
    subtests: int
    level: float
    inflation: float

    def part(self, metric: Metric) -> PartEstimate:
        return {Metric.AI: self.ai, Metric.INFERENCE: self.inference, Metric.TRAINING: self.training}[metric]


@dataclass(frozen=True)
class Noise:
    """Timing noise of a quick measurement against a full run, in log units squared: `pass_var / passes` for
    averaging few passes, `run_var` per sub-test between two runs, and `shift_var` shared by all sub-tests of a
    run (a machine faster or slower that day)."""

    pass_var: float
    run_var: float
    shift_var: float

    def per_subtest(self, passes: int) -> float:
        return self.run_var + self.pass_var / max(int(passes), 1)


class QuickModel:
    """The fitted model (see the module docstring) with its cost model and plan settings.

    ids: sub-test ids in library order; means: prior mean of x (log units) for a GPU and for a CPU run (TensorFlow
    on a GPU and on a CPU spend their time differently: Pixel-RNN is relatively fast on CPUs, slow on GPUs);
    mean_devices: how many calibration devices each prior mean rests on (its own uncertainty, residual_var /
    that count, is added to the residual variance: fewer devices of a kind, wider intervals);
    loadings: factor loadings (p x r);
    level_sd: prior sd of the device level; residual_var: per-sub-test residual variance; noise: Noise;
    scale: conformal factor per part (Metric value -> multiple of the posterior sd); level: nominal coverage;
    costs: {"load_s": {test id: s}, "host_s": {sub-test: s per pass}, "warmup": {sub-test: first pass / mean}}
    measured on the calibration machine; plan: {"max_passes", "pass_target_s", "min_training", "min_recurrent",
    "budget_s"}.
    """

    def __init__(self, ids, means: dict, mean_devices: dict, loadings, level_sd, residual_var, noise: Noise,
                 scale: dict, level: float, costs: dict, plan: dict, info: dict | None = None):
        self.ids = tuple(ids)
        self.means = {DeviceKind(k): np.asarray(v, dtype=float) for k, v in means.items()}
        self.mean_devices = {DeviceKind(k): int(v) for k, v in mean_devices.items()}
        self.loadings = np.asarray(loadings, dtype=float).reshape(len(self.ids), -1)
        self.level_sd = float(level_sd)
        self.residual_var = np.asarray(residual_var, dtype=float)
        self.noise = noise
        self.scale = {Metric(k): float(v) for k, v in scale.items()}
        self.level = float(level)
        self.costs = costs
        self.plan = plan
        self.info = info or {}
        subs = {s.id: s for s in all_subtests()}
        self.index = {i: n for n, i in enumerate(self.ids)}
        self.ref_ms = np.array([subs[i].ref_ms for i in self.ids])
        self.kinds = tuple(subs[i].kind for i in self.ids)
        self.recurrent = tuple(subs[i].recurrent for i in self.ids)

    # --- serialisation -------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"ids": list(self.ids), "means": {str(k): _floats(v) for k, v in self.means.items()},
                "mean_devices": {str(k): v for k, v in self.mean_devices.items()},
                "loadings": [_floats(r) for r in self.loadings],
                "level_sd": self.level_sd, "residual_var": _floats(self.residual_var),
                "noise": {"pass_var": self.noise.pass_var, "run_var": self.noise.run_var,
                          "shift_var": self.noise.shift_var},
                "scale": {str(k): v for k, v in self.scale.items()}, "level": self.level, "costs": self.costs,
                "plan": self.plan, **self.info}

    @classmethod
    def from_dict(cls, data: dict) -> QuickModel:
        known = {"ids", "means", "mean_devices", "loadings", "level_sd", "residual_var", "noise", "scale", "level",
                 "costs", "plan"}
        return cls(data["ids"], data["means"], data["mean_devices"], data["loadings"], data["level_sd"],
                   data["residual_var"], Noise(**data["noise"]), data["scale"], data["level"], data["costs"],
                   data["plan"], {k: v for k, v in data.items() if k not in known})

    # --- the Gaussian --------------------------------------------------------------------------------------
    @cached_property
    def _covs(self) -> dict[DeviceKind, np.ndarray]:
        p = len(self.ids)
        shared = self.level_sd ** 2 * np.ones((p, p)) + self.loadings @ self.loadings.T
        return {k: shared + np.diag(self.residual_var * (1 + 1 / max(n, 1))) for k, n in self.mean_devices.items()}

    def cov(self, kind: DeviceKind | str) -> np.ndarray:
        """Prior covariance of the 42 log ratios of a device of this kind: level + factors + residuals, the
        residuals widened by the uncertainty of the kind's mean."""
        return self._covs[DeviceKind(kind)]

    def weights(self, metric: Metric, over: set[str] | None = None) -> np.ndarray:
        """Weights turning the 42 log ratios into a part's log score (a mean over its kind's sub-tests)."""
        w = np.array([float(kind == str(metric)) for kind in self.kinds])
        if over is not None:
            chosen = w * np.array([float(i in over) for i in self.ids])
            w = chosen if chosen.any() else w  # none of that kind in `over`: score the kind over all its sub-tests
        return w / w.sum()

    def _noise_matrix(self, columns: np.ndarray, passes: np.ndarray) -> np.ndarray:
        per = np.array([self.noise.per_subtest(n) for n in passes])
        return np.diag(per) + self.noise.shift_var * np.ones((len(columns), len(columns)))

    def posterior(self, observed: dict[str, tuple[float, int]], kind: DeviceKind | str = DeviceKind.GPU
                  ) -> tuple[np.ndarray, np.ndarray, float]:
        """Mean and covariance of the full-run log ratios given {id: (observed log ratio, passes)} on a device of
        this kind, and the multivariate-t inflation (ν + δ²) / (ν + |S|), ν = the calibration's degrees of freedom."""
        prior, prior_cov = self.means[DeviceKind(kind)], self.cov(kind)
        cols = np.array([self.index[i] for i in observed], dtype=int)
        if len(cols) == 0:
            return prior.copy(), prior_cov.copy(), 1.0
        y = np.array([v for v, _ in observed.values()])
        passes = np.array([n for _, n in observed.values()])
        K = prior_cov[np.ix_(cols, cols)] + self._noise_matrix(cols, passes)
        gain = np.linalg.solve(K, prior_cov[cols, :])
        resid = y - prior[cols]
        mean = prior + gain.T @ resid
        cov = prior_cov - prior_cov[:, cols] @ gain
        nu = float(self.info.get("dof", 8))
        delta2 = float(resid @ np.linalg.solve(K, resid))
        return mean, cov, max(1.0, (nu + delta2) / (nu + len(cols)))

    def uncertainty(self, passes: dict[str, int], kind: DeviceKind | str = DeviceKind.GPU) -> float:
        """Posterior variance of log inference + log training score after measuring these sub-tests (with these
        passes); it does not depend on the values measured, so the plan can compare sub-tests before running."""
        cols = np.array([self.index[i] for i in passes], dtype=int)
        cov = self.cov(kind)
        if len(cols):
            K = cov[np.ix_(cols, cols)] + self._noise_matrix(cols, np.array(list(passes.values())))
            cov = cov - cov[:, cols] @ np.linalg.solve(K, cov[cols, :])
        w_i, w_t = self._part_weights
        return float(w_i @ cov @ w_i + w_t @ cov @ w_t)

    @cached_property
    def _part_weights(self) -> tuple[np.ndarray, np.ndarray]:
        return self.weights(Metric.INFERENCE), self.weights(Metric.TRAINING)

    def predicted_ms(self, mean_log: np.ndarray) -> dict[str, float]:
        """Expected time of one pass of each sub-test on this device (ms), from the posterior mean log ratios."""
        return dict(zip(self.ids, (self.ref_ms / np.exp(mean_log)).tolist(), strict=True))

    def log_ratio(self, sub_id: str, mean_ms: float) -> float:
        return math.log(self.ref_ms[self.index[sub_id]] / mean_ms)

    # --- the estimate --------------------------------------------------------------------------------------
    def estimate(self, times_ms: dict[str, float], passes: dict[str, int] | None = None,
                 kind: DeviceKind | str = DeviceKind.GPU, over: set[str] | None = None) -> QuickEstimate | None:
        """Scores estimated from finished sub-tests' mean times (ms) and pass counts (default 1 each) on a GPU or
        CPU run; None when no known sub-test finished. over: score only these sub-tests (to compare with a run
        that lacks some)."""
        observed = {i: (self.log_ratio(i, t), (passes or {}).get(i, 1)) for i, t in times_ms.items()
                    if i in self.index and t and t > 0 and math.isfinite(t)}
        if not observed:
            return None
        mean, cov, inflation = self.posterior(observed, kind)
        w_i, w_t = self.weights(Metric.INFERENCE, over), self.weights(Metric.TRAINING, over)
        log_i, log_t = float(w_i @ mean), float(w_t @ mean)
        var_i, var_t, cov_it = (float(w_i @ cov @ w_i) * inflation, float(w_t @ cov @ w_t) * inflation,
                                float(w_i @ cov @ w_t) * inflation)
        inf, tra = math.exp(log_i), math.exp(log_t)
        g = np.array([inf, tra]) / (inf + tra)  # d log(AI) / d (log I, log T)
        var_ai = float(g @ np.array([[var_i, cov_it], [cov_it, var_t]]) @ g)
        parts = {Metric.INFERENCE: (log_i, var_i), Metric.TRAINING: (log_t, var_t),
                 Metric.AI: (math.log(inf + tra), var_ai)}
        out = {}
        for metric, (log_score, var) in parts.items():
            sd = math.sqrt(max(var, 0.0))
            half = self.scale[metric] * sd
            out[metric] = PartEstimate(SCALE * math.exp(log_score), SCALE * math.exp(log_score - half),
                                       SCALE * math.exp(log_score + half), sd)
        return QuickEstimate(out[Metric.AI], out[Metric.INFERENCE], out[Metric.TRAINING], len(observed),
                             self.level, inflation)


def _floats(values) -> list[float]:
    return [round(float(v), 6) for v in values]


def load_model(path: Path = CALIBRATION_FILE) -> QuickModel:
    """The calibrated quick model shipped with the package (written by benchmarks/calibrate_quick.py)."""
    return QuickModel.from_dict(json.loads(Path(path).read_text()))
