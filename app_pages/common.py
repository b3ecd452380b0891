"""What every page shares: the cached catalog and run store, the reference job, and errors shown as messages."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from advisor import load_catalog
from advisor.catalog import Catalog

AI_BENCHMARK_URL = "http://ai-benchmark.com/alpha"


@st.cache_resource(show_spinner=False)
def catalog_for(as_of: str) -> Catalog:
    return load_catalog(as_of)


def catalog_today() -> Catalog:
    return catalog_for(dt.date.today().isoformat())


@st.cache_resource(show_spinner=False)
def run_store():
    from advisor.store import RunStore

    return RunStore()


def reference_kwargs() -> dict:
    """The optional reference job (set on the result view), as Workload keyword arguments."""
    ref = st.session_state.get("reference")
    if not ref:
        return {}
    device = {"reference_gpu": ref["gpu"]} if ref.get("gpu") else {"reference_score": ref["score"]}
    return {"reference_hours": ref["hours"], **device}


def focus_chat_input() -> None:
    """Put the keyboard focus in the chat box (on load and after a quick reply), as a chat app does."""
    st.html("<script>setTimeout(() => { const box = window.parent.document.querySelector("
            "'[data-testid=\"stChatInputTextArea\"]') || document.querySelector("
            "'[data-testid=\"stChatInputTextArea\"]'); if (box) { box.focus(); } }, 150);</script>",
            unsafe_allow_javascript=True)
