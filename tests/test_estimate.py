"""Tests for advisor.estimate: the spec-sheet regression, its leave-one-GPU-out error, and its on-disk cache."""
import datetime as dt
import subprocess
import sys

import pytest
from conftest import ROOT

from advisor.catalog import Gpu, Provenance
from advisor.estimate import SpecScoreModel
from advisor.vocab import Confidence, Metric

P = Provenance("https://example.org", dt.date(2020, 1, 1), Confidence.OFFICIAL)
SPECS = [(2, 200), (5, 300), (8, 900), (12, 500), (20, 1500)]


def _gpu(gpu_id, tflops, bw, vendor="nvidia"):
    return Gpu(gpu_id, gpu_id, vendor, 16, tflops, None, bw, P)


def _gpus():
    return {f"g{i}": _gpu(f"g{i}", t, b) for i, (t, b) in enumerate(SPECS)}


def test_recovers_an_exact_power_law():
    # score = 1000 * tflops^0.6 * bw^0.3: the model must predict a held-out GPU almost exactly.
    gpus = _gpus()

    def law(g):
        return 1000 * g.fp32_tflops ** 0.6 * g.memory_bandwidth_gbps ** 0.3

    measured = {(k, Metric.AI): law(g) for k, g in gpus.items() if k != "g4"}
    model = SpecScoreModel().fit(gpus, measured)
    assert model.predict("g4", Metric.AI) == pytest.approx(law(gpus["g4"]), rel=0.05)
    # The small ridge penalty costs a little accuracy with only 4 GPUs to learn from.
    assert model.loo_error_pct_ < 15


def test_noisy_data_gives_a_larger_leave_one_out_error():
    noise = [1.5, 0.6, 1.4, 0.7, 1.3]
    gpus = _gpus()
    measured = {(k, Metric.AI): 1000 * g.fp32_tflops * n for (k, g), n in zip(gpus.items(), noise)}
    assert SpecScoreModel().fit(gpus, measured).loo_error_pct_ > 20


def test_other_vendors_stay_out_of_the_fit():
    gpus = {"a": _gpu("a", 2, 200), "b": _gpu("b", 5, 300), "c": _gpu("c", 8, 900), "x": _gpu("x", 20, 500, "intel")}
    measured = {("a", Metric.AI): 2000.0, ("b", Metric.AI): 5000.0, ("c", Metric.AI): 8000.0, ("x", Metric.AI): 100.0}
    assert SpecScoreModel().fit(gpus, measured).fitted_gpus_ == ["a", "b", "c"]


def test_too_few_gpus_means_no_estimate():
    gpus = {"a": _gpu("a", 2, 200), "b": _gpu("b", 5, 300)}
    model = SpecScoreModel().fit(gpus, {("a", Metric.AI): 1.0e3, ("b", Metric.AI): 2.0e3})
    assert model.predict("a", Metric.AI) is None and model.loo_error_pct_ is None


def test_follows_the_sklearn_contract():
    model = SpecScoreModel(alpha=0.5)
    assert vars(model) == {"alpha": 0.5, "use_cache": True, "use_tf32": False}  # __init__ stores parameters only
    fitted = model.fit(_gpus(), {(f"g{i}", Metric.AI): 1000.0 * (i + 1) for i in range(4)})
    assert fitted is model and model.coef_ is not None and model.residuals_


def test_a_cached_fit_gives_the_same_model_and_imports_no_scikit_learn(tmp_path):
    code = ("import sys; from advisor import load_catalog; from advisor.distributions import score_book; "
            "s = score_book(load_catalog()).gpu_score('l4', 'ai'); "
            "print(round(s.mean, 6), 'sklearn' in sys.modules, 'scipy' in sys.modules)")
    env = {"ADVISOR_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    mean_1, sklearn_1, _ = first.stdout.split()
    mean_2, sklearn_2, scipy_2 = second.stdout.split()
    assert sklearn_1 == "True" and (sklearn_2, scipy_2) == ("False", "False")
    assert mean_1 == mean_2
    assert list(tmp_path.glob("spec-model-*.json"))


def test_a_changed_measurement_is_refitted(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path))
    gpus = _gpus()
    measured = {(f"g{i}", Metric.AI): 1000.0 * (i + 1) for i in range(4)}
    first = SpecScoreModel().fit(gpus, measured).predict("g4", Metric.AI)
    measured[("g0", Metric.AI)] = 5000.0
    assert SpecScoreModel().fit(gpus, measured).predict("g4", Metric.AI) != pytest.approx(first)
    assert len(list(tmp_path.glob("spec-model-*.json"))) == 2


def test_an_unwritable_cache_only_costs_a_refit(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(blocked / "cache"))
    model = SpecScoreModel().fit(_gpus(), {(f"g{i}", Metric.AI): 1000.0 * (i + 1) for i in range(4)})
    assert model.predict("g4", Metric.AI) > 0


def test_a_gpu_outside_the_measured_range_is_extrapolated():
    # Fitted on the first four GPUs of SPECS; g4 (20 TFLOPS, 1500 GB/s) lies beyond them, g9 inside.
    gpus = _gpus()
    gpus["g9"] = _gpu("g9", 6, 400)
    measured = {(f"g{i}", Metric.AI): 1000.0 * (i + 1) for i in range(4)}
    model = SpecScoreModel(use_cache=False).fit(gpus, measured)
    assert model.extrapolated("g4") and not model.extrapolated("g9")
    assert not model.extrapolated("g0")  # measured GPUs are never extrapolated


def test_tf32_changes_the_compute_input_only_where_the_gpu_has_it():
    from dataclasses import replace

    from advisor.catalog.records import TensorSpecs
    from advisor.estimate import compute_tflops

    ampere = replace(_gpu("amp", 20, 1500), tensor=TensorSpecs(tf32_tflops=156))
    assert compute_tflops(ampere, use_tf32=True) == 156 and compute_tflops(ampere, use_tf32=False) == 20
    assert compute_tflops(_gpu("old", 9, 700), use_tf32=True) == 9


def test_extrapolated_estimates_are_flagged_in_the_score_summary():
    # The shipped catalog: the RTX 4090 has no measured AI Benchmark score and more FP32 TFLOPS than any measured GPU.
    from advisor import load_catalog
    from advisor.distributions import score_book

    catalog = load_catalog()
    book = score_book(catalog)
    assert book.model.extrapolated("rtx4090")
    score = book.gpu_score("rtx4090", Metric.TRAINING)
    assert score.estimated and "outside the measured GPUs' range" in score.detail
    plain = book.gpu_score("a5000", Metric.TRAINING)
    if plain.estimated and not book.model.extrapolated("a5000"):
        assert score.error_pct > plain.error_pct
    flagged = [book.option_score(plan, option, Metric.TRAINING) for plan in catalog.plans.values()
               for option in plan.options if "rtx4090" in option.gpu_ids]
    assert flagged and all(s is None or s.extrapolated for s in flagged)
