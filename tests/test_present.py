"""Tests for advisor.present: the phrases, tables, Markdown, JSON and charts every front end uses."""
import json

import pytest

from advisor import Workload, recommend
from advisor.distributions import score_book
from advisor.present.charts import density_points, distribution_chart, frontier, limits_chart, price_score_chart
from advisor.present.json import plans_json, recommend_json
from advisor.present.labels import escape_markdown, gpu_text, money, plain_markdown, score_text, verdict_line, why_text
from advisor.present.markdown import to_markdown
from advisor.present.rows import compare_rows, speedup_rows
from advisor.present.text import format_table, recommend_table, safe
from advisor.vocab import Metric


def _humps(points):
    ys = [y for _, y in points]
    return sum(1 for a, b, c in zip(ys, ys[1:], ys[2:]) if b > a and b >= c)


def test_a_lottery_draws_several_humps_and_a_fixed_gpu_one(tiny):
    book = score_book(tiny)
    lotto, steady = tiny.plan("lottery-free"), tiny.plan("steady-free")
    assert _humps(density_points(book.option_score(lotto, lotto.options[0], Metric.AI))) >= 2
    assert _humps(density_points(book.option_score(steady, steady.options[0], Metric.AI))) == 1


def test_density_integrates_to_about_one(tiny):
    plan = tiny.plan("lottery-free")
    points = density_points(score_book(tiny).option_score(plan, plan.options[0], Metric.AI), points=800)
    area = sum((x2 - x1) * (y1 + y2) / 2 for (x1, y1), (x2, y2) in zip(points, points[1:]))
    assert area == pytest.approx(1, abs=0.02)


@pytest.mark.parametrize("points, expected", [
    ([("a", 0, 100), ("b", 5, 200), ("c", 10, 150)], {"a", "b"}),  # c costs more and is slower than b
    ([("a", 0, 100), ("b", 0, 120)], {"b"}),  # same price, faster wins
    ([("a", 1, 100)], {"a"}),  # alone on the frontier
])
def test_frontier(points, expected):
    assert frontier(points) == expected


def test_charts_build_and_say_ai_score(tiny):
    w = Workload(gpu_hours_per_month=20)
    recs = recommend(tiny, w)
    charts = [distribution_chart([r for r in recs if r.feasible]), price_score_chart(recs), limits_chart(recs, w)]
    specs = [c.to_dict() for c in charts]
    assert specs[0]["title"].startswith("AI score per session")
    limits = json.dumps(specs[2])
    assert "Gone Free" not in limits  # infeasible plans are not charted against your needs


def test_labels(tiny):
    assert money(3.4166) == "$3.42" and money(None) == "-" and money(0) == "$0.00"
    twin = next(o for o in tiny.plan("hourly").options if o.option == "twin")
    assert gpu_text(tiny, twin) == "2 x Mid GPU"
    lotto = tiny.plan("lottery-free").options[0]
    assert gpu_text(tiny, lotto) == "Slow GPU (75%) / Fast GPU (25%)" and gpu_text(tiny, lotto, short=True) == "slow 75% / fast 25%"
    new = score_book(tiny).option_score(tiny.plan("units-pro"), tiny.plan("units-pro").options[0], Metric.AI)
    assert not score_text(new).startswith("~")


def test_why_and_verdict(tiny):
    w = Workload()
    recs = recommend(tiny, w)
    first = recs[0]
    assert why_text(tiny, first, w, 5).startswith("#1 of 5")
    assert verdict_line(tiny, recs, w).startswith(first.plan.label + " (")
    bad = next(r for r in recs if not r.feasible)
    assert why_text(tiny, bad, w, 5).startswith("Not suitable:")


def test_markdown_escapes(tiny):
    assert escape_markdown("costs $3.42") == "costs \\$3.42"
    assert plain_markdown("**hi** <b> $5") == "\\*\\*hi\\*\\* \\<b\\> \\$5"


def test_terminal_text_escapes_control_characters():
    assert safe("ok\x1b]0;PWNED\x07\n") == "ok\\x1b]0;PWNED\\x07\\n"
    table = format_table(["device"], [["\x1b[2Jevil\nforged row"]])
    assert "\x1b" not in table and table.count("\n") == 2


def test_recommend_table_and_markdown(tiny):
    w = Workload(notebooks_at_once=2)
    recs = recommend(tiny, w)
    table = recommend_table(tiny, w, recs)
    assert "steady-free: runs 1 notebook at once; you need 2" in table and "Why:" in table
    md = to_markdown(tiny, w, recs)
    assert "| 1 |" in md and "## Not suitable" in md and "## Sources" in md and "https://example.org/units" in md


def test_json_forms_are_plain_json(tiny):
    w = Workload(needs={"selectable-timeout"})
    data = recommend_json(tiny, w, recommend(tiny, w))
    assert json.loads(json.dumps(data)) == data  # no NaN, no enum or numpy objects
    rec = data["recommendations"][0]
    assert {"code", "text"} == set(rec["reasons"][0] if rec["reasons"] else {"code": 1, "text": 1})
    assert all(p["options"] for p in plans_json(tiny))


def test_rows_for_the_app(tiny):
    rows = compare_rows(tiny, free_only=True)
    assert {r["plan_id"] for r in rows} == {"lottery-free", "steady-free", "gone"}
    speed = speedup_rows(tiny, 4000, reference_hours=10)
    assert speed[0]["times faster"] >= speed[-1]["times faster"]
    assert speed[0]["your job (h)"] == pytest.approx(10 / speed[0]["times faster"], rel=0.05)


# ---------------------------------------------------------------------------------------------
# The format registry (advisor.present.formats): one entry a format, read by the CLI, the API and the app.

def test_every_format_renders_a_ranking_the_cli_and_the_api_serve_it(capsys):
    import json

    from probe_helpers import client

    from advisor import load_catalog
    from advisor.cli import run
    from advisor.present.formats import FORMATS
    from advisor.recommend import recommend
    from advisor.workload import Workload

    assert list(FORMATS) == ["text", "markdown", "json", "jsonl"]
    catalog, workload = load_catalog(), Workload(gpu_memory_gib=16, budget_usd_per_month=20)
    recs = recommend(catalog, workload)
    rendered = {name: f.render(catalog, workload, recs, {}) for name, f in FORMATS.items()}
    top = recs[0].plan.label
    assert top in rendered["text"] and rendered["markdown"].startswith("# GPU notebook recommendation")
    assert json.loads(rendered["json"])["recommendations"][0]["plan_id"] == recs[0].plan_id
    lines = rendered["jsonl"].splitlines()
    assert len(lines) == len(recs) and [json.loads(x)["plan_id"] for x in lines] == [r.plan_id for r in recs]
    # the CLI: --format NAME prints the same document
    for name in FORMATS:
        assert run(["recommend", "--gpu-mem-gb", "16", "--budget-usd", "20", "--format", name,
                    "--evidence", "catalog"]) == 0
        out = capsys.readouterr().out
        assert out.strip() == rendered[name].strip() or name in ("json", "text"), name  # json adds the evidence
    # the API: ?format=NAME, with the format's media type
    api = client()
    for name, form in FORMATS.items():
        response = api.post("/recommend", params={"format": name},
                            json={"gpu_mem_gb": 16, "budget_usd": 20, "evidence": "catalog"})
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            form.media_type.split(";")[0]), (name, response.headers["content-type"])
        assert (recs[0].plan_id if name.startswith("json") else top) in response.text
    assert api.post("/recommend", params={"format": "pdf"}, json={}).status_code == 422
