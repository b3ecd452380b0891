"""Tests for advisor.costs on the tiny catalog: subscriptions with units, packs that expire, hourly machines that
need a subscription, free credits, free quotas."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.costs import monthly_cost
from advisor.vocab import DAYS_PER_MONTH, WEEKS_PER_MONTH
from advisor.workload import Workload


def _option(plan, name):
    return next(o for o in plan.options if o.option == name)


def _cost(catalog, plan_id, option, hours):
    plan = catalog.plan(plan_id)
    return monthly_cost(catalog, plan, _option(plan, option), Workload(gpu_hours_per_month=hours))


def test_included_units_then_extra_at_the_unit_price(tiny):
    # fast burns 5 units/h: 30 h = 150 units, 100 included, 50 extra at $0.10.
    cost = _cost(tiny, "units-pro", "fast", 30)
    assert cost.total_usd == pytest.approx(10 + 50 * 0.1)
    assert [round(line.usd, 2) for line in cost.lines] == [10.0, 0.0, 5.0]
    assert cost.quota_problem is None


def test_within_included_units_costs_the_subscription(tiny):
    assert _cost(tiny, "units-pro", "mid", 50).total_usd == pytest.approx(10)


@pytest.mark.parametrize("hours, expected, unused", [
    (5, 10 / (90 / DAYS_PER_MONTH), 100 / (90 / DAYS_PER_MONTH) - 10),  # 10 units a month: one pack per 90 days
    (30, 60 * 0.1, 0),  # 60 units a month: packs run out before they expire
    (0, 0, 0),  # no hours, no pack
])
def test_pay_as_you_go_packs_expire(tiny, hours, expected, unused):
    cost = _cost(tiny, "payg", "mid", hours)
    assert cost.total_usd == pytest.approx(expected)
    assert cost.unused_units_per_month == pytest.approx(unused)


def test_hourly_machine_bills_by_the_hour_on_demand(tiny):
    # $1.50/h on demand; the $0.50 commitment price never prices a notebook user's month.
    assert _cost(tiny, "hourly", "fast", 10).total_usd == pytest.approx(15)


def test_a_machine_that_needs_a_subscription_includes_it(tiny):
    # 2 x mid at $1/h per GPU, unlocked by units-pro's $10 subscription.
    cost = _cost(tiny, "hourly", "twin", 10)
    assert cost.total_usd == pytest.approx(10 + 10 * 2 * 1.0)
    assert "Units Pro subscription" in cost.lines[0].label


@pytest.mark.parametrize("hours, expected", [
    (15, 0),  # $15 of use within $20 of credits
    (20, 0),  # exactly the credits
    (35, 15),  # $35 of use, $20 free
])
def test_free_credits_come_off_the_hours(tiny, hours, expected):
    assert _cost(tiny, "credits", "mid", hours).total_usd == pytest.approx(expected)


def test_free_plan_within_quota_is_free_and_beyond_it_has_a_problem(tiny):
    quota = 10 * WEEKS_PER_MONTH
    ok = _cost(tiny, "steady-free", "assigned", quota - 1)
    over = _cost(tiny, "steady-free", "assigned", quota + 1)
    assert ok.total_usd == 0 and ok.quota_problem is None
    assert over.total_usd == 0 and "exceed its quota" in over.quota_problem
    assert over.quota_hours_per_month == pytest.approx(quota)


def test_a_missing_rate_leaves_the_cost_unknown(tiny_dir):
    from advisor.catalog import load_catalog

    text = (tiny_dir / "gpu_rates.csv").read_text().replace("credits,mid,1,usd_per_hour,on-demand,list,,2021-01-01,"
                                                            "https://example.org/credits,official,,\n", "")
    (tiny_dir / "gpu_rates.csv").write_text(text)
    cost = _cost(load_catalog("2024-01-01", tiny_dir), "credits", "mid", 10)
    assert cost.total_usd is None and "no price on record for the Mid GPU" in cost.missing


@given(st.floats(0, 700), st.floats(0, 700))
@settings(max_examples=60, deadline=None)
def test_more_gpu_hours_never_cost_less(tiny_world, a, b):
    low, high = sorted((a, b))
    for plan in tiny_world.plans.values():
        for option in plan.options:
            c_low = monthly_cost(tiny_world, plan, option, Workload(gpu_hours_per_month=low)).total_usd
            c_high = monthly_cost(tiny_world, plan, option, Workload(gpu_hours_per_month=high)).total_usd
            assert c_high >= c_low - 1e-9, (plan.plan_id, option.option)


def test_hourly_price_parts_total_what_monthly_cost_totals(today_world):
    # The fast path that ranks many offers prices an hourly option from its parts; it must agree with the full bill.
    from advisor.costs import hourly_price

    checked = 0
    for plan in today_world.plans.values():
        for option in plan.options:
            price = hourly_price(today_world, plan, option)
            if price is None:
                continue
            for hours in (0, 1, 7.5, 20, 100, 730):
                full = monthly_cost(today_world, plan, option, Workload(gpu_hours_per_month=hours)).total_usd
                assert price.total_usd(hours) == pytest.approx(full), (plan.plan_id, option.option, hours)
                checked += 1
    assert checked > 100
