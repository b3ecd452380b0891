"""Plain-text tables for the terminal: plans, a ranking with its reasons and footnotes, stored runs.
Every value that came from a file or a user is escaped, so no control character reaches the terminal."""
from __future__ import annotations

from collections.abc import Sequence

from ..catalog import Catalog
from ..distributions import score_book
from ..recommend import Recommendation
from ..vocab import STALE_AFTER_DAYS, Metric
from ..workload import Workload
from .json import job_summary_json
from .labels import (
    ESTIMATE_MARK,
    STALE_MARK,
    basis_text,
    gpu_text,
    hours_text,
    money,
    price_text,
    progress_fraction,
    progress_text,
    run_basis_text,
    run_parts,
    score_text,
    unsuitable_lines,
    verdict_line,
    why_text,
)


def safe(text) -> str:
    """Text with every control or format character (escapes, newlines, bidi overrides) shown escaped."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text))


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns two spaces apart, a rule under the header, '-' for missing values."""
    rows = [[safe("-" if c is None or c == "" else c) for c in row] for row in rows]
    widths = [max([len(str(h))] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def plans_table(catalog: Catalog) -> str:
    book = score_book(catalog)
    rows = []
    for plan in catalog.plans.values():
        session = plan.fact("session_limit_hours")
        for option in plan.options:
            score = book.option_score(plan, option, Metric.AI)
            seen = catalog.availability(plan, option)
            rows.append([plan.plan_id, price_text(catalog, plan, option), gpu_text(catalog, option, short=True),
                         score_text(score), basis_text(score), "-" if session is None else f"{session:g} h",
                         "" if seen is None else str(seen.availability)])
    header = f"Plans as of {catalog.as_of.isoformat()} (AI score: mean ± sd; ~ marks an estimate)\n"
    return header + format_table(["plan", "price", "GPU", "AI score", "basis", "session", "availability"], rows)


def _job_cell(r: Recommendation) -> str:
    """'3.2 h (2.1-4.8, 1)' for the job's hours on a plan, '-' without a job."""
    if r.job is not None and r.job.supported:
        return f"{hours_text(r.job.hours)} ({hours_text(r.job.low)}-{hours_text(r.job.high)}, {r.job.sessions})"
    return "-" if r.reference_job_hours is None else f"{r.reference_job_hours:.1f} h"


def recommend_table(catalog: Catalog, workload: Workload, recs: list[Recommendation]) -> str:
    metric = workload.metric.label
    feasible = [r for r in recs if r.feasible]
    rows = []
    for r in feasible:
        gpu = gpu_text(catalog, r.option)
        if len(gpu) > 30:
            gpu = gpu_text(catalog, r.option, short=True)
        rows.append([f"{r.rank}{STALE_MARK if r.stale_facts else ''}", r.plan_id, gpu, money(r.monthly_cost_usd),
                     score_text(r.score), "-" if r.usd_per_1k_score is None else f"${r.usd_per_1k_score:.3f}",
                     _job_cell(r)])
    job = job_summary_json(catalog, workload)
    hours = "your job priced to finish" if job else f"{workload.gpu_hours_per_month:g} GPU h/month"
    out = [f"Recommendations as of {catalog.as_of.isoformat()} for {workload.kind} work, {hours} ({metric}: mean ± "
           "sd; ~ marks an estimate)", ""]
    if job:
        out += [f"Your job: {job['derived']}", ""]
    out += [verdict_line(catalog, recs, workload), ""]
    if rows:
        cost_head = "$ to finish" if job else "$/month"
        out.append(format_table(["#", "plan", "GPU", cost_head, metric, "$/1k score", "your job (p10-p90, sessions)"],
                                rows))
        out += ["", "Why:"]
        for r in feasible:
            out.append(f"  {r.rank}. {r.plan_id}: {why_text(catalog, r, workload, len(feasible))}")
            out += [f"       caveat: {c.text}" for c in r.caveats]
    else:
        out.append("No plan meets every requirement. Relax one of them; the reasons are below.")
    bad = unsuitable_lines(recs)
    if bad:
        out += ["", "Not suitable:"] + [f"  {plan.plan_id}: {reasons}" for plan, reasons in bad]
    stale = [r for r in feasible if r.stale_facts]
    if stale:
        out += ["", f"{STALE_MARK} rests on facts older than {STALE_AFTER_DAYS} days or disputed "
                    "(re-check before you pay):"]
        for r in stale:
            facts = "; ".join(f"{f.subject} {f.value}{' (disputed)' if f.disputed else ''} as of {f.provenance.as_of}"
                              for f in r.stale_facts)
            out.append(f"  {r.plan_id}: {facts}")
    return "\n".join(out)


def progress_line(p) -> str:
    """A one-line progress bar for a benchmark (carriage return first: it overwrites itself). In quick mode the
    bar is the budget spent, and the line shows the estimate and its interval narrowing as sub-tests finish."""
    width = 24
    filled = int(width * progress_fraction(p))
    last = f"last {p.test_id} {safe(p.name)[:18]}" if p.budget_s else f"{p.test_id} {safe(p.name)[:22]}"
    return f"\r[{'#' * filled}{'.' * (width - filled)}] {progress_text(p)}, {last}".ljust(100)


def bench_result_lines(run) -> list[str]:
    """What a finished benchmark run says: the device and its host, its scores (a quick score as an estimate with
    its interval, and the sub-tests and seconds it rests on), failed sub-tests, notes."""
    scores = run.scores
    label = f"{safe(run.device.name)} ({str(run.device.kind).upper()})"
    quick = str(run.mode) == "quick"
    if scores.ai is None:
        lines = [f"{label}: no AI score ({run.tests_used} sub-tests finished)"]
    elif quick and scores.ai_low is not None:
        parts = ", ".join(f"{metric.label} {ESTIMATE_MARK}{value:,.0f} ({low:,.0f}-{high:,.0f})"
                          for metric, value, low, high in run_parts(scores) if value is not None and low is not None)
        lines = [f"{label}: {parts}", f"  {run_basis_text(run)}"]
    else:
        lines = [f"{label}: AI score {scores.ai:,.0f} (inference {scores.inference:,.0f}, training "
                 f"{scores.training:,.0f})"]
    host = run.device.fingerprint
    if host is not None:
        family = "" if host.cpu_family is None else f", family {host.cpu_family} model {host.cpu_model_number}"
        flags = f", {' '.join(host.cpu_flags)}" if host.cpu_flags else ""
        lines.append(f"  host: {safe(host.cpu_model)}{family}, {host.cpu_count} CPUs{safe(flags)}, TensorFlow "
                     f"{safe(host.tensorflow_version or '?')}")
    if run.replay_of:
        lines.append(f"  replay of {safe(run.replay_of)}")
    failed = [t for t in run.tests if t.status == "failed" or (not quick and t.status != "ok")]
    if failed:
        lines.append(f"partial: {run.tests_used} sub-tests used; "
                     + "; ".join(f"{t.id} {t.status}: {safe(t.error)}" for t in failed[:5]))
    if run.note:
        lines.append(f"note: {safe(run.note)}")
    return lines
