"""Altair charts of a recommendation: score distributions (the GPU lottery shows as several humps), price
against expected score with the cheapest-for-speed frontier, and each plan's limits against the user's needs.
Pure functions of core results; altair and pandas are imported when a chart is drawn."""
from __future__ import annotations

import math

from ..distributions import ScoreSummary
from ..recommend import Recommendation
from ..workload import Workload


def density_points(score: ScoreSummary, points: int = 160) -> list[tuple[float, float]]:
    """(score, probability density) pairs of the mixture, over its p0.5-p99.5 range widened a little."""
    lo = min(m - 3.5 * max(s, m * 0.01) for _, m, s in score.parts)
    hi = max(m + 3.5 * max(s, m * 0.01) for _, m, s in score.parts)
    out = []
    for i in range(points):
        x = lo + (hi - lo) * i / (points - 1)
        y = 0.0
        for w, m, s in score.parts:
            s = max(s, m * 0.01)  # a zero spread would be a spike; draw it as a narrow hump
            y += w * math.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))
        out.append((max(x, 0.0), y))
    return out


def _label(r: Recommendation) -> str:
    mark = " (est.)" if r.score is not None and r.score.estimated else ""
    return f"{r.plan.label}{mark}"


def distribution_rows(recs: list[Recommendation], limit: int = 8) -> list[dict]:
    """One row per (plan, score) point of each plan's density, scaled so every plan's highest point is 1: a steady
    plan's narrow spike and a lottery's wide humps are drawn at the same height, so neither flattens the other
    (a shared density scale drew the lottery as a flat line)."""
    rows = []
    for r, score in [(r, r.score) for r in recs if r.score is not None][:limit]:
        points = density_points(score)
        top = max(y for _, y in points) or 1.0
        rows += [{"plan": _label(r), "score": x, "density": y / top, "basis": str(score.basis)} for x, y in points]
    return rows


# The plot's own height in pixels. Streamlit fits a stretched chart's whole drawing (title, axes, legend) into the
# height it is given, so the height asked for is the plot's plus room for a one-column legend of every plan.
DISTRIBUTION_PLOT_HEIGHT = 220
LEGEND_ROW_PX = 20
CHART_FRAME_PX = 90  # the title, the x axis and its title


# Point labels in a mid grey, legible on a light and on a dark theme (black labels vanished in dark mode).
LABEL_GREY = "#8a8f98"


def fitted_height(plot: int, legend_rows: int) -> int:
    """The height to ask for so that the plot area keeps `plot` pixels under Streamlit's fit-to-height."""
    return plot + LEGEND_ROW_PX * legend_rows + CHART_FRAME_PX


def distribution_chart(recs: list[Recommendation], limit: int = 8):
    """Each plan's score per session, one curve per plan at the same height: a lottery has several humps, a
    steady plan one narrow peak."""
    import altair as alt
    import pandas as pd

    rows = distribution_rows(recs, limit)
    if not rows:
        return None
    metric = next(r.score.metric.label for r in recs if r.score is not None)
    title = f"{metric[0].upper()}{metric[1:]} per session: how it is distributed"
    return alt.Chart(pd.DataFrame(rows), title=title).mark_area(
        opacity=0.3, line=True).encode(
        x=alt.X("score:Q", title=f"{metric} (higher is faster)", axis=alt.Axis(format=",.0f")),
        y=alt.Y("density:Q", title="sessions (each plan's peak = 1)", axis=alt.Axis(labels=False), stack=None),
        color=alt.Color("plan:N", title="plan", legend=alt.Legend(orient="right", labelLimit=180)),
        tooltip=["plan", "basis"],
    ).properties(height=fitted_height(DISTRIBUTION_PLOT_HEIGHT, 0), width="container")


def frontier(points: list[tuple[str, float, float]]) -> set[str]:
    """Names on the cheapest-for-speed frontier: no other point is at least as fast for no more money."""
    keep = set()
    for name, cost, score in points:
        dominated = any(c <= cost and s >= score and (c < cost or s > score) for n, c, s in points if n != name)
        if not dominated:
            keep.add(name)
    return keep


def price_score_chart(recs: list[Recommendation]):
    """Monthly cost against expected score; the frontier of plans nothing beats is marked and joined."""
    import altair as alt
    import pandas as pd

    feasible = [r for r in recs if r.feasible and r.score is not None and r.monthly_cost_usd is not None]
    if not feasible:
        return None
    df = pd.DataFrame(price_score_rows(recs))
    base = alt.Chart(df, title="Price against expected score (plans that fit)")
    x = alt.X("expected score:Q", axis=alt.Axis(format=",.0f", tickCount=5))
    y = alt.Y("monthly cost (USD):Q", axis=alt.Axis(format="$,.2f", tickCount=5))
    dots = base.mark_circle(size=120).encode(
        x=x, y=y, color=alt.Color("on frontier:N", title="", legend=alt.Legend(orient="bottom")),
        tooltip=["plans", alt.Tooltip("monthly cost (USD):Q", format="$,.2f"),
                 alt.Tooltip("expected score:Q", format=",.0f")])
    line = base.transform_filter(alt.datum["on frontier"] == "cheapest for its speed").mark_line(
        strokeDash=[4, 3]).encode(x=x, y=y, order="expected score:Q")
    # One label per point (plans at the same price and score share it), only for the frontier: the others are in
    # the tooltip and the table, so no two labels are drawn on one another.
    text = base.transform_filter(alt.datum["on frontier"] == "cheapest for its speed").mark_text(
        align="left", dx=8, dy=-8, fontSize=11, color=LABEL_GREY).encode(x=x, y=y, text="label")
    return (line + dots + text).properties(height=fitted_height(240, 2), width="container")


def price_score_rows(recs: list[Recommendation]) -> list[dict]:
    """One row per distinct (monthly cost, expected score) point of the plans that fit: the plans there, a short
    label ('Colab Pro +1 more'), and whether it is on the cheapest-for-speed frontier."""
    groups: dict[tuple[float, float], list[str]] = {}
    for r in recs:
        if r.feasible and r.score is not None and r.monthly_cost_usd is not None:
            groups.setdefault((round(r.monthly_cost_usd, 2), round(r.score.mean)), []).append(_label(r))
    points = [(" / ".join(names), cost, score) for (cost, score), names in groups.items()]
    best = frontier(points)
    rows = []
    for name, cost, score in points:
        names = name.split(" / ")
        more = len(names) - 1
        label = names[0] + (f" +{more} more" if more else "")
        rows.append({"plans": name, "label": label, "monthly cost (USD)": cost, "expected score": score,
                     "on frontier": "cheapest for its speed" if name in best else "beaten by another plan"})
    return rows


def limits_chart(recs: list[Recommendation], workload: Workload):
    """Each suitable plan's session limit, monthly GPU-hour quota and idle timeout in hours, with what the workload
    needs as red rules. Plans that publish no such limit are left out of that panel."""
    import altair as alt
    import pandas as pd

    rows = []
    for r in recs:
        if not r.feasible:
            continue
        idle = r.plan.fact("idle_timeout_minutes")
        values = {"session limit": r.plan.fact("session_limit_hours"),
                  "GPU quota per month": r.cost.quota_hours_per_month,
                  "idle timeout": None if idle is None else idle / 60}
        rows += [{"plan": r.plan.label, "limit": k, "hours": v} for k, v in values.items() if v is not None]
    needs = {"session limit": workload.session_hours, "GPU quota per month": workload.gpu_hours_per_month}
    charts = []
    for limit in ("session limit", "GPU quota per month", "idle timeout"):
        part = pd.DataFrame([row for row in rows if row["limit"] == limit])
        if part.empty:
            continue
        chart = alt.Chart(part, title=f"{limit} (hours)").mark_bar().encode(
            x=alt.X("hours:Q", title="hours"), y=alt.Y("plan:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
            tooltip=["plan", "hours"])
        if limit in needs:
            chart = chart + alt.Chart(pd.DataFrame([{"hours": needs[limit]}])).mark_rule(
                color="red", strokeWidth=2).encode(x="hours:Q")
        charts.append(chart.properties(height=max(60, 22 * len(part)), width=300))  # fits a phone
    return alt.vconcat(*charts).properties(title="Limits against your needs (red: what you need)") if charts else None
