"""The data page: every fact with its source, date and standing (in force, disputed, stale, unverified)."""
import datetime as dt

import streamlit as st

from advisor.catalog import load_raw
from advisor.present.rows import allocation_rows, evidence_rows, fact_rows, gpu_score_rows, rate_rows
from advisor.vocab import STALE_AFTER_DAYS
from app_pages.common import catalog_today

st.title("Where the numbers come from")
raw = load_raw()
today = dt.date.today()
catalog = catalog_today()
link = st.column_config.LinkColumn("source", display_text=r"https?://(?:www\.)?([^/]+).*")
st.caption(f"Facts older than {STALE_AFTER_DAYS} days are flagged as possibly stale. Newer observations win; older "
           "ones stay as history. Where sources disagree both are kept and the stricter binds; unverified rows are "
           "shown but never used. The maintainer's to-do list: `advisor data check`.")
st.subheader("Plan facts")
st.dataframe(fact_rows(raw, catalog, today), hide_index=True, column_config={"source": link}, width="stretch",
             key="data-facts")
st.subheader("GPU allocations")
st.dataframe(allocation_rows(raw), hide_index=True, column_config={"source": link}, width="stretch",
             key="data-allocations")
st.subheader("Prices per GPU hour")
st.dataframe(rate_rows(raw, today), hide_index=True, column_config={"source": link}, width="stretch", key="data-rates")
st.subheader("GPU scores")
st.dataframe(gpu_score_rows(catalog), hide_index=True, width="stretch", key="data-scores")
st.subheader("Published benchmark results")
st.dataframe(evidence_rows(raw), hide_index=True, column_config={"source": link}, width="stretch",
             key="data-evidence")
