"""Tests for advisor.catalog: loading, validation with clear errors, and as-of resolution."""
import datetime as dt

import pytest

from advisor.catalog import CONFIDENCES, load_catalog, load_raw
from advisor.errors import CatalogError, UnknownGpuError, UnknownPlanError

STABLE_IDS = ["colab-free", "colab-pro", "colab-pro-plus", "colab-payg", "gradient-free", "gradient-pro",
              "gradient-growth", "kaggle-free", "studiolab-free"]


def test_shipped_catalog_has_the_stable_plan_ids_today(today_world):
    for plan_id in STABLE_IDS:
        assert plan_id in today_world.plans
    hourly = [p for p in today_world.plans.values() if p.price_model == "hourly"]
    assert len(hourly) >= 2


def test_every_shipped_value_has_a_source_a_date_and_a_confidence():
    raw = load_raw()
    provenances = [g.provenance for g in raw.gpus.values()] + [f.provenance for f in raw.facts] \
        + [o.provenance for _, o in raw.options] + [r.provenance for r in raw.rates] + [e.provenance for e in raw.evidence]
    assert len(provenances) > 150
    for p in provenances:
        assert p.source.strip() and isinstance(p.as_of, dt.date) and p.confidence in CONFIDENCES


def test_as_of_takes_the_newest_observation_on_or_before_the_date():
    # Gradient Free's auto-shutdown: 6 h in the old docs, 12 h on the 2026-09 pricing page.
    assert load_catalog("2022-06-01").plan("gradient-free").fact("session_limit_hours") == 6
    assert load_catalog("2026-10-01").plan("gradient-free").fact("session_limit_hours") == 12
    # Both observations stay visible as history.
    assert len(load_catalog().plan("gradient-free").history["session_limit_hours"]) == 2


def test_article_world_shows_the_k80_lottery_and_today_the_t4(article_world, today_world):
    old = article_world.plan("colab-free").options[0]
    assert dict(old.shares) == pytest.approx({"k80": 10 / 15, "p100": 4 / 15, "t4": 1 / 15})
    assert old.observed_counts == (10, 4, 1)
    assert dict(today_world.plan("colab-free").options[0].shares) == {"t4": 1.0}


def test_plans_appear_only_once_they_have_a_price_on_record(article_world):
    # Pay as you go launched 2022-09-29, after the article.
    assert "colab-payg" not in article_world.plans
    with pytest.raises(UnknownPlanError, match="later --as-of"):
        article_world.plan("colab-payg")


def test_tie_on_a_date_keeps_both_and_uses_the_first_listed(today_world):
    kaggle = today_world.plan("kaggle-free")
    assert kaggle.fact("idle_timeout_minutes") == 20
    assert sorted(o.value for o in kaggle.history["idle_timeout_minutes"]) == [20, 60]


def test_unknown_plan_suggests_close_matches(today_world):
    with pytest.raises(UnknownPlanError, match="did you mean colab-pro"):
        today_world.plan("colab-pr")


@pytest.mark.parametrize("name, expected", [
    ("T4", "t4"),  # the common name
    ("Tesla T4", "t4"),  # the full name
    ("a100 40gb", "a100-40gb"),  # spaces for dashes
    ("A100-40GB", "a100-40gb"),  # case
])
def test_gpu_lookup_by_id_or_name(today_world, name, expected):
    assert today_world.gpu(name).gpu_id == expected


def test_unknown_gpu_suggests_close_matches(today_world):
    with pytest.raises(UnknownGpuError, match="did you mean"):
        today_world.gpu("t5")


def test_future_as_of_is_refused():
    with pytest.raises(ValueError, match="future"):
        load_catalog(dt.date.today() + dt.timedelta(days=1))


def _replace(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("file, old, new, expected", [
    # a negative price
    ("plan_facts.csv", "units-pro,monthly_price_usd,10,", "units-pro,monthly_price_usd,-10,",
     r"plan_facts.csv, line 10, field 'value': -10 is out of range"),
    # allocation shares that do not sum to 1
    ("plan_gpus.csv", "steady-free,assigned,mid,1,", "steady-free,assigned,mid,0.8,", r"plan_gpus.csv, line 4, field 'share'.*sum to 0.8"),
    # an unknown GPU in an allocation
    ("plan_gpus.csv", "hourly,fast,fast,1,", "hourly,fast,faast,1,", r"plan_gpus.csv, line 7, field 'gpu_id': unknown GPU 'faast' \(did you mean fast"),
    # a date in the future
    ("gpu_rates.csv", "hourly,fast,1.5,usd_per_hour,2021-01-01", "hourly,fast,1.5,usd_per_hour,2999-01-01",
     r"gpu_rates.csv, line 4, field 'as_of': 2999-01-01 is in the future"),
    # a date that is not a date
    ("benchmarks.csv", "gpu,mid,ai,1,9000,,2.0,normal,https://example.org/b,2021-01-01", "gpu,mid,ai,1,9000,,2.0,normal,https://example.org/b,01/01/2021",
     r"benchmarks.csv, line 3, field 'as_of': '01/01/2021' is not a date"),
    # a boolean that is not one
    ("plan_facts.csv", "selectable_timeout,true", "selectable_timeout,maybe", r"field 'value': 'maybe' is not true or false"),
    # an unknown fact
    ("plan_facts.csv", "steady-free,notebooks_running_max", "steady-free,notebooks_runing_max", r"unknown field 'notebooks_runing_max' \(did you mean notebooks_running_max"),
    # a missing source
    ("gpus.csv", "https://example.org/slow", "", r"gpus.csv, line 2, field 'source': is empty"),
    # an unknown confidence
    ("gpus.csv", "2020-01-01,official,\nmid", "2020-01-01,trustme,\nmid", r"gpus.csv, line 2, field 'confidence': 'trustme' is not one of"),
    # a missing column
    ("plans.csv", "plan_id,platform,plan,price_model,url,rate_card", "plan_id,platform,plan,price_model,url",
     r"plans.csv, line 1: missing column\(s\) rate_card"),
    # a score that is not a number
    ("benchmarks.csv", "gpu,fast,ai,1,20000", "gpu,fast,ai,1,lots", r"benchmarks.csv, line 4, field 'mean': 'lots' is not a score"),
    # an id twice
    ("gpus.csv", "mid,Mid GPU", "slow,Mid GPU", r"gpus.csv, line 3, field 'gpu_id': 'slow' is listed twice"),
    # a stray comma makes an extra field
    ("plans.csv", "https://example.org/lotto,", "https://example.org/lotto,x,", r"plans.csv, line 2: more fields than the header"),
    # NaN is not a number the catalog accepts
    ("gpus.csv", "mid,Mid GPU,nvidia,16,", "mid,Mid GPU,nvidia,nan,", r"gpus.csv, line 3, field 'memory_gib': nan is out of range"),
])
def test_broken_file_gives_one_clear_error_naming_file_line_and_field(tiny_dir, file, old, new, expected):
    _replace(tiny_dir / file, old, new)
    with pytest.raises(CatalogError, match=expected):
        load_catalog("2024-01-01", tiny_dir)


def test_missing_file_is_named(tiny_dir):
    (tiny_dir / "gpu_rates.csv").unlink()
    with pytest.raises(CatalogError, match="gpu_rates.csv: file not found"):
        load_catalog("2024-01-01", tiny_dir)


def test_binary_garbage_is_a_clear_error(tiny_dir):
    (tiny_dir / "plans.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CatalogError, match="plans.csv: not UTF-8"):
        load_catalog("2024-01-01", tiny_dir)


def test_editing_a_file_is_seen_on_the_next_load(tiny_dir):
    assert load_catalog("2024-01-01", tiny_dir).plan("units-pro").monthly_price_usd == 10
    _replace(tiny_dir / "plan_facts.csv", "units-pro,monthly_price_usd,10,", "units-pro,monthly_price_usd,12.5,")
    assert load_catalog("2024-01-01", tiny_dir).plan("units-pro").monthly_price_usd == 12.5


def test_shipped_data_edit_is_validated(shipped_dir):
    _replace(shipped_dir / "plan_gpus.csv", "colab-free,assigned,k80,,10,", "colab-free,assigned,k80,,-10,")
    with pytest.raises(CatalogError, match=r"plan_gpus.csv, line 2, field 'observed_count'"):
        load_catalog("2022-06-01", shipped_dir)
