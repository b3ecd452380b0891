"""Shared fixtures: a tiny synthetic catalog written to a temporary data folder (behaviour tests), the shipped
catalog today and in the founding article's world (acceptance tests)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from advisor.catalog import DATA_DIR, load_catalog

ROOT = Path(__file__).resolve().parent.parent
ARTICLE_DATE = "2022-06-01"
TINY_DATE = "2024-01-01"

# A tiny world whose every number is invented for the tests (example.org sources):
# - lottery-free: a free lottery, 3 sessions in 4 get the slow GPU (8 GiB, AI 4,000), 1 in 4 the fast one (24 GiB,
#   AI 30,000): a higher mean (10,500) than steady-free (9,100) but a far worse bad session; private notebooks.
# - steady-free: a free plan with one mid GPU, 1 notebook at once, 10 GPU h a week, a session limit that a newer
#   undisputed row raised from 6 to 12 h, and an idle timeout on which two sources disagree (30 vs 60 min).
# - units-pro: $10 a month with 100 units, extra units at $0.10; mid burns 2 units/h, fast 5.
# - payg: no subscription, units in packs of 100 for $10 that expire after 90 days.
# - hourly: fast at $1.50/h on demand (a $0.50 commitment price never counts); twin: 2 x mid at $1/h per GPU
#   that needs units-pro's subscription; scarce availability on `twin`.
# - credits: $1/h on mid with $20 of free credits a month.
# - edu: an education-only copy of units-pro at $0.
# - gone: a free plan whose only GPU pool is unavailable.
TINY = {
    "gpus.csv": """gpu_id,name,vendor,memory_gib,fp32_tflops,fp16_tflops,memory_bandwidth_gbps,source,as_of,confidence,note,status
slow,Slow GPU,nvidia,8,2,,200,https://example.org/slow,2020-01-01,official,,
mid,Mid GPU,nvidia,16,6,,400,https://example.org/mid,2020-01-01,official,,
fast,Fast GPU,nvidia,24,12,,900,https://example.org/fast,2020-01-01,official,,
new,New GPU,nvidia,48,20,,1500,https://example.org/new,2020-01-01,official,,
""",
    "plans.csv": """plan_id,platform,plan,price_model,url,rate_card
lottery-free,Lotto,Free,free,https://example.org/lotto,
steady-free,Steady,Free,free,https://example.org/steady,
units-pro,Units,Pro,subscription,https://example.org/units,units
payg,Units,Pay as you go,units,https://example.org/units,units
hourly,Hourly,By the hour,hourly,https://example.org/hourly,hourly
credits,Credits,Starter,hourly,https://example.org/credits,credits
edu,Units,Pro for Education,subscription,https://example.org/edu,units
gone,Gone,Free,free,https://example.org/gone,
""",
    "plan_facts.csv": """plan_id,field,value,as_of,source,confidence,note,status
lottery-free,monthly_price_usd,0,2021-01-01,https://example.org/lotto,official,,
lottery-free,session_limit_hours,12,2021-01-01,https://example.org/lotto,official,,
lottery-free,dynamic_usage_limits,true,2021-01-01,https://example.org/lotto,official,,
lottery-free,private_notebooks,true,2021-01-01,https://example.org/lotto,official,,
steady-free,monthly_price_usd,0,2021-01-01,https://example.org/steady,official,,
steady-free,session_limit_hours,6,2021-01-01,https://example.org/steady,official,,
steady-free,session_limit_hours,12,2023-01-01,https://example.org/steady2,official,,
steady-free,notebooks_running_max,1,2021-01-01,https://example.org/steady,official,,
steady-free,gpu_hours_per_week,10,2021-01-01,https://example.org/steady,official,,
steady-free,selectable_timeout,true,2021-01-01,https://example.org/steady,official,,
steady-free,background_execution,false,2021-01-01,https://example.org/steady,official,,
steady-free,idle_timeout_minutes,60,2023-06-01,https://example.org/steady-docs,official,,disputed
steady-free,idle_timeout_minutes,30,2023-06-01,https://example.org/steady-faq,official,,disputed
steady-free,private_notebooks,true,2023-06-01,https://example.org/rumour,community,,unverified
units-pro,monthly_price_usd,10,2021-01-01,https://example.org/units,official,,
units-pro,included_units,100,2021-01-01,https://example.org/units,official,,
units-pro,usd_per_unit,0.1,2021-01-01,https://example.org/units,official,,
units-pro,background_execution,true,2021-01-01,https://example.org/units,official,,
payg,monthly_price_usd,0,2021-01-01,https://example.org/units,official,,
payg,usd_per_unit,0.1,2021-01-01,https://example.org/units,official,,
payg,pack_usd,10,2021-01-01,https://example.org/units,official,,
payg,pack_units,100,2021-01-01,https://example.org/units,official,,
payg,units_expire_days,90,2021-01-01,https://example.org/units,official,,
hourly,monthly_price_usd,0,2021-01-01,https://example.org/hourly,official,,
credits,monthly_price_usd,0,2021-01-01,https://example.org/credits,official,,
credits,monthly_credit_usd,20,2021-01-01,https://example.org/credits,official,,
edu,monthly_price_usd,0,2021-01-01,https://example.org/edu,official,,
edu,included_units,100,2021-01-01,https://example.org/edu,official,,
edu,usd_per_unit,0.1,2021-01-01,https://example.org/edu,official,,
edu,requires_education,true,2021-01-01,https://example.org/edu,official,,
gone,monthly_price_usd,0,2021-01-01,https://example.org/gone,official,,
""",
    "plan_gpus.csv": """plan_id,option,gpu_id,gpu_count,share,observed_count,as_of,source,confidence,note,status
lottery-free,assigned,slow,1,,3,2021-01-01,https://example.org/lotto,community,,
lottery-free,assigned,fast,1,,1,2021-01-01,https://example.org/lotto,community,,
steady-free,assigned,mid,1,1,,2021-01-01,https://example.org/steady,official,,
units-pro,mid,mid,1,1,,2021-01-01,https://example.org/units,official,,
units-pro,fast,fast,1,1,,2021-01-01,https://example.org/units,official,,
payg,mid,mid,1,1,,2021-01-01,https://example.org/units,official,,
hourly,fast,fast,1,1,,2021-01-01,https://example.org/hourly,official,,
hourly,twin,mid,2,1,,2021-01-01,https://example.org/hourly,official,,
credits,mid,mid,1,1,,2021-01-01,https://example.org/credits,official,,
edu,mid,mid,1,1,,2021-01-01,https://example.org/edu,official,,
gone,assigned,slow,1,1,,2021-01-01,https://example.org/gone,official,,
""",
    "gpu_rates.csv": """rate_card,gpu_id,rate,unit,term,statistic,requires_plan,as_of,source,confidence,note,status
units,mid,2,units_per_hour,on-demand,list,,2021-01-01,https://example.org/units,official,,
units,fast,5,units_per_hour,on-demand,list,,2021-01-01,https://example.org/units,official,,
hourly,fast,1.5,usd_per_hour,on-demand,list,,2021-01-01,https://example.org/hourly,official,,
hourly,fast,0.5,usd_per_hour,commitment,list,,2023-01-01,https://example.org/hourly-reserved,official,,
hourly,mid,1,usd_per_hour,on-demand,list,units-pro,2021-01-01,https://example.org/hourly,official,,
credits,mid,1,usd_per_hour,on-demand,list,,2021-01-01,https://example.org/credits,official,,
""",
    "availability.csv": """plan_id,option,availability,as_of,source,confidence,note,status
hourly,twin,scarce,2023-01-01,https://example.org/hourly-status,community,twins sell out,
gone,*,unavailable,2023-01-01,https://example.org/gone-status,community,pool empty,
""",
    "benchmarks.csv": """subject_type,subject,metric,n,mean,sd,tf_version,precision,source,as_of,confidence,note,status
gpu,slow,ai,4,4000,200,2.0,normal,https://example.org/b,2021-01-01,community,,
gpu,mid,ai,1,9000,,2.0,normal,https://example.org/b,2021-01-01,community,,
gpu,fast,ai,1,30000,,2.0,normal,https://example.org/b,2021-01-01,community,,
gpu,slow,training,1,2000,,2.0,normal,https://example.org/b,2021-01-01,community,,
gpu,mid,training,1,4400,,2.0,normal,https://example.org/b,2021-01-01,community,,
gpu,fast,training,1,10000,,2.0,normal,https://example.org/b,2021-01-01,community,,
gpu,slow,inference,1,2000,,2.0,normal,https://example.org/b,2021-01-01,community,,
gpu,mid,inference,1,4600,,2.0,normal,https://example.org/b,2021-01-01,community,,
gpu,fast,inference,1,10000,,2.0,normal,https://example.org/b,2021-01-01,community,,
gpu,new,ai,1,99999,,2.0,normal,https://example.org/rumour,2021-01-01,community,never checked,unverified
plan,steady-free,ai,5,9100,300,2.0,normal,https://example.org/p,2022-01-01,community,,
""",
}


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A folder holding the tiny synthetic catalog; tests may break its files."""
    for name, text in TINY.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def tiny(tiny_dir):
    return load_catalog(TINY_DATE, tiny_dir)


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory):
    """The tiny catalog, shared by a whole test session (for property tests; never edit its files)."""
    folder = tmp_path_factory.mktemp("tiny")
    for name, text in TINY.items():
        (folder / name).write_text(text, encoding="utf-8")
    return load_catalog(TINY_DATE, folder)


@pytest.fixture
def shipped_dir(tmp_path: Path) -> Path:
    """A copy of the shipped data/ that a test may edit."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


@pytest.fixture(scope="session")
def article_world():
    """The shipped catalog as of the founding article (2022-06-01)."""
    return load_catalog(ARTICLE_DATE)


@pytest.fixture(scope="session")
def today_world():
    """The shipped catalog today."""
    return load_catalog()


@pytest.fixture(autouse=True)
def private_dirs(tmp_path_factory, monkeypatch):
    """Every test gets its own cache and data directories (the spec model's cache, the chat secret, the run store)."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("ADVISOR_RUNS_DB", str(base / "runs.sqlite"))
    monkeypatch.setenv("XDG_DATA_HOME", str(base / "data"))


@pytest.fixture(scope="session")
def pg_cluster():
    """A PostgreSQL server for the store's tests: .ci/run's throwaway cluster (ADVISOR_TEST_PG_URL), or one started
    here and stopped at the end. Skipped, saying why, only where the server binaries are missing."""
    from pg_cluster import server_for_tests

    try:
        server = server_for_tests()
    except FileNotFoundError as exc:
        pytest.skip(f"PostgreSQL tests skipped: {exc} (install Debian's postgresql package; .ci/run does)")
    yield server
    server.stop()
