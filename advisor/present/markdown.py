"""The ranking as a Markdown document (the app's download): the workload, the ranking with costs and reasons,
what does not fit and why, and every source with its date."""
from __future__ import annotations

from ..catalog import Catalog
from ..recommend import Recommendation
from ..workload import Workload
from .labels import basis_text, gpu_text, money, score_text, unsuitable_lines, verdict_line, why_text


def workload_lines(workload: Workload) -> list[str]:
    budget = "none" if workload.budget_usd_per_month is None else f"${workload.budget_usd_per_month:g}/month"
    memory = "no particular need" if not workload.gpu_memory_gib else f"{workload.gpu_memory_gib:g} GB"
    return [f"- kind: {workload.kind.label} (ranked on the {workload.metric.label})",
            f"- GPU memory: {memory}; longest run: {workload.session_hours:g} h; "
            f"GPU hours a month: {workload.gpu_hours_per_month:g}; notebooks at once: {workload.notebooks_at_once}",
            f"- budget: {budget}; free only: {'yes' if workload.free_only else 'no'}; "
            f"predictability: {workload.predictability.label}",
            f"- needs: {', '.join(n.label for n in sorted(workload.needs)) or 'none'}; would like: "
            f"{', '.join(n.label for n in sorted(workload.nice_to_have)) or 'nothing more'}"]


def to_markdown(catalog: Catalog, workload: Workload, recs: list[Recommendation]) -> str:
    metric = workload.metric.label
    feasible = [r for r in recs if r.feasible]
    lines = [f"# GPU notebook recommendation (catalog as of {catalog.as_of.isoformat()})", "",
             f"**{verdict_line(catalog, recs, workload)}**", "", "## Your workload", "", *workload_lines(workload), "",
             "## Ranking", "",
             f"| # | plan | GPU | $/month | {metric} (mean ± sd) | p10–p90 | $ per 1,000 points | basis |",
             "|---|---|---|---|---|---|---|---|"]
    for r in feasible:
        s = r.scored
        lines.append(f"| {r.rank} | {r.plan.label} | {gpu_text(catalog, r.option)} | {money(r.monthly_cost_usd)} | "
                     f"{score_text(s)} | {s.p10:,.0f}–{s.p90:,.0f} | "
                     f"{'-' if r.usd_per_1k_score is None else f'${r.usd_per_1k_score:.3f}'} | {basis_text(s)} |")
    lines += ["", "### Why", ""]
    for r in feasible:
        lines.append(f"{r.rank}. **{r.plan.label}**: {why_text(catalog, r, workload, len(feasible))}")
        lines += [f"   - caveat: {c.text}" for c in r.caveats]
    bad = unsuitable_lines(recs)
    if bad:
        lines += ["", "## Not suitable", ""] + [f"- **{plan.label}**: {reasons}" for plan, reasons in bad]
    stale = [(r, f) for r in feasible for f in r.stale_facts]
    if stale:
        lines += ["", "## Facts to re-check (older than 180 days or disputed)", ""]
        lines += [f"- {r.plan.label}, {f.subject} = {f.value}: {f.provenance.source} ({f.provenance.as_of})"
                  + (" (disputed)" if f.disputed else "") for r, f in stale]
    lines += ["", "## Sources", ""]
    seen: set[tuple[str, str]] = set()
    for r in recs:
        for src in r.plan.sources():
            key = (src["source"], src["as_of"])
            if key not in seen:
                seen.add(key)
                lines.append(f"- {src['source']} ({src['as_of']})")
    lines += ["", "~ marks a score estimated from spec sheets; its leave-one-GPU-out error is in the basis column."]
    return "\n".join(lines) + "\n"
