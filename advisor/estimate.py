"""Estimates AI Benchmark scores of GPUs nobody has measured, from their spec sheets.

A log-linear ridge regression, log(score) ~ log(FP32 TFLOPS) + log(memory GB/s) + metric, is fitted with
scikit-learn on every normal-precision NVIDIA measurement in the catalog. Its error is the leave-one-GPU-out
error: each GPU is predicted by a model that never saw it. A GPU measured on one metric (a training score, say)
has its other metrics anchored on that measurement: the model's prediction shifted by the GPU's own residual.

The fit depends only on the measurements and spec sheets, so it is cached on disk, keyed by a hash of exactly
those inputs: `python -m advisor` then predicts in plain Python without importing scikit-learn (about a second
on this project's machine), and refits by itself whenever the data changes.
"""
from __future__ import annotations

import hashlib
import json
import math

from .catalog import Gpu
from .files import read_cache, write_cache
from .vocab import Metric

# Kept out of the fit: other vendors run TensorFlow through their own plugins (see data/gpus.csv notes).
FIT_VENDORS = ("nvidia",)
# Small, so the fit follows the data while staying defined with few GPUs: 0.1 gave the lowest leave-one-GPU-out
# error on the catalog of 2026-11-26 among 0.0001, 0.01, 0.1 and 1 (53%, 53%, 51%, 56%).
RIDGE_ALPHA = 0.1
# Fewer measured GPUs than this and no estimate is made.
MIN_GPUS = 3
CACHE_VERSION = 2
# TensorFlow runs FP32 matrix work on TF32 tensor cores by default on Ampere and later GPUs
# (tf.config.experimental.enable_tensor_float_32_execution, on by default since TensorFlow 2.4), so the compute
# input may be the TF32 tensor-core peak where the spec sheet has one. Off by default: see USE_TF32_NOTE.
USE_TF32 = False
USE_TF32_NOTE = ("`python -m benchmarks.spec_model` prints the leave-one-GPU-out error with and without it; on the "
                 "catalog of 2026-12-05 TF32 made it worse, so FP32 TFLOPS stays the input")
# An estimate for a GPU whose spec lies outside the measured GPUs' range is an extrapolation: its error is widened
# by this factor (a choice, not a calibration: too few GPUs lie outside the range to measure it).
EXTRAPOLATION_WIDEN = 1.5


def compute_tflops(gpu: Gpu, use_tf32: bool = USE_TF32) -> float:
    """The compute input: FP32 TFLOPS, or the TF32 tensor-core peak where larger and use_tf32."""
    tf32 = gpu.tensor.tf32_tflops if use_tf32 else None
    return max(gpu.fp32_tflops, tf32 or 0.0)


def spec_features(gpu: Gpu, metric: Metric, use_tf32: bool = USE_TF32) -> list[float]:
    """The regression's inputs for one GPU and metric."""
    return [math.log(compute_tflops(gpu, use_tf32)), math.log(gpu.memory_bandwidth_gbps),
            float(metric == Metric.INFERENCE), float(metric == Metric.TRAINING)]


# A cached fit is a few hundred bytes; anything far larger is not one.
MAX_CACHE_BYTES = 100_000


class SpecScoreModel:
    """Predicts a GPU's score from its spec sheet. scikit-learn's contract: __init__ stores parameters, fit returns
    self, learned attributes end in _ (coef_, intercept_, loo_error_pct_, residuals_, fitted_gpus_).

    fit(gpus, measured): measured maps (gpu_id, metric) to the mean measured score (points).
    """

    def __init__(self, alpha: float = RIDGE_ALPHA, use_cache: bool = True, use_tf32: bool = USE_TF32):
        self.alpha = alpha
        self.use_cache = use_cache
        self.use_tf32 = use_tf32

    def fit(self, gpus: dict[str, Gpu], measured: dict[tuple[str, Metric], float]) -> SpecScoreModel:
        rows = sorted((g, str(m), s) for (g, m), s in measured.items() if gpus[g].vendor in FIT_VENDORS)
        X = [spec_features(gpus[g], Metric(m), self.use_tf32) for g, m, _ in rows]
        y = [math.log(s) for _, _, s in rows]
        groups = [g for g, _, _ in rows]
        self.gpus_ = gpus
        self.measured_ = dict(measured)
        self.fitted_gpus_ = sorted(set(groups))
        if len(self.fitted_gpus_) < MIN_GPUS:
            self.coef_, self.intercept_, self.loo_error_pct_, self.residuals_ = None, None, None, {}
            return self
        self.feature_range_ = [(min(x[j] for x in X), max(x[j] for x in X)) for j in range(2)] if X else []
        key = hashlib.sha256(json.dumps([CACHE_VERSION, self.alpha, X, y, groups]).encode()).hexdigest()[:32]
        cached = self._read_cache(key, len(X[0]))
        if cached is None:
            cached = self._fit_with_sklearn(X, y, groups)
            self._write_cache(key, cached)
        self.coef_, self.intercept_, self.loo_error_pct_ = cached["coef"], cached["intercept"], cached["loo_error_pct"]
        self.residuals_ = {(g, Metric(m)): math.log(s) - self._linear(X[i]) for i, (g, m, s) in enumerate(rows)}
        return self

    def _fit_with_sklearn(self, X, y, groups) -> dict:
        # Imported here: scikit-learn (with SciPy) takes about a second to import, and the result is cached.
        import numpy as np
        from sklearn.linear_model import Ridge
        from sklearn.model_selection import LeaveOneGroupOut, cross_val_predict

        model = Ridge(alpha=self.alpha).fit(X, y)
        predicted = cross_val_predict(Ridge(alpha=self.alpha), X, y, groups=groups, cv=LeaveOneGroupOut())
        log_rmse = float(np.sqrt(np.mean((np.asarray(y) - predicted) ** 2)))
        # Reported as a percentage: a typical estimate is off by a factor of exp(rmse).
        return {"coef": [float(c) for c in model.coef_], "intercept": float(model.intercept_),
                "loo_error_pct": float((math.exp(log_rmse) - 1) * 100)}

    def _read_cache(self, key: str, n_features: int) -> dict | None:
        if not self.use_cache:
            return None
        data = read_cache("spec-model", key, MAX_CACHE_BYTES)
        # Anything but the fit this code wrote (null, a list, a wrong key, a coefficient that is no number of a
        # log-log fit's size: E18) is ignored and refitted, never raised.
        if data is None:
            return None
        coef, numbers = data.get("coef"), [data.get("intercept"), data.get("loo_error_pct")]
        if not isinstance(coef, list) or len(coef) != n_features:
            return None
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 1e6 for v in coef + numbers):
            return None
        return data

    def _write_cache(self, key: str, fitted: dict) -> None:
        if self.use_cache:
            write_cache("spec-model", key, fitted)

    def _linear(self, features: list[float]) -> float:
        assert self.coef_ is not None and self.intercept_ is not None, "called on a fitted model"
        return self.intercept_ + sum(c * x for c, x in zip(self.coef_, features))

    def predict(self, gpu_id: str, metric: Metric) -> float | None:
        """Estimated mean score (points), anchored on the GPU's own measured metrics where it has some; None when
        there are too few measured GPUs to fit."""
        if self.coef_ is None:
            return None
        log_pred = self._linear(spec_features(self.gpus_[gpu_id], metric, self.use_tf32))
        own = [self.residuals_[(gpu_id, m)] for m in Metric if (gpu_id, m) in self.residuals_]
        if own:
            log_pred += sum(own) / len(own)
        return float(math.exp(log_pred))

    def extrapolated(self, gpu_id: str) -> bool:
        """True for a GPU with no measured score whose spec (compute or bandwidth) lies outside the range of the
        GPUs the model was fitted on: its estimate is an extrapolation."""
        if self.coef_ is None or any(g == gpu_id for g, _ in self.measured_):
            return False
        x = spec_features(self.gpus_[gpu_id], Metric.AI, self.use_tf32)
        return any(not lo - 1e-9 <= x[j] <= hi + 1e-9 for j, (lo, hi) in enumerate(self.feature_range_))
