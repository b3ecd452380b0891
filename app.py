"""The advisor's Streamlit app: `streamlit run app.py`. This file is the router; each page is a module in
app_pages/ that reads like a description of its UI, and all the logic lives in advisor/."""
import streamlit as st

# No icons: a page's Material or emoji icon becomes the favicon, fetched from a font CDN; the default is served locally.
st.set_page_config(page_title="GPU notebook advisor", layout="wide")

PAGES = [
    st.Page("app_pages/chat.py", title="Chat", default=True),
    st.Page("app_pages/form.py", title="Form"),
    st.Page("app_pages/compare.py", title="Compare plans"),
    st.Page("app_pages/benchmark.py", title="Benchmark"),
    st.Page("app_pages/data.py", title="Data"),
]

# Navigation at the top: no sidebar to close on a phone after choosing a page.
st.navigation(PAGES, position="top").run()
