"""Tests for advisor.distributions: mixture maths, the article's numbers, memory probabilities, estimates."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.distributions import mixture_cdf, mixture_quantile


def test_normal_quantiles_match_the_textbook():
    parts = ((1.0, 100.0, 10.0),)
    assert mixture_quantile(0.5, parts) == pytest.approx(100.0, abs=1e-6)
    assert mixture_quantile(0.9, parts) == pytest.approx(100 + 1.2815515655 * 10, abs=1e-4)
    assert mixture_cdf(100.0, parts) == pytest.approx(0.5)


@given(st.lists(st.tuples(st.floats(0.01, 1), st.floats(100, 50000), st.floats(0, 5000)), min_size=1, max_size=6),
       st.floats(0.01, 0.99))
@settings(max_examples=200, deadline=None)
def test_quantile_inverts_the_cdf(raw, q):
    total = sum(w for w, _, _ in raw)
    parts = tuple((w / total, m, s) for w, m, s in raw)
    x = mixture_quantile(q, parts)
    assert mixture_cdf(x + 1e-3 * (1 + abs(x)), parts) >= q - 1e-6
    assert mixture_cdf(x - 1e-3 * (1 + abs(x)), parts) <= q + 1e-6


def test_article_numbers_are_the_platform_distributions_in_its_world(article_world):
    # The founding article: Colab mean 10773 sd 1637 (n=15), Gradient mean 6861 sd 333 (n=5).
    colab = article_world.plan("colab-free")
    gradient = article_world.plan("gradient-free")
    c = article_world.scores.option_score(colab, colab.options[0], "ai")
    g = article_world.scores.option_score(gradient, gradient.options[0], "ai")
    assert (c.basis, c.n, c.mean, c.sd) == ("measured", 15, 10773, 1637)
    assert (g.basis, g.n, g.mean, g.sd) == ("measured", 5, 6861, 333)
    assert c.cv == pytest.approx(1637 / 10773)
    assert c.p10 < c.p50 < c.p90
    assert c.p50 == pytest.approx(10773, abs=1)


def test_colab_lottery_is_a_mixture_when_no_platform_run_matches(article_world):
    # The training score has no platform runs, so the K80/P100/T4 mixture is used.
    colab = article_world.plan("colab-free")
    s = article_world.scores.option_score(colab, colab.options[0], "training")
    assert s.basis in ("modelled", "estimated")
    assert [c.gpu_id for c in s.components] == ["k80", "p100", "t4"]
    assert sum(c.share for c in s.components) == pytest.approx(1)
    expected_mean = sum(c.share * c.mean for c in s.components)
    assert s.mean == pytest.approx(expected_mean)
    # A lottery spreads far wider than any one GPU's run-to-run noise.
    assert s.sd > max(c.sd for c in s.components)


def test_memory_probability_of_the_lottery(article_world):
    option = article_world.plan("colab-free").options[0]
    # K80 has 12 GiB; P100 and T4 have 16: 5 of 15 sessions.
    assert article_world.scores.memory_probability(option, 16) == pytest.approx(5 / 15)
    assert article_world.scores.memory_probability(option, 12) == pytest.approx(1.0)
    assert article_world.scores.memory_probability(option, 80) == 0


def test_probability_of_at_least_a_score(article_world):
    colab = article_world.plan("colab-free")
    s = article_world.scores.option_score(colab, colab.options[0], "ai")
    assert s.prob_at_least(10773) == pytest.approx(0.5, abs=1e-6)
    assert s.prob_at_least(0) == pytest.approx(1.0)
    assert s.prob_at_least(10 ** 6) == pytest.approx(0.0)


def test_unmeasured_gpu_is_estimated_and_says_so(today_world):
    score = today_world.scores.gpu_score("l4", "ai")
    assert score.estimated and score.n == 0
    assert score.error_pct is not None and score.error_pct > 0
    assert "estimated" in score.detail and "leave-one-out" in score.detail


def test_measured_gpu_keeps_its_measurement(today_world):
    score = today_world.scores.gpu_score("k80", "ai")
    assert (score.estimated, score.mean, score.n) == (False, 6645, 1)


def test_single_gpu_platform_runs_count_as_runs_of_that_gpu(today_world):
    # Gradient Free always gave the M4000, so its 5 runs measure the M4000.
    score = today_world.scores.gpu_score("m4000", "ai")
    assert (score.estimated, score.n, score.mean) == (False, 5, 6861)


def test_run_to_run_spread_comes_from_repeated_runs(today_world):
    assert today_world.scores.run_to_run_cv == pytest.approx(333 / 6861)


def test_summary_serialises_to_plain_json_types(today_world):
    import json

    plan = today_world.plan("kaggle-free")
    d = today_world.scores.option_score(plan, plan.options[0], "ai").to_dict()
    json.dumps(d)
    assert all(not hasattr(v, "dtype") for v in d.values())
    assert d["basis"] == "estimated" and d["estimate_error_pct"] > 0
