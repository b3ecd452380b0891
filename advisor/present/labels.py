"""The short phrases every front end shows: money, scores with their basis, GPU lists, the one-line verdict,
the "why" of a rank and the "not suitable" lines. The CLI, the API, the app and the chat all call these."""
from __future__ import annotations

from ..catalog import Catalog, GpuOption, Plan
from ..distributions import ScoreSummary
from ..recommend import SPEED_STEP, Recommendation, plan_speed, verdict
from ..vocab import Basis, Metric, Preference, PriceModel, RateUnit
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
    score = rec.scored
    label = workload.metric.label
    estimated = f" (estimated, ±{score.error_pct:.0f}%)" if score.estimated else ""
    cost = cost_phrase(rec) if not rec.monthly_cost_usd else f"{cost_phrase(rec)} ({_per_1k(rec)} per 1,000 points)"
    lead = f"#{rec.rank} of {n_feasible}"
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


def cost_phrase(rec: Recommendation) -> str:
    """'free', 'free with a payment card', '$6.80 a month' ('$0.61 to finish your job' with a job), or for a class
    '$6.80 a month per student, $204.00 for 30'."""
    if rec.monthly_cost_usd == 0:
        return "free with a payment card" if rec.needs_card else "free"
    # With a job the plan is priced for finishing it (its hours in one month of the plan).
    period = "to finish your job" if rec.job is not None and rec.job.supported else "a month"
    text = f"{money(rec.monthly_cost_usd)} {period}"
    if rec.students > 1:
        text += f" per student, {money(rec.total_cost_usd)} for {rec.students}"
    return text


def _plan_gpu(catalog: Catalog, rec: Recommendation) -> str:
    return f"{rec.plan.label} ({gpu_text(catalog, rec.option)})"


def hours_text(hours: float) -> str:
    """'45 min', '3.2 h', '2.1 days' for a job's time."""
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def job_phrase(rec: Recommendation) -> str:
    """'about 3.2 h (p10-p90 2.1-4.8 h) in 1 session, $1.10' for the user's job on a plan."""
    job = rec.job
    if job is None:
        raise ValueError(f"{rec.plan_id}: no job to describe")
    sessions = f"in {job.sessions} session{'s' if job.sessions != 1 else ''}"
    cost = "free" if job.cost_usd == 0 else money(job.cost_usd)
    return f"about {hours_text(job.hours)} (p10-p90 {hours_text(job.low)}-{hours_text(job.high)}) {sessions}, {cost}"


def _speed_phrase(rec: Recommendation, workload: Workload) -> str:
    if rec.job is not None and rec.job.supported:
        return f"your job takes {job_phrase(rec)}"
    return f"{workload.metric.label} about {plan_speed(rec, workload):,.0f}"


def verdict_line(catalog: Catalog, recs: list[Recommendation], workload: Workload) -> str:
    """The answer above a ranking: which plan and why, then what the money buys or what free gives up. Every claim
    comes from recommend.verdict, computed from the ranking itself."""
    v = verdict(recs, workload)
    if v.top is None:
        if v.closest is None:
            return "No plan meets every requirement."
        c = v.closest
        return (f"No plan meets every requirement. The closest is {_plan_gpu(catalog, c)}: {reasons_text(c)}. "
                "Every plan's reasons are listed below.")
    top = v.top
    speed = _speed_phrase(top, workload)
    if v.n_feasible == 1:
        return f"{_plan_gpu(catalog, top)}: the only plan that fits, {cost_phrase(top)}; {speed}."
    budget = workload.budget_usd_per_month
    if v.preference is Preference.SPEED and v.fastest:
        why = "the fastest plan within your budget" if budget is not None else "the fastest plan that fits"
    elif v.preference is Preference.SPEED and v.near_fastest_for_less:
        within = "your budget buys" if budget else "that fits"
        why = f"within {SPEED_STEP - 1:.0%} of the fastest plan {within}, for less"
    elif v.preference is Preference.COST and v.cheapest:
        why = "the cheapest plan that fits"
    elif v.fastest_free:
        why = "the fastest free plan for your work"
    elif v.best_value:
        why = "the lowest price per point of speed" if top.job is None else "the least money to finish your job"
    elif v.best_value_in_tier and top.tier == 0:
        why = "the best value among plans with no known risk to your run"
    else:
        why = "first in the ranking"
    out = f"{_plan_gpu(catalog, top)}: {why}, {cost_phrase(top)}; {speed}."
    faster = lambda x: "faster" if x >= 1 else "as fast"  # noqa: E731
    if v.free_choice is not None and v.free_speedup is not None:
        free = v.free_choice
        job = f" (your job: {job_phrase(free)})" if free.job is not None and free.job.supported else ""
        out += (f" {_plan_gpu(catalog, free)} is {cost_phrase(free)}{job}; for {cost_phrase(top)} "
                f"{top.plan.label} is {v.free_speedup:.1f} times {faster(v.free_speedup)}.")
    if v.upgrade is not None and v.upgrade_speedup is not None:
        out += (f" For {cost_phrase(v.upgrade)}, {_plan_gpu(catalog, v.upgrade)} is "
                f"{v.upgrade_speedup:.1f} times faster.")
    if v.value_choice is not None and v.value_share is not None:
        out += (f" For {cost_phrase(v.value_choice)}, {_plan_gpu(catalog, v.value_choice)} gives "
                f"{v.value_share:.0%} of that speed.")
    return out


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
