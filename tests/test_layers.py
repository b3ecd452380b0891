"""The house's shape: imports only go down the layers (lazily or not), the core never imports the front ends or
Streamlit, and the CLI's hot path stays free of heavy libraries."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "advisor"
# Lower numbers are lower layers; a module may import its own layer (inside its package) and below. files (the
# bounded reads) sits between errors and everything that reads a file.
LAYERS = {"vocab": 0, "errors": 0, "files": 0.5, "catalog": 1, "workload": 1, "runs": 2, "estimate": 2, "job": 2,
          "bench": 3,
          "costs": 3, "distributions": 3, "evidence": 3, "recommend": 4, "data_check": 5, "present": 5, "chat": 6,
          "api": 7, "cli": 8, "__init__": 9, "__main__": 10, "_version": 0}


def _component(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "advisor" else "__init__"


def _imports(path: Path) -> list[str]:
    """Every advisor module the file imports, at the top or inside a function, as absolute names."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "advisor"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] == "advisor":
                found.append(module)
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_only_go_down(path):
    own = _component(".".join(path.relative_to(ROOT).with_suffix("").parts))
    assert own in LAYERS, f"{own} has no layer: add it to LAYERS"
    for module in _imports(path):
        other = _component(module)
        if other == own:
            continue
        assert LAYERS[other] < LAYERS[own], f"{path.name} ({own}) imports {module} ({other}), a layer above or beside"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_never_imports_streamlit(path):
    text = path.read_text()
    assert "import streamlit" not in text and "from streamlit" not in text


def test_cli_hot_path_imports_no_heavy_library(tmp_path):
    # A warm spec-model cache: the first run fits the model (scikit-learn), the second must not import it.
    env = {"ADVISOR_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    code = ("import sys; from advisor.cli import run; run(['recommend', '--gpu-mem-gb', '16']); run(['--help']) "
            "if False else None; heavy = [m for m in ('tensorflow', 'streamlit', 'sklearn', 'scipy', 'pandas', "
            "'fastapi', 'pydantic', 'altair') if m in sys.modules]; print(heavy, file=sys.stderr); sys.exit(bool(heavy))")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    second = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr


def test_the_api_and_chat_import_no_tensorflow_or_streamlit():
    code = ("import sys, advisor.api, advisor.chat, advisor.bench, advisor.present.charts; "
            "bad = [m for m in ('tensorflow', 'streamlit', 'ai_benchmark', 'tf_keras') if m in sys.modules]; "
            "print(bad); sys.exit(bool(bad))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
