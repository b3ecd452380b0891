"""The advisor's Streamlit app: `streamlit run app.py`. A thin face: the chat, ranking, charts, benchmark and
data all live in advisor/; this file lays them out and caches the catalog."""
from __future__ import annotations

import datetime as dt
import json

import streamlit as st

from advisor import AdvisorError, Workload, load_catalog, recommend
from advisor.catalog import load_raw
from advisor.chat import chat_turn
from advisor.report import recommend_json
from advisor.distributions import METRIC_LABEL
from advisor.store import MAX_RUN_BYTES, RunStore, RunValidationError, own_evidence, runs_from_bytes
from advisor.workload import KINDS, NEEDS, PREDICTABILITY

STALE_AFTER_DAYS = 180
PAGES = ("Chat", "Form", "Compare plans", "Benchmark", "Data")

st.set_page_config(page_title="GPU notebook advisor", page_icon="🧮", layout="wide")


@st.cache_resource(show_spinner=False)
def catalog_for(as_of: str):
    return load_catalog(as_of)


@st.cache_resource(show_spinner=False)
def run_store():
    return RunStore()


def catalog_today():
    return catalog_for(dt.date.today().isoformat())


def reference_kwargs() -> dict:
    """The optional reference job from the sidebar, as Workload keyword arguments."""
    ref = st.session_state.get("reference")
    if not ref:
        return {}
    return {"reference_hours": ref["hours"], **({"reference_gpu": ref["gpu"]} if ref.get("gpu") else
                                                  {"reference_score": ref["score"]})}


# ---------------------------------------------------------------------------------------------
# The result view, shared by the chat and the form


def show_result(catalog, workload: Workload, recs) -> None:
    from advisor.charts import distribution_chart, limits_chart, price_score_chart
    from advisor.report import to_markdown

    metric = METRIC_LABEL[workload.metric]
    feasible = [r for r in recs if r.feasible]
    own = own_evidence(run_store().list())
    st.subheader(f"Ranking for your workload (catalog as of {catalog.as_of.isoformat()})")
    if feasible:
        rows = [{"#": r.rank, "plan": f"{r.platform} {r.plan}", "GPU": r.gpu,
                 "$/month": round(r.monthly_cost_usd, 2),
                 metric: f"{r.score.mean:,.0f} ± {r.score.sd:,.0f}" + (" (estimated)" if r.score.basis == "estimated" else ""),
                 "p10–p90": f"{r.score.p10:,.0f}–{r.score.p90:,.0f}",
                 "$ per 1k points": round(r.usd_per_1k_score, 3),
                 "reference job (h)": None if r.reference_job_hours is None else round(r.reference_job_hours, 1),
                 "basis": r.score.basis} for r in feasible]
        st.dataframe(rows, hide_index=True, use_container_width=True)
        for r in feasible:
            with st.expander(f"{r.rank}. {r.platform} {r.plan}: ${r.monthly_cost_usd:.2f}/month"):
                st.markdown(r.why)
                st.markdown("**Monthly cost**\n\n" + "\n".join(f"- {line.label}: ${line.usd:.2f}" for line in r.cost.lines)
                            if r.cost and r.cost.lines else "**Monthly cost**: $0")
                if r.caveats:
                    st.markdown("**Caveats**\n\n" + "\n".join(f"- {c}" for c in r.caveats))
                st.caption("Score basis: " + r.score.basis_detail)
                if r.plan_id in own:
                    e = own[r.plan_id]
                    st.info(f"Your own runs on this plan (not part of the catalog's figure): n={e['n']}, mean AI score "
                            f"{e['mean']:,.0f}" + (f", sd {e['sd']:,.0f}" if e["sd"] is not None else ""))
                st.caption("Sources: " + "; ".join(f"{s['source']} ({s['as_of']})" for s in r.sources))
    else:
        st.warning("No plan meets every requirement. The reasons are below; relax one of them.")
    bad = [r for r in recs if not r.feasible]
    if bad:
        with st.expander(f"Not suitable ({len(bad)})", expanded=not feasible):
            st.markdown("\n".join(f"- **{r.platform} {r.plan}**: {'; '.join(r.reasons)}" for r in bad))
    charts = [distribution_chart(feasible or recs), price_score_chart(recs), limits_chart(recs, workload)]
    for chart in charts:
        if chart is not None:
            st.altair_chart(chart, use_container_width=True)
    left, right = st.columns(2)
    left.download_button("Download as JSON", json.dumps(recommend_json(catalog, workload, recs), indent=2),
                         file_name="recommendation.json", mime="application/json")
    right.download_button("Download as Markdown", to_markdown(catalog, workload, recs), file_name="recommendation.md",
                          mime="text/markdown")


# ---------------------------------------------------------------------------------------------
# Pages


def chat_page() -> None:
    st.title("Which GPU notebook plan fits your work?")
    catalog = catalog_today()
    if "chat" not in st.session_state:
        turn = chat_turn(catalog, None, None)
        st.session_state.chat = {"state": turn.state, "messages": [("assistant", turn.reply)],
                                 "quick": turn.quick_replies}
    chat = st.session_state.chat

    def send(text: str) -> None:
        try:
            turn = chat_turn(catalog, chat["state"], text, **reference_kwargs())
        except AdvisorError as exc:
            turn = chat_turn(catalog, None, None)
            chat["messages"].append(("assistant", f"Something in the conversation went wrong ({exc}); let's start over."))
        chat["messages"].append(("user", text))
        chat["messages"].append(("assistant", turn.reply))
        chat["state"], chat["quick"] = turn.state, turn.quick_replies

    pending = st.session_state.pop("quick_reply", None)
    typed = st.chat_input("Your answer (or 'why not Colab?', 'make the budget 20', 'start over')")
    for text in (pending, typed):
        if text:
            send(text)
    for role, text in chat["messages"]:
        with st.chat_message(role):
            st.markdown(text)
    if chat["quick"]:
        cols = st.columns(len(chat["quick"]))
        for i, (col, label) in enumerate(zip(cols, chat["quick"])):
            if col.button(label, key=f"quick-{len(chat['messages'])}-{i}"):
                st.session_state.quick_reply = label
                st.rerun()
    if chat["state"]["done"]:
        from advisor.chat import workload_from_answers

        try:
            workload = workload_from_answers(chat["state"]["answers"], **reference_kwargs())
            show_result(catalog, workload, recommend(catalog, workload))
        except AdvisorError as exc:
            st.error(f"Could not rank the plans: {exc}")


def form_page() -> None:
    st.title("The questionnaire on one page")
    catalog = catalog_today()
    with st.form("workload"):
        kind = st.radio("Mostly", KINDS, index=2, horizontal=True)
        c1, c2, c3 = st.columns(3)
        memory = c1.number_input("GPU memory needed (GB)", min_value=0.0, max_value=1024.0, value=0.0, step=1.0)
        session = c2.number_input("Longest uninterrupted run (hours)", min_value=0.1, max_value=744.0, value=2.0)
        hours = c3.number_input("GPU hours a month", min_value=0.0, max_value=10000.0, value=20.0)
        c4, c5, c6 = st.columns(3)
        concurrent = c4.number_input("Notebooks at once", min_value=1, max_value=64, value=1, step=1)
        budget = c5.number_input("Monthly budget in USD (0 = no limit)", min_value=0.0, value=0.0)
        free_only = c6.checkbox("Free plans only")
        predictability = st.radio("Predictable speed", PREDICTABILITY, horizontal=True,
                                  help="require: the score may vary by at most about ±10% between sessions")
        needs = st.multiselect("Needs", NEEDS)
        submitted = st.form_submit_button("Recommend")
    if submitted:
        try:
            workload = Workload(kind=kind, gpu_memory_gib=memory, session_hours=session, gpu_hours_per_month=hours,
                                notebooks_at_once=int(concurrent), budget_usd_per_month=budget or None,
                                free_only=free_only, predictability=predictability, needs=frozenset(needs),
                                **reference_kwargs())
            st.session_state.form_workload = workload
        except AdvisorError as exc:
            st.error(f"Please fix: {exc}")
    workload = st.session_state.get("form_workload")
    if workload is not None:
        try:
            show_result(catalog, workload, recommend(catalog, workload))
        except AdvisorError as exc:
            st.error(f"Could not rank the plans: {exc}")


def compare_page() -> None:
    from advisor.report import plans_json

    st.title("Compare plans")
    c1, c2, c3 = st.columns(3)
    as_of = c1.date_input("Catalog as of", value=dt.date.today(), min_value=dt.date(2019, 1, 1),
                          max_value=dt.date.today(), help="2022-06-01 shows the founding article's world")
    catalog = catalog_for(as_of.isoformat())
    platforms = sorted({p.platform for p in catalog.plans.values()})
    chosen = c2.multiselect("Platforms", platforms, default=platforms)
    free_only = c3.checkbox("Free only", key="compare-free")
    min_memory = st.slider("At least this much GPU memory (GB)", 0, 80, 0)
    rows = []
    for plan in catalog.plans.values():
        if plan.platform not in chosen or (free_only and plan.price_model != "free"):
            continue
        for option in plan.options:
            if catalog.scores.memory_probability(option, min_memory) < 1 and min_memory:
                continue
            score = catalog.scores.option_score(plan, option, "ai")
            rate = catalog.rate(plan, option.shares[0][0]) if not option.is_lottery else None
            rows.append({
                "plan": f"{plan.platform} {plan.plan}", "plan_id": plan.plan_id,
                "GPU": " / ".join(f"{catalog.gpus[g].name}" + (f" ({s:.0%})" if option.is_lottery else "") for g, s in option.shares),
                "$/month": plan.monthly_price_usd,
                "rate": None if rate is None else f"{rate.rate:g} {'units' if rate.unit == 'units_per_hour' else 'USD'}/h",
                "AI score": None if score is None else round(score.mean), "sd": None if score is None else round(score.sd),
                "basis": None if score is None else score.basis,
                "session (h)": plan.fact("session_limit_hours"), "idle (min)": plan.fact("idle_timeout_minutes"),
                "at once": plan.fact("notebooks_running_max"), "GPU h/week": plan.fact("gpu_hours_per_week"),
                "background": plan.fact("background_execution"), "private": plan.fact("private_notebooks"),
                "deploy": plan.fact("deployment"), "pick timeout": plan.fact("selectable_timeout"),
            })
    st.caption("AI score marked 'estimated' comes from the spec-sheet regression; empty cells: not published.")
    st.dataframe(rows, hide_index=True, use_container_width=True)
    workload = Workload()
    recs = [r for r in recommend(catalog, workload) if r.plan_id in {row["plan_id"] for row in rows}]
    from advisor.charts import distribution_chart

    chart = distribution_chart(recs, limit=12)
    if chart is not None:
        st.altair_chart(chart, use_container_width=True)
    with st.expander("JSON"):
        st.json([p for p in plans_json(catalog) if p["plan_id"] in {row["plan_id"] for row in rows}], expanded=False)


def benchmark_page() -> None:
    from advisor import bench

    st.title("Benchmark this machine")
    st.markdown("Runs [AI Benchmark](http://ai-benchmark.com/alpha) on TensorFlow, offline (its result upload is "
                "switched off). **Quick** takes about a minute and estimates the score with an interval; **full** "
                "runs all 42 sub-tests (up to 20 minutes on a GPU, longer on a CPU).")
    available, message = bench.tensorflow_status()
    store = run_store()
    if not available:
        st.warning(message)
    else:
        job = st.session_state.get("bench_job")
        c1, c2, c3 = st.columns(3)
        mode = c1.radio("Mode", ("quick", "full"), horizontal=True)
        force_cpu = c2.checkbox("Force the CPU")
        catalog = catalog_today()
        platform = c3.selectbox("This notebook is on plan (optional)", ["", *catalog.plans])
        if job is None or job.finished:
            if st.button("Run the benchmark", type="primary"):
                st.session_state.bench_job = bench.BenchmarkJob(mode=mode, force_cpu=force_cpu, platform=platform or None,
                                                                gpus=catalog.gpus)
                st.session_state.bench_job.start()
                st.rerun()
        if st.session_state.get("bench_job") is not None:
            bench_progress()
    show_runs(store)


@st.fragment(run_every=1.0)
def bench_progress() -> None:
    job = st.session_state.get("bench_job")
    if job is None:
        return
    p = job.progress
    if not job.finished:
        if p is None:
            st.progress(0.0, text="Starting TensorFlow…")
        else:
            st.progress(p.index / p.total, text=f"{p.name}: sub-test {p.index} of {p.total}, "
                                                 f"{p.elapsed_s:.0f} s elapsed, about {p.eta_s:.0f} s left")
        if st.button("Stop (keeps what has finished)"):
            job.stop()
        return
    if job.error:
        st.error(job.error)
        return
    run = job.result
    if not job.saved:
        job.saved = True
        run_id = run_store().add(run)
        st.session_state.last_run = run.to_dict()
        st.success(f"Saved as run {run_id}.")
    show_run_against_plans(run.to_dict(), "job")


def show_run_against_plans(run: dict, key: str) -> None:
    scores = run["scores"]
    ai = scores.get("ai")
    if ai is None:
        st.warning("No AI score: too few sub-tests finished.")
        return
    interval = f" (estimate, {scores['ai_low']:,.0f}–{scores['ai_high']:,.0f})" if scores.get("ai_low") else ""
    label = "this machine's CPU" if run["device"]["kind"] == "cpu" else run["device"]["name"]
    st.metric(f"AI score of {label}", f"{ai:,.0f}{interval}")
    if run.get("partial"):
        st.caption(f"Partial: {run.get('tests_used')} sub-tests used; failed ones are listed in the JSON.")
    catalog = catalog_today()
    lines = []
    for plan in catalog.plans.values():
        for option in plan.options:
            s = catalog.scores.option_score(plan, option, "ai")
            if s is None:
                continue
            gpu = "" if len(plan.options) == 1 else f" with {catalog.gpus[option.shares[0][0]].name}"
            est = " (estimated)" if s.basis == "estimated" else ""
            lines.append(f"- {plan.platform} {plan.plan}{gpu} would beat this machine in "
                         f"**{s.prob_at_least(ai):.0%}** of sessions{est}")
    st.markdown("\n".join(lines))
    c1, c2 = st.columns(2)
    c1.download_button("Download this run (JSON)", json.dumps(run, indent=2), file_name="ai-benchmark-run.json",
                       mime="application/json", key=f"download-{key}")
    if c2.button("Use this machine as the reference device", key=f"reference-{key}"):
        st.session_state.reference_run_score = float(ai)
        st.success("Set: in the sidebar, give your job's hours on this machine.")


def import_runs(store, data: bytes, name: str) -> None:
    """Validates and stores uploaded runs; a bad file is reported and nothing of it is kept."""
    try:
        runs = runs_from_bytes(data, name)
    except RunValidationError as exc:
        st.error(f"Not imported: {exc}")
        return
    ids = [store.add(r) for r in runs]
    st.success(f"Imported {len(ids)} run{'s' if len(ids) != 1 else ''} from {name}.")


def show_runs(store) -> None:
    st.subheader("Your runs")
    upload = st.file_uploader("Upload runs made in a notebook (JSON from `python -m advisor bench --json PATH`, "
                              "at most 1 MB)", type=["json"])
    if upload is not None and st.session_state.get("uploaded") != upload.file_id:
        st.session_state.uploaded = upload.file_id
        import_runs(store, upload.getvalue(), upload.name)  # runs_from_bytes enforces the 1 MB limit
    with st.expander("…or paste a run's JSON"):
        pasted = st.text_area("Run JSON", key="pasted-run", max_chars=MAX_RUN_BYTES)
        if st.button("Import pasted JSON") and pasted.strip():
            import_runs(store, pasted.encode(), "pasted JSON")
    runs = store.list()
    if not runs:
        st.caption("No runs yet.")
        return
    st.dataframe([{"id": s.id, "started": s.run.started_at.strftime("%Y-%m-%d %H:%M"), "mode": s.run.mode,
                   "device": s.run.device.name, "kind": s.run.device.kind, "plan": s.run.platform,
                   "AI score": s.run.scores.ai, "partial": s.run.partial} for s in runs], hide_index=True)
    evidence = own_evidence(runs)
    if evidence:
        st.markdown("**Your own evidence per plan** (separate from the catalog's): " + "; ".join(
            f"{plan}: n={e['n']}, mean AI score {e['mean']:,.0f}" + (f", sd {e['sd']:,.0f}" if e["sd"] is not None else "")
            for plan, e in evidence.items()))
    latest = runs[-1].run.to_dict()
    with st.expander(f"Latest run against the plans (run {runs[-1].id})"):
        show_run_against_plans(latest, "latest")


def data_page() -> None:
    st.title("Where the numbers come from")
    raw = load_raw()
    today = dt.date.today()
    catalog = catalog_today()
    in_force = {(o.plan_id, o.field): o for p in catalog.plans.values() for o in p.facts.values()}
    st.caption(f"Facts older than {STALE_AFTER_DAYS} days are flagged as possibly stale. Newer observations win; "
               "older ones stay as history.")
    facts = [{"plan": o.plan_id, "field": o.field, "value": o.value, "as of": o.provenance.as_of.isoformat(),
              "in force": in_force.get((o.plan_id, o.field)) is o,
              "stale?": (today - o.provenance.as_of).days > STALE_AFTER_DAYS,
              "confidence": o.provenance.confidence, "source": o.provenance.source, "note": o.provenance.note}
             for o in raw.facts]
    link = st.column_config.LinkColumn("source", display_text=r"https?://(?:www\.)?([^/]+).*")
    st.subheader("Plan facts")
    st.dataframe(facts, hide_index=True, column_config={"source": link}, use_container_width=True)
    st.subheader("GPU allocations")
    st.dataframe([{"plan": p, "option": o.option, "GPUs": ", ".join(f"{g} {s:.0%}" for g, s in o.shares),
                   "as of": o.provenance.as_of.isoformat(), "confidence": o.provenance.confidence,
                   "source": o.provenance.source} for p, o in raw.options],
                 hide_index=True, column_config={"source": link}, use_container_width=True)
    st.subheader("Prices per GPU hour")
    st.dataframe([{"rate card": r.rate_card, "GPU": r.gpu_id, "rate": r.rate, "unit": r.unit,
                   "as of": r.provenance.as_of.isoformat(), "stale?": (today - r.provenance.as_of).days > STALE_AFTER_DAYS,
                   "source": r.provenance.source} for r in raw.rates],
                 hide_index=True, column_config={"source": link}, use_container_width=True)
    st.subheader("GPU scores")
    rows = []
    for gpu in catalog.gpus.values():
        for metric in ("ai", "inference", "training"):
            s = catalog.scores.gpu_score(gpu.gpu_id, metric)
            if s is not None:
                rows.append({"GPU": gpu.name, "metric": metric, "score": round(s.mean),
                             "measured or estimated": "ESTIMATE" if s.estimated else f"measured (n={s.n})",
                             "detail": s.detail})
    st.dataframe(rows, hide_index=True, use_container_width=True)
    st.subheader("Published benchmark results")
    st.dataframe([{"subject": f"{e.subject_type}: {e.subject}", "metric": e.metric, "n": e.n, "mean": e.mean, "sd": e.sd,
                   "TF": e.tf_version, "precision": e.precision, "as of": e.provenance.as_of.isoformat(),
                   "source": e.provenance.source, "note": e.provenance.note} for e in raw.evidence],
                 hide_index=True, column_config={"source": link}, use_container_width=True)


def sidebar() -> str:
    page = st.sidebar.radio("Page", PAGES, key="page")
    with st.sidebar.expander("Reference job (optional)"):
        st.caption("How long does your job take on a device you know? The ranking then shows its hours on each plan.")
        hours = st.number_input("Hours on that device", min_value=0.0, value=0.0, key="ref-hours")
        choices = ["(none)", "my benchmarked machine", *catalog_today().gpus]
        device = st.selectbox("Device", choices, key="ref-device")
        if hours > 0 and device == "my benchmarked machine" and st.session_state.get("reference_run_score"):
            st.session_state.reference = {"hours": hours, "score": st.session_state.reference_run_score}
        elif hours > 0 and device not in ("(none)", "my benchmarked machine"):
            st.session_state.reference = {"hours": hours, "gpu": device}
        else:
            st.session_state.reference = None
            if hours > 0 and device == "my benchmarked machine":
                st.caption("Run the benchmark first, then press 'Use this machine as the reference device'.")
    return page


def main() -> None:
    try:
        page = sidebar()
        {"Chat": chat_page, "Form": form_page, "Compare plans": compare_page, "Benchmark": benchmark_page,
         "Data": data_page}[page]()
    except AdvisorError as exc:
        st.error(f"{exc}")


main()
