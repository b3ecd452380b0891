"""Tests for advisor.estimate: the spec-sheet regression and its leave-one-GPU-out error."""
import math

import pytest

from advisor.catalog import Gpu, Provenance
from advisor.estimate import SpecScoreModel, SpecScoreRegressor

P = Provenance("https://example.org", __import__("datetime").date(2020, 1, 1), "official")


def _gpu(gpu_id, tflops, bw, vendor="nvidia"):
    return Gpu(gpu_id, gpu_id, vendor, 16, tflops, None, bw, P)


def test_recovers_an_exact_power_law():
    # score = 1000 * tflops^0.6 * bw^0.3: the model must predict a held-out GPU almost exactly.
    gpus = {f"g{i}": _gpu(f"g{i}", t, b) for i, (t, b) in enumerate([(2, 200), (5, 300), (8, 900), (12, 500), (20, 1500)])}
    law = lambda g: 1000 * g.fp32_tflops ** 0.6 * g.memory_bandwidth_gbps ** 0.3
    measured = {(k, "ai"): law(g) for k, g in gpus.items() if k != "g4"}
    model = SpecScoreModel(gpus, measured)
    assert model.predict("g4", "ai") == pytest.approx(law(gpus["g4"]), rel=0.05)
    # The small ridge penalty costs a little accuracy with only 4 GPUs to learn from.
    assert model.loo_error_pct < 15


def test_noisy_data_gives_a_larger_leave_one_out_error():
    gpus = {f"g{i}": _gpu(f"g{i}", t, b) for i, (t, b) in enumerate([(2, 200), (5, 300), (8, 900), (12, 500), (20, 1500)])}
    noise = [1.5, 0.6, 1.4, 0.7, 1.3]
    measured = {(k, "ai"): 1000 * g.fp32_tflops * n for (k, g), n in zip(gpus.items(), noise)}
    assert SpecScoreModel(gpus, measured).loo_error_pct > 20


def test_other_vendors_stay_out_of_the_fit():
    gpus = {"a": _gpu("a", 2, 200), "b": _gpu("b", 5, 300), "c": _gpu("c", 8, 900), "x": _gpu("x", 20, 500, "intel")}
    measured = {("a", "ai"): 2000.0, ("b", "ai"): 5000.0, ("c", "ai"): 8000.0, ("x", "ai"): 100.0}
    assert SpecScoreModel(gpus, measured).fitted_gpus == ["a", "b", "c"]


def test_too_few_gpus_means_no_estimate():
    gpus = {"a": _gpu("a", 2, 200), "b": _gpu("b", 5, 300)}
    model = SpecScoreModel(gpus, {("a", "ai"): 1.0e3, ("b", "ai"): 2.0e3})
    assert model.predict("a", "ai") is None and model.loo_error_pct is None


def test_regressor_follows_the_sklearn_contract():
    reg = SpecScoreRegressor(alpha=0.5)
    assert reg.get_params() == {"alpha": 0.5}
    assert not hasattr(reg, "model_")
    assert reg.fit([[0, 1, 0, 0], [1, 2, 0, 0], [2, 3, 1, 0]], [0, 1, 2]) is reg
    assert hasattr(reg, "model_") and reg.n_features_in_ == 4
    assert math.isfinite(float(reg.predict([[1, 1, 0, 0]])[0]))
