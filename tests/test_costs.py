"""Tests for advisor.costs: subscriptions with included units, hourly plans, free quotas."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.costs import WEEKS_PER_MONTH, monthly_cost
from advisor.workload import Workload


def _option(plan, name):
    return next(o for o in plan.options if o.option == name)


def test_included_units_then_overage_at_the_unit_price(tiny):
    plan = tiny.plan("units-pro")
    # 'fast' burns 5 units/h: 30 h = 150 units, 100 included, 50 extra at $0.10.
    cost = monthly_cost(tiny, plan, _option(plan, "fast"), Workload(gpu_hours_per_month=30))
    assert cost.total_usd == pytest.approx(10 + 50 * 0.1)
    assert [round(line.usd, 2) for line in cost.lines] == [10.0, 0.0, 5.0]
    assert cost.problem is None


def test_within_included_units_costs_the_subscription(tiny):
    plan = tiny.plan("units-pro")
    cost = monthly_cost(tiny, plan, _option(plan, "mid"), Workload(gpu_hours_per_month=50))
    assert cost.total_usd == pytest.approx(10)


def test_hourly_plan_bills_by_the_hour(tiny):
    plan = tiny.plan("hourly")
    assert monthly_cost(tiny, plan, plan.options[0], Workload(gpu_hours_per_month=10)).total_usd == pytest.approx(15)


def test_free_plan_within_quota_is_free_and_beyond_it_has_a_problem(tiny):
    plan = tiny.plan("steady-free")
    quota = 10 * WEEKS_PER_MONTH
    ok = monthly_cost(tiny, plan, plan.options[0], Workload(gpu_hours_per_month=quota - 1))
    over = monthly_cost(tiny, plan, plan.options[0], Workload(gpu_hours_per_month=quota + 1))
    assert ok.total_usd == 0 and ok.problem is None
    assert over.total_usd == 0 and "exceed its quota" in over.problem


def test_colab_pro_today_uses_the_2026_unit_rates(today_world):
    plan = today_world.plan("colab-pro")
    # A100 40 GB: 5.40 units/h (McCormick, March 2026); 100 h = 540 units, 100 included, 440 extra at $0.0999.
    cost = monthly_cost(today_world, plan, _option(plan, "a100-40gb"), Workload(gpu_hours_per_month=100))
    assert cost.total_usd == pytest.approx(9.99 + 440 * 0.0999)


def test_kaggle_quota_is_30_hours_a_week(today_world):
    plan = today_world.plan("kaggle-free")
    cost = monthly_cost(today_world, plan, plan.options[0], Workload(gpu_hours_per_month=200))
    assert cost.quota_hours_per_month == pytest.approx(30 * WEEKS_PER_MONTH)
    assert cost.problem


@given(st.floats(0, 700), st.floats(0, 700))
@settings(max_examples=100, deadline=None)
def test_more_gpu_hours_never_cost_less(today_world, a, b):
    low, high = sorted((a, b))
    for plan in today_world.plans.values():
        for option in plan.options:
            c_low = monthly_cost(today_world, plan, option, Workload(gpu_hours_per_month=low)).total_usd
            c_high = monthly_cost(today_world, plan, option, Workload(gpu_hours_per_month=high)).total_usd
            assert c_high >= c_low - 1e-9, (plan.plan_id, option.option)
