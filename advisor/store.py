"""Benchmark runs: the versioned JSON record of one AI Benchmark run, its validation, and a local SQLite store
that several processes can write at once (WAL journal, a busy timeout, one transaction per run)."""
from __future__ import annotations

import datetime as dt
import json
import math
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import RunValidationError, StoreError

RUN_SCHEMA = "advisor.run/1"
MAX_RUN_BYTES = 1_000_000
# No device scores above this: the fastest published AI score is under 60,000; 10 million is absurd.
MAX_SCORE = 10_000_000
MAX_MS = 10_000_000.0
ENV_STORE = "ADVISOR_RUNS_DB"


class Fingerprint(BaseModel):
    """The host behind a run, which sets its speed besides the GPU (one "AMD EPYC, 2 cores" can be several times
    faster than another): CPU model name, vendor, family and model numbers, speed-relevant flags (avx512f, amx_tile
    ...), the CPUs the run could use, and the TensorFlow version."""

    model_config = ConfigDict(extra="forbid")
    cpu_model: Annotated[str, Field(min_length=1, max_length=200)]
    cpu_vendor: Annotated[str | None, Field(max_length=100)] = None
    cpu_family: Annotated[int | None, Field(ge=0, le=100_000)] = None
    cpu_model_number: Annotated[int | None, Field(ge=0, le=100_000)] = None
    cpu_flags: Annotated[list[Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$")]], Field(max_length=32)] = []
    cpu_count: Annotated[int, Field(ge=1, le=100_000)]
    tensorflow_version: Annotated[str | None, Field(max_length=100)] = None


class Device(BaseModel):
    """The machine a run measured. kind: gpu or cpu. memory_gib: GPU memory, GiB. fingerprint: the host."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Literal["gpu", "cpu"]
    gpu_id: Annotated[str | None, Field(max_length=100, pattern=r"^[a-z0-9][a-z0-9+-]*$")] = None
    memory_gib: Annotated[float | None, Field(gt=0, le=4096)] = None
    driver_version: Annotated[str | None, Field(max_length=100)] = None
    cuda_version: Annotated[str | None, Field(max_length=100)] = None
    fingerprint: Fingerprint | None = None


class SubtestResult(BaseModel):
    """One sub-test: id like '1.2' (test 1, sub-test 2), mean and sd of its time in ms, status and error;
    passes: the timed passes behind the mean (the dropped warm-up pass not counted); seconds: its wall time,
    model load and warm-up included."""

    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, Field(pattern=r"^\d{1,2}\.\d{1,2}$")]
    name: Annotated[str | None, Field(max_length=200)] = None
    kind: Literal["inference", "training"] | None = None
    mean_ms: Annotated[float | None, Field(gt=0, le=MAX_MS)] = None
    sd_ms: Annotated[float | None, Field(ge=0, le=MAX_MS)] = None
    status: Literal["ok", "failed", "skipped"]
    error: Annotated[str | None, Field(max_length=2000)] = None
    passes: Annotated[int | None, Field(ge=1, le=1000)] = None
    seconds: Annotated[float | None, Field(ge=0, le=86_400)] = None


class RunScores(BaseModel):
    """Scores in AI Benchmark points. A quick run's scores are estimates, each with its interval (ai_low..ai_high,
    inference_low..inference_high, training_low..training_high) of nominal coverage interval_level (0.9: the
    full score inside nine times in ten)."""

    model_config = ConfigDict(extra="forbid")
    ai: Annotated[float | None, Field(ge=0, le=MAX_SCORE)] = None
    inference: Annotated[float | None, Field(ge=0, le=MAX_SCORE)] = None
    training: Annotated[float | None, Field(ge=0, le=MAX_SCORE)] = None
    ai_low: Annotated[float | None, Field(ge=0, le=MAX_SCORE)] = None
    ai_high: Annotated[float | None, Field(ge=0, le=MAX_SCORE)] = None
    inference_low: Annotated[float | None, Field(ge=0, le=MAX_SCORE)] = None
    inference_high: Annotated[float | None, Field(ge=0, le=MAX_SCORE)] = None
    training_low: Annotated[float | None, Field(ge=0, le=MAX_SCORE)] = None
    training_high: Annotated[float | None, Field(ge=0, le=MAX_SCORE)] = None
    interval_level: Annotated[float | None, Field(gt=0, lt=1)] = None


class BenchmarkRun(BaseModel):
    """One AI Benchmark run, as saved, exported and imported (schema advisor.run/1). budget_s: the measurement
    budget a quick run was given, seconds; measured_s: the seconds of measurement its scores rest on;
    replay_of: set when the run is a replay of recorded times (the file and its source), not a measurement."""

    schema_: Annotated[Literal["advisor.run/1"], Field(alias="schema")] = RUN_SCHEMA
    mode: Literal["quick", "full"]
    device: Device
    tensorflow_version: Annotated[str | None, Field(max_length=100)] = None
    scores: RunScores
    tests: Annotated[list[SubtestResult], Field(max_length=100)]
    partial: bool = False
    tests_used: Annotated[int, Field(ge=0, le=100)] = 0
    started_at: dt.datetime
    finished_at: dt.datetime
    platform: Annotated[str | None, Field(max_length=100, pattern=r"^[a-z0-9][a-z0-9+-]*$")] = None
    note: Annotated[str | None, Field(max_length=2000)] = None
    budget_s: Annotated[float | None, Field(gt=0, le=3600)] = None
    measured_s: Annotated[float | None, Field(ge=0, le=86_400)] = None
    replay_of: Annotated[str | None, Field(max_length=500)] = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("finished_at")
    @classmethod
    def _after_start(cls, value, info):
        start = info.data.get("started_at")
        if start is not None and value < start:
            raise ValueError("must not be before started_at")
        return value

    def to_dict(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)


def _reject_constant(name: str):
    raise RunValidationError(f"{name} is not a number a run may hold; use null for a missing value")


def _parse_json(data: bytes | str, name: str):
    """JSON text of at most MAX_RUN_BYTES, with NaN and Infinity refused. Raises RunValidationError."""
    size = len(data.encode() if isinstance(data, str) else data)
    if size > MAX_RUN_BYTES:
        raise RunValidationError(f"{name} is {size} bytes; the limit is {MAX_RUN_BYTES}")
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except RunValidationError:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise RunValidationError(f"{name}: not JSON: {exc}") from None


def run_from_json(data: bytes | str | dict) -> BenchmarkRun:
    """A validated run from JSON text or a parsed dict. Raises RunValidationError naming the field."""
    if isinstance(data, (bytes, str)):
        data = _parse_json(data, "run")
    if not isinstance(data, dict):
        raise RunValidationError("a run must be a JSON object")
    try:
        return BenchmarkRun.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p))
                        for i, p in enumerate(first["loc"])) or "run"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise RunValidationError(f"{where}: {first['msg']}{more}") from None


def runs_from_bytes(data: bytes, name: str = "upload") -> list[BenchmarkRun]:
    """Runs from JSON holding one run or a list of runs (an export). Raises RunValidationError naming the run and field."""
    parsed = _parse_json(data, name)
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items:
        raise RunValidationError(f"{name}: holds no runs")
    runs = []
    for i, item in enumerate(items):
        try:
            runs.append(run_from_json(item))
        except RunValidationError as exc:
            raise RunValidationError(f"{name}, run {i + 1}: {exc}") from None
    return runs


def runs_from_file(path: Path) -> list[BenchmarkRun]:
    """Runs from a file holding one run or a list of runs (an export). Raises RunValidationError."""
    size = path.stat().st_size
    if size > MAX_RUN_BYTES:
        raise RunValidationError(f"{path.name} is {size} bytes; the limit is {MAX_RUN_BYTES}")
    return runs_from_bytes(path.read_bytes(), path.name)


def default_store_path() -> Path:
    """ADVISOR_RUNS_DB, else runs.sqlite in the user's data directory."""
    if os.environ.get(ENV_STORE):
        return Path(os.environ[ENV_STORE]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("advisor", appauthor=False)) / "runs.sqlite"


class StoredRun:
    """A run with its id in the store."""

    def __init__(self, run_id: int, run: BenchmarkRun):
        self.id, self.run = run_id, run

    def to_dict(self) -> dict:
        return {"id": self.id, **self.run.to_dict()}


class RunStore:
    """Runs in a SQLite file. Safe for several processes: each write is one short transaction."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path is not None else default_store_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as db, db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("""CREATE TABLE IF NOT EXISTS runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, saved_at TEXT NOT NULL, platform TEXT, mode TEXT NOT NULL,
                    device TEXT NOT NULL, ai REAL, record TEXT NOT NULL)""")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the run store {self.path}: {exc}") from None

    def ping(self) -> None:
        """Raises StoreError when the store cannot be read."""
        try:
            with closing(self._connect()) as db:
                db.execute("SELECT count(*) FROM runs").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the run store: {exc}") from None

    def _connect(self) -> sqlite3.Connection:
        # A generous busy timeout makes concurrent writers wait their turn instead of failing.
        return sqlite3.connect(self.path, timeout=60)

    def add(self, run: BenchmarkRun) -> int:
        record = json.dumps(run.to_dict())
        with closing(self._connect()) as db, db:
            cur = db.execute("INSERT INTO runs (saved_at, platform, mode, device, ai, record) VALUES (?, ?, ?, ?, ?, ?)",
                             (dt.datetime.now(dt.timezone.utc).isoformat(), run.platform, run.mode, run.device.name,
                              run.scores.ai, record))
            return int(cur.lastrowid)

    def list(self, platform: str | None = None, limit: int | None = None) -> list[StoredRun]:
        query = "SELECT id, record FROM runs"
        args: list = []
        if platform is not None:
            query += " WHERE platform = ?"
            args.append(platform)
        query += " ORDER BY id"
        if limit is not None:
            query += " LIMIT ?"
            args.append(int(limit))
        with closing(self._connect()) as db:
            rows = db.execute(query, args).fetchall()
        return [StoredRun(i, BenchmarkRun.model_validate(json.loads(r))) for i, r in rows]

    def get(self, run_id: int) -> StoredRun | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT id, record FROM runs WHERE id = ?", (int(run_id),)).fetchone()
        return None if row is None else StoredRun(row[0], BenchmarkRun.model_validate(json.loads(row[1])))


def own_evidence(runs: list[StoredRun]) -> dict[str, dict]:
    """The user's runs per plan: {plan_id: {n, mean, sd}} of complete runs' AI scores (points)."""
    by_plan: dict[str, list[float]] = {}
    for stored in runs:
        run = stored.run
        if run.platform and run.scores.ai is not None and not run.partial and run.device.kind == "gpu":
            by_plan.setdefault(run.platform, []).append(float(run.scores.ai))
    out = {}
    for plan_id, scores in by_plan.items():
        n = len(scores)
        mean = sum(scores) / n
        sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / (n - 1)) if n > 1 else None
        out[plan_id] = {"n": n, "mean": round(mean, 1), "sd": None if sd is None else round(sd, 1)}
    return out
