"""Acceptance pins on the shipped catalog: every row has provenance, the 2026-11 audit's consequences hold as of
2026-11-28 and the 2026-12 audit's as of 2026-12-05 (fixed dates, so a later data update adds rows without breaking
these)."""
import datetime as dt
import re
from dataclasses import replace

import pytest

from advisor import Workload, load_catalog, recommend
from advisor.catalog import DATA_DIR, load_raw
from advisor.costs import monthly_cost
from advisor.data_check import check_data
from advisor.vocab import Availability, Confidence, PlanField, PriceModel, ReasonCode

AUDIT_DATE = "2026-11-28"
AUDIT_2026_12 = "2026-12-05"
STABLE_IDS = ["colab-free", "colab-pro", "colab-pro-plus", "colab-payg", "gradient-free", "gradient-pro",
              "gradient-growth", "kaggle-free", "studiolab-free", "sagemaker-g4dn-xlarge", "paperspace-hourly"]


@pytest.fixture(scope="module")
def audit_world():
    return load_catalog(AUDIT_DATE)


def _by_id(recs):
    return {r.plan_id: r for r in recs}


def test_every_row_has_a_source_a_date_and_a_confidence():
    raw = load_raw()
    provenances = [g.provenance for g in raw.gpus.values()] + [f.provenance for f in raw.facts] \
        + [o.provenance for _, o in raw.options] + [r.provenance for r in raw.rates] \
        + [a.provenance for a in raw.availability] + [e.provenance for e in raw.evidence] \
        + [m.provenance for m in raw.usable_memory] + [f.provenance for f in raw.fx_rates]
    assert len(provenances) > 600
    for p in provenances:
        assert p.source.strip() and isinstance(p.as_of, dt.date) and isinstance(p.confidence, Confidence)


def test_no_row_cites_a_private_path_or_a_tool():
    for path in DATA_DIR.glob("*.csv"):
        text = path.read_text()
        assert not re.search(r"shared/|/work/|copy \d{6,}", text), path.name


def test_the_stable_plan_ids_are_there(audit_world):
    assert set(STABLE_IDS) <= set(audit_world.plans)


def test_every_paid_option_has_an_on_demand_price(audit_world):
    for plan in audit_world.plans.values():
        if plan.price_model in (PriceModel.HOURLY, PriceModel.UNITS):
            for option in plan.options:
                assert all(audit_world.rate(plan, g) for g in option.gpu_ids), (plan.plan_id, option.option)


def test_the_shipped_catalog_is_not_broken():
    assert check_data().broken is None


# The audit's consequences (issue: "The catalog tells today's truth").

def test_kaggle_offers_no_p100_but_two_t4s(audit_world):
    # Kaggle/kaggle-cli#1192 (2026-09-10): the P100 is retired; #1198: "GPU T4 x2 (default GPU; single T4 is not
    # supported)".
    options = audit_world.plan("kaggle-free").options
    assert all("p100" not in o.gpu_ids for o in options)
    assert [(o.gpu_ids, o.gpu_count) for o in options] == [(("t4",), 2)]


def test_a_paperspace_a100_80gb_costs_growth_plus_its_hours(audit_world):
    plan = audit_world.plan("paperspace-hourly")
    option = next(o for o in plan.options if o.gpu_ids == ("a100-80gb",))
    cost = monthly_cost(audit_world, plan, option, Workload(gpu_hours_per_month=20))
    # The $39 Growth plan unlocks high-end machines; $3.18/h on demand (the $1.15 is a 3-year commitment).
    assert cost.total_usd == pytest.approx(39 + 20 * 3.18)


def test_gradient_free_fails_an_8_hour_session(audit_world):
    rec = _by_id(recommend(audit_world, Workload(session_hours=8)))["gradient-free"]
    # Its free machines stop at 6 h (disputed with the pricing page's 12 h: the stricter binds), and its free GPU
    # pool was empty on 2025-12-28.
    assert not rec.feasible and {ReasonCode.SESSION, ReasonCode.UNAVAILABLE} <= {r.code for r in rec.reasons}
    assert audit_world.plan("gradient-free").facts[PlanField.SESSION_LIMIT_HOURS].disputed_by


def test_a_modal_workload_within_its_credits_costs_nothing(audit_world):
    plan = audit_world.plan("modal-starter")
    option = next(o for o in plan.options if o.gpu_ids == ("t4",))
    assert monthly_cost(audit_world, plan, option, Workload(gpu_hours_per_month=30)).total_usd == 0
    assert monthly_cost(audit_world, plan, option, Workload(gpu_hours_per_month=200)).total_usd > 0


def test_40_hours_of_16_gb_training_with_20_dollars_buys_speed_and_the_free_choice_stays_in_view(audit_world):
    # 40 GPU hours a month of training that needs 16 GB, at most $20 (DATA_AUDIT_2026-12 W3). A budget someone
    # states is money they will spend: the top plan is within it, offered today, has the memory, and is faster than
    # the best free plan that fits. Asked for the cheapest, a free plan that fits comes first.
    workload = Workload(kind="training", gpu_memory_gib=16, gpu_hours_per_month=40, budget_usd_per_month=20)
    recs = recommend(audit_world, workload)
    top = next(r for r in recs if r.rank == 1)
    assert 0 < top.monthly_cost_usd <= 20 and audit_world.is_available(top.plan, top.option)
    assert all(audit_world.gpus[g].usable_memory_gib >= 16 for g in top.option.gpu_ids)
    free = [r for r in recs if r.feasible and r.monthly_cost_usd == 0]
    assert all(top.score.mean > r.score.mean for r in free)
    by_cost = recommend(audit_world, replace(workload, prefer="cost"))
    cheapest = next(r for r in by_cost if r.rank == 1)
    assert cheapest.monthly_cost_usd == min(r.monthly_cost_usd for r in by_cost if r.feasible)


def test_measured_scores_replace_estimates_where_published(audit_world):
    from advisor.distributions import score_book

    book = score_book(audit_world)
    p100 = book.gpu_score("p100", "ai")
    v100 = book.gpu_score("v100-pcie", "ai")
    assert (p100.estimated, round(p100.mean)) == (False, 22126)  # esologic/gpu_box_benchmark, TF 2.10.1
    assert (v100.estimated, round(v100.mean)) == (False, 32687)
    assert book.gpu_score("h100", "training").estimated is False
    assert book.gpu_score("h100", "inference").estimated is True  # a training-only run counts for training only


# The 2026-12 audit's consequences (data/CHANGES-2026-12.md), as of 2026-12-05.

@pytest.fixture(scope="module")
def december():
    return load_catalog(AUDIT_2026_12)


def test_colab_pro_for_education_charges_for_units_beyond_the_100_included(december):
    # Audit fix 1 / UX defect 1: 20 h of G4 at 8.71 units/h is 174.2 units; 74.2 beyond the 100 included cost about
    # $7.41 at $0.0999 a unit. Before the fix this month cost $0.
    plan = december.plan("colab-pro-edu")
    g4 = next(o for o in plan.options if o.option == "g4")
    assert monthly_cost(december, plan, g4, Workload(gpu_hours_per_month=20)).total_usd == pytest.approx(7.41, abs=0.05)
    assert not check_data(today=dt.date(2026, 12, 5)).broken


def test_every_colab_plan_draws_on_one_pool_and_its_g4_and_a100_are_scarce_on_all(december):
    # Audit fix 2: colabtools#6076 (G4, 2026-08-06), #6013/#6014 (A100, 2026-06): one pool, so PAYG and Education
    # carry the caveat that Pro and Pro+ carried.
    colab = december.pool_plans("colab")
    assert {p.plan_id for p in colab} == {"colab-free", "colab-pro", "colab-pro-plus", "colab-payg", "colab-pro-edu"}
    for plan in colab:
        for option in plan.options:
            if option.option in ("g4", "a100-40gb", "a100-80gb"):
                assert december.availability(plan, option).availability is Availability.SCARCE, plan.plan_id


def test_modal_documents_deployment_and_bills_cpu_and_memory_beside_the_gpu(december):
    # Audit fix 4 / UX defect 6: 'Web Endpoints', 'Cron and Scheduled Functions', '10 concurrent GPUs'.
    modal = december.plan("modal-starter")
    assert modal.fact(PlanField.DEPLOYMENT) is True and modal.fact(PlanField.BACKGROUND_EXECUTION) is True
    assert modal.fact(PlanField.NOTEBOOKS_RUNNING_MAX) == 10
    # A 2-core, 16 GiB job container at Modal's per-second CPU and memory prices; and a card on file.
    assert modal.fact(PlanField.CPU_MEMORY_USD_PER_HOUR) == pytest.approx(2 * 0.0000131 * 3600 + 16 * 0.00000222 * 3600,
                                                                         abs=1e-3)
    assert modal.fact(PlanField.REQUIRES_CARD) is True
    # The container size behind that figure is assumed: the bill says it is an estimate.
    option = next(o for o in modal.options if o.gpu_ids == ("t4",))
    lines = monthly_cost(december, modal, option, Workload(gpu_hours_per_month=10)).lines
    assert any("CPU and memory" in line.label and "(an estimate)" in line.label for line in lines)


def test_gradient_free_machines_are_no_deployment_and_run_one_at_a_time(december):
    # Audit fix 5: the platform-level 'Deployments' remark is unverified for the plans' free machines.
    for plan_id in ("gradient-pro", "gradient-growth"):
        plan = december.plan(plan_id)
        assert plan.fact(PlanField.DEPLOYMENT) is None and plan.fact(PlanField.NOTEBOOKS_RUNNING_MAX) == 1


def test_runpod_secure_prices_are_the_september_ones(december):
    # Audit fix 6: tgarg01/silybench-data (2026-09-25).
    plan = december.plan("runpod-secure")
    assert [december.rate(plan, g).rate for g in ("rtx4090", "l40s", "h200")] == [0.74, 1.09, 4.59]


def test_paperspace_notebooks_offer_no_core_machine_but_two_gpu_machines(december):
    # Audit fix 7: GPU+ (M4000), RTX5000 and H100 are Core machines; A4000x2/A5000x2/A6000x2 are notebook machines.
    options = {o.option: o for o in december.plan("paperspace-hourly").options}
    assert not {"m4000", "rtx5000", "h100"} & set(options)
    assert options["a6000x2"].gpu_count == 2 and options["a6000x2"].gpu_ids == ("a6000",)
    assert december.availability(december.plan("paperspace-hourly"), options["p4000"]).availability \
        is Availability.UNAVAILABLE


def test_a_t4_holds_less_than_16_gib_for_a_program(december):
    # Audit fix 8: Colab's deviceQuery shows 15,095 MiB, Kaggle 16,106,127,360 bytes; the smaller binds.
    t4 = december.gpus["t4"]
    assert t4.memory_gib == 16 and not t4.usable_memory_estimated and t4.usable_memory_gib < 15
    assert all(g.usable_memory_gib > 0 for g in december.gpus.values())


def test_kaggle_sessions_are_disputed_and_the_9_hours_bind(december):
    # Kaggle's quota dialog says '9 hour limit' (2026-03-18, 2026-09-23) against the docs' 12 h (2026-08-01).
    fact = december.plan("kaggle-free").facts[PlanField.SESSION_LIMIT_HOURS]
    assert fact.value == 9 and 12 in [o.value for o in fact.disputed_by]


def test_the_2026_market_additions_are_priced(december):
    # Audit section 2: Thunder Compute (2026-06-21), JarvisLabs (2026-09-20), Hugging Face Spaces.
    thunder, jarvis, spaces = (december.plan(p) for p in ("thunder-compute", "jarvislabs", "hf-spaces"))
    assert december.rate(thunder, "a100-80gb-pcie").rate == 0.78
    assert december.rate(jarvis, "rtx-pro-6000").rate == 1.89
    assert spaces.fact(PlanField.DEPLOYMENT) is True and december.rate(spaces, "t4").rate == 0.40
    assert any(o.gpu_count == 8 for o in jarvis.options)


def test_data_check_finds_no_pool_gap_no_unit_price_hole_and_no_inflated_confidence():
    report = check_data(today=dt.date(2026, 12, 5))
    kinds = {i.kind for i in report.items}
    assert not kinds & {"pool_gap", "no_unit_price", "confidence"}
    # The exchange rates (2025-02-28) are not replaced: no 2026 source was found, so the check lists their age.
    assert "old_fx" in kinds and "extrapolated" in kinds
