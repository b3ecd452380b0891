"""Tests for the CLI (python -m advisor), run as a user runs it: in a subprocess."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT


def advisor(*args, check=False):
    return subprocess.run([sys.executable, "-m", "advisor", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=check)


def test_plans_json_lists_every_plan_with_sources():
    out = json.loads(advisor("plans", "--json", check=True).stdout)
    ids = [p["plan_id"] for p in out]
    assert "colab-free" in ids and "kaggle-free" in ids
    for plan in out:
        for key in ("plan_id", "platform", "plan", "monthly_price_usd", "limits", "score", "as_of", "sources"):
            assert key in plan
        assert plan["sources"] and all(s["source"] and s["as_of"] for s in plan["sources"])


def test_plans_as_of_the_article_shows_its_world():
    out = json.loads(advisor("plans", "--as-of", "2022-06-01", "--json", check=True).stdout)
    colab = next(p for p in out if p["plan_id"] == "colab-free")
    assert colab["score"]["mean"] == 10773 and colab["score"]["basis"] == "measured" and colab["score"]["n"] == 15
    assert "colab-payg" not in [p["plan_id"] for p in out]


def test_plans_table_is_readable():
    out = advisor("plans", check=True).stdout
    assert "colab-free" in out and "AI score" in out and "~" in out  # estimates are marked


def test_recommend_json_has_the_documented_fields():
    out = json.loads(advisor("recommend", "--workload", "training", "--gpu-mem-gb", "16", "--needs",
                             "private,background", "--budget-usd", "60", "--json", check=True).stdout)
    assert set(out) >= {"as_of", "workload", "recommendations"}
    assert out["workload"]["needs"] == ["background", "private"]
    recs = out["recommendations"]
    flags = [r["feasible"] for r in recs]
    assert flags == sorted(flags, reverse=True)
    for r in recs:
        for key in ("plan_id", "platform", "plan", "feasible", "reasons", "monthly_cost_usd", "score", "usd_per_1k_score"):
            assert key in r
        if r["score"]:
            assert set(r["score"]) >= {"mean", "sd", "p10", "p50", "p90", "basis"}


def test_recommend_article_world_free_only_puts_colab_first_of_the_two():
    out = json.loads(advisor("recommend", "--free-only", "--as-of", "2022-06-01", "--json", check=True).stdout)
    ids = [r["plan_id"] for r in out["recommendations"]]
    assert ids.index("colab-free") < ids.index("gradient-free")


def test_recommend_table_shows_ranks_and_reasons():
    out = advisor("recommend", "--concurrent", "2", "--as-of", "2022-06-01", check=True).stdout
    assert "Why:" in out and "Not suitable:" in out and "gradient-free" in out


@pytest.mark.parametrize("args, option", [
    (["recommend", "--gpu-mem-gb", "lots"], "--gpu-mem-gb"),  # not a number
    (["recommend", "--gpu-mem-gb", "-4"], "--gpu-mem-gb"),  # negative
    (["recommend", "--workload", "gaming"], "--workload"),  # unknown choice
    (["recommend", "--needs", "gpu,private"], "--needs"),  # unknown need
    (["recommend", "--predictability", "max"], "--predictability"),  # unknown level
    (["recommend", "--concurrent", "1.5"], "--concurrent"),  # not whole
    (["recommend", "--as-of", "yesterday"], "--as-of"),  # not a date
    (["recommend", "--as-of", "2999-01-01"], "--as-of"),  # future
    (["recommend", "--reference-hours", "2"], "--reference-hours"),  # no reference device
    (["recommend", "--reference-hours", "2", "--reference-gpu", "Z9"], "--reference-gpu"),  # unknown GPU
    (["recommend", "--reference-gpu", "t4", "--reference-score", "5"], "--reference-score"),  # both
    (["recommend", "--session-hours", "nan"], "--session-hours"),  # NaN
    (["recommend", "--budget-usd", "inf"], "--budget-usd"),  # infinite
    (["frobnicate"], "command"),  # unknown command
])
def test_bad_input_exits_2_with_one_line_naming_the_option(args, option):
    result = advisor(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert option in lines[0] or (option == "command" and "choose from" in lines[0])
    assert "Traceback" not in result.stderr


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from advisor.cli import run  # noqa: E402

OPTIONS = ["--gpu-mem-gb", "--session-hours", "--gpu-hours-per-month", "--concurrent", "--budget-usd", "--needs",
           "--workload", "--predictability", "--reference-gpu", "--as-of"]


@given(st.sampled_from(OPTIONS), st.text(max_size=40))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_option_value_gives_a_result_or_one_line_error(capsys, option, value):
    args = ["recommend", option, value]
    if option == "--reference-gpu":
        args += ["--reference-hours", "1"]
    code = run(args)
    out, err = capsys.readouterr()
    assert code in (0, 2)
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and err.startswith("error:")
    else:
        assert "Recommendations" in out
