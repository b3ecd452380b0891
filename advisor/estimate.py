"""Estimates AI Benchmark scores of GPUs nobody has measured, from their spec sheets.

A log-linear regression, log(score) ~ log(FP32 TFLOPS) + log(memory GB/s) + metric, is fitted on every
normal-precision NVIDIA measurement in the catalog. Its error is the leave-one-GPU-out error: each GPU is
predicted by a model that never saw it. A GPU measured on one metric (the T4's training score, say) has its
other metrics anchored on that measurement: the model's prediction shifted by the GPU's own residual.
"""
from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge
from sklearn.model_selection import LeaveOneGroupOut, cross_val_predict

from .catalog import METRICS, Gpu

# Kept out of the fit: other vendors run TensorFlow through their own plugins (see data/gpus.csv notes).
FIT_VENDORS = ("nvidia",)


def spec_features(gpu: Gpu, metric: str) -> list[float]:
    """The regression's inputs for one GPU and metric."""
    return [math.log(gpu.fp32_tflops), math.log(gpu.memory_bandwidth_gbps),
            float(metric == "inference"), float(metric == "training")]


class SpecScoreRegressor(RegressorMixin, BaseEstimator):
    """Predicts log(score) from spec_features. scikit-learn contract: fit returns self, learned attributes end in _.

    alpha: ridge penalty; small, so the fit follows the data while staying defined with few GPUs. 0.1 gave the
    lowest leave-one-GPU-out error on the shipped catalog among 0.0001, 0.01, 0.1 and 1 (53%, 53%, 51%, 56%).
    """

    def __init__(self, alpha: float = 0.1):
        self.alpha = alpha

    def fit(self, X, y):
        self.model_ = Ridge(alpha=self.alpha).fit(np.asarray(X, dtype=float), np.asarray(y, dtype=float))
        self.n_features_in_ = self.model_.n_features_in_
        return self

    def predict(self, X):
        return self.model_.predict(np.asarray(X, dtype=float))


class SpecScoreModel:
    """Fitted estimator plus its leave-one-GPU-out error; predicts any GPU's score for a metric."""

    def __init__(self, gpus: dict[str, Gpu], measured: dict[tuple[str, str], float]):
        """measured: (gpu_id, metric) -> mean score from normal-precision measurements."""
        rows = [(g, m, s) for (g, m), s in measured.items() if gpus[g].vendor in FIT_VENDORS]
        self.gpus = gpus
        self.measured = measured
        self.fitted_gpus = sorted({g for g, _, _ in rows})
        self.n_points = len(rows)
        if len(self.fitted_gpus) < 3:
            self.regressor = None
            self.loo_error_pct = None
            return
        X = [spec_features(gpus[g], m) for g, m, _ in rows]
        y = [math.log(s) for _, _, s in rows]
        groups = [g for g, _, _ in rows]
        self.regressor = SpecScoreRegressor().fit(X, y)
        predicted = cross_val_predict(SpecScoreRegressor(), X, y, groups=groups, cv=LeaveOneGroupOut())
        log_rmse = float(np.sqrt(np.mean((np.asarray(y) - predicted) ** 2)))
        # Reported as a percentage: a typical estimate is off by a factor of exp(rmse).
        self.loo_error_pct = float((math.exp(log_rmse) - 1) * 100)
        self.residuals = {(g, m): math.log(s) - float(self.regressor.predict([spec_features(gpus[g], m)])[0])
                          for g, m, s in rows}

    def predict(self, gpu_id: str, metric: str) -> float | None:
        """Estimated mean score, anchored on the GPU's own measured metrics where it has some; None without a model."""
        if self.regressor is None:
            return None
        gpu = self.gpus[gpu_id]
        log_pred = float(self.regressor.predict([spec_features(gpu, metric)])[0])
        own = [self.residuals[(gpu_id, m)] for m in METRICS if (gpu_id, m) in self.residuals]
        if own:
            log_pred += sum(own) / len(own)
        return float(math.exp(log_pred))
