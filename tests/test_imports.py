"""Fast start: the advisor package imports neither streamlit nor tensorflow (TensorFlow loads in the benchmark
worker process only)."""
import subprocess
import sys

from conftest import ROOT


def test_advisor_imports_neither_streamlit_nor_tensorflow():
    code = ("import sys, advisor, advisor.cli, advisor.api, advisor.chat, advisor.bench, advisor.charts, advisor.report, "
            "advisor.store; from advisor import load_catalog, recommend, Workload; "
            "recommend(load_catalog(), Workload()); "
            "bad = [m for m in ('tensorflow', 'streamlit', 'ai_benchmark', 'tf_keras') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_no_module_of_the_core_mentions_streamlit():
    for path in (ROOT / "advisor").rglob("*.py"):
        text = path.read_text()
        assert "import streamlit" not in text and "from streamlit" not in text, path
