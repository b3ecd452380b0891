"""The short phrases every front end shows: money, scores with their basis, GPU lists, the one-line verdict,
the "why" of a rank and the "not suitable" lines. The CLI, the API, the app and the chat all call these."""
from __future__ import annotations

from ..catalog import Catalog, GpuOption, Plan
from ..distributions import ScoreSummary
from ..recommend import Recommendation
from ..vocab import Basis, Metric, PriceModel, RateUnit
from ..workload import REQUIRED_MAX_CV, Workload

ESTIMATE_MARK = "~"
STALE_MARK = "*"


def money(usd: float | None, zero: str = "$0.00") -> str:
    """'$3.42'; '-' when unknown."""
    if usd is None:
        return "-"
    return zero if usd == 0 else f"${usd:,.2f}"


def score_text(score: ScoreSummary | None, mark: bool = True) -> str:
    """'13,427 ± 652', with '~' in front of an estimate; '-' when there is none."""
    if score is None:
        return "-"
    prefix = ESTIMATE_MARK if mark and score.estimated else ""
    return f"{prefix}{score.mean:,.0f} ± {score.sd:,.0f}"


def basis_text(score: ScoreSummary | None) -> str:
    """'measured (n=5)', 'modelled', 'estimated (±51%)'."""
    if score is None:
        return "-"
    if score.basis is Basis.ESTIMATED:
        return f"estimated (±{score.error_pct:.0f}%)"
    if score.basis is Basis.MEASURED:
        return f"measured (n={score.n})"
    return "modelled from measured GPUs"


def gpu_text(catalog: Catalog, option: GpuOption, short: bool = False) -> str:
    """'Tesla T4', '2 x Tesla T4', or a lottery 'Tesla K80 (67%) / Tesla P100 PCIe 16 GB (27%) / ...'.
    short: ids instead of names ('k80 67% / p100 27% / t4 7%'), for narrow tables."""
    if option.is_lottery:
        if short:
            return " / ".join(f"{g} {s:.0%}" for g, s in option.shares)
        return " / ".join(f"{catalog.gpus[g].name} ({s:.0%})" for g, s in option.shares)
    name = catalog.gpus[option.shares[0][0]].name
    return f"{option.gpu_count} x {name}" if option.gpu_count > 1 else name


def price_text(catalog: Catalog, plan: Plan, option: GpuOption) -> str:
    """The plan's price for this option as published: '$9.99/month + 1.19 units/h', '$0.59/h', 'free'."""
    if plan.price_model is PriceModel.FREE:
        return "free"
    parts = [f"${plan.monthly_price_usd:g}/month"] if plan.monthly_price_usd else []
    rate = catalog.rate(plan, option.shares[0][0]) if not option.is_lottery else None
    if rate is not None:
        if rate.unit is RateUnit.USD_PER_HOUR:
            parts.append(f"${rate.rate:g}/h")
            needed = catalog.plans.get(rate.requires_plan or "")
            if needed is not None:
                parts.append(f"{needed.label} (${needed.monthly_price_usd:g}/month)")
        else:
            parts.append(f"{rate.rate:g} units/h")
    return " + ".join(parts) or "free"


def reasons_text(rec: Recommendation) -> str:
    return "; ".join(r.text for r in rec.reasons)


def unsuitable_lines(recs: list[Recommendation]) -> list[tuple[Plan, str]]:
    """(plan, its reasons) for every infeasible recommendation, in order."""
    return [(r.plan, reasons_text(r)) for r in recs if not r.feasible]


def why_text(catalog: Catalog, rec: Recommendation, workload: Workload, n_feasible: int) -> str:
    """One sentence on a plan's rank, or why it does not fit."""
    if not rec.feasible:
        return "Not suitable: " + reasons_text(rec) + "."
    score = rec.score
    label = workload.metric.label
    estimated = f" (estimated, ±{score.error_pct:.0f}%)" if score.estimated else ""
    cost = "free" if not rec.monthly_cost_usd else \
        f"{money(rec.monthly_cost_usd)} a month ({_per_1k(rec)} per 1,000 points)"
    lead = "Best value" if rec.rank == 1 else f"#{rec.rank} of {n_feasible}"
    text = f"{lead}: {cost}, expected {label} {score.mean:,.0f}{estimated}, p10–p90 {score.p10:,.0f}–{score.p90:,.0f}"
    if rec.option.is_lottery:
        text += "; the GPU is a lottery: " + gpu_text(catalog, rec.option)
    elif score.cv <= REQUIRED_MAX_CV:
        text += f"; steady from session to session (spread {score.cv:.0%})"
    if rec.reference_job_hours is not None:
        text += f"; your reference job takes about {rec.reference_job_hours:.1f} h"
    return text + "."


def _per_1k(rec: Recommendation) -> str:
    return "-" if rec.usd_per_1k_score is None else f"${rec.usd_per_1k_score:.3f}"


def article(phrase: str) -> str:
    """'an' before a vowel sound ('an AI score', 'an inference score'), else 'a' ('a training score')."""
    first = str(phrase).strip()[:1]
    return "an" if first and first in "aeiouAEIOU" else "a"


def verdict_line(catalog: Catalog, recs: list[Recommendation], workload: Workload) -> str:
    """The one-line answer above a ranking: which plan, and because of what."""
    feasible = [r for r in recs if r.feasible]
    if not feasible:
        return "No plan meets every requirement; the reasons are listed below."
    top = feasible[0]
    free = [r for r in feasible if not r.monthly_cost_usd]
    if top.monthly_cost_usd == 0 and len(free) > 1:
        because = f"the fastest free plan for your work ({workload.metric.label} {top.score.mean:,.0f} on the " \
                  f"{gpu_text(catalog, top.option)})"
    elif top.monthly_cost_usd == 0:
        because = f"the only free plan that fits ({gpu_text(catalog, top.option)})"
    else:
        because = (f"the lowest price per point of speed: {money(top.monthly_cost_usd)} a month for "
                   f"{article(workload.metric.label)} {workload.metric.label} of about {top.score.mean:,.0f} on the "
                   f"{gpu_text(catalog, top.option)}")
    return f"{top.plan.label}: {because}."


def escape_markdown(text: str) -> str:
    """Our own Markdown made safe for Streamlit: '$' would start mathematics, so it is escaped."""
    return str(text).replace("$", "\\$")


_MARKDOWN_SPECIAL = "\\`*_{}[]<>()#+-.!|~$"


def plain_markdown(text: str) -> str:
    """A user's text shown as typed inside Markdown: every character Markdown (or Streamlit's mathematics) would
    interpret is escaped, and line breaks are kept."""
    escaped = "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in str(text))
    return escaped.replace("\n", "  \n")


def run_parts(scores) -> list[tuple[Metric, float | None, float | None, float | None]]:
    """A run's three scores as (metric, value, low, high); low and high are None where the run has no interval
    (a full run's scores are measured, not estimated)."""
    return [(metric, getattr(scores, metric.value), getattr(scores, f"{metric.value}_low", None),
             getattr(scores, f"{metric.value}_high", None))
            for metric in (Metric.AI, Metric.INFERENCE, Metric.TRAINING)]


def run_basis_text(run) -> str:
    """What a run's scores rest on: "quick-mode estimates with 90% intervals, from 8 sub-tests in 43 s of a 45 s
    budget", or "measured on 42 sub-tests"."""
    if str(run.mode) == "quick" and run.scores.ai_low is not None:
        level = f"{run.scores.interval_level:.0%} " if run.scores.interval_level else ""
        seconds = "" if run.measured_s is None else f" in {run.measured_s:.0f} s"
        budget = "" if run.budget_s is None else f" of a {run.budget_s:.0f} s budget"
        return f"quick-mode estimates with {level}intervals, from {run.tests_used} sub-tests{seconds}{budget}"
    return f"measured on {run.tests_used} sub-test{'s' if run.tests_used != 1 else ''}"


def progress_text(p) -> str:
    """A benchmark's progress in words: in quick mode the budget spent and the AI estimate with its interval
    narrowing as sub-tests finish; in a full run the sub-test count and the time left."""
    if p.budget_s:
        text = f"{p.budget_s - p.eta_s:.0f} of {p.budget_s:.0f} s, {p.index} sub-tests"
        if p.estimate is not None:
            ai = p.estimate.ai
            text += f", AI score {ESTIMATE_MARK}{ai.score:,.0f} ({ai.low:,.0f}-{ai.high:,.0f})"
        return text
    return f"sub-test {p.index} of {p.total}, {p.elapsed_s:.0f} s elapsed, about {p.eta_s:.0f} s left"


def progress_fraction(p) -> float:
    """How far a benchmark is, 0 to 1: the budget spent in quick mode, the sub-tests done in a full run."""
    if p.budget_s:
        return max(0.0, min(1.0, 1 - p.eta_s / p.budget_s))
    return max(0.0, min(1.0, p.index / p.total)) if p.total else 0.0
