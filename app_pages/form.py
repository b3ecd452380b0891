"""The form page: the chat's questions on one page, then every other workload field, with the core's own bounds,
labels and help (workload.FIELDS): a field declared there appears here without an edit."""
from dataclasses import replace

import streamlit as st

from advisor import AdvisorError, InvalidWorkloadError, Workload
from advisor.vocab import Kind, Need, Predictability
from advisor.workload import BOUNDS, FIELD_SPECS, FIELDS
from app_pages.common import catalog_today, evidence_selector, ranked, reference_kwargs
from app_pages.result_view import show_result

BUDGETS = ("No limit", "Free plans only", "At most this much a month")
PREDICTABILITY_LABELS = {Predictability.ANY: "Doesn't matter",
                         Predictability.PREFER: "I'd prefer it (rank on a bad session)",
                         Predictability.REQUIRE: "I need it (at most ±10% from session to session)"}


LABELS = {spec.name: spec.label[:1].upper() + spec.label[1:] for spec in FIELDS}
# The fields the form's first part asks, in its own layout; every other field is in "More about your work".
MAIN = ("kind", "gpu_memory_gib", "session_hours", "gpu_hours_per_month", "notebooks_at_once",
        "budget_usd_per_month", "free_only", "predictability", "needs", "nice_to_have", "education", "multi_gpu")
# The reference job has its own panel under the result.
OWN_PANEL = ("reference_hours", "reference_gpu", "reference_score")
NOT_SAID = "(not said)"


def _more(spec):
    """A widget for any other workload field, by its declared type; its value, or None when not said."""
    key, label, help_ = f"form-{spec.name}", LABELS[spec.name], spec.help
    if spec.type in ("number", "integer"):
        bound = spec.bound
        value = st.number_input(label, value=None, step=1 if bound.integer else 1.0, key=key,
                                help=f"{help_} ({bound.describe()})")
        return None if value is None else int(value) if bound.integer else float(value)
    if spec.type == "choice":
        value = st.selectbox(label, [NOT_SAID, *spec.choices], key=key, help=help_,
                             format_func=lambda c: c if c == NOT_SAID else c.label)
        return None if value == NOT_SAID else value
    if spec.type == "choices":
        return frozenset(st.multiselect(label, list(spec.choices), format_func=lambda c: c.label, key=key,
                                        help=help_)) or None
    if spec.type == "flag":
        return st.checkbox(label, key=key, help=help_) or None
    return st.text_input(label, key=key, help=help_).strip() or None


def _number(field: str, value, help=None):
    """A number box for a workload field. Its bounds are checked by the Workload on submit, so a value out of range
    gets a message naming the box rather than being silently reverted."""
    bound = BOUNDS[field]
    kind = int if bound.integer else float
    return st.number_input(LABELS[field], value=kind(value), step=1 if bound.integer else 1.0, key=f"form-{field}",
                           help=help or f"{FIELD_SPECS[field].help} ({bound.describe()})")


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
    multi_gpu = c8.checkbox("My job uses every GPU of a multi-GPU machine", key="form-multi_gpu")
    with st.expander("More about your work (optional)"):
        columns = st.columns(3)
        more = {}
        for i, spec in enumerate(s for s in FIELDS if s.name not in MAIN + OWN_PANEL):
            with columns[i % 3]:
                more[spec.name] = _more(spec)
    submitted = st.form_submit_button("Recommend", type="primary")
if submitted:
    try:
        st.session_state.form_workload = Workload(
            kind=kind, gpu_memory_gib=memory, session_hours=session, gpu_hours_per_month=hours,
            notebooks_at_once=concurrent, free_only=budget_kind == BUDGETS[1],
            budget_usd_per_month=budget if budget_kind == BUDGETS[2] else None, predictability=predictability,
            needs=frozenset(needs), nice_to_have=frozenset(wishes), education=education, multi_gpu=multi_gpu,
            **{k: v for k, v in more.items() if v is not None})
    except InvalidWorkloadError as exc:
        st.session_state.pop("form_workload", None)  # no ranking of the previous answers under the error
        st.error(f"Please fix '{LABELS.get(exc.field, exc.field)}': {exc.message}")
workload = st.session_state.get("form_workload")
if workload is not None:
    try:
        workload = replace(workload, **reference_kwargs()) if reference_kwargs() else workload
        evidence_selector("form")
        show_result(catalog, workload, ranked(catalog, workload), key="form")
    except AdvisorError as exc:
        st.error(f"Could not rank the plans: {exc}")
