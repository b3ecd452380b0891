"""Shared fixtures: the shipped catalog, and a tiny synthetic catalog written to a temporary data folder."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.catalog import DATA_DIR, load_catalog  # noqa: E402

ARTICLE_DATE = "2022-06-01"

TINY = {
    "gpus.csv": """gpu_id,name,vendor,memory_gib,fp32_tflops,fp16_tflops,memory_bandwidth_gbps,source,as_of,confidence,note
slow,Slow GPU,nvidia,8,2,,200,https://example.org/slow,2020-01-01,official,
mid,Mid GPU,nvidia,16,6,,400,https://example.org/mid,2020-01-01,official,
fast,Fast GPU,nvidia,24,12,,900,https://example.org/fast,2020-01-01,official,
new,New GPU,nvidia,48,20,,1500,https://example.org/new,2020-01-01,official,
""",
    "plans.csv": """plan_id,platform,plan,price_model,url,rate_card
lottery-free,Lotto,Free,free,https://example.org/lotto,
steady-free,Steady,Free,free,https://example.org/steady,
units-pro,Units,Pro,subscription,https://example.org/units,units
hourly,Hourly,By the hour,hourly,https://example.org/hourly,hourly
""",
    "plan_facts.csv": """plan_id,field,value,as_of,source,confidence,note
lottery-free,monthly_price_usd,0,2021-01-01,https://example.org/lotto,official,
lottery-free,session_limit_hours,12,2021-01-01,https://example.org/lotto,official,
steady-free,monthly_price_usd,0,2021-01-01,https://example.org/steady,official,
steady-free,session_limit_hours,6,2021-01-01,https://example.org/steady,official,
steady-free,session_limit_hours,12,2023-01-01,https://example.org/steady2,official,
steady-free,notebooks_running_max,1,2021-01-01,https://example.org/steady,official,
steady-free,gpu_hours_per_week,10,2021-01-01,https://example.org/steady,official,
steady-free,selectable_timeout,true,2021-01-01,https://example.org/steady,official,
units-pro,monthly_price_usd,10,2021-01-01,https://example.org/units,official,
units-pro,included_units,100,2021-01-01,https://example.org/units,official,
units-pro,usd_per_unit,0.1,2021-01-01,https://example.org/units,official,
hourly,monthly_price_usd,0,2021-01-01,https://example.org/hourly,official,
""",
    "plan_gpus.csv": """plan_id,option,gpu_id,share,observed_count,as_of,source,confidence,note
lottery-free,assigned,slow,,3,2021-01-01,https://example.org/lotto,community,
lottery-free,assigned,fast,,1,2021-01-01,https://example.org/lotto,community,
steady-free,assigned,mid,1,,2021-01-01,https://example.org/steady,official,
units-pro,mid,mid,1,,2021-01-01,https://example.org/units,official,
units-pro,fast,fast,1,,2021-01-01,https://example.org/units,official,
hourly,fast,fast,1,,2021-01-01,https://example.org/hourly,official,
""",
    "gpu_rates.csv": """rate_card,gpu_id,rate,unit,as_of,source,confidence,note
units,mid,2,units_per_hour,2021-01-01,https://example.org/units,official,
units,fast,5,units_per_hour,2021-01-01,https://example.org/units,official,
hourly,fast,1.5,usd_per_hour,2021-01-01,https://example.org/hourly,official,
""",
    "benchmarks.csv": """subject_type,subject,metric,n,mean,sd,tf_version,precision,source,as_of,confidence,note
gpu,slow,ai,4,4000,200,2.0,normal,https://example.org/b,2021-01-01,community,
gpu,mid,ai,1,9000,,2.0,normal,https://example.org/b,2021-01-01,community,
gpu,fast,ai,1,20000,,2.0,normal,https://example.org/b,2021-01-01,community,
gpu,slow,training,1,2000,,2.0,normal,https://example.org/b,2021-01-01,community,
gpu,mid,training,1,4400,,2.0,normal,https://example.org/b,2021-01-01,community,
gpu,fast,training,1,10000,,2.0,normal,https://example.org/b,2021-01-01,community,
gpu,slow,inference,1,2000,,2.0,normal,https://example.org/b,2021-01-01,community,
gpu,mid,inference,1,4600,,2.0,normal,https://example.org/b,2021-01-01,community,
gpu,fast,inference,1,10000,,2.0,normal,https://example.org/b,2021-01-01,community,
plan,steady-free,ai,5,9100,300,2.0,normal,https://example.org/p,2022-01-01,community,
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
    return load_catalog("2024-01-01", tiny_dir)


@pytest.fixture
def shipped_dir(tmp_path: Path) -> Path:
    """A copy of the shipped data/ that a test may edit."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


@pytest.fixture(scope="session")
def article_world():
    return load_catalog(ARTICLE_DATE)


@pytest.fixture(scope="session")
def today_world():
    return load_catalog()
