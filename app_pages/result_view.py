"""The ranking as the chat and the form show it: the one-line verdict, the table (price and score first), each plan's
reasons, caveats and stale facts, what does not fit, the charts, the downloads, and the jargon explained."""
from __future__ import annotations

import streamlit as st

from advisor.catalog import Catalog
from advisor.present.charts import distribution_chart, limits_chart, price_score_chart
from advisor.present.formats import FORMATS
from advisor.present.json import job_summary_json
from advisor.present.labels import basis_text, escape_markdown, gpu_text, job_phrase, money, verdict_line, why_text
from advisor.recommend import Recommendation
from advisor.vocab import STALE_AFTER_DAYS
from advisor.workload import Workload
from app_pages.common import AI_BENCHMARK_URL, catalog_today

JARGON = f"""
- **AI score**: the result of [AI Benchmark]({AI_BENCHMARK_URL}), 42 machine-learning tasks timed on TensorFlow;
  higher is faster, and twice the score means about half the time. A GTX 1080 scores about 11,000, a Tesla T4 about
  14,000, an A100 about 45,000. Training work is ranked on the training score, inference on the inference score.
- **p10–p90**: 8 sessions in 10 score between these two numbers; a bad session (p10) is the lower one.
- **\\$ per 1,000 points**: the monthly cost divided by the score in thousands; the lower, the more speed per dollar.
- **estimated (±NN%)** beside **steady (spread 5%)**: two different things. The spread is how much one GPU varies from
  session to session, measured. The ±NN% is how far the spec-sheet estimate of a GPU nobody has benchmarked may be
  from its true score: the plan is steady, but its true level is uncertain.
- **~** marks an estimated score; **⚠** marks a plan whose facts are older than {STALE_AFTER_DAYS} days or disputed.
"""


def reference_job(key: str) -> None:
    """The optional reference job: how long the user's job takes on a device they know."""
    with st.expander("Your job's time on each plan (optional)"):
        st.caption("How long does your job take on a device you know? The ranking then shows its hours on each plan.")
        catalog = catalog_today()
        c1, c2 = st.columns(2)
        hours = c1.number_input("Hours on that device", min_value=0.0, max_value=100_000.0, value=0.0,
                                key=f"{key}-ref-hours")
        names = {g.name: g.gpu_id for g in catalog.gpus.values()}
        choices = ["(none)", "my benchmarked machine", *sorted(names)]
        device = c2.selectbox("Device", choices, key=f"{key}-ref-device")
        machine = st.session_state.get("reference_run_score")
        if hours > 0 and device == "my benchmarked machine" and machine:
            st.session_state.reference = {"hours": hours, "score": machine}
        elif hours > 0 and device not in ("(none)", "my benchmarked machine"):
            st.session_state.reference = {"hours": hours, "gpu": names[device]}
        else:
            st.session_state.reference = None
            if hours > 0 and device == "my benchmarked machine":
                st.caption("Run the benchmark first, then press 'Use this machine as the reference device'.")


def _rows(catalog: Catalog, recs: list[Recommendation], workload: Workload) -> list[dict]:
    metric = workload.metric.label
    rows = []
    for r in recs:
        s = r.score
        row = {"#": r.rank, "plan": r.plan.label, "$/month": money(r.monthly_cost_usd),
               metric: f"{'~' if s.estimated else ''}{s.mean:,.0f} ± {s.sd:,.0f}",
               "$ per 1,000 points": "-" if r.usd_per_1k_score is None else f"${r.usd_per_1k_score:.3f}",
               "GPU": gpu_text(catalog, r.option), "p10–p90": f"{s.p10:,.0f}–{s.p90:,.0f}", "basis": basis_text(s),
               "facts": "⚠ re-check" if r.stale_facts else "current"}
        if r.job is not None and r.job.supported:
            row["your job"] = job_phrase(r)
        elif r.reference_job_hours is not None:
            row["your job (h)"] = round(r.reference_job_hours, 1)
        rows.append(row)
    return rows


def _details(catalog: Catalog, r: Recommendation, workload: Workload, n_feasible: int) -> None:
    mark = " ⚠" if r.stale_facts else ""
    with st.expander(f"{r.rank}. {r.plan.label}: {money(r.monthly_cost_usd)} a month{mark}"):
        st.markdown(escape_markdown(why_text(catalog, r, workload, n_feasible)))
        lines = "\n".join(f"- {escape_markdown(line.label)}: {escape_markdown(money(line.usd))}"
                          for line in r.cost.lines)
        st.markdown("**Monthly cost**\n\n" + (lines or "- nothing"))
        if r.caveats:
            st.markdown("**Caveats**\n\n" + "\n".join(f"- {escape_markdown(c.text)}" for c in r.caveats))
        if r.stale_facts:
            st.markdown(f"**⚠ Facts to re-check before you pay** (older than {STALE_AFTER_DAYS} days or disputed)\n\n"
                        + "\n".join(f"- {escape_markdown(f.subject)} = {escape_markdown(f.value)}: "
                                    f"{escape_markdown(f.provenance.source)} ({f.provenance.as_of})"
                                    + (" (disputed)" if f.disputed else "") for f in r.stale_facts))
        st.caption(escape_markdown("Score basis: " + r.score.basis_detail))
        st.caption(escape_markdown("Sources: " + "; ".join(f"{s['source']} ({s['as_of']})" for s in r.plan.sources())))


def show_result(catalog: Catalog, workload: Workload, recs: list[Recommendation], key: str) -> None:
    """The whole result view. key: a prefix that keeps this view's widget keys apart from another's."""
    feasible = [r for r in recs if r.feasible]
    st.subheader(f"Ranking for your workload (catalog as of {catalog.as_of.isoformat()})")
    job = job_summary_json(catalog, workload)
    if job is not None:  # what the advisor derived from the model the user named, before the verdict it drives
        st.info(escape_markdown(f"Your job: {job['derived']}"))
    st.success(escape_markdown(verdict_line(catalog, recs, workload)))
    with st.expander("What do these numbers mean?"):
        st.markdown(JARGON)
    if feasible:
        st.dataframe(_rows(catalog, feasible, workload), hide_index=True, width="stretch", key=f"{key}-table")
        for r in feasible:
            _details(catalog, r, workload, len(feasible))
    else:
        st.warning("No plan meets every requirement. The reasons are below; relax one of them.")
    bad = [r for r in recs if not r.feasible]
    if bad:
        with st.expander(f"Not suitable ({len(bad)})", expanded=not feasible):
            st.markdown("\n".join(f"- **{escape_markdown(r.plan.label)}**: "
                                  f"{escape_markdown('; '.join(x.text for x in r.reasons))}" for r in bad))
    reference_job(key)
    for chart in (distribution_chart(feasible), price_score_chart(recs)):
        if chart is not None:
            st.altair_chart(chart, width="stretch")
    limits = limits_chart(recs, workload)
    if limits is not None:  # panels of a fixed width: stretching a stack of charts overflows the column
        st.altair_chart(limits)
    stem = f"recommendation-{catalog.as_of.isoformat()}"  # dated: two downloads never share a name
    # One button per format of advisor.present.formats (the CLI's --format and the API's ?format= read it too).
    for column, form in zip(st.columns(len(FORMATS)), FORMATS.values(), strict=True):
        column.download_button(f"Download as {form.label}", form.render(catalog, workload, recs, {}),
                               file_name=f"{stem}.{form.extension}", mime=form.media_type.split(";")[0],
                               key=f"{key}-{form.name}")
