"""Tests for advisor.recommend on the tiny catalog: one case per rule of the README's "How the ranking works"."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor import Workload, recommend
from advisor.errors import UnknownGpuError
from advisor.recommend import order_key, speed_step
from advisor.vocab import CaveatCode, Preference, ReasonCode


def _by_id(recs):
    return {r.plan_id: r for r in recs}


def _codes(rec):
    return {r.code for r in rec.reasons}


def _caveats(rec):
    return {c.code for c in rec.caveats}


@pytest.mark.parametrize("workload, plan_id, code", [
    (Workload(gpu_memory_gib=16), "lottery-free", ReasonCode.MEMORY),  # 1 session in 4 gets 16 GiB: under 90%
    (Workload(session_hours=13), "steady-free", ReasonCode.SESSION),  # its sessions end after 12 h
    (Workload(notebooks_at_once=2), "steady-free", ReasonCode.CONCURRENCY),  # 1 notebook at once
    (Workload(gpu_hours_per_month=50), "steady-free", ReasonCode.QUOTA),  # 10 h a week is about 43 h a month
    (Workload(free_only=True), "units-pro", ReasonCode.NOT_FREE),  # a $10 subscription
    (Workload(free_only=True), "payg", ReasonCode.NOT_FREE),  # no subscription, but the hours cost money
    (Workload(budget_usd_per_month=5), "units-pro", ReasonCode.BUDGET),  # $10 > $5
    (Workload(needs={"background"}), "steady-free", ReasonCode.NEED_MISSING),  # documented as not offered
    (Workload(needs={"background"}), "lottery-free", ReasonCode.NEED_UNDOCUMENTED),  # not documented at all
    (Workload(needs={"private"}), "steady-free", ReasonCode.NEED_UNDOCUMENTED),  # its 'true' is unverified
    (Workload(predictability="require"), "lottery-free", ReasonCode.SPREAD),  # a lottery spreads far over 10%
    (Workload(), "gone", ReasonCode.UNAVAILABLE),  # its GPU pool was empty when last seen
])
def test_each_hard_constraint_fails_the_plan_with_its_code(tiny, workload, plan_id, code):
    rec = _by_id(recommend(tiny, workload))[plan_id]
    assert not rec.feasible and code in _codes(rec)


def test_scarce_fails_require_and_unavailable_fails_an_option(tiny_dir):
    from advisor.catalog import load_catalog

    with (tiny_dir / "availability.csv").open("a") as fh:
        fh.write("hourly,fast,unavailable,2023-06-01,https://example.org/hourly-status,community,,\n")
    catalog = load_catalog("2024-01-01", tiny_dir)
    # Without 'require', twin serves (fast is gone), with a caveat; with 'require', scarce twin fails too.
    relaxed = _by_id(recommend(catalog, Workload()))["hourly"]
    assert relaxed.feasible and relaxed.option.option == "twin" and CaveatCode.SCARCE in _caveats(relaxed)
    strict = _by_id(recommend(catalog, Workload(predictability="require")))["hourly"]
    assert not strict.feasible and _codes(strict) <= {ReasonCode.SCARCE, ReasonCode.UNAVAILABLE}


def test_scarce_is_only_a_caveat_without_require(tiny):
    twin = next(r for r in recommend(tiny, Workload(gpu_memory_gib=32, multi_gpu=True, memory_spread=True)) if r.plan_id == "hourly")
    assert twin.feasible and twin.option.option == "twin" and CaveatCode.SCARCE in _caveats(twin)


def test_a_plan_is_represented_by_its_best_feasible_option(tiny):
    rec = _by_id(recommend(tiny, Workload(gpu_memory_gib=20)))["units-pro"]
    assert rec.feasible and rec.option.option == "fast"


def test_feasible_plans_come_first_cheapest_per_point(tiny):
    recs = recommend(tiny, Workload(gpu_hours_per_month=30))
    flags = [r.feasible for r in recs]
    assert flags == sorted(flags, reverse=True)
    feasible = [r for r in recs if r.feasible]
    assert [r.rank for r in feasible] == list(range(1, len(feasible) + 1))
    # Within a tier (every limit known, then plans resting on an assumed session cap) cheapest per point first.
    keys = [(r.tier, r.usd_per_1k_score) for r in feasible]
    assert keys == sorted(keys)
    assert all(r.rank is None and r.reasons for r in recs if not r.feasible)


def test_free_plans_tie_on_price_and_the_faster_wins_even_with_an_access_risk(tiny):
    recs = _by_id(recommend(tiny, Workload()))
    free = [r.plan_id for r in recommend(tiny, Workload()) if r.feasible and r.monthly_cost_usd == 0]
    # The lottery's mean (10,500) beats steady-free's measured 9,100 by more than a speed step. Its quota is dynamic
    # and unpublished, but a free plan with an access risk costs nothing to try: it stays in tier 0 and the speed wins.
    assert recs["lottery-free"].risks == 1 and recs["lottery-free"].tier == 0 and recs["steady-free"].risks == 0
    assert free.index("lottery-free") < free.index("steady-free")


@pytest.mark.parametrize("preference", list(Preference))
def test_within_a_speed_step_fewer_access_risks_win(preference):
    # Two free plans 3% apart in speed: the one without an access risk comes first, whatever the preference.
    risky = order_key(preference, 0, 0.0, False, 1, 0, 10_300, 0.0, 0, "a-risky")
    steady = order_key(preference, 0, 0.0, False, 0, 0, 10_000, 0.0, 0, "b-steady")
    assert speed_step(10_300) == speed_step(10_000) and steady < risky


def test_prefer_ranks_on_the_tenth_percentile(tiny):
    # With 'prefer' a bad session counts: the lottery's p10 is the slow GPU's ~4,000, steady-free's ~8,700.
    free = [r.plan_id for r in recommend(tiny, Workload(predictability="prefer")) if r.monthly_cost_usd == 0
            and r.feasible]
    assert free.index("steady-free") < free.index("lottery-free")


def test_a_wish_breaks_ties_and_never_excludes(tiny):
    wished = recommend(tiny, Workload(nice_to_have={"selectable-timeout"}))
    free = [r.plan_id for r in wished if r.feasible and r.monthly_cost_usd == 0]
    assert free.index("steady-free") < free.index("lottery-free")  # steady-free offers the wish
    lotto = _by_id(wished)["lottery-free"]
    assert lotto.feasible and CaveatCode.NICE_TO_HAVE in _caveats(lotto)
    assert lotto.nice_to_have_met == 0 and _by_id(wished)["steady-free"].nice_to_have_met == 1


def test_education_plans_appear_only_for_eligible_users(tiny):
    assert "edu" not in _by_id(recommend(tiny, Workload()))
    edu = _by_id(recommend(tiny, Workload(education=True)))["edu"]
    assert edu.feasible and edu.monthly_cost_usd == 0


def test_caveats_name_the_risks(tiny):
    recs = _by_id(recommend(tiny, Workload(session_hours=6, reference_hours=40, reference_score=9100)))
    steady = recs["steady-free"]
    assert {CaveatCode.DISPUTED_FACT, CaveatCode.IDLE_TIMEOUT, CaveatCode.REFERENCE_JOB_SESSIONS} <= _caveats(steady)
    assert steady.reference_job_sessions == 4  # 40 h of work in 12 h sessions
    assert CaveatCode.DYNAMIC_QUOTA in _caveats(recs["lottery-free"])
    # units-pro publishes no session cap: the shortest cap a notebook plan publishes is assumed, and said.
    assert CaveatCode.ASSUMED_SESSION_LIMIT in _caveats(recs["units-pro"])
    assert recs["units-pro"].tier == 1 and not recs["units-pro"].session.known
    assert CaveatCode.ESTIMATED_SCORE not in _caveats(steady)


def test_a_reference_job_is_timed_on_every_plan_by_the_throughput_model(tiny):
    recs = _by_id(recommend(tiny, Workload(reference_hours=3, reference_gpu="slow")))
    # 3 h on the slow GPU (2 TFLOPS): the mid GPU (6 TFLOPS) and the fast one (12) finish sooner, each with a p10-p90
    # interval around its median; on the slow GPU itself it is the user's own 3 h.
    steady, fast, gone = recs["steady-free"].job, recs["units-pro"].job, recs["gone"].job
    assert gone.hours == pytest.approx(3) and gone.low == gone.high == pytest.approx(3)
    assert fast.hours < steady.hours < 3
    assert steady.low < steady.hours < steady.high and "spec sheet" in steady.basis
    assert recs["steady-free"].reference_job_hours == steady.hours
    # The lottery (3 sessions in 4 on the slow GPU) takes the slow GPU's 3 h at its median, less on a lucky session.
    lottery = recs["lottery-free"].job
    assert lottery.hours == pytest.approx(3, rel=0.01) and lottery.low < 3


def test_unknown_reference_gpu_is_an_error_with_suggestions(tiny):
    with pytest.raises(UnknownGpuError, match="did you mean"):
        recommend(tiny, Workload(reference_hours=1, reference_gpu="slwo"))


def test_stale_facts_are_named(tiny):
    # In the tiny world (2024-01-01) the 2021 facts are older than 180 days.
    rec = _by_id(recommend(tiny, Workload()))["units-pro"]
    assert {f.subject for f in rec.stale_facts} >= {"monthly_price_usd", "gpu_allocation"}


@given(st.floats(0, 200), st.floats(0, 200), st.integers(1, 3), st.floats(0, 48))
@settings(max_examples=60, deadline=None)
def test_a_bigger_budget_never_makes_fewer_plans_feasible(tiny_world, b1, b2, concurrent, memory):
    low, high = sorted((b1, b2))
    base = dict(notebooks_at_once=concurrent, gpu_memory_gib=memory, gpu_hours_per_month=30)
    feasible_low = {r.plan_id for r in recommend(tiny_world, Workload(budget_usd_per_month=low, **base)) if r.feasible}
    feasible_high = {r.plan_id for r in recommend(tiny_world, Workload(budget_usd_per_month=high, **base)) if r.feasible}
    assert feasible_low <= feasible_high


@given(st.sampled_from(["selectable-timeout", "background", "deployment", "private"]))
@settings(max_examples=8, deadline=None)
def test_a_wish_never_changes_which_plans_are_feasible(tiny_world, need):
    plain = {r.plan_id for r in recommend(tiny_world, Workload()) if r.feasible}
    wished = {r.plan_id for r in recommend(tiny_world, Workload(nice_to_have={need})) if r.feasible}
    assert plain == wished
