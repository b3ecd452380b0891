"""The compare page: every plan option side by side at any date (2022-06-01 shows the founding article's world)."""
import datetime as dt

import streamlit as st

from advisor import Workload, recommend
from advisor.present.charts import distribution_chart
from advisor.present.json import plans_json
from advisor.present.rows import compare_rows
from app_pages.common import catalog_for

st.title("Compare plans")
c1, c2, c3 = st.columns([1, 2, 1])
as_of = c1.date_input("Catalog as of", value=dt.date.today(), min_value=dt.date(2019, 1, 1), max_value=dt.date.today(),
                      help="2022-06-01 shows the founding article's world", key="compare-as-of")
catalog = catalog_for(as_of.isoformat())
platforms = sorted({p.platform for p in catalog.plans.values()})
chosen = c2.multiselect("Platforms", platforms, default=platforms, key="compare-platforms")
free_only = c3.checkbox("Free plans only", key="compare-free")
min_memory = st.slider("At least this much GPU memory (GiB)", 0, 96, 0, key="compare-memory")
rows = compare_rows(catalog, set(chosen), free_only, min_memory)
st.caption("~ marks a score estimated from spec sheets; empty cells: not published by the platform. "
           "Prices are per GPU hour (compute units for Colab, where a unit costs $0.0999 at the pay-as-you-go rate).")
st.dataframe([{k: v for k, v in row.items() if k != "plan_id"} for row in rows], hide_index=True, width="stretch",
             key="compare-table")
shown = {row["plan_id"] for row in rows}
chart = distribution_chart([r for r in recommend(catalog, Workload()) if r.plan_id in shown and r.score], limit=12)
if chart is not None:
    st.altair_chart(chart, width="stretch")
with st.expander("As JSON"):
    st.json([p for p in plans_json(catalog) if p["plan_id"] in shown], expanded=1)
