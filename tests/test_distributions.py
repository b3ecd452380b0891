"""Tests for advisor.distributions on the tiny catalog: mixture maths, lotteries, estimates, memory."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.distributions import mixture_cdf, mixture_quantile, score_book
from advisor.vocab import Basis, Metric


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


def test_a_lottery_is_a_mixture_of_its_gpus(tiny):
    lotto = tiny.plan("lottery-free")
    s = score_book(tiny).option_score(lotto, lotto.options[0], Metric.AI)
    assert s.basis is Basis.MODELLED
    assert [(c.gpu_id, c.share) for c in s.components] == [("slow", 0.75), ("fast", 0.25)]
    assert s.mean == pytest.approx(0.75 * 4000 + 0.25 * 30000)
    # Three sessions in four get the slow GPU: the 10th percentile sits near it, the 90th near the fast one.
    assert s.p10 < 4500 and s.p90 > 15000
    assert s.sd > max(c.sd for c in s.components)


def test_platform_runs_under_the_allocation_in_force_are_the_distribution(tiny):
    steady = tiny.plan("steady-free")
    s = score_book(tiny).option_score(steady, steady.options[0], Metric.AI)
    assert (s.basis, s.n, s.mean, s.sd) == (Basis.MEASURED, 5, 9100, 300)
    assert s.prob_at_least(9100) == pytest.approx(0.5, abs=1e-6)


def test_single_gpu_platform_runs_count_as_runs_of_that_gpu(tiny):
    # steady-free always gives the mid GPU: its 5 runs join mid's own measurement.
    score = score_book(tiny).gpu_score("mid", Metric.AI)
    assert (score.estimated, score.n) == (False, 6)
    assert score.mean == pytest.approx((9000 + 5 * 9100) / 6)


def test_run_to_run_spread_comes_from_repeated_runs_of_one_gpu(tiny):
    # slow: n=4 sd 200 on 4000 (5%); steady-free: n=5 sd 300 on 9100 (3.3%), pooled by degrees of freedom.
    expected = ((3 * 0.05 ** 2 + 4 * (300 / 9100) ** 2) / 7) ** 0.5
    assert score_book(tiny).run_to_run_cv == pytest.approx(expected)


def test_unmeasured_gpu_is_estimated_and_says_so(tiny):
    score = score_book(tiny).gpu_score("new", Metric.AI)  # its 99,999 is unverified: not a measurement
    assert score.estimated and score.n == 0 and score.error_pct > 0
    assert "estimated" in score.detail and "leave-one-GPU-out" in score.detail


def test_memory_probability_per_gpu_or_summed(tiny):
    lotto = tiny.plan("lottery-free").options[0]
    book = score_book(tiny)
    assert book.memory_probability(lotto, 16) == pytest.approx(0.25)
    assert book.memory_probability(lotto, 8) == 1.0
    twin = next(o for o in tiny.plan("hourly").options if o.option == "twin")
    assert book.memory_probability(twin, 32) == 0 and book.memory_probability(twin, 32, spread=True) == 1


def test_several_gpus_add_up_only_when_the_job_uses_them(tiny):
    hourly = tiny.plan("hourly")
    twin = next(o for o in hourly.options if o.option == "twin")
    book = score_book(tiny)
    one = book.option_score(hourly, twin, Metric.AI)
    both = book.option_score(hourly, twin, Metric.AI, multi_gpu=True)
    assert both.mean == pytest.approx(2 * one.mean)
    assert "upper bound" in both.basis_detail


def test_speedups_against_a_device(tiny):
    rows = score_book(tiny).speedups(4000)
    assert rows[0][3] >= rows[-1][3]
    fast = [r for r in rows if r[1].option == "fast" and r[0].plan_id == "hourly"][0]
    assert fast[3] == pytest.approx(30000 / 4000)


def test_one_score_book_per_catalog(tiny):
    assert score_book(tiny) is score_book(tiny)
