"""Table rows (lists of dicts with human column names) for the app's compare, data and benchmark pages."""
from __future__ import annotations

import datetime as dt

from ..catalog import Catalog, RawCatalog
from ..distributions import score_book
from ..vocab import Metric, PlanField, PriceModel, RateUnit
from .labels import basis_text, gpu_text, money, price_text


def _yes_no(value) -> str | None:
    if value is None:
        return None
    return "yes" if value else "no"


def compare_rows(catalog: Catalog, platforms: set[str] | None = None, free_only: bool = False,
                 min_memory_gib: float = 0) -> list[dict]:
    """One row per plan option: price, GPU, AI score with its basis, limits and features (None: not published)."""
    book = score_book(catalog)
    rows = []
    for plan in catalog.plans.values():
        if platforms is not None and plan.platform not in platforms:
            continue
        if free_only and plan.price_model is not PriceModel.FREE:
            continue
        for option in plan.options:
            if min_memory_gib and book.memory_probability(option, min_memory_gib) < 1:
                continue
            score = book.option_score(plan, option, Metric.AI)
            seen = catalog.availability(plan, option)
            rows.append({
                "plan": plan.label, "GPU": gpu_text(catalog, option), "price": price_text(catalog, plan, option),
                "AI score": None if score is None else round(score.mean),
                "± sd": None if score is None else round(score.sd),
                "basis": basis_text(score), "available": "yes" if seen is None else seen.availability.label,
                "session (h)": plan.fact(PlanField.SESSION_LIMIT_HOURS),
                "idle (min)": plan.fact(PlanField.IDLE_TIMEOUT_MINUTES),
                "at once": plan.fact(PlanField.NOTEBOOKS_RUNNING_MAX),
                "free GPU h/week": plan.fact(PlanField.GPU_HOURS_PER_WEEK),
                "background": _yes_no(plan.fact(PlanField.BACKGROUND_EXECUTION)),
                "private": _yes_no(plan.fact(PlanField.PRIVATE_NOTEBOOKS)),
                "deploy": _yes_no(plan.fact(PlanField.DEPLOYMENT)),
                "pick timeout": _yes_no(plan.fact(PlanField.SELECTABLE_TIMEOUT)),
                "plan_id": plan.plan_id,
            })
    return rows


def fact_rows(raw: RawCatalog, catalog: Catalog, today: dt.date) -> list[dict]:
    """Every observation of every plan fact, marked in force (binding), disputed, stale or unverified."""
    in_force = {id(o) for p in catalog.plans.values() for o in p.observations_in_force()}
    plans = {pid: f"{meta['platform']} {meta['tier']}" for pid, meta in raw.plans.items()}
    return [{"plan": plans[o.plan_id], "fact": o.field.label,
             "value": _yes_no(o.value) if isinstance(o.value, bool) else f"{o.value:g}",
             "as of": o.provenance.as_of.isoformat(), "in force": id(o) in in_force,
             "stale": o.provenance.is_stale(today), "status": o.provenance.status.label,
             "confidence": str(o.provenance.confidence), "source": o.provenance.source, "note": o.provenance.note}
            for o in raw.facts]


def allocation_rows(raw: RawCatalog) -> list[dict]:
    plans = {pid: f"{meta['platform']} {meta['tier']}" for pid, meta in raw.plans.items()}
    return [{"plan": plans[p], "option": o.option,
             "GPUs": ", ".join(f"{raw.gpus[g].name} {s:.0%}" for g, s in o.shares)
             + (f" (x{o.gpu_count})" if o.gpu_count > 1 else ""),
             "as of": o.provenance.as_of.isoformat(), "confidence": str(o.provenance.confidence),
             "source": o.provenance.source} for p, o in raw.options]


def rate_rows(raw: RawCatalog, today: dt.date) -> list[dict]:
    return [{"rate card": r.rate_card, "GPU": raw.gpus[r.gpu_id].name, "rate": r.rate, "unit": r.unit.label,
             "terms": r.term.label, "statistic": r.statistic.label, "needs plan": r.requires_plan,
             "as of": r.provenance.as_of.isoformat(), "stale": r.provenance.is_stale(today),
             "status": r.provenance.status.label, "source": r.provenance.source} for r in raw.rates]


def gpu_score_rows(catalog: Catalog) -> list[dict]:
    book = score_book(catalog)
    rows = []
    for gpu in catalog.gpus.values():
        for metric in Metric:
            s = book.gpu_score(gpu.gpu_id, metric)
            if s is not None:
                rows.append({"GPU": gpu.name, "score": metric.label, "points": round(s.mean),
                             "measured or estimated": f"estimated (±{s.error_pct:.0f}%)" if s.estimated
                             else f"measured (n={s.n})", "detail": s.detail})
    return rows


def evidence_rows(raw: RawCatalog) -> list[dict]:
    return [{"subject": e.subject, "what": e.subject_type.label, "score": e.metric.label, "n": e.n, "mean": e.mean,
             "sd": e.sd, "TensorFlow": e.tf_version or None, "precision": str(e.precision),
             "as of": e.provenance.as_of.isoformat(), "status": e.provenance.status.label,
             "source": e.provenance.source, "note": e.provenance.note} for e in raw.evidence]


def speedup_rows(catalog: Catalog, device_score: float, reference_hours: float | None = None,
                 metric: Metric = Metric.AI, limit: int | None = None) -> list[dict]:
    """How many times faster each plan option's average session is than a device scoring device_score points,
    and what a job of reference_hours on that device would take there; fastest first."""
    rows = []
    for plan, option, score, speedup in score_book(catalog).speedups(device_score, metric)[:limit]:
        row = {"plan": plan.label, "GPU": gpu_text(catalog, option), "times faster": round(speedup, 1),
               metric.label: f"{'~' if score.estimated else ''}{score.mean:,.0f}", "basis": basis_text(score)}
        if reference_hours:
            row["your job (h)"] = round(reference_hours / speedup, 2)
        rows.append(row)
    return rows


def plan_price_text(catalog: Catalog, plan, gpu_id: str) -> str:
    """A plan's price for one GPU in a few words: 'free', '$9.99/month + 1.19 units/h', '$0.69/h'."""
    parts = []
    if plan.monthly_price_usd:
        parts.append(f"{money(plan.monthly_price_usd)}/month")
    rate = catalog.rate(plan, gpu_id)
    if rate is not None and rate.rate:
        parts.append(f"{money(rate.rate)}/h" if rate.unit is RateUnit.USD_PER_HOUR else f"{rate.rate:g} units/h")
    return " + ".join(parts) or "free"


def machine_comparison_rows(catalog: Catalog, device_score: float, reference_hours: float | None = None,
                            metric: Metric = Metric.AI) -> list[dict]:
    """This machine against every GPU (or GPU lottery) the plans offer, one row per GPU, fastest first: how many
    times faster its average session is, what a job of reference_hours here would take there, and each plan that
    offers it with its price ('Kaggle Notebooks Free: free; Colab Pro: $9.99/month + 1.19 units/h')."""
    by_gpu: dict[str, dict] = {}
    for plan, option, score, speedup in score_book(catalog).speedups(device_score, metric):
        gpu = gpu_text(catalog, option)
        row = by_gpu.get(gpu)
        offer = f"{plan.label}: {plan_price_text(catalog, plan, option.gpu_ids[0])}"
        if row is None or speedup > row["times faster"]:
            kept = row["plans and prices"] if row else []
            row = {"GPU": gpu, "times faster": round(speedup, 1),
                   metric.label: f"{'~' if score.estimated else ''}{score.mean:,.0f}", "plans and prices": kept}
            if reference_hours:
                row["your job"] = duration_text(reference_hours / speedup)
            by_gpu[gpu] = row
        if offer not in row["plans and prices"]:
            row["plans and prices"].append(offer)
    rows = sorted(by_gpu.values(), key=lambda r: -r["times faster"])
    for r in rows:
        r["plans and prices"] = "; ".join(r["plans and prices"])
    return rows


def duration_text(hours: float) -> str:
    """'45 s', '12 min', '3.2 h', '2.5 days'."""
    if hours < 1 / 60:
        return f"{hours * 3600:.0f} s"
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"
