"""Tests for advisor.charts and advisor.report: the lottery shows as several humps, the frontier, the limits, Markdown."""
import pytest

from advisor import Workload, recommend
from advisor.charts import density_points, distribution_chart, frontier, limits_chart, price_score_chart
from advisor.report import to_markdown


def _humps(points):
    ys = [y for _, y in points]
    return sum(1 for a, b, c in zip(ys, ys[1:], ys[2:]) if b > a and b >= c)


def test_the_colab_lottery_draws_several_humps_and_a_fixed_gpu_one(article_world):
    colab = article_world.plan("colab-free")
    lottery = article_world.scores.option_score(colab, colab.options[0], "training")
    assert _humps(density_points(lottery)) >= 2
    gradient = article_world.plan("gradient-free")
    steady = article_world.scores.option_score(gradient, gradient.options[0], "training")
    assert _humps(density_points(steady)) == 1


def test_density_integrates_to_about_one(article_world):
    plan = article_world.plan("colab-free")
    points = density_points(article_world.scores.option_score(plan, plan.options[0], "training"), points=800)
    area = sum((x2 - x1) * (y1 + y2) / 2 for (x1, y1), (x2, y2) in zip(points, points[1:]))
    assert area == pytest.approx(1, abs=0.02)


@pytest.mark.parametrize("points, expected", [
    ([("a", 0, 100), ("b", 5, 200), ("c", 10, 150)], {"a", "b"}),  # c costs more and is slower than b
    ([("a", 0, 100), ("b", 0, 120)], {"b"}),  # same price, faster wins
    ([("a", 1, 100)], {"a"}),
])
def test_frontier(points, expected):
    assert frontier(points) == expected


def test_charts_build_for_a_real_recommendation(today_world):
    w = Workload(gpu_memory_gib=16, gpu_hours_per_month=40)
    recs = recommend(today_world, w)
    for chart in (distribution_chart(recs), price_score_chart(recs), limits_chart(recs, w)):
        assert chart is not None
        assert chart.to_dict()  # valid Vega-Lite


def test_markdown_report_has_the_ranking_reasons_and_sources(article_world):
    w = Workload(free_only=True, notebooks_at_once=2)
    text = to_markdown(article_world, w, recommend(article_world, w))
    assert "| 1 |" in text and "## Not suitable" in text and "1 notebook at once" in text
    assert "## Sources" in text and "googlecolab/colabtools/issues/1961" in text
    assert "catalog as of 2022-06-01" in text
