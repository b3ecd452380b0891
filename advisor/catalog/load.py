"""Reads and validates the CSV files in data/. Every problem stops the load with one line naming the file, the
line and the field, and what the field accepts."""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import CatalogError, FileReadError, did_you_mean
from ..files import read_text
from ..vocab import (
    Availability,
    Confidence,
    Metric,
    PlanField,
    Precision,
    PriceModel,
    RateStatistic,
    RateTerm,
    RateUnit,
    RowStatus,
    SubjectType,
)
from .records import (
    AvailabilityObservation,
    Evidence,
    Gpu,
    GpuOption,
    Observation,
    Provenance,
    Rate,
    TensorSpecs,
    UsableMemory,
)

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data"

# The largest data file read: the largest shipped file (job_throughput.csv) is 0.3 MB. A 50 MB plan_facts.csv
# took 6.8 s and 621 MB to check in the 2026-12 probe (E17), so a file 30 times today's largest is refused.
MAX_DATA_FILE_BYTES = 10_000_000
# Shares of a lottery may be rounded in a source; anything further from 1 is a typo.
SHARE_TOLERANCE = 0.005
_ID = re.compile(r"^[a-z0-9][a-z0-9+-]*$")
# Control characters have no place in a catalog value (tab excepted); a NUL is a broken file.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
PROVENANCE_COLUMNS = ("source", "as_of", "confidence", "note", "status")

# Every file and its columns. The loader requires exactly these, in any order (an extra column is refused too, so
# a misspelt header is caught rather than ignored).
FILES: dict[str, tuple[str, ...]] = {
    "gpus.csv": ("gpu_id", "name", "vendor", "memory_gib", "fp32_tflops", "fp16_tflops", "memory_bandwidth_gbps",
                 "source", "as_of", "confidence", "note", "status"),
    "plans.csv": ("plan_id", "platform", "plan", "price_model", "url", "rate_card", "gpu_pool"),
    "plan_facts.csv": ("plan_id", "field", "value", "as_of", "source", "confidence", "note", "status"),
    "plan_gpus.csv": ("plan_id", "option", "gpu_id", "gpu_count", "share", "observed_count", "as_of", "source",
                      "confidence", "note", "status"),
    "gpu_rates.csv": ("rate_card", "gpu_id", "rate", "unit", "term", "statistic", "requires_plan", "as_of", "source",
                      "confidence", "note", "status"),
    "availability.csv": ("gpu_pool", "option", "availability", "as_of", "source", "confidence", "note", "status"),
    "benchmarks.csv": ("subject_type", "subject", "metric", "n", "mean", "sd", "tf_version", "precision", "source",
                       "as_of", "confidence", "note", "status"),
    "fx_rates.csv": ("currency", "usd_per_unit", "as_of", "source", "confidence", "note", "status"),
    "gpu_memory.csv": ("gpu_id", "usable_memory_gib", "as_of", "source", "confidence", "note", "status"),
}
DATA_FILES = tuple(FILES)
# Files a data folder may lack: without exchange rates the advisor only takes amounts in US dollars; without usable
# memory observations every GPU's usable memory is its spec-sheet memory (flagged as an estimate).
OPTIONAL_FILES = frozenset({"fx_rates.csv", "gpu_memory.csv"})
# Columns a file may lack, and the column an older file has in their place: plans.csv without gpu_pool (every plan
# is its own pool); availability.csv keyed by plan_id instead of gpu_pool (the plan's pool).
OPTIONAL_COLUMNS: dict[str, dict[str, str | None]] = {"plans.csv": {"gpu_pool": None},
                                                      "availability.csv": {"gpu_pool": "plan_id"}}
# Columns a file may have beside its own (an older data folder lacks them): the spec-sheet figures the job-time model
# uses (data/README.md, "gpus.csv: tensor-core columns").
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "gpus.csv": ("tensor_fp16_tflops", "tensor_tf32_tflops", "tensor_bf16_tflops", "int8_tops", "fp8_tflops",
                 "power_w", "spec_source"),
}
_CURRENCY = re.compile(r"^[A-Z]{3}$")

# A number as a data file writes it: ASCII digits, an optional sign, point and exponent. Python's float() and int()
# also take '9_99', Arabic-Indic digits and 'inf', which no source writes (E17).
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
_WHOLE = re.compile(r"[0-9]+", re.ASCII)
# A date as the files write it, YYYY-MM-DD; fromisoformat also takes 20260101 and 2026-W01-1 (E17).
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)

# The physical range of each measured column, in the column's own unit (low, high, unit). A value outside it is a
# unit error (MB for GiB, GFLOPS for TFLOPS, thousands of points) or a typo, refused with the unit named, so that
# no absurd magnitude reaches a ranking (E17: an fp32_tflops of 1e300 gave a 500). The ranges are wide around
# today's hardware: the largest GPU memory is 288 GB (B300), the fastest FP32 about 80 TFLOPS and the widest
# bandwidth 8 TB/s (B200 datasheets); the shipped scores run from 240 to 57,000 points.
RANGES: dict[str, tuple[float, float, str]] = {
    "memory_gib": (0.5, 2048, "GiB (16 for 16 GiB, not 16384 MB)"),
    "usable_memory_gib": (0.5, 2048, "GiB"),
    "fp32_tflops": (0.01, 2000, "TFLOPS (8.1, not 8141 GFLOPS)"),
    "fp16_tflops": (0.01, 100_000, "TFLOPS"),
    "tensor_fp16_tflops": (0.01, 100_000, "TFLOPS"),
    "tensor_tf32_tflops": (0.01, 100_000, "TFLOPS"),
    "tensor_bf16_tflops": (0.01, 100_000, "TFLOPS"),
    "int8_tops": (0.01, 100_000, "TOPS"),
    "fp8_tflops": (0.01, 100_000, "TFLOPS"),
    "power_w": (1, 10_000, "watts"),
    "memory_bandwidth_gbps": (10, 100_000, "GB/s (320 for 320 GB/s)"),
    "gpu_count": (1, 64, "GPUs in one option"),
    "observed_count": (1, 10_000_000, "observations"),
    "n": (1, 10_000_000, "runs"),
    "mean": (10, 10_000_000, "AI Benchmark points (7500, not 7.5 thousand)"),
    "sd": (0, 10_000_000, "AI Benchmark points"),
    "usd_per_unit": (1e-6, 10_000, "US dollars per unit of the currency"),
}
# The same for plan facts (plan_facts.csv's value, by field) and rates (gpu_rates.csv's rate, by unit).
FACT_RANGES: dict[PlanField, tuple[float, float, str]] = {
    PlanField.MONTHLY_PRICE_USD: (0, 100_000, "US dollars a month"),
    PlanField.INCLUDED_UNITS: (0, 10_000_000, "compute units a month"),
    PlanField.USD_PER_UNIT: (0, 1_000, "US dollars per unit"),
    PlanField.PACK_USD: (0, 100_000, "US dollars"),
    PlanField.PACK_UNITS: (0, 10_000_000, "compute units"),
    PlanField.UNITS_EXPIRE_DAYS: (0, 36_500, "days"),
    PlanField.MONTHLY_CREDIT_USD: (0, 100_000, "US dollars a month"),
    PlanField.SESSION_LIMIT_HOURS: (0, 8_784, "hours (a year at most)"),
    PlanField.IDLE_TIMEOUT_MINUTES: (0, 527_040, "minutes (a year at most)"),
    PlanField.NOTEBOOKS_RUNNING_MAX: (1, 100_000, "notebooks"),
    PlanField.NOTEBOOKS_TOTAL_MAX: (1, 10_000_000, "notebooks"),
    PlanField.GPU_HOURS_PER_WEEK: (0, 168, "hours a week"),
    PlanField.GPU_HOURS_PER_DAY: (0, 24, "hours a day"),
    PlanField.RAM_GIB: (0, 65_536, "GiB"),
    PlanField.CPUS: (1, 10_000, "CPU cores"),
    PlanField.CPU_MEMORY_USD_PER_HOUR: (0, 1_000, "US dollars an hour"),
    PlanField.STORAGE_USD_PER_MONTH: (0, 100_000, "US dollars a month"),
    PlanField.MIN_TOPUP_USD: (0, 100_000, "US dollars"),
}
# A GPU-hour costs a few dollars (an H100 about 2-12, 2026-12 audit); 200 is far above any on-demand rate.
RATE_RANGES: dict[RateUnit, tuple[float, float, str]] = {
    RateUnit.USD_PER_HOUR: (0, 200, "US dollars per GPU-hour (2.99, not 299 cents)"),
    RateUnit.UNITS_PER_HOUR: (0, 1_000, "compute units per GPU-hour"),
}

_VALUE_TYPES: dict[str, tuple[Callable[[str], Any], Callable[[Any], bool], str]] = {
    "price": (float, lambda v: v >= 0, "a number, 0 or more"),
    "positive": (float, lambda v: v > 0, "a number above 0"),
    "count": (int, lambda v: v >= 1, "a whole number, 1 or more"),
}


class _Row:
    """One CSV row with its file and line, so every error can name both."""

    def __init__(self, file: str, line: int, data: dict[str, str]):
        self.file, self.line, self.data = file, line, data

    def fail(self, column: str, problem: str) -> CatalogError:
        return CatalogError(f"{self.file}, line {self.line}, field '{column}': {problem}")

    def text(self, column: str, required: bool = True) -> str:
        value = (self.data.get(column) or "").strip()
        if required and not value:
            raise self.fail(column, "is empty; it needs a value")
        return value

    def ident(self, column: str) -> str:
        value = self.text(column)
        if not _ID.match(value):
            raise self.fail(column, f"'{value}' is not an id (lower-case letters, digits, '+' and '-')")
        return value

    def number(self, column: str, value_type: str = "positive", required: bool = True,
               limits: tuple[float, float, str] | None = None):
        """The column's number, checked for its type and its physical range (limits, else RANGES[column])."""
        parse, check, what = _VALUE_TYPES[value_type]
        raw = self.text(column, required)
        if not raw:
            return None
        if not (_WHOLE if parse is int else _DECIMAL).fullmatch(raw):
            raise self.fail(column, f"'{raw}' is not {what} (write digits 0-9, like 12.5)")
        value = parse(raw)
        if isinstance(value, float) and not math.isfinite(value) or not check(value):
            raise self.fail(column, f"{raw} is out of range: expected {what}")
        low, high, unit = limits or RANGES.get(column, (-math.inf, math.inf, ""))
        if not low <= value <= high:
            raise self.fail(column, f"{raw} is out of range for {unit}: expected {low:g} to {high:g}; check the unit")
        return value

    def boolean(self, column: str) -> bool:
        raw = self.text(column).lower()
        if raw in ("true", "yes", "1"):
            return True
        if raw in ("false", "no", "0"):
            return False
        raise self.fail(column, f"'{raw}' is not true or false")

    def choice(self, column: str, enum, required: bool = True):
        value = self.text(column, required)
        if not value and not required:
            return None
        try:
            return enum(value)
        except ValueError:
            choices = [v for v in enum.values() if v]
            raise self.fail(column, f"'{value}' is not one of {', '.join(choices)}"
                                    f"{did_you_mean(value, choices)}") from None

    def provenance(self, today: dt.date) -> Provenance:
        raw = self.text("as_of")
        try:
            if not ISO_DAY.fullmatch(raw):
                raise ValueError
            as_of = dt.date.fromisoformat(raw)
        except ValueError:
            raise self.fail("as_of", f"{raw!r} is not a date like 2024-04-23") from None
        if as_of > today:
            raise self.fail("as_of", f"{raw} is in the future (today is {today.isoformat()})")
        return Provenance(source=self.text("source"), as_of=as_of, confidence=self.choice("confidence", Confidence),
                          note=self.text("note", required=False),
                          status=self.choice("status", RowStatus, required=False) or RowStatus.NORMAL,
                          file=self.file, line=self.line)


def read_data_file(path: Path) -> str:
    """The file's text: UTF-8 with or without a byte-order mark (Excel writes one), read through the one bounded
    read (advisor.files): a FIFO, a device, a file over MAX_DATA_FILE_BYTES or one that reads too slowly is
    refused, never waited on (E17). Raises CatalogError."""
    name = path.name
    if path.is_dir():
        raise CatalogError(f"{name}: is a folder, not a file; restore {name} from the repository")
    if not path.exists() and not path.is_symlink():
        raise CatalogError(f"{name}: file not found in {path.parent.name}/; restore it from the repository")
    try:
        return read_text(path, MAX_DATA_FILE_BYTES)
    except FileReadError as exc:
        raise CatalogError(str(exc)) from None


def _read(path: Path, columns: tuple[str, ...]) -> list[_Row]:
    name = path.name
    text = read_data_file(path)
    columns = _expected_columns(name, columns, text)
    for number, line in enumerate(text.splitlines(), start=1):
        bad = _CONTROL.search(line)
        if bad:
            raise CatalogError(f"{name}, line {number}: holds the control character {bad.group()!r}; remove it")
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
        twice = sorted({h for h in header if header.count(h) > 1})
        if twice:
            raise CatalogError(f"{name}, line 1: the header lists {', '.join(twice)} twice")
        optional = EXTRA_COLUMNS.get(name, ())
        if set(header) - set(optional) != set(columns):
            missing = [c for c in columns if c not in header]
            extra = [h for h in header if h not in columns and h not in optional]
            problem = []
            if missing:
                problem.append(f"missing column(s) {', '.join(missing)}")
            if extra:
                problem.append(f"unknown column(s) {', '.join(extra)}{did_you_mean(extra[0], columns)}")
            raise CatalogError(f"{name}, line 1: {'; '.join(problem)}; the header must be {','.join(columns)}")
        reader.fieldnames = header
        rows = []
        for data in reader:
            end = reader.line_num
            values = [v for v in data.values() if isinstance(v, str)] + list(data.get(None) or [])
            start = end - sum(v.count("\n") for v in values)
            if start != end:
                raise CatalogError(f"{name}, line {start}: a quoted value runs on to line {end}; a closing quote is "
                                   "probably missing")
            if None in data:
                raise CatalogError(f"{name}, line {end}: more fields than the header has; quote values that hold "
                                   "commas")
            if any(v is None for v in data.values()):
                raise CatalogError(f"{name}, line {end}: fewer fields than the header has")
            if any(v.strip() for v in data.values()):
                rows.append(_Row(name, end, data))
        return rows
    except csv.Error as exc:
        start = _unclosed_quote_line(text)
        if start is not None:
            raise CatalogError(f"{name}, line {start}: a quoted value runs on to the end of the file; a closing quote "
                               "is probably missing") from None
        raise CatalogError(f"{name}, line {reader.line_num}: not valid CSV ({exc}); check the quotes on this line "
                           "and the ones before it") from None


def _expected_columns(name: str, columns: tuple[str, ...], text: str) -> tuple[str, ...]:
    """The header this file must have: the current one, or the older one where the file's first line lacks an
    optional column (OPTIONAL_COLUMNS)."""
    first = next(iter(text.splitlines()), "")
    header = {h.strip().strip('"') for h in first.split(",")}
    for column, older in OPTIONAL_COLUMNS.get(name, {}).items():
        if column not in header and (older is None or older in header):
            # the older header has `older` in the column's place, or (older None) lacks the column
            columns = tuple(c for c in columns if c != column) if older is None else \
                tuple(older if c == column else c for c in columns)
    return columns


def _unclosed_quote_line(text: str) -> int | None:
    """The line where a quote that is never closed opens, or None when every quote is closed."""
    open_at = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.count('"') % 2:
            open_at = number if open_at is None else None
    return open_at


@dataclass(frozen=True)
class FxRate:
    """A dated exchange rate: one unit of `currency` (ISO 4217 code) is worth usd_per_unit US dollars."""

    currency: str
    usd_per_unit: float
    provenance: Provenance


@dataclass(frozen=True)
class RawCatalog:
    """Every validated row of data/, before choosing a date. plans: plan id -> identity columns."""

    gpus: dict[str, Gpu]
    plans: dict[str, dict[str, Any]]
    facts: tuple[Observation, ...]
    options: tuple[tuple[str, GpuOption], ...]
    rates: tuple[Rate, ...]
    availability: tuple[AvailabilityObservation, ...]
    evidence: tuple[Evidence, ...]
    fx_rates: tuple[FxRate, ...] = ()
    usable_memory: tuple[UsableMemory, ...] = ()
    # The ratio of usable to spec-sheet memory given to a GPU without a sourced usable figure: the median of the
    # sourced GPUs' ratios (1 when none is sourced).
    default_usable_memory_ratio: float = 1.0
    # plan id -> its line in plans.csv (for findings that name a plan's row)
    plan_lines: Mapping[str, int] = field(default_factory=dict)


def _known(row: _Row, column: str, known: Mapping[str, Any], what: str) -> str:
    value = row.text(column)
    if value not in known:
        raise row.fail(column, f"unknown {what} '{value}'{did_you_mean(value, known)}; add it to its file first")
    return value


def _load_gpus(rows: list[_Row], today: dt.date) -> dict[str, Gpu]:
    gpus: dict[str, Gpu] = {}
    for row in rows:
        gpu_id = row.ident("gpu_id")
        if gpu_id in gpus:
            raise row.fail("gpu_id", f"'{gpu_id}' is listed twice")
        gpus[gpu_id] = Gpu(gpu_id=gpu_id, name=row.text("name"), vendor=row.text("vendor").lower(),
                           memory_gib=row.number("memory_gib"), fp32_tflops=row.number("fp32_tflops"),
                           fp16_tflops=row.number("fp16_tflops", required=False),
                           memory_bandwidth_gbps=row.number("memory_bandwidth_gbps"),
                           provenance=row.provenance(today),
                           tensor=_tensor_specs(row))
    return gpus


def _tensor_specs(row: _Row) -> TensorSpecs:
    """The optional spec-sheet columns of gpus.csv (empty where the GPU lacks the unit or the file the column)."""
    return TensorSpecs(fp16_tflops=row.number("tensor_fp16_tflops", required=False),
                       tf32_tflops=row.number("tensor_tf32_tflops", required=False),
                       bf16_tflops=row.number("tensor_bf16_tflops", required=False),
                       int8_tops=row.number("int8_tops", required=False),
                       fp8_tflops=row.number("fp8_tflops", required=False),
                       power_w=row.number("power_w", required=False),
                       source=row.text("spec_source", required=False))


def _load_plans(rows: list[_Row]) -> dict[str, dict[str, Any]]:
    plans: dict[str, dict[str, Any]] = {}
    for row in rows:
        plan_id = row.ident("plan_id")
        if plan_id in plans:
            raise row.fail("plan_id", f"'{plan_id}' is listed twice")
        price_model = row.choice("price_model", PriceModel)
        needs_card = price_model in (PriceModel.UNITS, PriceModel.HOURLY)
        pool = row.text("gpu_pool", required=False)
        if pool and not _ID.match(pool):
            raise row.fail("gpu_pool", f"'{pool}' is not an id (lower-case letters, digits, '+' and '-')")
        plans[plan_id] = {"platform": row.text("platform"), "tier": row.text("plan"), "price_model": price_model,
                          "url": row.text("url"), "rate_card": row.text("rate_card", required=needs_card),
                          "gpu_pool": pool or plan_id}
    pools = {p["gpu_pool"] for p in plans.values()}
    for row in rows:
        plan_id = row.text("plan_id")
        if plan_id in pools and plans[plan_id]["gpu_pool"] != plan_id:
            raise row.fail("plan_id", f"'{plan_id}' is also the name of a GPU pool of other plans; rename the pool")
    return plans


def _load_facts(rows: list[_Row], plans, today) -> tuple[Observation, ...]:
    facts = []
    for row in rows:
        plan_id = _known(row, "plan_id", plans, "plan")
        name = row.text("field")
        try:
            plan_field = PlanField(name)
        except ValueError:
            raise row.fail("field", f"unknown field '{name}'{did_you_mean(name, PlanField.values())}; known: "
                                    f"{', '.join(PlanField.values())}") from None
        value = row.boolean("value") if plan_field.value_type == "bool" else \
            row.number("value", plan_field.value_type, limits=FACT_RANGES.get(plan_field))
        facts.append(Observation(plan_id, plan_field, value, row.provenance(today)))
    return tuple(facts)


def _load_options(rows: list[_Row], plans, gpus, today) -> tuple[tuple[str, GpuOption], ...]:
    groups: dict[tuple[str, dt.date, str], list[tuple[_Row, str, float | None, int | None, int, Provenance]]] = {}
    for row in rows:
        plan_id = _known(row, "plan_id", plans, "plan")
        gpu_id = _known(row, "gpu_id", gpus, "GPU")
        gpu_count = row.number("gpu_count", "count")
        share = row.number("share", required=False)
        if share is not None and share > 1:
            raise row.fail("share", f"{share:g} is out of range: expected a share between 0 and 1")
        count = row.number("observed_count", "count", required=False)
        if (share is None) == (count is None):
            raise row.fail("share", "give either a share or an observed_count, not both and not neither")
        prov = row.provenance(today)
        groups.setdefault((plan_id, prov.as_of, row.text("option")), []).append(
            (row, gpu_id, share, count, gpu_count, prov))
    return tuple((plan_id, _option_from_group(plan_id, option, members))
                 for (plan_id, _, option), members in groups.items())


def _option_from_group(plan_id: str, option: str, members) -> GpuOption:
    """One option of one allocation: its rows become shares (observed counts are turned into shares)."""
    first = members[0][0]
    where = f"plan {plan_id} option '{option}' as of {members[0][5].as_of}"
    counts = [m[3] for m in members]
    if any(c is None for c in counts) and any(c is not None for c in counts):
        raise first.fail("observed_count", f"{where}: use counts on every row of the group or on none")
    if len({m[4] for m in members}) != 1:
        raise first.fail("gpu_count", f"{where}: every row of an option needs the same gpu_count")
    if counts[0] is not None:
        total = sum(counts)
        shares = tuple((m[1], m[3] / total) for m in members)
        observed = tuple(counts)
    else:
        shares = tuple((m[1], m[2]) for m in members)
        observed = None
        total_share = sum(s for _, s in shares)
        if abs(total_share - 1) > SHARE_TOLERANCE:
            raise first.fail("share", f"{where}: shares sum to {total_share:g}, not 1")
    if len({g for g, _ in shares}) != len(shares):
        raise first.fail("gpu_id", f"{where} lists a GPU twice")
    return GpuOption(option, shares, observed, members[0][4], members[0][5])


def _load_rates(rows: list[_Row], plans, gpus, today) -> tuple[Rate, ...]:
    cards = {p["rate_card"] for p in plans.values() if p["rate_card"]}
    rates = []
    for row in rows:
        card = row.text("rate_card")
        if card not in cards:
            raise row.fail("rate_card", f"no plan uses rate card '{card}'{did_you_mean(card, cards)}")
        requires = row.text("requires_plan", required=False) or None
        if requires is not None:
            requires = _known(row, "requires_plan", plans, "plan")
        unit = row.choice("unit", RateUnit)
        rates.append(Rate(card, _known(row, "gpu_id", gpus, "GPU"),
                          row.number("rate", "price", limits=RATE_RANGES[unit]),
                          unit, row.choice("term", RateTerm),
                          row.choice("statistic", RateStatistic), requires, row.provenance(today)))
    return tuple(rates)


def _load_availability(rows: list[_Row], plans, options, today) -> tuple[AvailabilityObservation, ...]:
    """Availability rows keyed by GPU pool (an older file keyed by plan_id means that plan's pool)."""
    pools = {meta["gpu_pool"]: sorted(p for p, m in plans.items() if m["gpu_pool"] == meta["gpu_pool"])
             for meta in plans.values()}
    names = {(plans[p]["gpu_pool"], o.option) for p, o in options}
    out = []
    for row in rows:
        if "gpu_pool" in row.data:
            pool = _known(row, "gpu_pool", pools, "GPU pool")
        else:
            pool = plans[_known(row, "plan_id", plans, "plan")]["gpu_pool"]
        option = row.text("option")
        if option != "*" and (pool, option) not in names:
            known = sorted({o for p, o in names if p == pool})
            raise row.fail("option", f"no plan of GPU pool {pool} ({', '.join(pools[pool])}) has an option "
                                     f"'{option}'{did_you_mean(option, known)}; use '*' for every option")
        out.append(AvailabilityObservation(pool, option, row.choice("availability", Availability),
                                           row.provenance(today)))
    return tuple(out)


def _load_usable_memory(rows: list[_Row], gpus, today) -> tuple[UsableMemory, ...]:
    out = []
    for row in rows:
        gpu_id = _known(row, "gpu_id", gpus, "GPU")
        usable = row.number("usable_memory_gib")
        if usable > gpus[gpu_id].memory_gib * 1.0001:
            raise row.fail("usable_memory_gib", f"{usable:g} GiB is more than the spec sheet's "
                                                f"{gpus[gpu_id].memory_gib:g} GiB for {gpu_id}")
        out.append(UsableMemory(gpu_id, usable, row.provenance(today)))
    return tuple(out)


def _with_usable_memory(gpus: dict[str, Gpu], observations: tuple[UsableMemory, ...]) -> tuple[dict[str, Gpu], float]:
    """Every GPU with its usable memory: the smallest usable sourced value (a program must fit on every platform that
    hands the GPU out), else memory_gib times the median of the sourced GPUs' ratios. Returns the GPUs and the ratio."""
    sourced: dict[str, UsableMemory] = {}
    for obs in observations:
        if obs.provenance.usable and (obs.gpu_id not in sourced
                                      or obs.usable_memory_gib < sourced[obs.gpu_id].usable_memory_gib):
            sourced[obs.gpu_id] = obs
    ratios = sorted(o.usable_memory_gib / gpus[g].memory_gib for g, o in sourced.items())
    ratio = statistics.median(ratios) if ratios else 1.0
    out = {}
    for gpu_id, gpu in gpus.items():
        found = sourced.get(gpu_id)
        if found is not None:
            out[gpu_id] = replace(gpu, usable_memory_gib=float(found.usable_memory_gib), usable_memory_estimated=False,
                                  usable_memory_source=found.provenance)
        else:
            out[gpu_id] = replace(gpu, usable_memory_gib=round(gpu.memory_gib * ratio, 2),
                                  usable_memory_estimated=True, usable_memory_source=None)
    return out, ratio


def _load_evidence(rows: list[_Row], plans, gpus, today) -> tuple[Evidence, ...]:
    evidence = []
    for row in rows:
        subject_type = row.choice("subject_type", SubjectType)
        if subject_type is SubjectType.GPU:
            subject = _known(row, "subject", gpus, "GPU")
        elif subject_type is SubjectType.PLAN:
            subject = _known(row, "subject", plans, "plan")
        else:
            subject = row.text("subject")
        n = row.number("n", "count")
        sd = row.number("sd", "price", required=False)
        if sd is not None and n < 2:
            raise row.fail("sd", "a standard deviation needs n of 2 or more")
        evidence.append(Evidence(subject_type, subject, row.choice("metric", Metric), n, row.number("mean"), sd,
                                 row.text("tf_version", required=False), row.choice("precision", Precision),
                                 row.provenance(today)))
    return tuple(evidence)


def _load_fx_rates(rows: list[_Row], today) -> tuple[FxRate, ...]:
    out = []
    for row in rows:
        currency = row.text("currency")
        if not _CURRENCY.match(currency):
            raise row.fail("currency", f"'{currency}' is not an ISO 4217 code such as EUR")
        if currency == "USD":
            raise row.fail("currency", "USD needs no rate; amounts are kept in US dollars")
        out.append(FxRate(currency, row.number("usd_per_unit"), row.provenance(today)))
    return tuple(out)


@lru_cache(maxsize=8)
def _load_raw_cached(data_dir: str, stamp: tuple, today: dt.date) -> RawCatalog:
    path = Path(data_dir)
    rows = {name: _read(path / name, columns) for name, columns in FILES.items()
            if name not in OPTIONAL_FILES or (path / name).exists()}
    gpus = _load_gpus(rows["gpus.csv"], today)
    usable_memory = _load_usable_memory(rows.get("gpu_memory.csv", []), gpus, today)
    gpus, ratio = _with_usable_memory(gpus, usable_memory)
    plans = _load_plans(rows["plans.csv"])
    plan_lines = {row.text("plan_id"): row.line for row in rows["plans.csv"]}
    options = _load_options(rows["plan_gpus.csv"], plans, gpus, today)
    return RawCatalog(gpus=gpus, plans=plans, usable_memory=usable_memory, default_usable_memory_ratio=ratio,
                      plan_lines=plan_lines,
                      facts=_load_facts(rows["plan_facts.csv"], plans, today),
                      options=options, rates=_load_rates(rows["gpu_rates.csv"], plans, gpus, today),
                      availability=_load_availability(rows["availability.csv"], plans, options, today),
                      evidence=_load_evidence(rows["benchmarks.csv"], plans, gpus, today),
                      fx_rates=_load_fx_rates(rows.get("fx_rates.csv", []), today))


def data_stamp(data_dir: Path | str | None = None) -> tuple[str, tuple]:
    """The data folder's resolved path and a stamp of its files (mtime and size): it changes when a file does."""
    path = Path(data_dir) if data_dir is not None else DATA_DIR
    stamp = []
    for name in DATA_FILES:
        try:
            st = (path / name).stat()
            stamp.append((name, st.st_mtime_ns, st.st_size))
        except OSError:
            stamp.append((name, 0, 0))  # _read reports the missing file
    return str(path.resolve()), tuple(stamp)


def load_raw(data_dir: Path | str | None = None) -> RawCatalog:
    """Every validated row of the data files; re-read only when a file changes. Raises CatalogError."""
    path, stamp = data_stamp(data_dir)
    return _load_raw_cached(path, stamp, dt.date.today())
