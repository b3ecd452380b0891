"""Tests for the CLI (`advisor`, `python -m advisor`): commands through run(argv) with captured output, and a few
in a subprocess, as a user runs them."""
import json
import subprocess
import sys

import pytest
from conftest import ROOT

from advisor.cli import FLAGS, build_parser, run
from advisor.data_check import DataReport
from advisor.workload import WORKLOAD_FIELDS


def cli(capsys, *args):
    code = run(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_plans_json_lists_every_plan_with_sources(capsys):
    code, out, _ = cli(capsys, "plans", "--json")
    plans = json.loads(out)
    assert code == 0 and {"colab-free", "kaggle-free"} <= {p["plan_id"] for p in plans}
    for plan in plans:
        assert {"plan_id", "platform", "plan", "monthly_price_usd", "limits", "score", "as_of", "sources"} <= set(plan)
        assert plan["sources"] and all(s["source"] and s["as_of"] for s in plan["sources"])


def test_plans_as_of_the_article_shows_its_world(capsys):
    _, out, _ = cli(capsys, "plans", "--as-of", "2022-06-01", "--json")
    colab = next(p for p in json.loads(out) if p["plan_id"] == "colab-free")
    assert (colab["score"]["mean"], colab["score"]["basis"], colab["score"]["n"]) == (10773, "measured", 15)


def test_recommend_json_has_the_documented_fields(capsys):
    code, out, _ = cli(capsys, "recommend", "--workload", "training", "--gpu-mem-gb", "16", "--needs",
                       "private,background", "--nice-to-have", "deployment", "--budget-usd", "60", "--json")
    data = json.loads(out)
    assert code == 0 and {"as_of", "workload", "verdict", "recommendations"} <= set(data)
    assert data["workload"]["needs"] == ["background", "private"] and data["workload"]["nice_to_have"] == ["deployment"]
    for r in data["recommendations"]:
        assert {"plan_id", "feasible", "reasons", "caveats", "monthly_cost_usd", "score", "stale_facts"} <= set(r)
        assert all(set(x) == {"code", "text"} for x in r["reasons"] + r["caveats"])


def test_recommend_table_shows_ranks_reasons_and_stale_footnote(capsys):
    code, out, _ = cli(capsys, "recommend", "--concurrent", "2", "--as-of", "2022-06-01")
    assert code == 0 and "Why:" in out and "Not suitable:" in out
    assert "gradient-free: runs 1 notebook at once; you need 2" in out
    assert "* rests on facts older than 180 days" in out


@pytest.mark.parametrize("args, expected", [
    (["recommend", "--gpu-mem-gb", "-5"], "--gpu-mem-gb: expected GiB of GPU memory from 0 to 1,024, got '-5'"),
    (["recommend", "--budget-usd", "-inf"], "--budget-usd: expected USD a month from 0"),  # a dashed value (D19)
    (["recommend", "--workload", "gaming"], "--workload: invalid choice"),
    (["recommend", "--needs", "gpu"], "--needs: expected a comma-separated list of selectable-timeout"),
    (["recommend", "--reference-hours", "2"], "--reference-hours: also give the device"),
    (["recommend", "--reference-hours", "2", "--reference-gpu", "k81"], "--reference-gpu: unknown GPU 'k81'"),
    (["recommend", "--reference-run", "10000000000000000000000000000000"], "--reference-run: expected a run id"),  # D14
    (["plans", "--as-of", "2999-01-01"], "--as-of: expected a date no later than today"),
    (["plans", "--as-of", "20220601"], "--as-of: expected a date like 2022-06-01"),
    (["serve", "--port", "70000"], "--port: expected a port from 1 to 65,535"),  # D13
    (["recommend", "--reference-hours", "1", "--reference-gpu", "t4\x1b[2J"], "\\x1b[2J"),  # control characters stay escaped, on one line
])
def test_bad_input_is_one_line_and_exit_2(capsys, args, expected):
    code, out, err = cli(capsys, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and expected in err, err


def test_data_check_lists_the_maintainers_to_do(capsys):
    code, out, _ = cli(capsys, "data", "check", "--json")
    report = json.loads(out)
    assert code == 0 and report["broken"] is None
    # Every kind of finding the data check knows is counted, the audit's 2026-12 classes among them.
    assert set(report["counts"]) == set(DataReport.KINDS)
    assert {"old_rate", "old_fx", "extrapolated", "pool_gap", "no_unit_price", "weak_locator", "confidence"} <= \
        set(report["counts"])


def test_data_check_exits_1_on_a_broken_file(capsys, shipped_dir):
    (shipped_dir / "plans.csv").write_text("plan_id\nx\n")
    code, out, _ = cli(capsys, "data", "check", "--data-dir", str(shipped_dir))
    assert code == 1 and out.startswith("broken: plans.csv, line 1: missing column")


def test_every_workload_field_has_a_flag():
    assert set(FLAGS) == set(WORKLOAD_FIELDS)
    options = {o for a in build_parser()._subparsers._group_actions[0].choices["recommend"]._actions
               for o in a.option_strings}
    assert set(FLAGS.values()) <= options


def test_every_command_is_documented_with_help_and_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    commands = build_parser()._subparsers._group_actions[0].choices
    for name, parser in commands.items():
        assert parser.description, name
        assert f"advisor {name}" in readme, f"the README does not show `advisor {name}`"


def test_console_script_and_module_both_run():
    for argv in (["advisor", "--help"], [sys.executable, "-m", "advisor", "--help"]):
        if argv[0] == "advisor":
            argv[0] = str(ROOT / ".venv" / "bin" / "advisor")
        result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "recommend" in result.stdout
