"""Tests for advisor.data_check on the tiny synthetic catalog: each class of finding the 2026-12 data audit asked for
(rate and exchange-rate age, extrapolated estimates, pool gaps, included units without a unit price, transcript
locators, confidence for third-party copies) is raised by a small bad edit and names file, line and field."""
import datetime as dt

import pytest

from advisor.catalog import Provenance, load_catalog
from advisor.data_check import check_data
from advisor.vocab import Availability, Confidence

TODAY = dt.date(2024, 1, 1)  # the tiny catalog's date (conftest.TINY_DATE)


def _items(tiny_dir, kind, today=TODAY):
    report = check_data(tiny_dir, today)
    assert report.broken is None, report.broken
    return [i for i in report.items if i.kind == kind]


def _append(path, text):
    with path.open("a") as fh:
        fh.write(text)


def _replace(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_an_hourly_rate_older_than_90_days_is_listed_and_a_fresh_one_is_not(tiny_dir):
    # hourly's fast GPU: $1.50 dated 2021-01-01, in force on 2024-01-01 (1,095 days; hourly plans allow 90).
    old = [i for i in _items(tiny_dir, "old_rate") if "hourly fast" in i.what]
    assert [(i.where, i.field) for i in old] == [("gpu_rates.csv, line 4", "rate")]
    _append(tiny_dir / "gpu_rates.csv",
            "hourly,fast,1.6,usd_per_hour,on-demand,list,,2023-12-01,https://example.org/hourly-new,official,,\n")
    assert not [i for i in _items(tiny_dir, "old_rate") if "hourly fast" in i.what]


def test_a_unit_rate_is_allowed_180_days(tiny_dir):
    # units' mid at 2 units/h is 1,095 days old: listed; re-dated to 100 days before, it is not (units: 180).
    assert any("units mid" in i.what for i in _items(tiny_dir, "old_rate"))
    _append(tiny_dir / "gpu_rates.csv",
            "units,mid,2,units_per_hour,on-demand,list,,2023-09-23,https://example.org/units-new,official,,\n")
    assert not any("units mid" in i.what for i in _items(tiny_dir, "old_rate"))


def test_an_exchange_rate_older_than_90_days_is_listed(tiny_dir):
    (tiny_dir / "fx_rates.csv").write_text(
        "currency,usd_per_unit,as_of,source,confidence,note,status\n"
        "EUR,1.10,2023-01-02,https://example.org/ecb,community,,\n"
        "GBP,1.25,2023-12-20,https://example.org/ecb,community,,\n")
    old = _items(tiny_dir, "old_fx")
    assert [(i.where, i.field) for i in old] == [("fx_rates.csv, line 2", "usd_per_unit")]
    assert "EUR" in old[0].what


def test_an_estimate_from_specs_beyond_the_measured_gpus_is_extrapolated(tiny_dir):
    # 'new' (20 TFLOPS, 1,500 GB/s) has only an unverified score, so it is estimated; the measured GPUs span 2-12
    # TFLOPS and 200-900 GB/s. Put it in use.
    _append(tiny_dir / "plans.csv", "newfree,New,Free,free,https://example.org/new,\n")
    _append(tiny_dir / "plan_facts.csv", "newfree,monthly_price_usd,0,2021-01-01,https://example.org/new,official,,\n")
    _append(tiny_dir / "plan_gpus.csv", "newfree,assigned,new,1,1,,2021-01-01,https://example.org/new,official,,\n")
    found = _items(tiny_dir, "extrapolated")
    assert sorted((i.where, i.field) for i in found) == [("gpus.csv, line 5", "fp32_tflops"),
                                                         ("gpus.csv, line 5", "memory_bandwidth_gbps")]
    assert "2-12" in next(i.what for i in found if i.field == "fp32_tflops")


def test_measured_gpus_are_not_extrapolated(tiny_dir):
    assert _items(tiny_dir, "extrapolated") == []


def test_a_sibling_plan_outside_the_pool_is_a_gap_and_one_pool_closes_it(tiny_dir):
    # units-pro's mid is scarce; payg and edu (same platform, same GPU) are each their own pool: two gaps.
    _append(tiny_dir / "availability.csv",
            "units-pro,mid,scarce,2023-06-01,https://example.org/units-status,community,,\n")
    gaps = _items(tiny_dir, "pool_gap")
    assert sorted(i.where for i in gaps) == ["plans.csv, line 5", "plans.csv, line 8"]
    assert {i.field for i in gaps} == {"gpu_pool"}
    # One pool for the three Units plans: the observation applies to all of them, and nothing is left to flag.
    plans = (tiny_dir / "plans.csv").read_text().splitlines()
    pools = {"units-pro": "units", "payg": "units", "edu": "units"}
    rows = [plans[0] + ",gpu_pool"] + [line + "," + pools.get(line.split(",")[0], "") for line in plans[1:]]
    (tiny_dir / "plans.csv").write_text("\n".join(rows) + "\n")
    _replace(tiny_dir / "availability.csv", "plan_id,option", "gpu_pool,option")
    _replace(tiny_dir / "availability.csv", "units-pro,mid,scarce", "units,mid,scarce")
    assert _items(tiny_dir, "pool_gap") == []
    world = load_catalog(TODAY, tiny_dir)
    payg = world.plan("payg")
    assert world.availability(payg, payg.options[0]).availability is Availability.SCARCE


def test_included_units_without_a_unit_price_are_listed(tiny_dir):
    # The 2026-12 audit's cost hole: Colab Pro for Education had 100 included units and no price for the 101st.
    assert _items(tiny_dir, "no_unit_price") == []
    _replace(tiny_dir / "plan_facts.csv", "edu,usd_per_unit,0.1,2021-01-01,https://example.org/edu,official,,\n", "")
    found = _items(tiny_dir, "no_unit_price")
    assert [(i.where, i.field) for i in found] == [("plan_facts.csv, line 29", "usd_per_unit")]


def test_a_transcripts_description_is_a_weak_locator(tiny_dir):
    _replace(tiny_dir / "plan_facts.csv", "hourly,monthly_price_usd,0,2021-01-01,https://example.org/hourly,",
             'hourly,monthly_price_usd,0,2021-01-01,"Console transcript (api.example.org vmTypes/getVmTypes '
             'responses; chat copy without a repository path)",')
    found = _items(tiny_dir, "weak_locator")
    assert [(i.where, i.field) for i in found] == [("plan_facts.csv, line 25", "source")]


@pytest.mark.parametrize("source, strict", [
    ("https://github.com/googlecolab/colabtools/issues/6076", True),  # a URL
    ("Kaggle/kaggle-cli, docs/kernels.md @ f8f1bf0774ffc7159885749a08520b62532d9a0e", True),  # repository and path
    ("jeremydiba/GPU-benchmark, DL Benchmarks.ipynb @ 30fe7c28", True),  # a file name with a space, and a commit
    ("googlecolab/colabtools#3744", True),  # an issue number
    ("copy 36171666050", True),  # a stored public copy's id
    # the 2026-12 audit's false negative: an API method name in a transcript's description
    ("Paperspace console machine list transcript (api.paperspace.io vmTypes/getVmTypesByClusters responses)", False),
    ("TechPowerUp GPU Database (techpowerup.com/gpu-specs) entry tesla-v100-sxm2-16-gb", False),  # a site, no page
])
def test_the_strict_locator(source, strict):
    p = Provenance(source=source, as_of=TODAY, confidence=Confidence.COMMUNITY)
    assert p.has_strict_locator is strict


@pytest.mark.parametrize("source, confidence, flagged", [
    ("https://example.org/pricing as transcribed in someone/plans, plans/x.yml @ 1234567", "official", True),
    ("https://github.com/example/tool/issues/12", "official", True),  # an issue thread is never the official page
    ("https://github.com/example/tool/issues/12", "maintainer", False),
    ("https://example.org/pricing", "official", False),
])
def test_official_confidence_for_a_third_party_copy_is_listed(tiny_dir, source, confidence, flagged):
    _replace(tiny_dir / "plan_facts.csv", "credits,monthly_credit_usd,20,2021-01-01,https://example.org/credits,official,",
             f'credits,monthly_credit_usd,20,2021-01-01,"{source}",{confidence},')
    found = _items(tiny_dir, "confidence")
    assert [(i.where, i.field) for i in found] == ([("plan_facts.csv, line 27", "confidence")] if flagged else [])


def test_every_item_names_a_file_a_line_and_a_field(tiny_dir):
    report = check_data(tiny_dir, TODAY)
    assert report.items
    for item in report.items:
        assert ".csv, line " in item.where and item.field, item
        assert item.to_dict()["field"] == item.field
    assert "field '" in report.to_text()


def test_a_broken_file_is_the_only_item(tiny_dir):
    _replace(tiny_dir / "plans.csv", "hourly,Hourly,By the hour,hourly", "hourly,Hourly,By the hour,weekly")
    report = check_data(tiny_dir, TODAY)
    assert report.broken.startswith("plans.csv, line 6, field 'price_model'") and report.items == []
