"""The run record (schema advisor.run/1): one AI Benchmark run as saved, posted, exported and imported, its strict
validation, and the plausibility checks a run must pass before it counts as evidence.

Every limit lives here (body size, nesting depth, string lengths, date range, score range, known plan ids), so the
CLI, the API and the app refuse the same runs with the same message.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..errors import FileReadError, RunValidationError
from ..files import open_regular as _open_file

RUN_SCHEMA: Final = "advisor.run/1"
# One run (a POST body, a pasted run) is at most 1 MB; a file (an export) may hold any number of runs.
MAX_RUN_BYTES = 1_000_000
# A run nests four levels (run > tests > test > value); an export adds one or two. Deeper is not a run.
MAX_JSON_DEPTH = 16
MAX_TESTS = 100
MAX_NAME_CHARS = 200
MAX_TEXT_CHARS = 2000
MAX_ID_CHARS = 100
# Scores in AI Benchmark points. Below one point a device would be 10,000 times slower than the library's
# reference on every sub-test: 0, -0.0 and denormals are refused. The absolute ceiling only stops absurd
# numbers; plausible_problem() holds each score against the fastest device the catalog has measured.
MIN_SCORE = 1.0
MAX_SCORE = 10_000_000.0
MAX_MS = 10_000_000.0
# AI Benchmark first appeared in October 2018 (Ignatov et al., "AI Benchmark: Running Deep Neural Networks on
# Android Smartphones", https://arxiv.org/abs/1810.01109); no run can be older. Clocks drift, so a run may end
# up to a day in the future; a run longer than a week is no single benchmark.
EARLIEST_RUN = dt.datetime(2018, 10, 1, tzinfo=dt.UTC)
FUTURE_SLACK = dt.timedelta(days=1)
MAX_RUN_DURATION = dt.timedelta(days=7)
# Ids: catalog plan and GPU ids (lower-case letters, digits, '+', '-').
ID_PATTERN = r"^[a-z0-9][a-z0-9+-]*$"
# Control (C0, DEL, C1) and invisible format characters (zero-width, bidi embeddings, overrides and isolates, BOM).
# Also the line and paragraph separators (U+2028, U+2029) and the noncharacters (U+FDD0-FDEF and the last two code
# points of every plane): E24.
_NONCHARACTERS = "\ufdd0-\ufdef\ufffe\uffff" + "".join(f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}"
                                                        for p in range(1, 17))
_FORBIDDEN = re.compile(rf"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff"
                        rf"{_NONCHARACTERS}]")
# Free text (a note, an error message) may hold line breaks and tabs: TensorFlow's errors span lines.
_FORBIDDEN_IN_TEXT = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069"
                                rf"\ufeff{_NONCHARACTERS}]")
# A score beyond this multiple of the fastest device the catalog has measured is refused as implausible.
PLAUSIBLE_MARGIN = 3.0
# A full run's scores are recomputed from its times by AI Benchmark's rule; they must agree to within rounding.
FULL_SCORE_TOLERANCE = 0.005
# A quick run's scores are quick mode's estimates from its sub-test times. Re-estimated on the way in, each must lie
# in the estimate's interval widened by this factor: a run made with an earlier calibration still passes, scores
# that its times cannot give do not.
QUICK_INTERVAL_SLACK = 1.25
PARTS = ("ai", "inference", "training")


def _check_chars(value: str, pattern: re.Pattern = _FORBIDDEN) -> str:
    found = pattern.search(value)
    if found:
        raise ValueError(f"holds the control or format character {found.group()!r} at position {found.start()}; "
                         "remove it")
    return value


def _check_text(value: str) -> str:
    return _check_chars(value, _FORBIDDEN_IN_TEXT)


def _aware_datetime(value: Any) -> Any:
    """An ISO 8601 date-time with a UTC offset ('2026-11-20T10:00:00+00:00' or '...Z'); a datetime passes as is.
    Naive times are refused (D1): the same digits mean different instants on different machines."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > 40 or not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
            raise ValueError("expected a date and time like 2026-11-20T10:00:00+00:00")
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            raise ValueError("expected a date and time like 2026-11-20T10:00:00+00:00") from None
    else:
        raise ValueError("expected a date and time as text, like 2026-11-20T10:00:00+00:00")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("has no time zone; add one, e.g. 2026-11-20T10:00:00+00:00 for UTC")
    if parsed < EARLIEST_RUN:
        raise ValueError(f"is before AI Benchmark existed ({EARLIEST_RUN.date().isoformat()})")
    if parsed > dt.datetime.now(dt.UTC) + FUTURE_SLACK:
        raise ValueError("is more than a day in the future")
    return parsed


def _score(value: float) -> float:
    if not MIN_SCORE <= value <= MAX_SCORE:
        raise ValueError(f"must be from {MIN_SCORE:g} to {MAX_SCORE:,.0f} points")
    return value


Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS), AfterValidator(_check_chars)]
ShortText = Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS), AfterValidator(_check_chars)]
Text = Annotated[str, Field(max_length=MAX_TEXT_CHARS), AfterValidator(_check_text)]
Ident = Annotated[str, Field(max_length=MAX_ID_CHARS, pattern=ID_PATTERN)]
Score = Annotated[float, Field(allow_inf_nan=False), AfterValidator(_score)]
AwareDatetime = Annotated[dt.datetime, BeforeValidator(_aware_datetime)]
# strict: "12000" is not a number, "no" not a boolean, true not a number (D20). Ints are accepted for floats.
_STRICT = ConfigDict(extra="forbid", strict=True)


class Fingerprint(BaseModel):
    """The host behind a run, which sets its speed besides the GPU (one "AMD EPYC, 2 cores" can be several times
    faster than another): CPU model name, vendor, family and model numbers, speed-relevant flags (avx512f, amx_tile
    ...), the CPUs the run could use, and the TensorFlow version."""

    model_config = _STRICT
    cpu_model: Name
    cpu_vendor: ShortText | None = None
    cpu_family: Annotated[int | None, Field(ge=0, le=100_000)] = None
    cpu_model_number: Annotated[int | None, Field(ge=0, le=100_000)] = None
    cpu_flags: Annotated[list[Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$")]], Field(max_length=32)] = []
    cpu_count: Annotated[int, Field(ge=1, le=100_000)]
    tensorflow_version: ShortText | None = None


class Device(BaseModel):
    """The machine a run measured. kind: gpu (TensorFlow used the GPU) or cpu. gpu_id: the catalog GPU the
    NVML name matched. memory_gib: GPU memory as NVML reports it, GiB. fingerprint: the host."""

    model_config = _STRICT
    name: Name
    kind: Literal["gpu", "cpu"]
    gpu_id: Ident | None = None
    memory_gib: Annotated[float | None, Field(gt=0, le=4096, allow_inf_nan=False)] = None
    driver_version: ShortText | None = None
    cuda_version: ShortText | None = None
    fingerprint: Fingerprint | None = None


class SubtestResult(BaseModel):
    """One sub-test: id like '1.2' (test 1, sub-test 2), mean and sd of its time in ms, status and error;
    passes: the timed passes behind the mean (the dropped warm-up pass not counted); seconds: its wall time,
    model load and warm-up included."""

    model_config = _STRICT
    id: Annotated[str, Field(pattern=r"^\d{1,2}\.\d{1,2}$")]
    name: Name | None = None
    kind: Literal["inference", "training"] | None = None
    mean_ms: Annotated[float | None, Field(gt=0, le=MAX_MS, allow_inf_nan=False)] = None
    sd_ms: Annotated[float | None, Field(ge=0, le=MAX_MS, allow_inf_nan=False)] = None
    status: Literal["ok", "failed", "skipped"]
    error: Text | None = None
    passes: Annotated[int | None, Field(ge=1, le=1000)] = None
    seconds: Annotated[float | None, Field(ge=0, le=86_400, allow_inf_nan=False)] = None


class RunScores(BaseModel):
    """Scores in AI Benchmark points. A quick run's scores are estimates, each with its interval (ai_low..ai_high,
    inference_low..inference_high, training_low..training_high) of nominal coverage interval_level (0.9: the
    full score inside nine times in ten)."""

    model_config = _STRICT
    ai: Score | None = None
    inference: Score | None = None
    training: Score | None = None
    ai_low: Score | None = None
    ai_high: Score | None = None
    inference_low: Score | None = None
    inference_high: Score | None = None
    training_low: Score | None = None
    training_high: Score | None = None
    interval_level: Annotated[float | None, Field(gt=0, lt=1, allow_inf_nan=False)] = None

    @model_validator(mode="after")
    def _intervals_in_order(self) -> RunScores:
        for part in ("ai", "inference", "training"):
            low, high = getattr(self, f"{part}_low"), getattr(self, f"{part}_high")
            if low is not None and high is not None and low > high:
                raise ValueError(f"{part}_low must not be above {part}_high")
        return self


class BenchmarkRun(BaseModel):
    """One AI Benchmark run (schema advisor.run/1). started_at/finished_at: aware date-times. platform: the catalog
    plan the notebook ran on. tests_used: sub-tests that finished. partial: some sub-test did not finish.
    budget_s: the measurement budget a quick run was given, seconds; measured_s: the seconds of measurement its
    scores rest on; replay_of: set when the run is a replay of recorded times (the file and its source), not a
    measurement."""

    schema_: Annotated[Literal["advisor.run/1"], Field(alias="schema")] = RUN_SCHEMA
    mode: Literal["quick", "full"]
    device: Device
    tensorflow_version: ShortText | None = None
    scores: RunScores
    tests: Annotated[list[SubtestResult], Field(max_length=MAX_TESTS)]
    partial: bool = False
    tests_used: Annotated[int, Field(ge=0, le=MAX_TESTS)] = 0
    started_at: AwareDatetime
    finished_at: AwareDatetime
    platform: Ident | None = None
    note: Text | None = None
    budget_s: Annotated[float | None, Field(gt=0, le=3600, allow_inf_nan=False)] = None
    measured_s: Annotated[float | None, Field(ge=0, le=86_400, allow_inf_nan=False)] = None
    replay_of: Annotated[str, Field(max_length=500), AfterValidator(_check_chars)] | None = None

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    @field_validator("platform")
    @classmethod
    def _known_plan(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        known = (info.context or {}).get("plan_ids")
        if known is None:
            known = known_plan_ids()
        if value not in known:
            from ..errors import did_you_mean

            raise ValueError(f"'{value}' is no plan of the catalog{did_you_mean(value, known)}")
        return value

    @model_validator(mode="after")
    def _times_in_order(self) -> BenchmarkRun:
        # Both are aware (see _aware_datetime), so the comparison cannot raise (D1).
        if self.finished_at < self.started_at:
            raise ValueError("finished_at must not be before started_at")
        if self.finished_at - self.started_at > MAX_RUN_DURATION:
            raise ValueError("finished_at is more than a week after started_at; no benchmark run takes that long")
        return self

    def to_dict(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)

    def content_hash(self) -> str:
        """SHA-256 of the run's canonical JSON: the same run posted or imported twice has the same hash."""
        return content_hash(self.to_dict())


def content_hash(record: dict) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@lru_cache(maxsize=4)
def _plan_ids_of(data_dir: str | None, stamp: tuple) -> frozenset[str]:
    from ..catalog import load_raw

    return frozenset(load_raw(data_dir).plans)


def known_plan_ids(data_dir: str | None = None) -> frozenset[str]:
    """Every plan id of the catalog's plans.csv (current and past plans). Raises CatalogError."""
    from ..catalog.load import data_stamp

    return _plan_ids_of(data_dir, data_stamp(data_dir)[1])


# ---------------------------------------------------------------------------------------------
# Parsing: JSON text to runs, with every problem a RunValidationError naming the run and the field.


def _reject_constant(name: str):
    raise RunValidationError(f"{name} is not a number a run may hold; use null for a missing value")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    out = dict(pairs)  # built in C; a key given twice shows as a shorter dict (checked per pair only then)
    if len(out) != len(pairs):
        seen: set = set()
        for key, _ in pairs:
            if key in seen:
                raise RunValidationError(f"the key {key[:100]!r} appears twice in one object; keep one")
            seen.add(key)
    return out


def _depth(value: Any) -> int:
    """The nesting depth of parsed JSON, or the first depth past MAX_JSON_DEPTH (level by level, iterative: a deep
    document cannot exhaust the stack)."""
    depth, level = 0, [value] if isinstance(value, (dict, list)) else []
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            return depth
        below: list = []
        for item in level:
            below += [c for c in (item.values() if type(item) is dict else item) if isinstance(c, (dict, list))]
        level = below
    return depth


def parse_json(data: bytes | str, name: str, limit: int | None = MAX_RUN_BYTES) -> Any:
    """JSON text (at most `limit` bytes; None: no limit) with NaN, Infinity, duplicate keys and nesting deeper
    than MAX_JSON_DEPTH refused. Raises RunValidationError naming `name`."""
    if limit is not None:
        size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
        if size > limit:
            raise RunValidationError(f"{name} is {size:,} bytes; the limit is {limit:,}")
    try:
        parsed = json.loads(data, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)
    except RunValidationError as exc:
        raise RunValidationError(f"{name}: {exc}") from None
    except RecursionError:  # D2: nesting too deep for the parser itself
        raise RunValidationError(f"{name}: JSON nested deeper than {MAX_JSON_DEPTH} levels; a run is not") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RunValidationError(f"{name}: not JSON ({str(exc)[:200]})") from None
    if _depth(parsed) > MAX_JSON_DEPTH:
        raise RunValidationError(f"{name}: JSON nested deeper than {MAX_JSON_DEPTH} levels; a run is not")
    return parsed


def _where(loc: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(loc))


class _AnyPlan(frozenset):
    """Plan ids that hold every plan: reading a stored run back does not check its plan again (E7)."""

    def __contains__(self, item: object) -> bool:
        return True


ANY_PLAN: frozenset[str] = _AnyPlan()


def run_from_json(data: bytes | str | dict, plan_ids: frozenset[str] | None = None) -> BenchmarkRun:
    """A validated run from JSON text or a parsed dict. plan_ids: the catalog's plan ids (default: the shipped
    catalog's). Raises RunValidationError naming the field."""
    if isinstance(data, (bytes, str)):
        data = parse_json(data, "run")
    if not isinstance(data, dict):
        raise RunValidationError("a run must be a JSON object")
    try:
        return BenchmarkRun.model_validate(data, context={"plan_ids": plan_ids} if plan_ids is not None else None)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _where(tuple(p for p in first["loc"] if p != "function-after[_score(), float]")) or "run"
        message = str(first["msg"]).removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise RunValidationError(f"{where}: {message}{more}") from None


def _items_of(parsed: Any, name: str) -> list:
    """The run objects in a parsed document: one run, a list of runs (an export), or a GET /runs page."""
    if isinstance(parsed, dict) and "runs" in parsed and "schema" not in parsed:
        items = parsed["runs"]
        if not isinstance(items, list):
            raise RunValidationError(f"{name}: 'runs' must be a list")
        return [i.get("run") if isinstance(i, dict) and "run" in i else i for i in items]
    return parsed if isinstance(parsed, list) else [parsed]


def runs_from_bytes(data: bytes, name: str = "upload", plan_ids: frozenset[str] | None = None,
                    limit: int | None = MAX_RUN_BYTES) -> list[BenchmarkRun]:
    """Runs from JSON holding one run, a list of runs (an export) or a GET /runs page. Raises RunValidationError
    naming the run and field; nothing is returned unless every run is valid."""
    items = _items_of(parse_json(data, name, limit), name)
    if not items:
        raise RunValidationError(f"{name}: holds no runs")
    return [_validated(item, i, name, plan_ids) for i, item in enumerate(items)]


def _validated(item: Any, index: int, name: str, plan_ids) -> BenchmarkRun:
    try:
        # anything but an object is refused by run_from_json's own check, from its JSON text
        return run_from_json(item if isinstance(item, dict) else json.dumps(item), plan_ids)
    except RunValidationError as exc:
        raise RunValidationError(f"{name}, run {index + 1}: {exc}") from None


def iter_runs_from_file(path: Path, plan_ids: frozenset[str] | None = None) -> Iterator[BenchmarkRun]:
    """Runs from a file of any size (D11): JSON Lines (one run per line, read line by line) or JSON (one run, a
    list, a GET /runs page). Each run is at most MAX_RUN_BYTES. Raises RunValidationError naming the line or run;
    callers that must be atomic collect everything before storing."""
    with open_regular(path) as f:
        # The first line decides, however long it is (E6: a full run is 8 KB on one line), up to one run's limit.
        first = f.readline(MAX_RUN_BYTES + 1)
        rest = f.read(1)
        f.seek(0)
        if _looks_like_json_lines(first, rest):
            for number, line in enumerate(io.TextIOWrapper(f, encoding="utf-8-sig", errors="strict"), start=1):
                if line.strip():
                    try:
                        yield run_from_json(parse_json(line, "line", MAX_RUN_BYTES), plan_ids)
                    except RunValidationError as exc:
                        raise RunValidationError(f"{path.name}, line {number}: {exc}") from None
            return
        data = f.read()
    yield from runs_from_bytes(data, path.name, plan_ids, limit=None)


def _looks_like_json_lines(first_line: bytes, rest: bytes) -> bool:
    """True when the file's first line is a whole JSON object and more follows it: JSON Lines (a BOM allowed)."""
    line = first_line.removeprefix(b"\xef\xbb\xbf").strip()
    if not line.startswith(b"{") or not first_line.endswith(b"\n") or not rest:
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def open_regular(path: Path, max_bytes: int | None = None):
    """`path` opened for reading in binary (advisor.files.open_regular: no FIFO, device or folder, at most
    max_bytes), or RunValidationError naming what is wrong."""
    try:
        return _open_file(path, max_bytes)
    except FileReadError as exc:
        raise RunValidationError(str(exc)) from None


def runs_from_file(path: Path, plan_ids: frozenset[str] | None = None) -> list[BenchmarkRun]:
    """Every run of a file (see iter_runs_from_file). Raises RunValidationError."""
    try:
        return list(iter_runs_from_file(path, plan_ids))
    except UnicodeDecodeError as exc:
        raise RunValidationError(f"{path.name}: not UTF-8 text ({exc.reason})") from None


# ---------------------------------------------------------------------------------------------
# Plausibility: checks against the catalog and AI Benchmark's scoring rule, applied to every run that comes in.


QuickIntervals = Callable[[dict[str, float], dict[str, int], str], dict[str, tuple[float, float]] | None]


@dataclass(frozen=True)
class RunReference:
    """What a run's times are checked against, from the benchmark (this layer sits below it and cannot read it):
    times: each sub-test's kind and reference time (ms), as the installed AI Benchmark states them;
    quick_interval: quick mode's estimator, (mean ms by sub-test, kept passes by sub-test, device kind) ->
    {"ai" | "inference" | "training": (low, high)} of each estimate's interval, or None when nothing it knows
    finished."""

    times: Mapping[str, tuple[str, float]]
    quick_interval: QuickIntervals | None = None


def _fastest_known(catalog) -> float:
    """The fastest device the catalog has measured, as an AI score (a training or inference score counts
    double: the AI score is their sum)."""
    best = 0.0
    for e in catalog.evidence:
        best = max(best, e.mean if str(e.metric) == "ai" else 2 * e.mean)
    return best


def _time_problem(run: BenchmarkRun, reference: RunReference | None) -> str | None:
    """Why the run's times do not give its scores, or None. A full run: AI Benchmark's rule (score = geometric mean
    of reference/measured time over a kind's sub-tests x 10,000; AI = inference + training). A quick run: quick
    mode's estimator, re-run on its times (see QUICK_INTERVAL_SLACK). reference None: not checked."""
    if reference is None:
        return None
    logs: dict[str, list[float]] = {"inference": [], "training": []}
    for test in run.tests:
        if test.id not in reference.times:
            return f"tests: '{test.id}' is no AI Benchmark sub-test"
        kind, ref_ms = reference.times[test.id]
        if test.kind is not None and test.kind != kind:
            return f"tests: sub-test {test.id} is a {kind} test, not {test.kind}"
        if test.status == "ok":
            if test.mean_ms is None:
                return f"tests: sub-test {test.id} is ok but has no time"
            logs[kind].append(math.log(ref_ms / test.mean_ms))
    ok = sum(len(v) for v in logs.values())
    if run.tests_used != ok:
        return f"tests_used is {run.tests_used} but {ok} sub-tests finished"
    if run.mode == "quick":
        return _quick_time_problem(run, reference)
    for kind, values in logs.items():
        stated = getattr(run.scores, kind)
        if stated is None:
            continue
        if not values:
            return f"scores.{kind}: no {kind} sub-test finished, so there is no {kind} score"
        implied = math.exp(sum(values) / len(values)) * 10_000
        if abs(stated - implied) > max(2.0, FULL_SCORE_TOLERANCE * implied):
            return (f"scores.{kind}: {stated:,.0f} is not what the sub-test times give ({implied:,.0f} by AI "
                    "Benchmark's rule)")
    return None


def _quick_time_problem(run: BenchmarkRun, reference: RunReference) -> str | None:
    """Why a quick run's scores are not what quick mode makes of its times, or None. Quick mode estimates every
    part from any finished sub-tests (training from inference sub-tests too, with a wider interval)."""
    if reference.quick_interval is None:
        return None
    finished = [t for t in run.tests if t.status == "ok" and t.mean_ms is not None]
    intervals = reference.quick_interval({t.id: t.mean_ms for t in finished}, {t.id: t.passes or 1 for t in finished},
                                         str(run.device.kind))
    for part in PARTS:
        stated = getattr(run.scores, part)
        if stated is None:
            continue
        if intervals is None:
            return f"scores.{part}: no sub-test finished, so there is no score"
        low, high = intervals[part]
        if not low / QUICK_INTERVAL_SLACK <= stated <= high * QUICK_INTERVAL_SLACK:
            return (f"scores.{part}: the quick estimate {stated:,.0f} is not what the sub-test times give (quick "
                    f"mode makes {low:,.0f}-{high:,.0f} of them)")
    return None


def plausibility_problem(run: BenchmarkRun, catalog, reference: RunReference | None) -> str | None:
    """Why a run is physically implausible, or None: a score far beyond every known device, an AI score that is
    not inference plus training, an interval that misses its estimate or belongs to a full run, times that do not
    give the scores (checked against `reference`, from advisor.bench.run_reference())."""
    s = run.scores
    ceiling = PLAUSIBLE_MARGIN * _fastest_known(catalog)
    if ceiling > 0:
        for name in ("ai", "inference", "training", "ai_high"):
            value = getattr(s, name)
            if value is not None and value > ceiling:
                return (f"scores.{name}: {value:,.0f} is more than {PLAUSIBLE_MARGIN:g} times the fastest device "
                        f"measured ({ceiling / PLAUSIBLE_MARGIN:,.0f}); not a real run")
    if s.ai is not None and s.inference is not None and s.training is not None:
        if abs(s.ai - (s.inference + s.training)) > 1.0:
            return (f"scores.ai: {s.ai:,.0f} is not inference plus training "
                    f"({s.inference:,.0f} + {s.training:,.0f})")
    elif s.ai is not None:
        return "scores.ai: an AI score needs its inference and training scores"
    for part in PARTS:
        value, low, high = getattr(s, part), getattr(s, f"{part}_low"), getattr(s, f"{part}_high")
        if low is not None or high is not None:
            if value is None or low is None or high is None or not low <= value <= high:
                return f"scores.{part}_low/{part}_high: the interval must hold the {part} score"
            if run.mode == "full":
                return f"scores.{part}_low/{part}_high: only quick runs have an interval"
    if run.device.kind == "cpu" and run.device.gpu_id is not None:
        return "device.gpu_id: a run on the CPU names no GPU"
    return _time_problem(run, reference)


def check_plausible(run: BenchmarkRun, catalog, reference: RunReference | None) -> BenchmarkRun:
    """The run, or RunValidationError with plausibility_problem's reason. The front ends pass
    advisor.bench.run_reference() (this layer sits below the benchmark and cannot read it)."""
    problem = plausibility_problem(run, catalog, reference)
    if problem:
        raise RunValidationError(f"implausible run: {problem}")
    return run
