"""The benchmark page: run AI Benchmark on this machine (in the background, with progress and a stop button), see
how many times faster each plan is than this machine, and keep or upload runs made in notebooks."""
import json

import streamlit as st

from advisor import bench
from advisor.errors import RunValidationError, StoreError
from advisor.present.labels import ESTIMATE_MARK, progress_fraction, progress_text, run_basis_text, run_parts
from advisor.present.rows import machine_comparison_rows
from advisor.runs.record import BenchmarkRun, check_plausible, runs_from_bytes
from advisor.runs.store import RunFilter
from advisor.vocab import BenchMode, RunOrder
from app_pages.common import AI_BENCHMARK_URL, catalog_today, run_store

st.title("Benchmark this machine")
store = run_store()


def last_quick_run_text() -> str:
    """How long the newest complete quick run here took (the newest first, so only as many runs are read as it
    takes to find one); nothing when there is none or the store cannot be read (the list below says why)."""
    try:
        for stored in store.iter_runs(RunFilter(mode=BenchMode.QUICK), RunOrder.NEWEST):
            if not stored.run.partial:
                return f" Your last quick run here took {(stored.run.finished_at - stored.run.started_at).seconds} s."
    except StoreError:
        pass
    return ""


st.markdown(f"Runs [AI Benchmark]({AI_BENCHMARK_URL}) on TensorFlow, offline (its upload of results is switched off). "
            "**Quick** measures as many sub-tests as fit in its time budget and estimates the score with an interval; "
            "**full** runs all 42 sub-tests (up to 20 minutes on a GPU, an hour or more on a small CPU)."
            + last_quick_run_text())
available, message = bench.tensorflow_status()
if not available:
    st.warning(message)
else:
    job = st.session_state.get("bench_job")
    c1, c2, c3 = st.columns(3)
    mode = c1.radio("Mode", list(BenchMode), format_func=lambda m: m.label, horizontal=True, key="bench-mode")
    force_cpu = c2.checkbox("Force the CPU", key="bench-cpu")
    catalog = catalog_today()
    plans = {"": "(not a notebook plan)", **{p.plan_id: p.label for p in catalog.plans.values()}}
    platform = c3.selectbox("This notebook is on plan (optional)", list(plans), format_func=plans.get,
                            key="bench-platform")
    if (job is None or job.finished) and st.button("Run the benchmark", type="primary", key="bench-run"):
        st.session_state.bench_job = bench.BenchmarkJob(mode=mode, force_cpu=force_cpu, platform=platform or None,
                                                        gpus=catalog.gpus)
        st.session_state.bench_job.start()
        st.rerun()


def show_run_against_plans(run: BenchmarkRun, key: str) -> None:
    """This machine's scores (a quick run's as estimates with their intervals and what they rest on), and how many
    times faster each plan's average session is, best first."""
    ai = run.scores.ai
    if ai is None:
        st.warning("No AI score: too few sub-tests finished.")
        return
    label = "this machine's CPU" if str(run.device.kind) == "cpu" else run.device.name
    st.markdown(f"**Scores of {label}**: {run_basis_text(run)}.")
    columns = st.columns(3)
    for column, (metric, value, low, high) in zip(columns, run_parts(run.scores), strict=True):
        if value is not None:
            shown = f"{ESTIMATE_MARK}{value:,.0f}" if low is not None else f"{value:,.0f}"
            column.metric(metric.label, shown, help=None if low is None else f"interval {low:,.0f}–{high:,.0f}")
            if low is not None:
                column.caption(f"estimate; interval {low:,.0f}–{high:,.0f}")
    if run.partial:
        st.caption(f"Partial: {run.tests_used} sub-tests used; failed ones are listed in the JSON.")
    hours = st.number_input("A job that takes this many hours here", min_value=0.0, value=10.0, key=f"{key}-hours")
    rows = machine_comparison_rows(catalog_today(), float(ai), hours or None)
    slowest = rows[-1] if rows else None
    if slowest is not None:
        st.markdown(f"Every GPU the plans offer, against this machine: even the slowest, the {slowest['GPU']}, is "
                    f"about **{slowest['times faster']:g}×** as fast.")
    st.dataframe(rows, hide_index=True, width="stretch", key=f"{key}-speedups")
    c1, c2 = st.columns(2)
    c1.download_button("Download this run (JSON)", json.dumps(run.to_dict(), indent=2),
                       file_name="ai-benchmark-run.json", mime="application/json", key=f"{key}-download")
    if c2.button("Use this machine as the reference device", key=f"{key}-reference"):
        st.session_state.reference_run_score = float(ai)
        st.success("Set: on the chat or form result, give your job's hours on 'my benchmarked machine'.")


@st.fragment(run_every=1.0)
def progress() -> None:
    job = st.session_state.get("bench_job")
    if job is None:
        return
    p = job.progress
    if not job.finished:
        if p is None:
            st.progress(0.0, text="Starting TensorFlow…")
        else:
            st.progress(progress_fraction(p), text=f"{p.name}: {progress_text(p)}")
        if st.button("Stop (keeps what has finished)", key="bench-stop"):
            job.stop()
        return
    if job.error:
        st.error(job.error)
        return
    if not job.saved:
        job.saved = True
        try:
            st.success(f"Saved as run {run_store().add(job.result)}.")
        except StoreError as exc:
            st.error(f"The run could not be saved: {exc}")
    show_run_against_plans(job.result, "job")


def import_runs(data: bytes, name: str) -> None:
    """Validates and stores uploaded runs, all or none (as `advisor import`): a bad or physically implausible run
    is reported and nothing of the file is kept; a run stored before is not stored twice."""
    try:
        catalog, reference = catalog_today(), bench.run_reference()
        runs = [check_plausible(r, catalog, reference) for r in runs_from_bytes(data, name)]
        result = store.add_runs(runs)
    except (RunValidationError, StoreError) as exc:
        st.error(f"Not imported: {exc}")
        return
    again = f" ({result.duplicates} already stored)" if result.duplicates else ""
    st.success(f"Imported {result.added} run{'s' if result.added != 1 else ''} from {name}{again}.")


if st.session_state.get("bench_job") is not None:
    progress()
st.subheader("Your runs")
upload = st.file_uploader("Upload runs made in a notebook (JSON from `advisor bench --json PATH`)", type=["json"],
                          max_upload_size=1, key="bench-upload")
if upload is not None and st.session_state.get("uploaded") != upload.file_id:
    st.session_state.uploaded = upload.file_id
    import_runs(upload.getvalue(), upload.name)
with st.expander("…or paste a run's JSON"):
    pasted = st.text_area("Run JSON", key="bench-pasted")
    if st.button("Import pasted JSON", key="bench-import") and pasted.strip():
        import_runs(pasted.encode(), "pasted JSON")
try:
    runs = store.list()
except StoreError as exc:
    st.error(str(exc))
    runs = []
if not runs:
    st.caption("No runs yet.")
else:
    st.dataframe([{"id": s.id, "started": s.run.started_at.strftime("%Y-%m-%d %H:%M"), "mode": str(s.run.mode),
                   "device": s.run.device.name, "kind": str(s.run.device.kind), "plan": s.run.platform,
                   "AI score": s.run.scores.ai, "partial": s.run.partial} for s in runs], hide_index=True,
                 key="bench-runs")
    with st.expander(f"Latest run against the plans (run {runs[-1].id})"):
        show_run_against_plans(runs[-1].run, "latest")
