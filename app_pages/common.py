"""What every page shares: the cached catalog and run store, the reference job, and errors shown as messages."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from advisor import load_catalog
from advisor.catalog import Catalog
from advisor.errors import StoreError
from advisor.vocab import EvidenceChoice

AI_BENCHMARK_URL = "http://ai-benchmark.com/alpha"


@st.cache_resource(show_spinner=False)
def catalog_for(as_of: str) -> Catalog:
    return load_catalog(as_of)


def catalog_today() -> Catalog:
    return catalog_for(dt.date.today().isoformat())


@st.cache_resource(show_spinner=False)
def run_store():
    from advisor.runs.store import RunStore

    return RunStore()


@st.cache_resource(show_spinner=False)
def evidence_cache():
    """Runs folded into evidence, kept until the store's generation changes (a new run arrives)."""
    from advisor.runs.evidence import EvidenceCache

    return EvidenceCache(run_store())


def evidence_choice() -> EvidenceChoice:
    """Which runs the ranking learns from (the selector on the chat and form pages; default: all)."""
    return EvidenceChoice(st.session_state.get("evidence-choice", EvidenceChoice.ALL.value))


def evidence_selector(key: str) -> None:
    """The 'learn from' choice, shared by every page through the session."""
    choices = list(EvidenceChoice)
    current = evidence_choice()
    picked = st.selectbox("Scores learn from", choices, index=choices.index(current), format_func=lambda c: c.label,
                          key=f"{key}-evidence", help="Your benchmark runs and shared runs (pulled from a course or "
                          "team server) refine the catalog's scores; the basis of every figure says what it rests on.")
    st.session_state["evidence-choice"] = picked.value


def ranked(catalog: Catalog, workload):
    """The ranking with the chosen evidence; the catalog alone (and a warning) when the run store cannot be read."""
    from advisor import recommend

    choice = evidence_choice()
    evidence = None
    if choice is not EvidenceChoice.CATALOG:
        try:
            evidence = evidence_cache().get(catalog, choice)
        except StoreError as exc:
            st.warning(f"Your runs could not be read, so the ranking rests on the catalog alone: {exc}")
    return recommend(catalog, workload, evidence)


# The result views whose "your job's time" widgets may hold a reference job (result_view.reference_job's keys).
REFERENCE_VIEWS = ("chat", "form")


def _reference_from_widgets() -> dict | None:
    """The reference job as its widgets hold it now: read before the ranking is computed, so the hours show in the
    same rerun as the change (UX probe defect 16: they appeared one interaction late)."""
    for key in REFERENCE_VIEWS:
        hours = st.session_state.get(f"{key}-ref-hours") or 0.0
        device = st.session_state.get(f"{key}-ref-device")
        if hours <= 0 or not device or device == "(none)":
            continue
        if device == "my benchmarked machine":
            machine = st.session_state.get("reference_run_score")
            if machine:
                return {"hours": hours, "score": machine}
            continue
        names = {g.name: g.gpu_id for g in catalog_today().gpus.values()}
        if device in names:
            return {"hours": hours, "gpu": names[device]}
    return None


def reference_kwargs() -> dict:
    """The optional reference job (set on the result view), as Workload keyword arguments."""
    ref = _reference_from_widgets() or st.session_state.get("reference")
    if not ref:
        return {}
    device = {"reference_gpu": ref["gpu"]} if ref.get("gpu") else {"reference_score": ref["score"]}
    return {"reference_hours": ref["hours"], **device}


def phone_layout() -> None:
    """On a narrow screen the conversation box is shorter, so the chat input stays on the first screen with the
    quick replies (UX probe defect 18: the input was half below the fold on a 390x844 phone)."""
    st.html("<style>@media (max-width: 640px) { .st-key-chat-log { height: 38vh !important; max-height: 38vh; } "
            "h1 { font-size: 1.3rem !important; padding-top: 0 !important; } "
            "[data-testid='stChatInput'] textarea::placeholder { font-size: 0.8rem; } }</style>")


def focus_chat_input() -> None:
    """Put the keyboard focus in the chat box (on load and after a quick reply), as a chat app does."""
    st.html("<script>setTimeout(() => { const box = window.parent.document.querySelector("
            "'[data-testid=\"stChatInputTextArea\"]') || document.querySelector("
            "'[data-testid=\"stChatInputTextArea\"]'); if (box) { box.focus(); } }, 150);</script>",
            unsafe_allow_javascript=True)
