"""Tests for advisor.catalog on the tiny synthetic catalog: loading, validation with clear errors, as-of
resolution, disputes, unverified rows, availability and rate terms."""
import datetime as dt

import pytest
from conftest import TINY_DATE

from advisor.catalog import load_catalog, load_raw
from advisor.errors import CatalogError, UnknownGpuError, UnknownPlanError
from advisor.vocab import Availability, PlanField, RateStatistic, RateTerm


def _replace(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_as_of_takes_the_newest_observation_on_or_before_the_date(tiny_dir):
    # steady-free's session limit: 6 h from 2021, 12 h from 2023; both stay as history.
    assert load_catalog("2022-06-01", tiny_dir).plan("steady-free").fact("session_limit_hours") == 6
    steady = load_catalog(TINY_DATE, tiny_dir).plan("steady-free")
    assert steady.fact("session_limit_hours") == 12
    assert [o.value for o in steady.history[PlanField.SESSION_LIMIT_HOURS]] == [6, 12]


def test_disputed_observations_stay_live_and_the_stricter_binds(tiny):
    # Two sources dated 2023-06-01 disagree on the idle timeout (60 vs 30 min): the shorter binds, the other is
    # kept as the dispute.
    fact = tiny.plan("steady-free").facts[PlanField.IDLE_TIMEOUT_MINUTES]
    assert fact.value == 30
    assert [o.value for o in fact.disputed_by] == [60]


def test_a_newer_undisputed_observation_settles_a_dispute(tiny_dir):
    with (tiny_dir / "plan_facts.csv").open("a") as fh:
        fh.write("steady-free,idle_timeout_minutes,45,2023-09-01,https://example.org/steady-new,official,,\n")
    fact = load_catalog(TINY_DATE, tiny_dir).plan("steady-free").facts[PlanField.IDLE_TIMEOUT_MINUTES]
    assert fact.value == 45 and fact.disputed_by == ()


def test_unverified_rows_are_kept_but_never_used(tiny, tiny_dir):
    # steady-free's 'private notebooks: true' and the 'new' GPU's 99,999 score are unverified.
    assert tiny.plan("steady-free").fact("private_notebooks") is None
    assert all(e.subject != "new" for e in tiny.evidence)
    raw = load_raw(tiny_dir)
    assert any(o.field is PlanField.PRIVATE_NOTEBOOKS for o in raw.facts)


def test_commitment_prices_do_not_price_an_hour(tiny):
    hourly = tiny.plan("hourly")
    assert tiny.rate(hourly, "fast").rate == 1.5
    others = tiny.other_rates(hourly, "fast")
    assert [(r.rate, r.term) for r in others] == [(0.5, RateTerm.COMMITMENT)]
    assert tiny.rate(hourly, "fast", RateStatistic.MINIMUM) is None


def test_availability_by_option_or_for_the_whole_plan(tiny, tiny_dir):
    hourly, gone = tiny.plan("hourly"), tiny.plan("gone")
    twin = next(o for o in hourly.options if o.option == "twin")
    fast = next(o for o in hourly.options if o.option == "fast")
    assert tiny.availability(hourly, twin).availability is Availability.SCARCE
    assert tiny.availability(hourly, fast) is None
    assert not tiny.is_available(gone, gone.options[0])
    # Before the observation (2023-01-01), nothing was known.
    early = load_catalog("2022-06-01", tiny_dir)
    assert early.is_available(early.plan("gone"), early.plan("gone").options[0])


def test_several_gpus_in_one_option(tiny):
    twin = next(o for o in tiny.plan("hourly").options if o.option == "twin")
    assert twin.gpu_count == 2 and twin.gpu_ids == ("mid",)


def test_plans_appear_only_once_they_have_a_price_and_gpus(tiny_dir):
    with (tiny_dir / "plans.csv").open("a") as fh:
        fh.write("later,Later,Free,free,https://example.org/later,\n")
    with (tiny_dir / "plan_facts.csv").open("a") as fh:
        fh.write("later,monthly_price_usd,0,2023-01-01,https://example.org/later,official,,\n")
    with (tiny_dir / "plan_gpus.csv").open("a") as fh:
        fh.write("later,assigned,mid,1,1,,2023-01-01,https://example.org/later,official,,\n")
    assert "later" in load_catalog(TINY_DATE, tiny_dir).plans
    early = load_catalog("2022-06-01", tiny_dir)
    with pytest.raises(UnknownPlanError, match="later date"):
        early.plan("later")


def test_unknown_plan_suggests_close_matches(tiny):
    with pytest.raises(UnknownPlanError, match="did you mean units-pro"):
        tiny.plan("units-pr")


@pytest.mark.parametrize("name, expected", [
    ("mid", "mid"),  # the id
    ("Mid GPU", "mid"),  # the full name
    ("NVIDIA Fast GPU", "fast"),  # a vendor word in front
    ("FAST", "fast"),  # case
])
def test_gpu_lookup_by_id_or_name(tiny, name, expected):
    assert tiny.gpu(name).gpu_id == expected


def test_unknown_gpu_suggests_close_matches(tiny):
    with pytest.raises(UnknownGpuError, match="did you mean"):
        tiny.gpu("fats")


@pytest.mark.parametrize("value", [
    dt.date.today() + dt.timedelta(days=1),  # tomorrow
    "9999-12-31",  # far future
])
def test_future_as_of_is_refused(value):
    with pytest.raises(ValueError, match="future"):
        load_catalog(value)


@pytest.mark.parametrize("value", ["20220601", "2022-W22-3", "2022-02-30", "", "1654041600"])
def test_dates_must_be_iso_days(value):
    with pytest.raises(ValueError, match="not a date"):
        load_catalog(value)


@pytest.mark.parametrize("file, old, new, expected", [
    # a negative price
    ("plan_facts.csv", "units-pro,monthly_price_usd,10,", "units-pro,monthly_price_usd,-10,",
     r"plan_facts.csv, line 16, field 'value': -10 is out of range"),
    # allocation shares that do not sum to 1
    ("plan_gpus.csv", "steady-free,assigned,mid,1,1,", "steady-free,assigned,mid,1,0.8,",
     r"plan_gpus.csv, line 4, field 'share'.*sum to 0.8"),
    # an unknown GPU in an allocation
    ("plan_gpus.csv", "hourly,fast,fast,1,", "hourly,fast,faast,1,",
     r"plan_gpus.csv, line 8, field 'gpu_id': unknown GPU 'faast' \(did you mean fast"),
    # a date in the future
    ("gpu_rates.csv", "list,,2021-01-01,https://example.org/hourly,", "list,,2999-01-01,https://example.org/hourly,",
     r"gpu_rates.csv, line 4, field 'as_of': 2999-01-01 is in the future"),
    # a date that is not a date
    ("benchmarks.csv", "gpu,mid,ai,1,9000,,2.0,normal,https://example.org/b,2021-01-01",
     "gpu,mid,ai,1,9000,,2.0,normal,https://example.org/b,01/01/2021",
     r"benchmarks.csv, line 3, field 'as_of': '01/01/2021' is not a date"),
    # a boolean that is not one
    ("plan_facts.csv", "selectable_timeout,true", "selectable_timeout,maybe", r"field 'value': 'maybe' is not true or false"),
    # an unknown fact
    ("plan_facts.csv", "steady-free,notebooks_running_max", "steady-free,notebooks_runing_max",
     r"unknown field 'notebooks_runing_max' \(did you mean notebooks_running_max"),
    # a missing source
    ("gpus.csv", "https://example.org/slow", "", r"gpus.csv, line 2, field 'source': is empty"),
    # an unknown confidence
    ("gpus.csv", "2020-01-01,official,,\nmid", "2020-01-01,trustme,,\nmid", r"gpus.csv, line 2, field 'confidence': 'trustme' is not one of"),
    # an unknown status
    ("gpus.csv", "2020-01-01,official,,\nmid", "2020-01-01,official,,maybe\nmid", r"gpus.csv, line 2, field 'status': 'maybe' is not one of"),
    # a missing column
    ("plans.csv", "plan_id,platform,plan,price_model,url,rate_card", "plan_id,platform,plan,price_model,url",
     r"plans.csv, line 1: missing column\(s\) rate_card"),
    # a misspelt column
    ("plans.csv", "plan_id,platform,plan,price_model,url,rate_card", "plan_id,platform,plan,price_model,url,rate_crd",
     r"plans.csv, line 1: missing column\(s\) rate_card; unknown column\(s\) rate_crd \(did you mean rate_card"),
    # a column listed twice
    ("plans.csv", "plan_id,platform,plan,price_model,url,rate_card", "plan_id,platform,plan,price_model,url,rate_card,url",
     r"plans.csv, line 1: the header lists url twice"),
    # a score that is not a number
    ("benchmarks.csv", "gpu,fast,ai,1,30000", "gpu,fast,ai,1,lots", r"benchmarks.csv, line 4, field 'mean': 'lots' is not a number"),
    # an id twice
    ("gpus.csv", "mid,Mid GPU", "slow,Mid GPU", r"gpus.csv, line 3, field 'gpu_id': 'slow' is listed twice"),
    # a stray comma makes an extra field
    ("plans.csv", "https://example.org/lotto,", "https://example.org/lotto,x,", r"plans.csv, line 2: more fields than the header"),
    # NaN is not a number the catalog accepts
    ("gpus.csv", "mid,Mid GPU,nvidia,16,", "mid,Mid GPU,nvidia,nan,", r"gpus.csv, line 3, field 'memory_gib': 'nan' is not"),
    # a NUL inside a value (D12): refused, not stored
    ("plans.csv", "Lotto,Free", "Lo\x00tto,Free", r"plans.csv, line 2: holds the control character '\\x00'"),
    # an escape sequence in a GPU name
    ("gpus.csv", "Mid GPU", "Mid\x1b[31m GPU", r"gpus.csv, line 3: holds the control character '\\x1b'"),
    # an unterminated quote swallows the lines after it: the line where it starts is named
    ("plans.csv", "steady-free,Steady,Free", 'steady-free,"Steady,Free', r"plans.csv, line 3: a quoted value runs on"),
    # a rate needing a plan that does not exist
    ("gpu_rates.csv", "list,units-pro,", "list,units-pr0,", r"gpu_rates.csv, line 6, field 'requires_plan': unknown plan 'units-pr0'"),
    # availability for an option the plan does not have
    ("availability.csv", "hourly,twin,", "hourly,triplet,", r"availability.csv, line 2, field 'option': no plan of GPU pool hourly \(hourly\) has an option 'triplet'"),
    # one option with two GPU counts
    ("plan_gpus.csv", "lottery-free,assigned,fast,1,", "lottery-free,assigned,fast,2,", r"plan_gpus.csv, line 2, field 'gpu_count'"),
])
def test_broken_file_gives_one_clear_error_naming_file_line_and_field(tiny_dir, file, old, new, expected):
    _replace(tiny_dir / file, old, new)
    with pytest.raises(CatalogError, match=expected):
        load_catalog(TINY_DATE, tiny_dir)


@pytest.mark.parametrize("transform", [
    lambda b: b"\xef\xbb\xbf" + b,  # a UTF-8 byte-order mark, as Excel's "CSV UTF-8" writes (D12)
    lambda b: b.replace(b"\n", b"\r\n"),  # Windows line endings
    lambda b: b.replace(b"\n", b"\n\n"),  # blank lines
])
def test_harmless_file_variants_are_accepted(tiny_dir, transform):
    for name in ("plans.csv", "plan_facts.csv"):
        path = tiny_dir / name
        path.write_bytes(transform(path.read_bytes()))
    assert load_catalog(TINY_DATE, tiny_dir).plan("units-pro").monthly_price_usd == 10


def test_bom_in_every_file_is_accepted_regression_d12(tiny_dir):
    for path in tiny_dir.glob("*.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert "units-pro" in load_catalog(TINY_DATE, tiny_dir).plans


def test_missing_file_is_named(tiny_dir):
    (tiny_dir / "gpu_rates.csv").unlink()
    with pytest.raises(CatalogError, match="gpu_rates.csv: file not found"):
        load_catalog(TINY_DATE, tiny_dir)


def test_a_folder_where_a_file_should_be_is_named_regression_d17(tiny_dir):
    (tiny_dir / "gpu_rates.csv").unlink()
    (tiny_dir / "gpu_rates.csv").mkdir()
    with pytest.raises(CatalogError, match="gpu_rates.csv: is a folder, not a file"):
        load_catalog(TINY_DATE, tiny_dir)


def test_binary_garbage_is_a_clear_error_with_a_line(tiny_dir):
    (tiny_dir / "plans.csv").write_bytes(b"plan_id,platform\n\xff\xfe\x00garbage")
    with pytest.raises(CatalogError, match="plans.csv, line 2: not UTF-8"):
        load_catalog(TINY_DATE, tiny_dir)


def test_editing_a_file_is_seen_on_the_next_load(tiny_dir):
    assert load_catalog(TINY_DATE, tiny_dir).plan("units-pro").monthly_price_usd == 10
    _replace(tiny_dir / "plan_facts.csv", "units-pro,monthly_price_usd,10,", "units-pro,monthly_price_usd,12.5,")
    assert load_catalog(TINY_DATE, tiny_dir).plan("units-pro").monthly_price_usd == 12.5


def test_plan_fact_names_are_checked(tiny):
    with pytest.raises(ValueError):
        tiny.plan("units-pro").fact("monthly_prise_usd")


# Usable GPU memory (data/gpu_memory.csv), GPU pools (plans.csv gpu_pool, availability.csv by pool), new plan fields.

USABLE = """gpu_id,usable_memory_gib,as_of,source,confidence,note,status
mid,15,2023-01-01,https://example.org/mid-smi,community,nvidia-smi on one platform,
mid,14.5,2023-01-01,https://example.org/mid-query,community,deviceQuery on another,
fast,24,2023-01-01,https://example.org/fast-smi,community,,
slow,1,2023-01-01,https://example.org/rumour,community,,unverified
"""


def test_usable_memory_is_the_smallest_sourced_value_else_the_median_ratio(tiny_dir):
    (tiny_dir / "gpu_memory.csv").write_text(USABLE)
    raw = load_raw(tiny_dir)
    mid, fast, slow, new = (raw.gpus[g] for g in ("mid", "fast", "slow", "new"))
    # mid: two platforms disagree (15 and 14.5 GiB of 16); a program must fit on both, so 14.5 binds.
    assert (mid.usable_memory_gib, mid.usable_memory_estimated) == (14.5, False)
    assert mid.usable_memory_source.source == "https://example.org/mid-query"
    assert (fast.usable_memory_gib, fast.usable_memory_estimated) == (24, False)
    # slow's only row is unverified, so slow and new are estimated: spec memory x the median of the sourced ratios
    # (14.5/16 and 24/24: median 0.953125).
    assert raw.default_usable_memory_ratio == pytest.approx((14.5 / 16 + 1) / 2)
    assert slow.usable_memory_estimated and slow.usable_memory_gib == pytest.approx(8 * 0.953125, abs=0.01)
    assert new.usable_memory_gib == pytest.approx(48 * 0.953125, abs=0.01)


def test_without_usable_memory_rows_every_gpu_sees_its_spec_memory_as_an_estimate(tiny):
    assert all(g.usable_memory_gib == g.memory_gib and g.usable_memory_estimated for g in tiny.gpus.values())


@pytest.mark.parametrize("row, expected", [
    # more than the spec sheet's 16 GiB
    ("mid,17,2023-01-01,https://example.org/x,community,,", r"gpu_memory.csv, line 2, field 'usable_memory_gib': 17 "
                                                            r"GiB is more than the spec sheet's 16 GiB for mid"),
    ("nope,7,2023-01-01,https://example.org/x,community,,", r"gpu_memory.csv, line 2, field 'gpu_id': unknown GPU"),
    ("mid,,2023-01-01,https://example.org/x,community,,", r"gpu_memory.csv, line 2, field 'usable_memory_gib': is empty"),
])
def test_a_bad_usable_memory_row_names_file_line_and_field(tiny_dir, row, expected):
    (tiny_dir / "gpu_memory.csv").write_text("gpu_id,usable_memory_gib,as_of,source,confidence,note,status\n" + row + "\n")
    with pytest.raises(CatalogError, match=expected):
        load_raw(tiny_dir)


def _pooled(tiny_dir, pools: dict[str, str]):
    plans = (tiny_dir / "plans.csv").read_text().splitlines()
    rows = [plans[0] + ",gpu_pool"] + [line + "," + pools.get(line.split(",")[0], "") for line in plans[1:]]
    (tiny_dir / "plans.csv").write_text("\n".join(rows) + "\n")
    _replace(tiny_dir / "availability.csv", "plan_id,option", "gpu_pool,option")


def test_an_availability_observation_applies_to_every_plan_of_its_pool(tiny_dir):
    _pooled(tiny_dir, {"units-pro": "units", "payg": "units", "edu": "units"})
    _replace(tiny_dir / "availability.csv", "hourly,twin,", "units,mid,")
    world = load_catalog(TINY_DATE, tiny_dir)
    for plan_id in ("units-pro", "payg", "edu"):
        plan = world.plan(plan_id)
        mid = next(o for o in plan.options if o.option == "mid")
        assert plan.gpu_pool == "units"
        assert world.availability(plan, mid).availability is Availability.SCARCE
    # A plan with an empty gpu_pool is its own pool; hourly's twin is no longer observed.
    hourly = world.plan("hourly")
    assert hourly.gpu_pool == "hourly" and world.availability(hourly, hourly.options[1]) is None
    assert [p.plan_id for p in world.pool_plans("units")] == ["units-pro", "payg", "edu"]


@pytest.mark.parametrize("old, new, expected", [
    ("hourly,twin,", "unitz,mid,", r"availability.csv, line 2, field 'gpu_pool': unknown GPU pool 'unitz'"),
    ("hourly,twin,", "units,fast2,", r"availability.csv, line 2, field 'option': no plan of GPU pool units "
                                     r"\(edu, payg, units-pro\) has an option 'fast2'"),
])
def test_a_bad_pool_row_names_file_line_and_field(tiny_dir, old, new, expected):
    _pooled(tiny_dir, {"units-pro": "units", "payg": "units", "edu": "units"})
    _replace(tiny_dir / "availability.csv", old, new)
    with pytest.raises(CatalogError, match=expected):
        load_raw(tiny_dir)


def test_a_pool_named_like_another_plan_is_refused(tiny_dir):
    # payg drawing on a pool called 'hourly' while the plan 'hourly' draws on pool 'cloud': which is 'hourly'?
    _pooled(tiny_dir, {"payg": "hourly", "hourly": "cloud"})
    with pytest.raises(CatalogError, match=r"plans.csv, line \d+, field 'plan_id': 'hourly' is also the name of a "
                                           r"GPU pool"):
        load_raw(tiny_dir)


@pytest.mark.parametrize("line, field, value", [
    ("hourly,requires_card,true", PlanField.REQUIRES_CARD, True),
    ("hourly,requires_phone,false", PlanField.REQUIRES_PHONE, False),
    ("hourly,cpu_memory_usd_per_hour,0.2222", PlanField.CPU_MEMORY_USD_PER_HOUR, 0.2222),
    ("hourly,storage_usd_per_month,0", PlanField.STORAGE_USD_PER_MONTH, 0),
    ("hourly,min_topup_usd,10", PlanField.MIN_TOPUP_USD, 10),
])
def test_the_new_plan_fields_load(tiny_dir, line, field, value):
    _append_line(tiny_dir / "plan_facts.csv", f"{line},2023-01-01,https://example.org/hourly-terms,official,,\n")
    assert load_catalog(TINY_DATE, tiny_dir).plan("hourly").fact(field) == value


def test_a_bad_new_plan_field_value_names_file_line_and_field(tiny_dir):
    _append_line(tiny_dir / "plan_facts.csv", "hourly,min_topup_usd,-5,2023-01-01,https://example.org/x,official,,\n")
    with pytest.raises(CatalogError, match=r"plan_facts.csv, line 33, field 'value': -5 is out of range"):
        load_raw(tiny_dir)


def _append_line(path, text):
    with path.open("a") as fh:
        fh.write(text)
