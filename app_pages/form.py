"""The form page: the chat's questions on one page, with the core's own bounds and labels."""
from dataclasses import replace

import streamlit as st

from advisor import AdvisorError, InvalidWorkloadError, Workload
from advisor.vocab import Kind, Need, Predictability
from advisor.workload import BOUNDS
from app_pages.common import catalog_today, evidence_selector, ranked, reference_kwargs
from app_pages.result_view import show_result

BUDGETS = ("No limit", "Free plans only", "At most this much a month")
PREDICTABILITY_LABELS = {Predictability.ANY: "Doesn't matter",
                         Predictability.PREFER: "I'd prefer it (rank on a bad session)",
                         Predictability.REQUIRE: "I need it (at most ±10% from session to session)"}


LABELS = {"gpu_memory_gib": "GPU memory your model needs (GiB; 0: no particular need)",
          "session_hours": "Longest uninterrupted run (hours)", "gpu_hours_per_month": "GPU hours a month",
          "notebooks_at_once": "Notebooks at once", "budget_usd_per_month": "Monthly budget (USD)"}


def _number(field: str, value, help=None):
    """A number box for a workload field. Its bounds are checked by the Workload on submit, so a value out of range
    gets a message naming the box rather than being silently reverted."""
    bound = BOUNDS[field]
    kind = int if bound.integer else float
    return st.number_input(LABELS[field], value=kind(value), step=1 if bound.integer else 1.0, key=f"form-{field}",
                           help=help or f"{bound.describe()}")


st.title("The questionnaire on one page")
catalog = catalog_today()
with st.form("workload", enter_to_submit=False):
    kind = st.radio("Mostly", list(Kind), format_func=lambda k: k.label.capitalize(), index=2, horizontal=True,
                    key="form-kind")
    c1, c2, c3 = st.columns(3)
    with c1:
        memory = _number("gpu_memory_gib", 0.0)
    with c2:
        session = _number("session_hours", 2.0)
    with c3:
        hours = _number("gpu_hours_per_month", 20.0)
    c4, c5, c6 = st.columns(3)
    with c4:
        concurrent = _number("notebooks_at_once", 1)
    budget_kind = c5.radio("Budget", BUDGETS, key="form-budget-kind")
    with c6:
        budget = _number("budget_usd_per_month", 10.0, help="Used when 'At most this much a month' is chosen")
    predictability = st.radio("Same speed every session?", list(Predictability), horizontal=True,
                              format_func=PREDICTABILITY_LABELS.get, key="form-predictability")
    needs = st.multiselect("You need", list(Need), format_func=lambda n: n.label, key="form-needs")
    wishes = st.multiselect("You would like (breaks ties, never excludes a plan)", list(Need),
                            format_func=lambda n: n.label, key="form-wishes")
    c7, c8 = st.columns(2)
    education = c7.checkbox("I am an eligible student or teacher (education plans)", key="form-education")
    multi_gpu = c8.checkbox("My job uses every GPU of a multi-GPU machine", key="form-multi-gpu")
    submitted = st.form_submit_button("Recommend", type="primary")
if submitted:
    try:
        st.session_state.form_workload = Workload(
            kind=kind, gpu_memory_gib=memory, session_hours=session, gpu_hours_per_month=hours,
            notebooks_at_once=concurrent, free_only=budget_kind == BUDGETS[1],
            budget_usd_per_month=budget if budget_kind == BUDGETS[2] else None, predictability=predictability,
            needs=frozenset(needs), nice_to_have=frozenset(wishes), education=education, multi_gpu=multi_gpu)
    except InvalidWorkloadError as exc:
        st.error(f"Please fix '{LABELS.get(exc.field, exc.field)}': {exc.message}")
workload = st.session_state.get("form_workload")
if workload is not None:
    try:
        workload = replace(workload, **reference_kwargs()) if reference_kwargs() else workload
        evidence_selector("form")
        show_result(catalog, workload, ranked(catalog, workload), key="form")
    except AdvisorError as exc:
        st.error(f"Could not rank the plans: {exc}")
