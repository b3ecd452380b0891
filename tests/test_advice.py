"""The advice's principles as properties over random workloads (issue 16): fit, finish, the whole cost, the
preference, a class, and true sentences. Each property is checked on the shipped catalog today and on the tiny
synthetic catalog, so it holds for the rules, not for one data set."""
from __future__ import annotations

import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor import Workload, recommend
from advisor.present.labels import verdict_line
from advisor.recommend import MEMORY_MIN_PROBABILITY, SPEED_STEP, plan_speed, speed_step, verdict
from advisor.vocab import Kind, Need, PlanField, Predictability, Preference, Requirement

workloads = st.builds(
    Workload,
    kind=st.sampled_from(list(Kind)),
    gpu_memory_gib=st.sampled_from([0, 8, 12, 15, 16, 20, 24, 40, 48, 80]),
    session_hours=st.sampled_from([0.5, 2, 6, 8, 12, 20, 30, 100]),
    gpu_hours_per_month=st.sampled_from([2, 10, 20, 40, 100, 300]),
    notebooks_at_once=st.integers(1, 3),
    budget_usd_per_month=st.one_of(st.none(), st.sampled_from([0, 5, 10, 20, 50, 200])),
    predictability=st.sampled_from(list(Predictability)),
    needs=st.frozensets(st.sampled_from(list(Need)), max_size=2),
    free_only=st.booleans(),
    education=st.booleans(),
    multi_gpu=st.booleans(),
    prefer=st.one_of(st.none(), st.sampled_from(list(Preference))),
    students=st.sampled_from([1, 1, 1, 5, 30]),
    cannot_provide=st.frozensets(st.sampled_from(list(Requirement)), max_size=2),
)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _check_principles(catalog, workload: Workload) -> None:
    recs = recommend(catalog, workload)
    feasible = [r for r in recs if r.feasible]
    for r in feasible:
        # Fit: on the memory a program can use, on enough sessions; several GPUs when the job uses several.
        if workload.gpu_memory_gib > 0:
            scale = r.option.gpu_count if workload.memory_spread else 1
            fits = sum(s for g, s in r.option.shares if catalog.gpus[g].usable_memory_gib * scale
                       >= workload.gpu_memory_gib - 1e-9)
            assert fits >= MEMORY_MIN_PROBABILITY - 1e-9, r.plan_id
        if workload.multi_gpu:
            assert r.option.gpu_count >= 2, r.plan_id
        # Finish: a known or assumed cap never below the run; unknown is never 'unlimited' for a notebook.
        if r.session.hours is not None:
            assert r.session.hours >= workload.session_hours
        if not r.session.known:
            assert r.session.hours is not None and r.plan.fact(PlanField.SESSION_LIMIT_HOURS) is None
        # Cost: within the budget for the whole class; what the user cannot provide is never asked.
        if workload.budget_usd_per_month is not None:
            assert r.total_cost_usd <= workload.budget_usd_per_month + 1e-6
        assert r.total_cost_usd == pytest.approx(r.monthly_cost_usd * workload.students)
        for requirement in workload.cannot_provide:
            assert not r.plan.fact(requirement.fact), (r.plan_id, requirement)
            if requirement is Requirement.CARD and r.plan.fact(requirement.fact) is None:
                assert r.monthly_cost_usd == 0, r.plan_id  # paying takes a card unless the plan says otherwise
        if workload.free_only:
            assert r.monthly_cost_usd == 0
    # Unknown never beats known: a plan resting on an assumption never ranks above one that does not.
    tiers = [r.tier for r in feasible]
    assert tiers == sorted(tiers)
    # The preference orders each tier.
    for a, b in zip(feasible, feasible[1:]):
        if a.tier != b.tier:
            continue
        if workload.preference is Preference.COST:
            assert a.monthly_cost_usd <= b.monthly_cost_usd + 1e-9
        elif workload.preference is Preference.SPEED:
            assert speed_step(plan_speed(a, workload)) >= speed_step(plan_speed(b, workload))
        else:
            assert (a.usd_per_1k_score or 0) <= (b.usd_per_1k_score or math.inf) + 1e-12
    _check_true_sentences(catalog, workload, recs)


def _check_true_sentences(catalog, workload: Workload, recs) -> None:
    """Every claim of the verdict holds on the ranking it sits above."""
    feasible = [r for r in recs if r.feasible]
    v = verdict(recs, workload)
    text = verdict_line(catalog, recs, workload)
    if not feasible:
        assert v.top is None and text.startswith("No plan")
        if recs:
            closest = min(len(r.reasons) for r in recs)
            assert v.closest is recs[0] and len(v.closest.reasons) == closest
            assert v.closest.plan.label in text
        return
    speed = {r.plan_id: plan_speed(r, workload) for r in feasible}
    top = feasible[0]
    free = [r for r in feasible if r.monthly_cost_usd == 0]
    if "the only plan that fits" in text:
        assert len(feasible) == 1
    if "the fastest free plan" in text:
        assert top.monthly_cost_usd == 0 and all(speed[top.plan_id] >= speed[r.plan_id] for r in free)
    if "the cheapest plan that fits" in text:
        assert all(top.monthly_cost_usd <= r.monthly_cost_usd for r in feasible)
    if "the fastest plan" in text and "within" not in text:
        assert all(speed[top.plan_id] >= s for s in speed.values())
    if "within 10% of the fastest" in text:
        fastest = max(speed.values())
        assert speed[top.plan_id] * SPEED_STEP > fastest
    if "the lowest price per point of speed among plans with no known risk" in text:
        assert top.tier == 0 and all(top.usd_per_1k_score <= r.usd_per_1k_score for r in feasible
                                     if r.usd_per_1k_score is not None and r.tier == 0)
    elif "the lowest price per point" in text:
        assert all(top.usd_per_1k_score <= r.usd_per_1k_score for r in feasible if r.usd_per_1k_score is not None)
    first = text.split(":")[0]
    if ", free," in text.split(".")[0] or text.split(".")[0].endswith(", free"):
        assert top.monthly_cost_usd == 0 and not top.needs_card  # 'free' alone means no card
    if v.value_choice is not None:  # the cheaper alternative named under 'speed' is as dependable as top
        assert v.value_choice.tier <= top.tier and v.value_choice.monthly_cost_usd < top.monthly_cost_usd
    for ratio in re.findall(r"is (\d+\.\d) times faster", text):
        pair = v.free_speedup if v.free_choice is not None else v.upgrade_speedup
        assert pair is not None and float(ratio) == pytest.approx(round(pair, 1))
        assert pair >= 1
    assert top.plan.label in first


@PROPERTY
@given(workload=workloads)
def test_the_principles_hold_on_the_shipped_catalog(today_world, workload):
    _check_principles(today_world, workload)


@PROPERTY
@given(workload=workloads)
def test_the_principles_hold_on_a_synthetic_catalog(tiny_world, workload):
    _check_principles(tiny_world, workload)


@PROPERTY
@given(workload=workloads, more=st.sampled_from([1, 10, 100]))
def test_a_larger_budget_never_fits_fewer_plans(today_world, workload, more):
    if workload.budget_usd_per_month is None:
        return
    from dataclasses import replace

    before = {r.plan_id for r in recommend(today_world, workload) if r.feasible}
    after = {r.plan_id for r in recommend(today_world, replace(workload, budget_usd_per_month=workload
                                                                 .budget_usd_per_month + more)) if r.feasible}
    assert before <= after


jobs = st.one_of(st.just({}), st.fixed_dictionaries({
    "reference_gpu": st.sampled_from(["t4", "a100-40gb", "rtx4090"]), "reference_hours": st.sampled_from([0.5, 3, 40]),
    "precision": st.sampled_from([None, "fp16", "bf16"])}))


def _prescreen_agrees(catalog, workload: Workload, job: dict) -> None:
    """recommend() with every hourly plan of two or more options prescreened equals recommend() judging every
    option in full."""
    import sys
    from dataclasses import replace
    from unittest import mock

    from advisor.errors import InvalidWorkloadError

    rec_module = sys.modules["advisor.recommend"]  # the package exports the function under the module's name
    workload = replace(workload, **job)
    try:
        rec_module.job_estimate(catalog, workload)
    except InvalidWorkloadError:
        return  # a precision the reference GPU cannot run: refused before any ranking

    with mock.patch.object(rec_module, "FAST_PATH_MIN_OPTIONS", 1):
        fast = recommend(catalog, workload)
    with mock.patch.object(rec_module, "FAST_PATH_MIN_OPTIONS", 10 ** 9):
        full = recommend(catalog, workload)
    shown = lambda recs: [(r.plan_id, r.option.option, r.rank, r.feasible, r.monthly_cost_usd,  # noqa: E731
                           tuple(x.code for x in r.reasons)) for r in recs]
    assert shown(fast) == shown(full)


@pytest.fixture(scope="session")
def market_world(tmp_path_factory):
    """The shipped catalog plus 400 synthetic marketplace offers (benchmarks/bench_scale.py); the marketplaces that
    state no card rule get $30 of monthly credits, so that some of their offers cost nothing and others do."""
    import csv

    from advisor import load_catalog
    from benchmarks.bench_scale import SOURCE, write_marketplace

    folder = tmp_path_factory.mktemp("market")
    write_marketplace(folder, 400)
    with open(folder / "plan_facts.csv", newline="") as f:
        rows = list(csv.reader(f))
    markets = {r[0] for r in rows if r[0].startswith("market-")}
    carded = {r[0] for r in rows if r[0].startswith("market-") and r[1] == "requires_card"}
    with open(folder / "plan_facts.csv", "a", newline="") as f:
        csv.writer(f).writerows([p, "monthly_credit_usd", "30", "2026-11-01", SOURCE, "estimate", "synthetic", ""]
                                for p in sorted(markets - carded))
    return load_catalog("2026-12-05", folder)


@PROPERTY
@given(workload=workloads, job=jobs)
def test_prescreening_a_plan_with_many_options_chooses_what_full_judging_chooses(today_world, workload, job):
    # The fast path for marketplaces (recommend.FAST_PATH_MIN_OPTIONS) must not change a single verdict: here every
    # hourly plan with more than one option takes it, and the ranking is compared with full judging.
    _prescreen_agrees(today_world, workload, job)


@PROPERTY
@given(workload=workloads, job=jobs)
def test_prescreening_a_marketplace_chooses_what_full_judging_chooses(market_world, workload, job):
    # The same on marketplaces of many offers, some inside their credits and some not (the card rule's edge).
    _prescreen_agrees(market_world, workload, job)
