"""Results in the forms the faces hand out: JSON-ready dicts (CLI --json, the API, the app's download) and
Markdown (the app's download): the answers, the ranking with costs and reasons, the sources."""
from __future__ import annotations

from .catalog import Catalog
from .distributions import METRIC_LABEL
from .recommend import Recommendation, plan_limits
from .workload import Workload


def to_markdown(catalog: Catalog, workload: Workload, recs: list[Recommendation]) -> str:
    metric = METRIC_LABEL[workload.metric]
    budget = "none" if workload.budget_usd_per_month is None else f"${workload.budget_usd_per_month:g}/month"
    lines = [
        f"# GPU notebook recommendation (catalog as of {catalog.as_of.isoformat()})", "",
        "## Your workload", "",
        f"- kind: {workload.kind} (ranked on the {metric})",
        f"- GPU memory: {workload.gpu_memory_gib:g} GiB; longest run: {workload.session_hours:g} h; "
        f"GPU hours a month: {workload.gpu_hours_per_month:g}; notebooks at once: {workload.notebooks_at_once}",
        f"- budget: {budget}; free only: {'yes' if workload.free_only else 'no'}; predictability: {workload.predictability}; "
        f"needs: {', '.join(sorted(workload.needs)) or 'none'}", "",
        "## Ranking", "",
        f"| # | plan | GPU | $/month | {metric} (mean ± sd) | p10-p90 | $ per 1k points | basis |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in recs:
        if not r.feasible:
            continue
        s = r.score
        lines.append(f"| {r.rank} | {r.platform} {r.plan} | {r.gpu} | {r.monthly_cost_usd:.2f} | "
                     f"{s.mean:,.0f} ± {s.sd:,.0f}{' (estimated)' if s.basis == 'estimated' else ''} | "
                     f"{s.p10:,.0f}-{s.p90:,.0f} | {r.usd_per_1k_score:.3f} | {s.basis_detail} |")
    lines += ["", "### Why", ""] + [f"{r.rank}. **{r.platform} {r.plan}**: {r.why}" for r in recs if r.feasible]
    bad = [r for r in recs if not r.feasible]
    if bad:
        lines += ["", "## Not suitable", ""] + [f"- **{r.platform} {r.plan}**: {'; '.join(r.reasons)}" for r in bad]
    lines += ["", "## Sources", ""]
    seen = set()
    for r in recs:
        for src in r.sources:
            key = (src["source"], src["as_of"])
            if key not in seen:
                seen.add(key)
                lines.append(f"- {src['source']} ({src['as_of']})")
    lines += ["", "Scores marked estimated come from a spec-sheet regression; their leave-one-out error is shown "
                  "in the basis column."]
    return "\n".join(lines) + "\n"


def plans_json(catalog: Catalog) -> list[dict]:
    out = []
    for plan in catalog.plans.values():
        options = []
        for option in plan.options:
            score = catalog.scores.option_score(plan, option, "ai")
            options.append({"option": option.option, "gpus": [{"gpu_id": g, "share": round(s, 4)} for g, s in option.shares],
                            "score": None if score is None else score.to_dict()})
        out.append({"plan_id": plan.plan_id, "platform": plan.platform, "plan": plan.plan,
                    "price_model": plan.price_model, "monthly_price_usd": plan.monthly_price_usd,
                    "limits": plan_limits(plan), "options": options,
                    "score": options[0]["score"] if len(options) == 1 else
                    max((o["score"] for o in options if o["score"]), key=lambda s: s["mean"], default=None),
                    "as_of": catalog.as_of.isoformat(), "sources": plan.sources()})
    return out


def recommend_json(catalog: Catalog, workload: Workload, recs: list[Recommendation]) -> dict:
    return {"as_of": catalog.as_of.isoformat(), "workload": workload.to_dict(),
            "recommendations": [r.to_dict() for r in recs]}
