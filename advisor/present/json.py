"""JSON-ready forms of the core's results, for the CLI's --json, the API and the app's downloads. Plain Python
types only (numbers rounded, enums as their strings), so json.dumps never needs a custom encoder."""
from __future__ import annotations

from ..catalog import Catalog, Gpu, GpuOption, Plan, Provenance
from ..costs import Cost
from ..distributions import ScoreSummary, score_book
from ..recommend import Recommendation, Verdict, job_estimate, verdict
from ..vocab import Metric
from ..workload import Workload
from .labels import gpu_text, verdict_line, why_text


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def provenance_json(p: Provenance) -> dict:
    return p.to_dict()


def score_json(score: ScoreSummary | None) -> dict | None:
    if score is None:
        return None
    return {"metric": str(score.metric), "mean": _round(score.mean), "sd": _round(score.sd), "p10": _round(score.p10),
            "p50": _round(score.p50), "p90": _round(score.p90), "cv": _round(score.cv, 4), "basis": str(score.basis),
            "basis_detail": score.basis_detail, "n": score.n, "estimate_error_pct": _round(score.error_pct),
            "components": [{"gpu_id": c.gpu_id, "share": round(c.share, 4), "mean": _round(c.mean), "sd": _round(c.sd),
                            "estimated": c.estimated} for c in score.components]}


def cost_json(cost: Cost) -> dict:
    return {"total_usd": _round(cost.total_usd, 2),
            "lines": [{"label": line.label, "usd": round(line.usd, 2)} for line in cost.lines],
            "quota_hours_per_month": _round(cost.quota_hours_per_month),
            "unused_units_per_month": _round(cost.unused_units_per_month)}


def option_json(catalog: Catalog, plan: Plan, option: GpuOption, metric: Metric = Metric.AI) -> dict:
    found = catalog.availability(plan, option)
    return {"option": option.option, "gpu_count": option.gpu_count,
            "gpus": [{"gpu_id": g, "share": round(s, 4)} for g, s in option.shares],
            "availability": None if found is None else {"status": str(found.availability),
                                                        **provenance_json(found.provenance)},
            "score": score_json(score_book(catalog).option_score(plan, option, metric))}


def plan_json(catalog: Catalog, plan: Plan) -> dict:
    options = [option_json(catalog, plan, o) for o in plan.options]
    best = max((o["score"] for o in options if o["score"]), key=lambda s: s["mean"], default=None)
    return {"plan_id": plan.plan_id, "platform": plan.platform, "plan": plan.tier, "price_model": str(plan.price_model),
            "monthly_price_usd": plan.monthly_price_usd, "url": plan.url, "limits": plan.limits(), "options": options,
            "score": best, "as_of": catalog.as_of.isoformat(), "sources": plan.sources()}


def plans_json(catalog: Catalog) -> list[dict]:
    return [plan_json(catalog, plan) for plan in catalog.plans.values()]


def gpu_json(catalog: Catalog, gpu: Gpu) -> dict:
    book = score_book(catalog)
    scores = {}
    for metric in Metric:
        s = book.gpu_score(gpu.gpu_id, metric)
        scores[str(metric)] = None if s is None else {
            "mean": _round(s.mean), "sd": _round(s.sd), "n": s.n, "estimated": s.estimated,
            "estimate_error_pct": _round(s.error_pct), "basis": s.detail}
    return {"gpu_id": gpu.gpu_id, "name": gpu.name, "vendor": gpu.vendor, "memory_gib": gpu.memory_gib,
            "fp32_tflops": gpu.fp32_tflops, "fp16_tflops": gpu.fp16_tflops,
            "memory_bandwidth_gbps": gpu.memory_bandwidth_gbps, "scores": scores,
            "source": provenance_json(gpu.provenance)}


def recommendation_json(catalog: Catalog, rec: Recommendation, workload: Workload, n_feasible: int) -> dict:
    return {
        "rank": rec.rank, "plan_id": rec.plan_id, "platform": rec.plan.platform, "plan": rec.plan.tier,
        "option": rec.option.option, "gpu": gpu_text(catalog, rec.option), "gpu_count": rec.option.gpu_count,
        "feasible": rec.feasible,
        "reasons": [{"code": str(r.code), "text": r.text} for r in rec.reasons],
        "caveats": [{"code": str(c.code), "text": c.text} for c in rec.caveats],
        "monthly_cost_usd": _round(rec.monthly_cost_usd, 2), "cost_breakdown": cost_json(rec.cost),
        "students": rec.students, "total_cost_usd": _round(rec.total_cost_usd, 2), "needs_card": rec.needs_card,
        "session_limit": {"hours": rec.session.hours, "known": rec.session.known, "basis": rec.session.basis},
        "tier": rec.tier, "access_risks": rec.risks, "job": job_json(rec.job),
        "score": score_json(rec.score), "usd_per_1k_score": _round(rec.usd_per_1k_score, 4),
        "reference_job_hours": _round(rec.reference_job_hours, 2),
        "reference_job_sessions": rec.reference_job_sessions,
        "memory_probability": round(rec.memory_probability, 4), "nice_to_have_met": rec.nice_to_have_met,
        "limits": rec.plan.limits(), "why": why_text(catalog, rec, workload, n_feasible),
        "stale_facts": [{"fact": f.subject, "value": f.value, "disputed": f.disputed, **provenance_json(f.provenance)}
                        for f in rec.stale_facts],
        "sources": rec.plan.sources(),
    }


def job_json(job) -> dict | None:
    """The user's job on a plan: hours to finish (median, p10, p90), sessions, money to finish, basis."""
    if job is None:
        return None
    return {"hours": _round(job.hours, 3) if job.supported else None, "low": _round(job.low, 3) if job.supported
            else None, "high": _round(job.high, 3) if job.supported else None, "sessions": job.sessions,
            "cost_usd": _round(job.cost_usd, 2), "supported": job.supported, "basis": job.basis}


def verdict_json(v: Verdict) -> dict:
    """The verdict's computed claims (what the sentence may say), plan ids for the plans it names."""
    return {"top": None if v.top is None else v.top.plan_id, "feasible": v.n_feasible, "is_free": v.is_free,
            "needs_card": v.needs_card, "fastest_free": v.fastest_free, "cheapest": v.cheapest, "fastest": v.fastest,
            "near_fastest_for_less": v.near_fastest_for_less, "best_value": v.best_value,
            "free_choice": None if v.free_choice is None else v.free_choice.plan_id,
            "free_speedup": _round(v.free_speedup, 2),
            "upgrade": None if v.upgrade is None else v.upgrade.plan_id,
            "upgrade_speedup": _round(v.upgrade_speedup, 2)}


def job_summary_json(catalog: Catalog, workload: Workload) -> dict | None:
    """What was derived from the job the workload describes: the sentence and the GPU memory it needs."""
    estimate = job_estimate(catalog, workload)
    if estimate is None:
        return None
    return {"derived": estimate.derived, "memory_gib": estimate.memory_gib,
            "memory_breakdown": dict(estimate.memory_breakdown)}


def recommend_json(catalog: Catalog, workload: Workload, recs: list[Recommendation]) -> dict:
    n_feasible = sum(r.feasible for r in recs)
    return {"as_of": catalog.as_of.isoformat(), "workload": workload.to_dict(),
            "preference": str(workload.preference), "verdict": verdict_line(catalog, recs, workload),
            "claims": verdict_json(verdict(recs, workload)), "job": job_summary_json(catalog, workload),
            "recommendations": [recommendation_json(catalog, r, workload, n_feasible) for r in recs]}
