"""The advisor's Streamlit app: `streamlit run app.py`. This file is the router; each page is a module in
app_pages/ that reads like a description of its UI, and all the logic lives in advisor/."""
import streamlit as st

st.set_page_config(page_title="GPU notebook advisor", page_icon="🧮", layout="wide")

PAGES = [
    st.Page("app_pages/chat.py", title="Chat", icon="💬", default=True),
    st.Page("app_pages/form.py", title="Form", icon="📝"),
    st.Page("app_pages/compare.py", title="Compare plans", icon="📊"),
    st.Page("app_pages/benchmark.py", title="Benchmark", icon="⏱️"),
    st.Page("app_pages/data.py", title="Data", icon="📚"),
]

# Navigation at the top: no sidebar to close on a phone after choosing a page.
st.navigation(PAGES, position="top").run()
