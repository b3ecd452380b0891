"""Ranks the catalog's plans for a workload: hard constraints first, then price per point of speed.

The rule (also in the README):
1. A plan is feasible when it meets every hard constraint: GPU memory (in at least MEMORY_MIN_PROBABILITY of
   sessions where the GPU is a lottery), session length, notebooks at once, free quota, budget, free only,
   needs, and, with predictability 'require', a score spread (coefficient of variation) of at most 10%.
   Limits a platform does not publish do not fail a plan; they are listed as caveats. A need a platform does not
   document as offered fails it.
2. Feasible plans are ranked by price per score: monthly cost / (expected score / 1000), lowest first. With
   predictability 'prefer', the expected score is replaced by the 10th percentile: what a bad session gives.
3. Ties (every free plan costs $0) go to the higher score, then the lower cost, then the plan id.
Where a plan lets the user pick the GPU (Colab Pro, Gradient Pro, Kaggle, hourly machines), every option is
judged and the plan is represented by its best one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .catalog import Catalog, GpuOption, Plan
from .costs import Cost, monthly_cost
from .distributions import METRIC_LABEL, ScoreSummary
from .workload import REQUIRED_MAX_CV, Workload

MEMORY_MIN_PROBABILITY = 0.9
NEED_FIELDS = {
    "selectable-timeout": ("selectable_timeout", "a selectable timeout"),
    "background": ("background_execution", "background execution"),
    "deployment": ("deployment", "deploying notebooks as services"),
    "private": ("private_notebooks", "private notebooks"),
}


@dataclass(frozen=True)
class Recommendation:
    """The verdict on one plan for one workload (costs in USD per month, scores in points, times in hours)."""

    rank: int | None
    plan_id: str
    platform: str
    plan: str
    option: str
    gpu: str
    feasible: bool
    reasons: tuple[str, ...]
    caveats: tuple[str, ...]
    monthly_cost_usd: float | None
    cost: Cost | None
    score: ScoreSummary | None
    usd_per_1k_score: float | None
    reference_job_hours: float | None
    memory_probability: float
    limits: dict
    why: str
    sources: tuple[dict, ...]

    def to_dict(self) -> dict:
        return {
            "rank": self.rank, "plan_id": self.plan_id, "platform": self.platform, "plan": self.plan,
            "option": self.option, "gpu": self.gpu, "feasible": self.feasible, "reasons": list(self.reasons),
            "caveats": list(self.caveats),
            "monthly_cost_usd": None if self.monthly_cost_usd is None else round(self.monthly_cost_usd, 2),
            "cost_breakdown": None if self.cost is None else self.cost.to_dict(),
            "score": None if self.score is None else self.score.to_dict(),
            "usd_per_1k_score": None if self.usd_per_1k_score is None else round(self.usd_per_1k_score, 4),
            "reference_job_hours": None if self.reference_job_hours is None else round(self.reference_job_hours, 2),
            "memory_probability": round(self.memory_probability, 4), "limits": self.limits, "why": self.why,
            "sources": list(self.sources),
        }


def plan_limits(plan: Plan) -> dict:
    """The limits and capabilities in force, with None for what the platform does not publish."""
    names = ("session_limit_hours", "idle_timeout_minutes", "notebooks_running_max", "notebooks_total_max",
             "gpu_hours_per_week", "gpu_hours_per_day", "ram_gib", "cpus", "selectable_timeout",
             "background_execution", "deployment", "private_notebooks")
    return {name: plan.fact(name) for name in names}


def reference_score(catalog: Catalog, workload: Workload) -> float | None:
    """The reference device's score for the workload's metric. Raises UnknownGpuError for an unknown GPU."""
    if workload.reference_score is not None:
        return workload.reference_score
    if workload.reference_gpu is None:
        return None
    gpu = catalog.gpu(workload.reference_gpu)
    score = catalog.scores.gpu_score(gpu.gpu_id, workload.metric)
    return None if score is None else score.mean


def _gpu_text(catalog: Catalog, option: GpuOption) -> str:
    if option.is_lottery:
        return " / ".join(f"{catalog.gpus[g].name} ({s:.0%})" for g, s in option.shares)
    return catalog.gpus[option.shares[0][0]].name


def _judge(catalog: Catalog, plan: Plan, option: GpuOption, workload: Workload, ref_score: float | None) -> dict:
    reasons: list[str] = []
    caveats: list[str] = []
    metric = workload.metric
    score = catalog.scores.option_score(plan, option, metric)
    cost = monthly_cost(catalog, plan, option, workload)
    memory_p = catalog.scores.memory_probability(option, workload.gpu_memory_gib)

    if workload.gpu_memory_gib > 0:
        if memory_p < MEMORY_MIN_PROBABILITY:
            share = "no session gets" if memory_p == 0 else f"only {memory_p:.0%} of sessions get"
            reasons.append(f"{share} {workload.gpu_memory_gib:g} GiB of GPU memory")
        elif memory_p < 1:
            caveats.append(f"{1 - memory_p:.0%} of sessions get a GPU with less than {workload.gpu_memory_gib:g} GiB")
    session = plan.fact("session_limit_hours")
    if session is None:
        caveats.append("no published session limit")
    elif session < workload.session_hours:
        reasons.append(f"sessions end after {session:g} h; you need {workload.session_hours:g} h uninterrupted")
    running = plan.fact("notebooks_running_max")
    if running is None:
        if workload.notebooks_at_once > 1:
            caveats.append("no published limit on notebooks running at once")
    elif running < workload.notebooks_at_once:
        reasons.append(f"runs {running} notebook{'s' if running > 1 else ''} at once; you need {workload.notebooks_at_once}")
    if cost.problem:
        reasons.append(cost.problem)
    if workload.free_only and plan.price_model != "free":
        reasons.append("not free")
    if workload.budget_usd_per_month is not None and not math.isnan(cost.total_usd) \
            and cost.total_usd > workload.budget_usd_per_month + 1e-9:
        reasons.append(f"costs ${cost.total_usd:.2f} a month; your budget is ${workload.budget_usd_per_month:g}")
    for need in sorted(workload.needs):
        fact_name, text = NEED_FIELDS[need]
        value = plan.fact(fact_name)
        if value is None:
            reasons.append(f"{text}: not documented for this plan")
        elif not value:
            reasons.append(f"no {text}")
    if score is None:
        reasons.append(f"no measured or estimated {METRIC_LABEL[metric]} for its GPU")
    elif workload.predictability == "require" and score.cv > REQUIRED_MAX_CV:
        reasons.append(f"scores vary by {score.cv:.0%} (sd/mean) from session to session; you require at most "
                       f"{REQUIRED_MAX_CV:.0%}")
    if score is not None and score.basis == "estimated":
        caveats.append(f"score estimated from spec sheets (±{score.error_pct:.0f}%)")

    rank_score = None if score is None else (score.p10 if workload.predictability == "prefer" else score.mean)
    usd = None if math.isnan(cost.total_usd) else cost.total_usd
    per_1k = None if usd is None or not rank_score else usd / (rank_score / 1000)
    ref_hours = None
    if ref_score is not None and score is not None and score.mean > 0:
        ref_hours = workload.reference_hours * ref_score / score.mean
        if session is not None and ref_hours > session:
            caveats.append(f"your reference job would take about {ref_hours:.1f} h here, longer than a {session:g} h session")
    return {"option": option, "reasons": reasons, "caveats": caveats, "score": score, "cost": cost, "usd": usd,
            "per_1k": per_1k, "rank_score": rank_score, "ref_hours": ref_hours, "memory_p": memory_p}


def _order_key(v: dict):
    return (v["per_1k"] if v["per_1k"] is not None else math.inf, -(v["rank_score"] or 0),
            v["usd"] if v["usd"] is not None else math.inf)


def _why(catalog: Catalog, plan: Plan, v: dict, workload: Workload, rank: int | None, n_feasible: int) -> str:
    score: ScoreSummary | None = v["score"]
    if v["reasons"]:
        return "Not suitable: " + "; ".join(v["reasons"]) + "."
    label = METRIC_LABEL[workload.metric]
    estimated = f" (estimated, ±{score.error_pct:.0f}%)" if score.basis == "estimated" else ""
    spread = (f"p10–p90 {score.p10:,.0f}–{score.p90:,.0f}")
    cost = "free" if not v["usd"] else f"${v['usd']:.2f} a month (${v['per_1k']:.3f} per 1,000 points)"
    lead = "Best value" if rank == 1 else f"#{rank} of {n_feasible}"
    text = f"{lead}: {cost}, expected {label} {score.mean:,.0f}{estimated}, {spread}"
    if v["option"].is_lottery:
        text += "; the GPU is a lottery: " + _gpu_text(catalog, v["option"])
    elif score.cv <= REQUIRED_MAX_CV:
        text += f"; predictable (spread {score.cv:.0%})"
    if v["ref_hours"] is not None:
        text += f"; your reference job takes about {v['ref_hours']:.1f} h"
    return text + "."


def recommend(catalog: Catalog, workload: Workload) -> list[Recommendation]:
    """Every plan in the catalog judged for `workload`: feasible ones first in rank order, then the rest.

    Raises UnknownGpuError when workload.reference_gpu is not in the catalog.
    """
    ref_score = reference_score(catalog, workload)
    verdicts = []
    for plan in catalog.plans.values():
        judged = [_judge(catalog, plan, option, workload, ref_score) for option in plan.options]
        feasible = [v for v in judged if not v["reasons"]]
        best = min(feasible, key=_order_key) if feasible else min(judged, key=lambda v: (len(v["reasons"]), _order_key(v)))
        verdicts.append((plan, best))
    feasible = sorted([pv for pv in verdicts if not pv[1]["reasons"]], key=lambda pv: (_order_key(pv[1]), pv[0].plan_id))
    rest = sorted([pv for pv in verdicts if pv[1]["reasons"]], key=lambda pv: (len(pv[1]["reasons"]), _order_key(pv[1]), pv[0].plan_id))
    out = []
    for i, (plan, v) in enumerate(feasible + rest):
        rank = i + 1 if i < len(feasible) else None
        out.append(Recommendation(
            rank=rank, plan_id=plan.plan_id, platform=plan.platform, plan=plan.plan, option=v["option"].option,
            gpu=_gpu_text(catalog, v["option"]), feasible=rank is not None, reasons=tuple(v["reasons"]),
            caveats=tuple(v["caveats"]), monthly_cost_usd=v["usd"], cost=v["cost"], score=v["score"],
            usd_per_1k_score=v["per_1k"], reference_job_hours=v["ref_hours"], memory_probability=v["memory_p"],
            limits=plan_limits(plan), why=_why(catalog, plan, v, workload, rank, len(feasible)),
            sources=tuple(plan.sources())))
    return out
