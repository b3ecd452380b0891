"""The twelve workloads of the 2026-12 data audit (DATA_AUDIT_2026-12 section 4) and the six personas of the UX probe
(UX_PROBE_2026-12), each with the decision an informed adviser gives and why, on the catalog as of 2026-12-05 (a fixed
date, so later data adds rows without silently changing these pins)."""
from __future__ import annotations

import pytest

from advisor import Workload, load_catalog, recommend
from advisor.present.labels import verdict_line
from advisor.vocab import CaveatCode, PlanField, ReasonCode

AS_OF = "2026-12-05"


@pytest.fixture(scope="module")
def december():
    return load_catalog(AS_OF)


def _ranked(catalog, **fields):
    workload = Workload(**fields)
    recs = recommend(catalog, workload)
    return workload, recs, [r for r in recs if r.feasible]


def _top(feasible, n=3):
    return [r.plan_id for r in feasible[:n]]


def _by_id(recs):
    return {r.plan_id: r for r in recs}


def test_w0_default_free_without_a_card_first_and_what_a_little_money_buys(december):
    # Kaggle and Colab Free need no card; Modal's $30 credit needs one on file, so it is "free with a card" and comes
    # after them. The verdict names what a few dollars buy.
    workload, recs, feasible = _ranked(december)
    assert _top(feasible, 2) == ["kaggle-free", "colab-free"]
    modal = _by_id(recs)["modal-starter"]
    assert modal.feasible and modal.needs_card and modal.rank > 2
    assert "times faster" in verdict_line(december, recs, workload)


def test_w1_free_only_kaggle_then_colab_then_studio_lab(december):
    # Same T4 on all three: Kaggle has no access risk, Colab Free's quota is dynamic, Studio Lab's pool is scarce.
    _, recs, feasible = _ranked(december, free_only=True)
    assert _top(feasible) == ["kaggle-free", "colab-free", "studiolab-free"]
    assert _by_id(recs)["colab-free"].risks == 1 and _by_id(recs)["studiolab-free"].risks == 1


def test_w2_ten_dollars_buy_a_gpu_several_times_faster_and_free_stays_in_view(december):
    workload, recs, feasible = _ranked(december, budget_usd_per_month=10)
    top = feasible[0]
    assert top.monthly_cost_usd <= 10 and top.option.gpu_ids == ("rtx4090",)
    text = verdict_line(december, recs, workload)
    assert "Kaggle Notebooks Free" in text and "is free; for $" in text and "times faster" in text


def test_w3_16_gb_does_not_fit_a_t4_so_an_l4_or_4090_leads(december):
    # A T4 shows a program about 15 GiB: a 16 GB job needs a bigger GPU (Colab's L4, RunPod's 4090).
    _, recs, feasible = _ranked(december, kind="training", gpu_memory_gib=16, gpu_hours_per_month=40)
    assert all("t4" not in r.option.gpu_ids for r in feasible)
    assert {ReasonCode.MEMORY} <= {x.code for x in _by_id(recs)["kaggle-free"].reasons}
    assert {g for r in feasible[:3] for g in r.option.gpu_ids} <= {"l4", "rtx4090", "a10", "a6000"}


def test_w4_24_gb_twelve_hour_runs_and_50_dollars_fastest_within_budget_with_a_value_choice_named(december):
    # Speed is what a stated budget buys; a scarce pool (Colab's G4) is no dependable speed for money, so it ranks
    # below every plan without that risk; the verdict names the cheaper value choice beside the fastest.
    workload, recs, feasible = _ranked(december, gpu_memory_gib=24, session_hours=12, budget_usd_per_month=50)
    assert all(r.total_cost_usd <= 50 for r in feasible)
    colab_g4 = [r for r in feasible if r.plan.gpu_pool == "colab" and "rtx-pro-6000" in r.option.gpu_ids]
    assert all(r.tier > feasible[0].tier for r in colab_g4)
    assert "gives" in verdict_line(december, recs, workload) and "of that speed" in verdict_line(december, recs,
                                                                                                 workload)


def test_w5_an_inference_api_goes_to_a_platform_that_serves_endpoints(december):
    # Notebook machines that stop after 6 h are no deployment; Modal (web endpoints) and Hugging Face Spaces are.
    _, recs, feasible = _ranked(december, kind="inference", needs={"deployment"})
    assert feasible[0].plan_id in ("modal-starter", "hf-spaces")
    assert all(r.plan.fact(PlanField.DEPLOYMENT) for r in feasible)
    assert not _by_id(recs)["gradient-pro"].feasible


def test_w6_education_is_priced_by_its_units_and_a_class_is_thirty_accounts(december):
    # 20 h of L4 are 34 units of the 100 included; the G4 would burn 8.71 units an hour, so it is not free for long.
    _, recs, feasible = _ranked(december, education=True)
    edu = _by_id(recs)["colab-pro-edu"]
    assert edu.feasible and edu.option.gpu_ids == ("l4",) and edu.monthly_cost_usd == 0
    _, recs, _ = _ranked(december, education=True, students=30, gpu_hours_per_month=40)
    edu = _by_id(recs)["colab-pro-edu"]
    assert edu.students == 30 and edu.total_cost_usd == pytest.approx(30 * edu.monthly_cost_usd)


def test_w7_multi_gpu_means_machines_with_several_gpus(december):
    _, recs, feasible = _ranked(december, multi_gpu=True)
    assert feasible and all(r.option.gpu_count >= 2 for r in feasible)
    assert len({r.plan_id for r in feasible}) >= 3  # Kaggle, Paperspace, JarvisLabs, Lambda, Modal offer them
    single = _by_id(recs)["runpod-community"]
    assert not single.feasible and ReasonCode.SINGLE_GPU in {x.code for x in single.reasons}


def test_w8_required_predictability_excludes_dynamic_quotas(december):
    _, recs, feasible = _ranked(december, predictability="require")
    assert feasible[0].plan_id == "kaggle-free"
    assert ReasonCode.ACCESS in {x.code for x in _by_id(recs)["colab-free"].reasons}


def test_w9_80_gb_training_does_not_lead_with_a_scarce_pool(december):
    # Colab's G4 pool is scarce on every Colab plan: paying for it is no dependable speed.
    _, recs, feasible = _ranked(december, kind="training", gpu_memory_gib=80, gpu_hours_per_month=30, session_hours=8)
    assert feasible[0].plan.gpu_pool != "colab" and feasible[0].tier == 0
    for plan_id in ("colab-payg", "colab-pro", "colab-pro-plus"):
        rec = _by_id(recs)[plan_id]
        assert not rec.feasible or (rec.tier >= 1 and CaveatCode.SCARCE in {c.code for c in rec.caveats})


def test_w10_tiny_jobs_start_free_and_a_few_cents_buy_a_fast_gpu(december):
    workload, recs, feasible = _ranked(december, gpu_hours_per_month=2, session_hours=0.5)
    assert feasible[0].monthly_cost_usd == 0 and not feasible[0].needs_card
    assert "times faster" in verdict_line(december, recs, workload)


def test_w11_free_eight_hour_sessions_exclude_studio_lab(december):
    _, recs, feasible = _ranked(december, free_only=True, session_hours=8, gpu_hours_per_month=40)
    assert feasible[0].plan_id == "kaggle-free"
    assert ReasonCode.SESSION in {x.code for x in _by_id(recs)["studiolab-free"].reasons}


def test_persona_a_broke_student_fine_tuning_mistral_7b_with_qlora(december):
    # The model gives the memory (a 4-bit 7B fits a T4) and the hours; free plans without a card come first.
    workload, recs, feasible = _ranked(december, kind="training", model="mistral 7b", method="qlora", samples=20_000,
                                       free_only=True, session_hours=4, gpu_hours_per_month=52,
                                       nice_to_have={"background"})
    assert feasible[0].plan_id == "kaggle-free"
    assert feasible[0].job is not None and feasible[0].job.sessions >= 1
    assert "your job takes about" in verdict_line(december, recs, workload)


def test_persona_b_hobbyist_with_ten_dollars_and_two_notebooks_in_the_background(december):
    # 16 GB rules out the T4s; nothing with background execution and private notebooks fits $10 for 87 h: the
    # verdict names the nearest miss instead of an empty page.
    workload, recs, feasible = _ranked(december, gpu_memory_gib=16, session_hours=9, gpu_hours_per_month=87,
                                       notebooks_at_once=2, budget_usd_per_month=10, predictability="prefer",
                                       needs={"background", "private"})
    assert not feasible
    assert verdict_line(december, recs, workload).startswith("No plan meets every requirement. The closest is")


def test_persona_c_phd_student_is_told_the_4090_class_is_just_over_budget(december):
    workload, recs, feasible = _ranked(december, kind="training", gpu_memory_gib=24, session_hours=12,
                                       gpu_hours_per_month=157, budget_usd_per_month=50, predictability="require",
                                       nice_to_have={"private"})
    assert not feasible
    closest = recs[0]
    assert {x.code for x in closest.reasons} == {ReasonCode.BUDGET} and closest.total_cost_usd <= 75
    assert "The closest is" in verdict_line(december, recs, workload)


def test_persona_d_teacher_of_thirty_without_cards(december):
    # Each student has their own account; no card: plans that charge are out; Colab Pro for Education (the class is
    # in Ohio) and Kaggle serve them at $0.
    _, recs, feasible = _ranked(december, kind="training", gpu_memory_gib=8, session_hours=2, gpu_hours_per_month=13,
                                students=30, budget_usd_per_month=150, needs={"private"}, cannot_provide={"card"},
                                education=True)
    assert {r.plan_id for r in feasible[:2]} <= {"colab-pro-edu", "kaggle-free"}
    assert all(r.total_cost_usd == 0 for r in feasible)
    assert ReasonCode.REQUIREMENT in {x.code for x in _by_id(recs)["colab-payg"].reasons}


def test_persona_e_startup_api_needs_an_endpoint_that_stays_up(december):
    # 24/7 inference with deployment: notebook plans with a session cap fail, Colab is never offered for it.
    _, recs, feasible = _ranked(december, kind="inference", gpu_memory_gib=24, session_hours=720,
                                gpu_hours_per_month=730, budget_usd_per_month=600, predictability="require",
                                needs={"deployment"})
    assert not any(r.plan.gpu_pool == "colab" for r in feasible)
    for plan_id in ("colab-pro", "colab-payg"):
        assert not _by_id(recs)[plan_id].feasible


def test_persona_f_student_with_seven_dollars_gets_a_free_t4(december):
    _, recs, feasible = _ranked(december, kind="training", gpu_memory_gib=12, session_hours=5, gpu_hours_per_month=61,
                                budget_usd_per_month=7)
    assert feasible[0].plan_id == "kaggle-free"
