"""Loads the catalog in data/ (plans, GPUs, prices, limits, benchmark evidence), validates it, and
resolves it as of a date: for every fact the newest observation on or before that date wins."""
from __future__ import annotations

import csv
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import CatalogError, UnknownGpuError, UnknownPlanError, did_you_mean

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

CONFIDENCES = ("official", "maintainer", "community", "estimate")
PRICE_MODELS = ("free", "subscription", "units", "hourly")
METRICS = ("ai", "inference", "training")
RATE_UNITS = ("units_per_hour", "usd_per_hour")
# Shares of a lottery may be rounded in a source; anything further from 1 is a typo.
SHARE_TOLERANCE = 0.005
_ID = re.compile(r"^[a-z0-9][a-z0-9+-]*$")


def _positive(v: float) -> bool:
    return v > 0


def _non_negative(v: float) -> bool:
    return v >= 0


# Every field a plan fact may have: (parser, check, what it accepts).
PLAN_FIELDS: dict[str, tuple[Callable[[str], Any], Callable[[Any], bool], str]] = {
    "monthly_price_usd": (float, _non_negative, "a price in USD, 0 or more"),
    "included_units": (float, _non_negative, "a number of compute units, 0 or more"),
    "usd_per_unit": (float, _non_negative, "a price in USD per unit, 0 or more"),
    "session_limit_hours": (float, _positive, "a number of hours above 0"),
    "idle_timeout_minutes": (float, _positive, "a number of minutes above 0"),
    "notebooks_running_max": (int, _positive, "a whole number, 1 or more"),
    "notebooks_total_max": (int, _positive, "a whole number, 1 or more"),
    "gpu_hours_per_week": (float, _positive, "a number of hours above 0"),
    "gpu_hours_per_day": (float, _positive, "a number of hours above 0"),
    "selectable_timeout": ("bool", None, "true or false"),
    "background_execution": ("bool", None, "true or false"),
    "deployment": ("bool", None, "true or false"),
    "private_notebooks": ("bool", None, "true or false"),
    "ram_gib": (float, _positive, "a size in GiB above 0"),
    "cpus": (int, _positive, "a whole number, 1 or more"),
}
BOOLEAN_FIELDS = tuple(k for k, v in PLAN_FIELDS.items() if v[0] == "bool")


@dataclass(frozen=True)
class Provenance:
    """Where a value came from: a URL or a repository and path, the date the source gives, how far to trust it."""

    source: str
    as_of: dt.date
    confidence: str
    note: str = ""
    file: str = ""
    line: int = 0

    def to_dict(self) -> dict:
        return {"source": self.source, "as_of": self.as_of.isoformat(), "confidence": self.confidence, "note": self.note}


@dataclass(frozen=True)
class Observation:
    """One dated observation of a plan fact (value in the field's unit, see PLAN_FIELDS)."""

    plan_id: str
    field: str
    value: Any
    provenance: Provenance


@dataclass(frozen=True)
class Gpu:
    """A GPU model. memory_gib: GiB; fp32_tflops/fp16_tflops: TFLOPS; memory_bandwidth_gbps: GB/s."""

    gpu_id: str
    name: str
    vendor: str
    memory_gib: float
    fp32_tflops: float
    fp16_tflops: float | None
    memory_bandwidth_gbps: float
    provenance: Provenance


@dataclass(frozen=True)
class Evidence:
    """A published AI Benchmark result: n runs of `subject` with mean and sd of `metric` (score points)."""

    subject_type: str  # gpu, plan or device
    subject: str
    metric: str
    n: int
    mean: float
    sd: float | None
    tf_version: str
    precision: str
    provenance: Provenance


@dataclass(frozen=True)
class GpuOption:
    """What a plan hands out when you pick `option`: GPUs with the share of sessions that get each."""

    option: str
    shares: tuple[tuple[str, float], ...]
    observed_counts: tuple[int, ...] | None
    provenance: Provenance

    @property
    def is_lottery(self) -> bool:
        return len(self.shares) > 1


@dataclass(frozen=True)
class Rate:
    """Price of an hour on a GPU under a rate card: compute units per hour or USD per hour."""

    rate_card: str
    gpu_id: str
    rate: float
    unit: str
    provenance: Provenance


@dataclass(frozen=True)
class Plan:
    """A notebook plan as of a date: identity, the facts in force, the GPU options in force."""

    plan_id: str
    platform: str
    plan: str
    price_model: str
    url: str
    rate_card: str
    facts: Mapping[str, Observation]
    options: tuple[GpuOption, ...]
    history: Mapping[str, tuple[Observation, ...]] = field(default_factory=dict)

    def fact(self, name: str, default: Any = None) -> Any:
        obs = self.facts.get(name)
        return default if obs is None else obs.value

    @property
    def monthly_price_usd(self) -> float:
        return float(self.fact("monthly_price_usd", 0.0))

    @property
    def label(self) -> str:
        return f"{self.platform} {self.plan}"

    def sources(self) -> list[dict]:
        seen: dict[tuple, dict] = {}
        for obs in self.facts.values():
            p = obs.provenance
            seen.setdefault((p.source, p.as_of), {"source": p.source, "as_of": p.as_of.isoformat()})
        for opt in self.options:
            p = opt.provenance
            seen.setdefault((p.source, p.as_of), {"source": p.source, "as_of": p.as_of.isoformat()})
        return sorted(seen.values(), key=lambda s: (s["as_of"], s["source"]))


# ---------------------------------------------------------------------------------------------
# Reading and validating the files


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
            raise self.fail(column, f"'{value}' is not an id (lower-case letters, digits and '-')")
        return value

    def number(self, column: str, check: Callable[[float], bool] = _positive, what: str = "a number above 0",
               required: bool = True, kind: Callable[[str], Any] = float) -> Any:
        raw = self.text(column, required)
        if not raw:
            return None
        try:
            value = kind(raw)
        except ValueError:
            raise self.fail(column, f"'{raw}' is not {what}") from None
        if isinstance(value, float) and not math.isfinite(value) or not check(value):
            raise self.fail(column, f"{raw} is out of range: expected {what}")
        return value

    def choice(self, column: str, choices: tuple[str, ...]) -> str:
        value = self.text(column)
        if value not in choices:
            raise self.fail(column, f"'{value}' is not one of {', '.join(choices)}{did_you_mean(value, choices)}")
        return value

    def provenance(self, today: dt.date) -> Provenance:
        raw = self.text("as_of")
        try:
            as_of = dt.date.fromisoformat(raw)
        except ValueError:
            raise self.fail("as_of", f"'{raw}' is not a date like 2024-04-23") from None
        if as_of > today:
            raise self.fail("as_of", f"{raw} is in the future (today is {today.isoformat()})")
        return Provenance(
            source=self.text("source"),
            as_of=as_of,
            confidence=self.choice("confidence", CONFIDENCES),
            note=self.text("note", required=False),
            file=self.file,
            line=self.line,
        )


def _read(path: Path, columns: tuple[str, ...]) -> list[_Row]:
    name = path.name
    if not path.exists():
        raise CatalogError(f"{name}: file not found in {path.parent.name}/; restore it from the repository")
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            missing = [c for c in columns if c not in header]
            if missing:
                raise CatalogError(f"{name}, line 1: missing column(s) {', '.join(missing)}; the header must hold {','.join(columns)}")
            rows = []
            for data in reader:
                if None in data:
                    raise CatalogError(f"{name}, line {reader.line_num}: more fields than the header has; quote values that hold commas")
                if not any((v or "").strip() for v in data.values()):
                    continue
                rows.append(_Row(name, reader.line_num, data))
            return rows
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from None
    except csv.Error as exc:
        raise CatalogError(f"{name}: not valid CSV ({exc})") from None


def _parse_bool(row: _Row, column: str) -> bool:
    raw = row.text(column).lower()
    if raw in ("true", "yes", "1"):
        return True
    if raw in ("false", "no", "0"):
        return False
    raise row.fail(column, f"'{raw}' is not true or false")


@dataclass(frozen=True)
class RawCatalog:
    """Every validated row of data/, before choosing a date."""

    gpus: dict[str, Gpu]
    plans: dict[str, dict[str, str]]
    facts: tuple[Observation, ...]
    options: tuple[tuple[str, GpuOption], ...]
    rates: tuple[Rate, ...]
    evidence: tuple[Evidence, ...]


def _load_gpus(data_dir: Path, today: dt.date) -> dict[str, Gpu]:
    gpus: dict[str, Gpu] = {}
    for row in _read(data_dir / "gpus.csv", ("gpu_id", "name", "vendor", "memory_gib", "fp32_tflops", "fp16_tflops",
                                             "memory_bandwidth_gbps", "source", "as_of", "confidence", "note")):
        gpu_id = row.ident("gpu_id")
        if gpu_id in gpus:
            raise row.fail("gpu_id", f"'{gpu_id}' is listed twice")
        gpus[gpu_id] = Gpu(
            gpu_id=gpu_id,
            name=row.text("name"),
            vendor=row.text("vendor").lower(),
            memory_gib=row.number("memory_gib", what="a size in GiB above 0"),
            fp32_tflops=row.number("fp32_tflops", what="TFLOPS above 0"),
            fp16_tflops=row.number("fp16_tflops", what="TFLOPS above 0", required=False),
            memory_bandwidth_gbps=row.number("memory_bandwidth_gbps", what="GB/s above 0"),
            provenance=row.provenance(today),
        )
    return gpus


def _load_plans(data_dir: Path) -> dict[str, dict[str, str]]:
    plans: dict[str, dict[str, str]] = {}
    for row in _read(data_dir / "plans.csv", ("plan_id", "platform", "plan", "price_model", "url", "rate_card")):
        plan_id = row.ident("plan_id")
        if plan_id in plans:
            raise row.fail("plan_id", f"'{plan_id}' is listed twice")
        price_model = row.choice("price_model", PRICE_MODELS)
        rate_card = row.text("rate_card", required=price_model in ("units", "hourly"))
        plans[plan_id] = {"platform": row.text("platform"), "plan": row.text("plan"), "price_model": price_model,
                          "url": row.text("url"), "rate_card": rate_card}
    return plans


def _known(row: _Row, column: str, known: Mapping[str, Any], what: str) -> str:
    value = row.text(column)
    if value not in known:
        raise row.fail(column, f"unknown {what} '{value}'{did_you_mean(value, known)}; add it to its file first")
    return value


def _load_facts(data_dir: Path, plans, today) -> tuple[Observation, ...]:
    facts = []
    for row in _read(data_dir / "plan_facts.csv", ("plan_id", "field", "value", "as_of", "source", "confidence", "note")):
        plan_id = _known(row, "plan_id", plans, "plan")
        name = row.text("field")
        if name not in PLAN_FIELDS:
            raise row.fail("field", f"unknown field '{name}'{did_you_mean(name, PLAN_FIELDS)}; known: {', '.join(PLAN_FIELDS)}")
        kind, check, what = PLAN_FIELDS[name]
        value = _parse_bool(row, "value") if kind == "bool" else row.number("value", check, what, kind=kind)
        facts.append(Observation(plan_id, name, value, row.provenance(today)))
    return tuple(facts)


def _load_options(data_dir: Path, plans, gpus, today) -> tuple[tuple[str, GpuOption], ...]:
    groups: dict[tuple[str, dt.date, str], list[tuple[_Row, str, float | None, int | None, Provenance]]] = {}
    for row in _read(data_dir / "plan_gpus.csv", ("plan_id", "option", "gpu_id", "share", "observed_count", "as_of",
                                                  "source", "confidence", "note")):
        plan_id = _known(row, "plan_id", plans, "plan")
        gpu_id = _known(row, "gpu_id", gpus, "GPU")
        share = row.number("share", lambda v: 0 < v <= 1, "a share between 0 and 1", required=False)
        count = row.number("observed_count", _positive, "a whole number of sessions, 1 or more", required=False, kind=int)
        if (share is None) == (count is None):
            raise row.fail("share", "give either a share or an observed_count, not both and not neither")
        prov = row.provenance(today)
        groups.setdefault((plan_id, prov.as_of, row.text("option")), []).append((row, gpu_id, share, count, prov))
    options = []
    for (plan_id, _, option), members in groups.items():
        first = members[0][0]
        counts = [m[3] for m in members]
        if any(c is None for c in counts) and any(c is not None for c in counts):
            raise first.fail("observed_count", f"plan {plan_id} option {option}: use counts on every row of the group or on none")
        if counts[0] is not None:
            total = sum(counts)
            shares = tuple((m[1], m[3] / total) for m in members)
            observed = tuple(counts)
        else:
            shares = tuple((m[1], m[2]) for m in members)
            observed = None
            total_share = sum(s for _, s in shares)
            if abs(total_share - 1) > SHARE_TOLERANCE:
                raise first.fail("share", f"plan {plan_id} option '{option}' as of {members[0][4].as_of}: shares sum to "
                                          f"{total_share:g}, not 1")
        if len({g for g, _ in shares}) != len(shares):
            raise first.fail("gpu_id", f"plan {plan_id} option '{option}' lists a GPU twice")
        options.append((plan_id, GpuOption(option, shares, observed, members[0][4])))
    return tuple(options)


def _load_rates(data_dir: Path, plans, gpus, today) -> tuple[Rate, ...]:
    cards = {p["rate_card"] for p in plans.values() if p["rate_card"]}
    rates = []
    for row in _read(data_dir / "gpu_rates.csv", ("rate_card", "gpu_id", "rate", "unit", "as_of", "source", "confidence", "note")):
        card = row.text("rate_card")
        if card not in cards:
            raise row.fail("rate_card", f"no plan uses rate card '{card}'{did_you_mean(card, cards)}")
        rates.append(Rate(card, _known(row, "gpu_id", gpus, "GPU"),
                          row.number("rate", _non_negative, "a rate, 0 or more"),
                          row.choice("unit", RATE_UNITS), row.provenance(today)))
    return tuple(rates)


def _load_evidence(data_dir: Path, plans, gpus, today) -> tuple[Evidence, ...]:
    evidence = []
    for row in _read(data_dir / "benchmarks.csv", ("subject_type", "subject", "metric", "n", "mean", "sd", "tf_version",
                                                   "precision", "source", "as_of", "confidence", "note")):
        subject_type = row.choice("subject_type", ("gpu", "plan", "device"))
        if subject_type == "gpu":
            subject = _known(row, "subject", gpus, "GPU")
        elif subject_type == "plan":
            subject = _known(row, "subject", plans, "plan")
        else:
            subject = row.text("subject")
        n = row.number("n", _positive, "a whole number of runs, 1 or more", kind=int)
        sd = row.number("sd", _non_negative, "a standard deviation, 0 or more", required=False)
        if sd is not None and n < 2:
            raise row.fail("sd", "a standard deviation needs n of 2 or more")
        evidence.append(Evidence(subject_type, subject, row.choice("metric", METRICS), n,
                                 row.number("mean", what="a score above 0"), sd, row.text("tf_version", required=False),
                                 row.choice("precision", ("normal", "high")), row.provenance(today)))
    return tuple(evidence)


@lru_cache(maxsize=8)
def _load_raw_cached(data_dir: str, stamp: tuple, today: dt.date) -> RawCatalog:
    path = Path(data_dir)
    gpus = _load_gpus(path, today)
    plans = _load_plans(path)
    return RawCatalog(
        gpus=gpus,
        plans=plans,
        facts=_load_facts(path, plans, today),
        options=_load_options(path, plans, gpus, today),
        rates=_load_rates(path, plans, gpus, today),
        evidence=_load_evidence(path, plans, gpus, today),
    )


DATA_FILES = ("gpus.csv", "plans.csv", "plan_facts.csv", "plan_gpus.csv", "gpu_rates.csv", "benchmarks.csv")


def load_raw(data_dir: Path | str | None = None) -> RawCatalog:
    """Every validated row of the data files; re-read only when a file changes. Raises CatalogError."""
    path = Path(data_dir) if data_dir is not None else DATA_DIR
    stamp = []
    for name in DATA_FILES:
        try:
            st = (path / name).stat()
            stamp.append((name, st.st_mtime_ns, st.st_size))
        except OSError:
            stamp.append((name, 0, 0))  # _read reports the missing file
    stamp = tuple(stamp)
    return _load_raw_cached(str(path.resolve()), stamp, dt.date.today())


# ---------------------------------------------------------------------------------------------
# The catalog as of a date


def parse_date(value: dt.date | str | None) -> dt.date:
    """A date from an ISO string (YYYY-MM-DD) or a date; None means today. Raises ValueError."""
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"'{value}' is not a date like 2022-06-01") from None


def _newest(observations, as_of: dt.date):
    """The observation in force on as_of: newest date; on a tie the more trusted source, then the first listed."""
    valid = [o for o in observations if o.provenance.as_of <= as_of]
    if not valid:
        return None
    newest = max(o.provenance.as_of for o in valid)
    tied = [o for o in valid if o.provenance.as_of == newest]
    return min(tied, key=lambda o: CONFIDENCES.index(o.provenance.confidence))


def allocation_on(raw: RawCatalog, plan_id: str, date: dt.date) -> tuple[GpuOption, ...]:
    """The plan's GPU options in force on `date`: every row of its newest allocation dated on or before it."""
    snapshots = [o for p, o in raw.options if p == plan_id and o.provenance.as_of <= date]
    if not snapshots:
        return ()
    newest = max(o.provenance.as_of for o in snapshots)
    return tuple(o for o in snapshots if o.provenance.as_of == newest)


class Catalog:
    """Plans, GPUs, rates and evidence in force on `as_of`. Treat as read-only."""

    def __init__(self, raw: RawCatalog, as_of: dt.date):
        self.as_of = as_of
        self.raw = raw
        self.gpus: dict[str, Gpu] = dict(raw.gpus)
        self.evidence = tuple(e for e in raw.evidence if e.provenance.as_of <= as_of)
        self.rates: dict[tuple[str, str], Rate] = {}
        by_rate: dict[tuple[str, str], list[Rate]] = {}
        for rate in raw.rates:
            by_rate.setdefault((rate.rate_card, rate.gpu_id), []).append(rate)
        for key, rates in by_rate.items():
            chosen = _newest(rates, as_of)
            if chosen is not None:
                self.rates[key] = chosen
        self.plans: dict[str, Plan] = {}
        for plan_id, meta in raw.plans.items():
            plan = self._plan_as_of(plan_id, meta)
            if plan is not None:
                self.plans[plan_id] = plan

    def _plan_as_of(self, plan_id: str, meta: dict[str, str]) -> Plan | None:
        history: dict[str, list[Observation]] = {}
        for obs in self.raw.facts:
            if obs.plan_id == plan_id:
                history.setdefault(obs.field, []).append(obs)
        facts = {}
        for name, observations in history.items():
            chosen = _newest(observations, self.as_of)
            if chosen is not None:
                facts[name] = chosen
        options = allocation_on(self.raw, plan_id, self.as_of)
        # A plan exists on a date once it has a price and a GPU allocation on or before that date.
        if "monthly_price_usd" not in facts or not options:
            return None
        return Plan(plan_id=plan_id, facts=facts, options=options,
                    history={k: tuple(v) for k, v in history.items()}, **meta)

    def plan(self, plan_id: str) -> Plan:
        """The plan with this id. Raises UnknownPlanError with close matches."""
        try:
            return self.plans[plan_id]
        except KeyError:
            if plan_id in self.raw.plans:
                raise UnknownPlanError(f"plan '{plan_id}' has no price or GPU on record as of {self.as_of}; "
                                       "try a later --as-of date") from None
            raise UnknownPlanError(f"unknown plan '{plan_id}'{did_you_mean(plan_id, self.raw.plans)}; "
                                   f"known plans: {', '.join(self.raw.plans)}") from None

    def gpu(self, name: str) -> Gpu:
        """The GPU with this id or name, case and spacing ignored. Raises UnknownGpuError with close matches."""
        key = re.sub(r"[\s_]+", "-", str(name).strip().lower())
        if key in self.gpus:
            return self.gpus[key]
        for gpu in self.gpus.values():
            names = {gpu.name.lower(), gpu.name.lower().replace("tesla ", "").replace("quadro ", "").replace("geforce ", "")}
            if str(name).strip().lower() in names or key.replace("-", "") == gpu.gpu_id.replace("-", ""):
                return gpu
        raise UnknownGpuError(f"unknown GPU '{name}'{did_you_mean(key, self.gpus)}; known GPUs: {', '.join(self.gpus)}")

    def rate(self, plan: Plan, gpu_id: str) -> Rate | None:
        return self.rates.get((plan.rate_card, gpu_id)) if plan.rate_card else None

    @cached_property
    def scores(self):
        """Score distributions for GPUs and plans (advisor.distributions.ScoreBook), built once per catalog."""
        from .distributions import ScoreBook

        return ScoreBook(self)


_CATALOGS: dict[tuple[int, dt.date], tuple[RawCatalog, Catalog]] = {}
_CATALOGS_MAX = 64


def load_catalog(as_of: dt.date | str | None = None, data_dir: Path | str | None = None) -> Catalog:
    """The catalog in force on `as_of` (ISO date or date; default today) from data_dir (default: the shipped data/).

    Catalogs are kept per date (and per version of the files), so their score distributions are computed once.
    Raises CatalogError naming the file, line and field of the first bad value, or ValueError for a bad date.
    """
    date = parse_date(as_of)
    if date > dt.date.today():
        raise ValueError(f"{date.isoformat()} is in the future; the catalog only knows the past and today")
    raw = load_raw(data_dir)
    key = (id(raw), date)
    hit = _CATALOGS.get(key)
    if hit is not None and hit[0] is raw:
        return hit[1]
    catalog = Catalog(raw, date)
    if len(_CATALOGS) >= _CATALOGS_MAX:
        _CATALOGS.clear()
    _CATALOGS[key] = (raw, catalog)
    return catalog
