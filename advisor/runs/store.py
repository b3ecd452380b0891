"""The run store: one interface over a SQLite file (the default, zero set-up) and PostgreSQL (a shared instance
for a course, a team or several API workers and hosts), with one schema migrated by Alembic.

`RunStore(target)` takes a path, a `sqlite:///` URL or a `postgresql://` URL (default: ADVISOR_DATABASE_URL, else
ADVISOR_RUNS_DB, else runs.sqlite in the user's data directory). Nothing is opened until it is used: reading never
creates a folder or a database (D21), and a read-only SQLite store can still be listed (D16). Every write is one
transaction (an import too: all or nothing, D18); a run is stored once, however often it is posted (its content
hash is unique). Every fault becomes a StoreError with one line naming the cause and what to do.
"""
from __future__ import annotations

import base64
import binascii
import builtins
import datetime as dt
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from ..errors import RunValidationError, StoreError
from ..vocab import EvidenceSource, RunOrder
from .faults import StoreFault, classify_os, classify_postgres, classify_sqlite
from .location import ENV_DATABASE_URL, ENV_STORE, check_target, default_target, is_postgres, safe_location, sqlite_path

if TYPE_CHECKING:  # the record (pydantic) loads only where runs are written or listed, not to fold evidence
    from .record import BenchmarkRun

log = logging.getLogger("advisor.runs")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The Alembic revision this code reads and writes (advisor/runs/migrations/versions/).
HEAD_REVISION = "0002"
LEGACY_REVISION = "0001"
LEGACY_COLUMNS = {"id", "saved_at", "platform", "mode", "device", "ai", "record"}
MAX_PAGE = 1000
# Every store call has a deadline (seconds): SQLite writers wait this long for the write lock (busy timeout), and
# PostgreSQL bounds connecting, each statement (server side: statement_timeout and lock_timeout) and every wait
# for the server's answer (client side, so a frozen or partitioned server cannot hold a thread; see
# _DeadlineConnection), and the wait for a pooled connection. ADVISOR_STORE_TIMEOUT_S changes it.
STORE_TIMEOUT_S = 10.0
SQLITE_BUSY_TIMEOUT_S = STORE_TIMEOUT_S
# Pooled connections per process (ADVISOR_DB_POOL_SIZE): a PostgreSQL server with few slots for the app's user
# needs fewer per worker (probe E27); waits beyond the pool are queued for at most the store's deadline.
POOL_SIZE = 5
# Any id above this is no run (SQLite and PostgreSQL integers are 64-bit; D14).
MAX_RUN_ID = 2 ** 63 - 1
POSTER_LOCAL = "local"


class UtcDateTime(sa.types.TypeDecorator):
    """An aware UTC datetime: timestamptz in PostgreSQL, ISO text in UTC in SQLite (which sorts as time does)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


metadata = sa.MetaData()
RUN_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite's rowid alias must be INTEGER
runs = sa.Table(
    "runs", metadata,
    sa.Column("id", RUN_ID, primary_key=True, autoincrement=True),
    sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("saved_at", UtcDateTime(), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("device_kind", sa.String(8), nullable=False),
    sa.Column("device_name", sa.String(200), nullable=False),
    sa.Column("gpu_id", sa.String(100)),
    sa.Column("memory_gib", sa.Float()),
    sa.Column("platform", sa.String(100)),
    sa.Column("partial", sa.Boolean(), nullable=False),
    sa.Column("ai", sa.Float()),
    sa.Column("inference", sa.Float()),
    sa.Column("training", sa.Float()),
    sa.Column("ai_low", sa.Float()),
    sa.Column("ai_high", sa.Float()),
    sa.Column("poster", sa.String(100), nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("record", sa.Text(), nullable=False),
    sqlite_autoincrement=True,
)
store_state = sa.Table("store_state", metadata, sa.Column("id", sa.Integer(), primary_key=True),
                       sa.Column("generation", sa.BigInteger(), nullable=False))
def _sqlite_insert():
    from sqlalchemy.dialects.sqlite import insert

    return insert(runs).on_conflict_do_nothing(index_elements=["content_hash"]).returning(runs.c.id,
                                                                                       runs.c.content_hash)


# The columns row_values gives, and their PostgreSQL types for the array parameters of _PG_INSERT_RUNS.
ROW_COLUMNS = ("content_hash", "saved_at", "started_at", "mode", "device_kind", "device_name", "gpu_id", "memory_gib",
               "platform", "partial", "ai", "inference", "training", "ai_low", "ai_high", "poster", "origin", "record")
_PG_TYPES = {"saved_at": "timestamptz", "started_at": "timestamptz", "memory_gib": "float8", "partial": "boolean",
             "ai": "float8", "inference": "float8", "training": "float8", "ai_low": "float8", "ai_high": "float8",
             "record": "text"}
_PG_INSERT_RUNS = (f"INSERT INTO runs ({', '.join(ROW_COLUMNS)}) SELECT * FROM unnest("
                   + ", ".join(f"%({c})b::{_PG_TYPES.get(c, 'varchar')}[]" for c in ROW_COLUMNS)
                   + ") ON CONFLICT (content_hash) DO NOTHING RETURNING id, content_hash")
# Built once: SQLAlchemy caches its compiled form, so a write costs the parameters, not a compilation.
_INSERT_RUNS = _sqlite_insert()
_BUMP_GENERATION = store_state.update().where(store_state.c.id == 1).values(generation=store_state.c.generation + 1)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive items, `size` at a time."""
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


FACT_COLUMNS = ("id", "started_at", "mode", "device_kind", "device_name", "gpu_id", "memory_gib", "platform",
                "partial", "ai", "inference", "training", "ai_low", "ai_high", "poster", "origin")


def row_values(run: BenchmarkRun, poster: str, origin: EvidenceSource, saved_at: dt.datetime | None = None) -> dict:
    """The columns stored for a run (the record itself plus what listing, paging and evidence read)."""
    import hashlib

    # One canonical text (sorted keys, compact) is both what is stored and what is hashed (record.content_hash's
    # rule), so a run is serialised once per write.
    text = json.dumps(run.to_dict(), sort_keys=True, separators=(",", ":"))
    s = run.scores
    return {"content_hash": hashlib.sha256(text.encode()).hexdigest(), "saved_at": saved_at or dt.datetime.now(dt.UTC),
            "started_at": run.started_at, "mode": run.mode, "device_kind": run.device.kind,
            "device_name": run.device.name, "gpu_id": run.device.gpu_id, "memory_gib": run.device.memory_gib,
            "platform": run.platform, "partial": run.partial, "ai": s.ai, "inference": s.inference,
            "training": s.training, "ai_low": s.ai_low, "ai_high": s.ai_high, "poster": poster,
            "origin": str(origin), "record": text}


@dataclass(frozen=True)
class StoredRun:
    """A run with what the store knows of it: id, who posted it (a token's name, 'local' or 'loopback'; never the
    token), whether it is your own or shared, when it was saved."""

    id: int
    run: BenchmarkRun
    poster: str = POSTER_LOCAL
    origin: EvidenceSource = EvidenceSource.LOCAL
    saved_at: dt.datetime | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "poster": self.poster, "origin": str(self.origin),
                "saved_at": None if self.saved_at is None else self.saved_at.isoformat(), "run": self.run.to_dict()}


@dataclass(frozen=True)
class RunFilter:
    """Which runs to list: plan id, catalog GPU id, mode, started on or after `since` and before `until`
    (aware datetimes), origins (empty: all)."""

    plan: str | None = None
    gpu: str | None = None
    mode: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    origins: tuple[EvidenceSource, ...] = ()


@dataclass(frozen=True)
class RunPage:
    """One page of runs; next_cursor continues after it (None at the end). skipped: stored rows on this page that
    no longer validate (left out with a warning, D10)."""

    runs: list[StoredRun]
    next_cursor: str | None
    skipped: int = 0


@dataclass
class AddResult:
    """What an import stored: the ids (existing ids for runs already stored), how many were new or duplicates."""

    ids: list[int] = field(default_factory=list)
    added: int = 0
    duplicates: int = 0


def encode_cursor(started_at: dt.datetime, run_id: int, order: RunOrder) -> str:
    raw = json.dumps([started_at.isoformat(), run_id, str(order)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, order: RunOrder) -> tuple[dt.datetime, int]:
    """(started_at, id) from a cursor this store gave for the same order. Raises ValueError."""
    bad = ValueError("cursor: not a cursor this server gave; start again without it")
    if len(cursor) > 200:
        raise bad
    try:
        started, run_id, given_order = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        # Exact types: JSON's true is a Python int (E2), and a bool reached PostgreSQL as a bigint comparison.
        if type(started) is not str or type(run_id) is not int or type(given_order) is not str:
            raise bad
        when = dt.datetime.fromisoformat(started)
        if when.tzinfo is None or not 0 <= run_id <= MAX_RUN_ID:
            raise bad
        when = when.astimezone(dt.UTC)
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if given_order != str(order):
        raise ValueError(f"cursor: it continues a listing in {given_order} order, not {order}")
    return when, run_id


def _roll_back_hot_journal(path: Path) -> bool:
    """A writer killed while the database was still in rollback-journal mode (while a new store was being created)
    leaves a hot journal, and a read-only connection cannot roll it back ("attempt to write a readonly database").
    A read-write connection does, as SQLite's own recovery: True when there was one to roll back."""
    if not Path(f"{path}-journal").exists():
        return False
    with closing(sqlite3.connect(path, timeout=STORE_TIMEOUT_S)) as conn:
        conn.execute("PRAGMA schema_version").fetchone()
    return True


def _set_wal(connection: sqlite3.Connection, timeout_s: float = STORE_TIMEOUT_S) -> None:
    """Switches a SQLite database to write-ahead logging. The switch needs the database to itself, and SQLite
    answers "database is locked" at once, not after its busy timeout, while another process is switching or
    creating the schema (two processes opening a new store failed about one time in two): so retry, with backoff,
    up to the busy timeout."""
    deadline = time.monotonic() + timeout_s
    delay = 0.005
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if classify_sqlite(exc) is not StoreFault.BUSY or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


class RunStore:
    """Runs in SQLite or PostgreSQL behind one interface; safe for several threads, processes and hosts."""

    def __init__(self, target: Path | str | None = None, timeout_s: float | None = None,
                 pool_size: int | None = None):
        """target: see the module docstring. timeout_s: every store call's deadline (default STORE_TIMEOUT_S or
        ADVISOR_STORE_TIMEOUT_S). pool_size: pooled connections (default POOL_SIZE or ADVISOR_DB_POOL_SIZE).
        Raises StoreError (code misconfigured) for a target no store can be at (see location.check_target)."""
        text = str(target) if target is not None and str(target) else default_target()
        try:
            text = check_target(text)
        except ValueError as exc:
            raise StoreError(f"the run store setting cannot be used: {exc}", StoreFault.MISCONFIGURED) from None
        self.timeout_s = float(timeout_s or _env_number("ADVISOR_STORE_TIMEOUT_S", STORE_TIMEOUT_S))
        self.pool_size = int(pool_size or _env_number("ADVISOR_DB_POOL_SIZE", POOL_SIZE))
        self.is_postgres = is_postgres(text)
        self.path: Path | None = None
        self.url: sa.URL | None = None
        if self.is_postgres:
            url = sa.engine.make_url(text)
            self.url = url.set(drivername="postgresql+psycopg")
        else:
            self.path = sqlite_path(text)
        self._reader: sa.Engine | None = None
        self._writer: sa.Engine | None = None
        self._schema_ok = False
        self._wrote = False
        self._lock = threading.Lock()

    # --- where and what ------------------------------------------------------------------------

    @property
    def location(self) -> str:
        """The store for the operator's messages (CLI, log): the SQLite path, or the PostgreSQL URL without its
        password and query (which may hold one). Never sent to an HTTP client (see faults.StoreFault.public)."""
        if self.is_postgres:
            return safe_location(self.url)
        return str(self.path)

    def __repr__(self) -> str:
        return f"RunStore({self.location!r})"

    @property
    def _file(self) -> Path:
        """The SQLite file: asked for only on SQLite paths (a PostgreSQL store has a URL instead)."""
        assert self.path is not None, "a SQLite store has a path"
        return self.path

    @property
    def _url(self) -> sa.URL:
        """The PostgreSQL URL: asked for only on PostgreSQL paths."""
        assert self.url is not None, "a PostgreSQL store has a URL"
        return self.url

    # --- engines -------------------------------------------------------------------------------

    def _pg_engine(self) -> sa.Engine:
        if self._writer is None:
            with self._lock:
                if self._writer is None:
                    self._writer = self._make_pg_engine()
        return self._writer

    def _make_pg_engine(self) -> sa.Engine:
        import psycopg
        from psycopg.conninfo import make_conninfo

        timeout_ms = int(self.timeout_s * 1000)
        url = self._url.set(drivername="postgresql")
        query = dict(url.query)
        # Server-side bounds: a statement, a lock wait and an idle transaction each end within the deadline.
        options = " ".join(filter(None, [str(query.pop("options", "") or ""),
                                         f"-c statement_timeout={timeout_ms}", f"-c lock_timeout={timeout_ms}",
                                         f"-c idle_in_transaction_session_timeout={max(timeout_ms * 6, 60_000)}"]))
        conninfo = make_conninfo(url.set(query=query).render_as_string(hide_password=False),
                                 connect_timeout=max(1, int(round(self.timeout_s))), options=options,
                                 tcp_user_timeout=timeout_ms, keepalives=1, keepalives_idle=max(1, timeout_ms // 2000))
        io_timeout = self.timeout_s + 1.0

        class _DeadlineConnection(psycopg.Connection):
            """A psycopg connection whose every wait for the server is bounded (client side): a frozen server,
            or one behind a partition, gets no more than the deadline; the connection is then closed."""

            def wait(self, gen, interval=0.1, timeout=None):
                try:
                    return super().wait(gen, interval=interval, timeout=io_timeout if timeout is None else timeout)
                except psycopg.errors._WaitTimeout:
                    self.pgconn.finish()
                    raise psycopg.OperationalError("the server did not answer within the deadline") from None

        def connect():
            return _DeadlineConnection.connect(conninfo)

        return sa.create_engine("postgresql+psycopg://", creator=connect, pool_pre_ping=True,
                                pool_size=self.pool_size, max_overflow=self.pool_size, pool_timeout=self.timeout_s,
                                pool_recycle=1800)

    def _sqlite_engine(self, write: bool) -> sa.Engine:
        attr = "_writer" if write else "_reader"
        if getattr(self, attr) is None:
            with self._lock:
                if getattr(self, attr) is None:
                    setattr(self, attr, self._make_sqlite_engine(write))
        return getattr(self, attr)

    def _make_sqlite_engine(self, write: bool) -> sa.Engine:
        path = self._file
        busy_s = self.timeout_s

        def connect():
            _refuse_special_file(path)
            if write:
                return sqlite3.connect(path, timeout=busy_s, isolation_level=None, check_same_thread=False)
            # Read-only: never creates the file.
            uri = path.resolve().as_uri()
            conn = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=busy_s, isolation_level=None,
                                   check_same_thread=False)
            try:
                conn.execute("PRAGMA schema_version").fetchone()
                return conn
            except sqlite3.OperationalError:
                conn.close()
                if os.access(path.parent, os.W_OK):
                    if not _roll_back_hot_journal(path):
                        raise
                    return sqlite3.connect(uri + "?mode=ro", uri=True, timeout=busy_s,
                                           isolation_level=None, check_same_thread=False)
            # On read-only media a WAL database whose -shm file is missing cannot be opened read-only; there it is
            # opened as immutable, which is safe because nobody can be writing to it.
            return sqlite3.connect(uri + "?immutable=1", uri=True, timeout=busy_s,
                                   isolation_level=None, check_same_thread=False)

        engine = sa.create_engine("sqlite+pysqlite://", creator=connect, poolclass=sa.pool.QueuePool,
                                  pool_size=self.pool_size, max_overflow=self.pool_size * 2, pool_timeout=busy_s)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, record):
            dbapi_connection.execute(f"PRAGMA busy_timeout = {int(busy_s * 1000)}")
            if write:  # persistent and a no-op once set: readers never block the writer, nor it them
                _set_wal(dbapi_connection, busy_s)

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            # The driver's own transaction handling is off (isolation_level=None); a writer takes the write lock
            # at once, so two writers queue on the busy timeout instead of failing on a lock upgrade.
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    # --- faults --------------------------------------------------------------------------------

    def _fault(self, exc: BaseException, action: str) -> StoreError:
        """One StoreError naming the cause and what to do (D16), with its fault code. The cause is told by the
        driver's SQLSTATE, SQLite result code or errno (faults.py), never by the wording of its message; the
        message (for the operator) adds the driver's first line, the code's text is what a client sees."""
        raw = str(getattr(exc, "orig", None) or exc).strip()
        text = raw.splitlines()[0][:300] if raw else type(exc).__name__
        where = self.location
        if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free within the deadline
            return StoreError(f"no free connection to the run store {where} within {self.timeout_s:g} s; raise "
                              "ADVISOR_DB_POOL_SIZE or the database's connection limit", StoreFault.OVERLOADED)
        if self.is_postgres:
            fault = classify_os(exc) if isinstance(exc, OSError) else classify_postgres(exc)
            message = {
                StoreFault.UNREACHABLE: f"cannot reach the PostgreSQL server of {where} ({text}); start it or fix "
                                        f"{ENV_DATABASE_URL}",
                StoreFault.TIMEOUT: f"the PostgreSQL server of {where} did not answer within {self.timeout_s:g} s "
                                    "(frozen, partitioned or overloaded); nothing was saved",
                StoreFault.AUTH: f"PostgreSQL refused the user of {where} (authentication failed); fix the user or "
                                 f"password in {ENV_DATABASE_URL}",
                StoreFault.NO_DATABASE: f"the database of {where} does not exist; create it (createdb) or fix "
                                        f"{ENV_DATABASE_URL}",
                StoreFault.DISK_FULL: f"the PostgreSQL server of {where} is out of disk space; nothing was saved",
                StoreFault.READ_ONLY: f"{where} is read-only for this user ({text}); writes need a primary server "
                                      "and INSERT rights",
                StoreFault.OVERLOADED: f"the PostgreSQL server of {where} has no free connection ({text}); lower "
                                       "ADVISOR_DB_POOL_SIZE or raise its max_connections",
            }.get(fault, f"cannot {action} the run store {where}: {text}")
            return StoreError(message, fault)
        path = self._file
        if path.is_dir():
            return StoreError(f"the run store {where} is a folder, not a file; point {ENV_STORE} at a file path",
                              StoreFault.BAD_PATH)
        parent = next((p for p in path.parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            return StoreError(f"cannot create the run store {where}: {parent} is a file, not a folder; point "
                              f"{ENV_STORE} elsewhere", StoreFault.BAD_PATH)
        found = classify_os(exc) if isinstance(exc, OSError) else classify_sqlite(exc)
        if found is not None:
            fault = found
        else:
            code = getattr(getattr(exc, "orig", None) or exc, "sqlite_errorcode", None)
            io_error = code is not None and code & 0xFF == 10
            fault = StoreFault.DISK_FULL if io_error and _disk_nearly_full(path) else StoreFault.UNAVAILABLE
        if fault in (StoreFault.READ_ONLY, StoreFault.BAD_PATH) or (
                not path.exists() and parent is not None and not os.access(parent, os.W_OK)):
            if fault is StoreFault.BAD_PATH and (path.exists() or parent is None or os.access(parent, os.W_OK)):
                return StoreError(f"cannot open the run store {where} ({text}); check the path and its "
                                  "permissions", StoreFault.BAD_PATH)
            return StoreError(f"the run store {where} is read-only ({text}); make it writable or point {ENV_STORE} "
                              "at a writable file (listing still works)", StoreFault.READ_ONLY)
        if fault is StoreFault.DISK_FULL:
            return StoreError(f"the disk holding {where} is full; free some space and try again (nothing was saved)",
                              fault)
        if fault is StoreFault.DAMAGED:
            return StoreError(f"the run store {where} is damaged or not a SQLite database ({text}); move it aside "
                              "and a new store is started on the next save", fault)
        if fault is StoreFault.BUSY:
            return StoreError(f"the run store {where} stayed locked by another writer for {self.timeout_s:g} s "
                              "(a long import?); try again when it is done", fault)
        return StoreError(f"cannot {action} the run store {where}: {text}", fault)

    def _guard(self, action: str):
        return _Guard(self, action)

    # --- schema --------------------------------------------------------------------------------

    def _exists(self) -> bool:
        """False for a SQLite file that does not exist yet (reading it gives an empty store)."""
        if self.is_postgres:
            return True
        try:
            if self._file.is_dir():
                raise StoreError(f"the run store {self.location} is a folder, not a file; point {ENV_STORE} at a "
                                 "file path", StoreFault.BAD_PATH)
            _refuse_special_file(self._file)
            return self._file.exists()
        except OSError:
            return False

    def _revision(self, conn: sa.Connection) -> str | None | set:
        """The store's Alembic revision, None for an empty database, or the column names of a store made before
        migrations (or a foreign table)."""
        names = set(sa.inspect(conn).get_table_names())
        if "alembic_version" in names:
            row = conn.execute(sa.text("SELECT version_num FROM alembic_version")).first()
            if row is None and "runs" in names:  # E25: a stamp emptied by hand over a store that holds runs
                raise StoreError(f"the run store {self.location} holds runs but its alembic_version table is "
                                 "empty; stamp it (alembic stamp 0002) or restore it", StoreFault.FOREIGN_SCHEMA)
            return None if row is None else row[0]
        if "runs" in names:
            return {c["name"] for c in sa.inspect(conn).get_columns("runs")}
        return None

    def _check_revision(self, found, writable: bool) -> bool:
        """True when the schema is current; False when it must be migrated. Raises StoreError for a foreign or a
        newer schema."""
        if found == HEAD_REVISION:
            return True
        if isinstance(found, set) and found != LEGACY_COLUMNS:
            raise StoreError(f"{self.location} holds a 'runs' table this advisor did not create (columns "
                             f"{', '.join(sorted(found))[:200]}); point {ENV_STORE} or {ENV_DATABASE_URL} at another "
                             "store", StoreFault.FOREIGN_SCHEMA)
        if isinstance(found, str) and found not in (LEGACY_REVISION, HEAD_REVISION):
            raise StoreError(f"the run store {self.location} was made by a newer advisor (schema revision {found}); "
                             "upgrade the advisor", StoreFault.NEWER_SCHEMA)
        return False

    def _migrate(self, conn: sa.Connection) -> None:
        """Brings the schema to HEAD_REVISION inside the caller's transaction (which holds the write lock)."""
        from alembic import command
        from alembic.config import Config

        if self.is_postgres:  # several workers may start at once: one migrates, the others wait and see it done
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(4242001)"))
        found = self._revision(conn)
        if self._check_revision(found, True):
            return
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        if isinstance(found, set):  # a store from before migrations: its table is revision 0001
            command.stamp(cfg, LEGACY_REVISION)
        command.upgrade(cfg, "head")

    def _ensure_schema(self, write: bool) -> bool:
        """True when the store holds the current schema (migrating it when writing, or when it is writable and
        behind); False for an empty store that is only read."""
        if self._schema_ok:
            return True
        exists = self._exists()
        if not write and not exists:
            return False
        with self._guard("open"):
            reader: sa.Engine | None
            writer: sa.Engine | None
            if self.is_postgres:
                reader = writer = self._pg_engine()
            else:
                reader = self._sqlite_engine(write=False) if exists else None
                writer = None
            found = None
            if reader is not None:
                with reader.connect() as conn:
                    found = self._revision(conn)
                    conn.rollback()
            current = self._check_revision(found, write)
            if not current and (write or found is not None):
                if not self.is_postgres:
                    self._refuse_bad_path()
                    self._file.parent.mkdir(parents=True, exist_ok=True)
                    writer = self._sqlite_engine(write=True)
                assert writer is not None, "the PostgreSQL engine, or the SQLite writer just made"
                try:
                    with writer.begin() as conn:
                        self._migrate(conn)
                except (sa_exc.SQLAlchemyError, sqlite3.Error, OSError) as exc:
                    if write or self.is_postgres:
                        raise
                    cause = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"])[0]
                    raise StoreError(f"the run store {self.location} has an older advisor's layout and cannot be "
                                     f"upgraded here ({cause}); open it once with write access (`advisor runs` "
                                     "upgrades it)", StoreFault.OLD_SCHEMA) from None
                current = True
        self._schema_ok = current
        return current

    def _write_engine(self) -> sa.Engine:
        if not self.is_postgres:
            self._refuse_bad_path()
        self._ensure_schema(write=True)
        return self._pg_engine() if self.is_postgres else self._sqlite_engine(write=True)

    def _read_engine(self) -> sa.Engine | None:
        """The engine to read with, or None for a store that does not exist yet (no file is created)."""
        if not self._ensure_schema(write=False):
            return None
        return self._pg_engine() if self.is_postgres else self._sqlite_engine(write=False)

    def _refuse_bad_path(self) -> None:
        if self._file.is_dir():
            raise StoreError(f"the run store {self.location} is a folder, not a file; point {ENV_STORE} at a file "
                             "path", StoreFault.BAD_PATH)
        _refuse_special_file(self._file)
        parent = next((p for p in self._file.parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise StoreError(f"cannot create the run store {self.location}: {parent} is a file, not a folder; point "
                             f"{ENV_STORE} elsewhere", StoreFault.BAD_PATH)

    # --- writing -------------------------------------------------------------------------------

    def _insert_many(self, conn: sa.Connection, rows: builtins.list[dict]) -> builtins.list[tuple[int, bool]]:
        """Stores rows with one multi-row INSERT .. ON CONFLICT DO NOTHING (statement compiled once, not per run):
        per row (id, True) for a run stored now, (id of the stored copy, False) for one stored before or earlier
        in `rows`."""
        if not rows:
            return []
        unique: dict[str, dict] = {}
        for values in rows:
            unique.setdefault(values["content_hash"], values)
        if conn.dialect.name == "postgresql":
            # One short statement whatever the number of rows: every column is one array parameter (the driver
            # parses and caches it once; a VALUES list of many rows is parsed again each time).
            params = {c: [v[c] for v in unique.values()] for c in ROW_COLUMNS}
            for c in ("saved_at", "started_at"):
                params[c] = [t.astimezone(dt.UTC) for t in params[c]]
            found = conn.exec_driver_sql(_PG_INSERT_RUNS, params)
        else:  # insertmanyvalues: one INSERT .. VALUES (..), (..) .. RETURNING per page of rows (SQLAlchemy 2)
            found = conn.execute(_INSERT_RUNS, builtins.list(unique.values()))
        new = {h: int(i) for i, h in found}
        missing = [h for h in unique if h not in new]
        old: dict[str, int] = {}
        for start in range(0, len(missing), 500):
            old.update((h, int(i)) for h, i in conn.execute(
                sa.select(runs.c.content_hash, runs.c.id).where(runs.c.content_hash.in_(missing[start:start + 500]))))
        out = []
        for values in rows:
            digest = values["content_hash"]
            if digest in new:
                out.append((new.pop(digest), True))
                old[digest] = out[-1][0]  # the same run again in this batch is a duplicate of it
            else:
                assert digest in old, "the insert conflicted on this content hash, so its row is there"
                out.append((old[digest], False))
        return out

    def add_runs(self, items: Iterable[BenchmarkRun], poster: str = POSTER_LOCAL,
                 origin: EvidenceSource = EvidenceSource.LOCAL) -> AddResult:
        """Stores runs in one transaction: all or none (D18). A run already stored is not stored again; its id is
        returned. poster: the name recorded for whoever posted (never a token). Raises StoreError."""
        result = AddResult()
        engine = self._write_engine()
        with self._guard("write to"):
            with engine.begin() as conn:
                for chunk in _chunks((row_values(run, poster, origin) for run in items), 1000):
                    for run_id, new in self._insert_many(conn, chunk):
                        result.ids.append(run_id)
                        result.added += new
                        result.duplicates += not new
                if result.added:
                    conn.execute(_BUMP_GENERATION)
        self._wrote = self._wrote or bool(result.added)
        return result

    def add_batch(self, items: list[tuple[BenchmarkRun, str, EvidenceSource]]) -> list[tuple[int, bool]]:
        """Stores runs of several posters in one transaction (the API's group commit: one commit, one fsync,
        for every post that arrived meanwhile): (id, True) for each new run, (existing id, False) for a run
        stored before. All or none. Raises StoreError."""
        engine = self._write_engine()
        rows = [row_values(run, poster, origin) for run, poster, origin in items]
        with self._guard("write to"):
            with engine.begin() as conn:
                out = self._insert_many(conn, rows)
                if any(new for _, new in out):
                    conn.execute(_BUMP_GENERATION)
        self._wrote = self._wrote or any(new for _, new in out)
        return out

    def add_run(self, run: BenchmarkRun, poster: str = POSTER_LOCAL,
                origin: EvidenceSource = EvidenceSource.LOCAL) -> tuple[int, bool]:
        """(id, True) when stored now, (id of the stored copy, False) when the same run was stored before."""
        result = self.add_runs([run], poster, origin)
        return result.ids[0], bool(result.added)

    def add(self, run: BenchmarkRun, poster: str = POSTER_LOCAL, origin: EvidenceSource = EvidenceSource.LOCAL) -> int:
        """The run's id (stored now or before). Raises StoreError."""
        return self.add_run(run, poster, origin)[0]

    # --- reading -------------------------------------------------------------------------------

    def _where(self, f: RunFilter) -> list:
        clauses = []
        if f.plan is not None:
            clauses.append(runs.c.platform == f.plan)
        if f.gpu is not None:
            clauses.append(runs.c.gpu_id == f.gpu)
        if f.mode is not None:
            clauses.append(runs.c.mode == f.mode)
        if f.since is not None:
            clauses.append(runs.c.started_at >= sa.literal(f.since, UtcDateTime()))
        if f.until is not None:
            clauses.append(runs.c.started_at < sa.literal(f.until, UtcDateTime()))
        if f.origins:
            clauses.append(runs.c.origin.in_([str(o) for o in f.origins]))
        return clauses

    def _stored(self, row) -> StoredRun | None:
        from .record import ANY_PLAN, run_from_json

        try:
            # Stored records passed the full parse on the way in; a plain parse is enough to read them back.
            run = run_from_json(json.loads(row.record), ANY_PLAN)
        except (RunValidationError, ValueError, RecursionError) as exc:
            log.warning("run %s in %s no longer validates and is left out: %s", row.id, self.location, exc)
            return None
        return StoredRun(int(row.id), run, row.poster, EvidenceSource(row.origin), row.saved_at)

    def page(self, filters: RunFilter = RunFilter(), limit: int = 100, cursor: str | None = None,
             order: RunOrder = RunOrder.NEWEST) -> RunPage:
        """One page of runs, newest (or oldest) first by start time then id, continuing after `cursor` (D7).
        Rows that no longer validate are skipped and counted (D10). Raises ValueError for a bad cursor or limit,
        StoreError for a store fault."""
        order = RunOrder(order)
        if not 1 <= int(limit) <= MAX_PAGE:
            raise ValueError(f"limit: expected 1 to {MAX_PAGE}, got {limit}")
        after = decode_cursor(cursor, order) if cursor else None
        engine = self._read_engine()
        if engine is None:
            return RunPage([], None, 0)
        key = sa.tuple_(runs.c.started_at, runs.c.id)
        query = sa.select(runs.c.id, runs.c.started_at, runs.c.record, runs.c.poster, runs.c.origin,
                          runs.c.saved_at).where(*self._where(filters))
        if after is not None:
            bound = sa.tuple_(sa.literal(after[0], UtcDateTime()), sa.literal(after[1], RUN_ID))
            query = query.where(key < bound if order is RunOrder.NEWEST else key > bound)
        if order is RunOrder.NEWEST:
            query = query.order_by(runs.c.started_at.desc(), runs.c.id.desc())
        else:
            query = query.order_by(runs.c.started_at.asc(), runs.c.id.asc())
        with self._guard("read"):
            with engine.connect() as conn:
                rows = conn.execute(query.limit(int(limit) + 1)).all()
                conn.rollback()
        more = len(rows) > limit
        rows = rows[:limit]
        # Every stored run is listed (E7): its plan was checked against the writer's catalog when it was accepted,
        # and a reader's catalog (another ADVISOR_DATA_DIR, an older release) must not hide an acknowledged write.
        stored = [self._stored(r) for r in rows]
        valid = [s for s in stored if s is not None]
        next_cursor = encode_cursor(rows[-1].started_at, int(rows[-1].id), order) if more and rows else None
        return RunPage(valid, next_cursor, len(stored) - len(valid))

    def iter_runs(self, filters: RunFilter = RunFilter(), order: RunOrder = RunOrder.OLDEST,
                  skipped: list | None = None) -> Iterator[StoredRun]:
        """Every run, page by page (memory stays flat for any number). skipped: a list that receives the count
        of rows left out, if given."""
        cursor = None
        while True:
            page = self.page(filters, MAX_PAGE, cursor, order)
            if skipped is not None:
                skipped.append(page.skipped)
            yield from page.runs
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def list(self, platform: str | None = None, limit: int | None = None) -> list[StoredRun]:
        """Runs oldest first (every run when limit is None), optionally of one plan."""
        out: list[StoredRun] = []
        for stored in self.iter_runs(RunFilter(plan=platform)):
            out.append(stored)
            if limit is not None and len(out) >= limit:
                break
        return out

    def get(self, run_id: int) -> StoredRun | None:
        """The run with this id, or None (also for ids no store can hold). Raises StoreError."""
        if not isinstance(run_id, int) or not 1 <= run_id <= MAX_RUN_ID:
            return None
        engine = self._read_engine()
        if engine is None:
            return None
        with self._guard("read"):
            with engine.connect() as conn:
                row = conn.execute(sa.select(runs.c.id, runs.c.record, runs.c.poster, runs.c.origin, runs.c.saved_at)
                                   .where(runs.c.id == run_id)).first()
                conn.rollback()
        return None if row is None else self._stored(row)

    # (builtins.list: inside the class, `list` is the method RunStore.list)
    def fact_batches(self, after_id: int = 0, batch: int = 20_000,
                     min_id: int | None = None) -> Iterator[builtins.list[tuple]]:
        """The FACT_COLUMNS of runs with id > after_id (or >= min_id when given, to re-read gaps), in id order and
        in batches of `batch` rows, each batch one short query within the store's deadline (so a store of a
        million runs is read without one long statement). Raises StoreError."""
        engine = self._read_engine()
        if engine is None:
            return
        low = after_id if min_id is None else min_id - 1
        columns = [runs.c[name] for name in FACT_COLUMNS]
        top: int | None = None
        while top is None or low < top:
            with self._guard("read"):
                with engine.connect() as conn:
                    if top is None:  # the newest id now: runs committed later are read by the next call
                        top = conn.execute(sa.select(sa.func.max(runs.c.id))).scalar()
                        if top is None or low >= top:
                            conn.rollback()
                            return
                    # A range of ids, not "id > low ORDER BY id LIMIT n": PostgreSQL's statistics lag a growing
                    # table, and for the open-ended query it then planned a parallel sequential scan and a sort of
                    # every run (6 ms at 10,000 runs, for the one new run) instead of the primary key's index.
                    high = min(low + batch, top)
                    rows = [tuple(r) for r in conn.execute(sa.select(*columns).where(runs.c.id > low, runs.c.id <= high)
                                                           .order_by(runs.c.id))]
                    if not rows and high < top:  # a gap of unused ids: go on from the next id there is
                        after = conn.execute(sa.select(sa.func.min(runs.c.id)).where(runs.c.id > high)).scalar()
                        high = top if after is None else after - 1
                    conn.rollback()
            if rows:
                yield rows
            low = high

    def facts(self, until: dt.datetime | None = None, origins: tuple[EvidenceSource, ...] = ()) -> builtins.list[tuple]:
        """The columns evidence is folded from (FACT_COLUMNS), for runs started before `until`, without parsing
        records. Raises StoreError."""
        engine = self._read_engine()
        if engine is None:
            return []
        query = sa.select(*(runs.c[name] for name in FACT_COLUMNS)).where(
            *self._where(RunFilter(until=until, origins=origins))).order_by(runs.c.id)
        with self._guard("read"):
            with engine.connect() as conn:
                rows = [tuple(r) for r in conn.execute(query)]
                conn.rollback()
        return rows

    def generation(self) -> int:
        """A number that grows whenever runs are added (shared by every worker and host of the store): folded
        evidence is rebuilt when it changes. 0 for a store that does not exist yet."""
        engine = self._read_engine()
        if engine is None:
            return 0
        with self._guard("read"):
            with engine.connect() as conn:
                value = conn.execute(sa.select(store_state.c.generation).where(store_state.c.id == 1)).scalar()
                conn.rollback()
        return int(value or 0)

    def count(self) -> int:
        engine = self._read_engine()
        if engine is None:
            return 0
        with self._guard("read"):
            with engine.connect() as conn:
                value = conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one()
                conn.rollback()
        return int(value)

    def ping(self) -> None:
        """Raises StoreError when the store cannot be used: a path that cannot hold it, a foreign schema, or a
        damaged file (SQLite's quick_check). A store not created yet is fine: the first write creates it."""
        if not self.is_postgres:
            self._refuse_bad_path()
        engine = self._read_engine()
        if engine is None:
            return
        with self._guard("read"):
            with engine.connect() as conn:
                conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar()
                if not self.is_postgres:
                    verdict = conn.exec_driver_sql("PRAGMA quick_check(1)").scalar()
                    if verdict != "ok":
                        raise StoreError(f"the run store {self.location} is damaged ({verdict}); restore it from a "
                                         "backup or move it aside", StoreFault.DAMAGED)
                elif not conn.execute(sa.text(
                        "SELECT has_table_privilege('runs', 'INSERT') AND has_table_privilege('store_state', "
                        "'UPDATE') AND NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'"
                )).scalar():  # E25: a server that takes no writes is not ready, though it answers reads
                    raise StoreError(f"the run store {self.location} cannot be written by this user (a standby, a "
                                     "read-only user or missing INSERT rights)", StoreFault.READ_ONLY)
                conn.rollback()
        if not self.is_postgres:
            self._check_writable()

    def _check_writable(self) -> None:
        """Raises StoreError when a SQLite store's writes would fail: a read-only file or folder, or a disk with
        under a megabyte free (E25: readiness must not say ok while every post fails)."""
        path = self._file
        target = path if path.exists() else next((p for p in path.parents if p.exists()), None)
        if target is None:
            return
        if not os.access(target, os.W_OK) or (path.exists() and not os.access(path.parent, os.W_OK)):
            raise StoreError(f"the run store {self.location} is read-only; make it writable or point {ENV_STORE} at "
                             "a writable file (listing still works)", StoreFault.READ_ONLY)
        if _disk_nearly_full(path):
            raise StoreError(f"the disk holding {self.location} is full; free some space", StoreFault.DISK_FULL)

    def close(self) -> None:
        """Closes every connection. A SQLite store that was written is checkpointed first, so after a clean stop
        the .sqlite file alone holds every run (E10: a copy of it without its -wal file is complete)."""
        if not self.is_postgres and self._writer is not None and self._wrote:
            try:
                with self._writer.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            except (sa_exc.SQLAlchemyError, sqlite3.Error, OSError) as exc:  # a checkpoint is an optimisation
                log.debug("run store: no checkpoint at close (%s)", type(exc).__name__)
        for engine in (self._reader, self._writer):
            if engine is not None:
                engine.dispose()
        self._reader = self._writer = None
        self._schema_ok = False


def _env_number(name: str, default: float) -> float:
    """A positive number from the environment (settings validate it at start; here a bad one gives the default)."""
    try:
        value = float(os.environ.get(name) or default)
    except ValueError:
        return default
    return value if 0 < value <= 3600 else default


def _refuse_special_file(path: Path) -> None:
    """Raises StoreError for a store path that exists and is no regular file (a FIFO would block the open forever,
    a device or socket is no database: E13)."""
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return  # missing (created on the first write) or unreadable (the open reports it)
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise StoreError(f"the run store {path} is not a regular file (a FIFO, device or socket); point "
                         f"{ENV_STORE} at a file path", StoreFault.BAD_PATH)


def _disk_nearly_full(path: Path) -> bool:
    import shutil

    for candidate in (path, *path.parents):
        try:
            return shutil.disk_usage(candidate).free < 1_000_000
        except OSError:
            continue
    return False


class _Guard:
    """Turns driver and OS errors inside a store operation into one StoreError."""

    def __init__(self, store: RunStore, action: str):
        self.store, self.action = store, action

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or isinstance(exc, StoreError):
            return False
        if isinstance(exc, (sa_exc.SQLAlchemyError, sqlite3.Error, OSError)) or _is_psycopg_error(exc):
            raise self.store._fault(exc, self.action) from None
        return False


def _is_psycopg_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("psycopg")
