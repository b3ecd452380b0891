"""Run store faults as codes: the driver's error is classified by its SQLSTATE (PostgreSQL), its extended result
code (SQLite) or its errno (the OS), never by its message text, and each code carries the one safe sentence a
client is told. A client never sees a path, URL, host, user, password or driver message: only these sentences."""
from __future__ import annotations

import errno
import sqlite3
from enum import StrEnum


class StoreFault(StrEnum):
    """Why the run store failed; each member's `public` text is what an HTTP client is told."""

    UNREACHABLE = "unreachable"
    AUTH = "auth"
    NO_DATABASE = "no_database"
    DISK_FULL = "disk_full"
    READ_ONLY = "read_only"
    DAMAGED = "damaged"
    FOREIGN_SCHEMA = "foreign_schema"
    NEWER_SCHEMA = "newer_schema"
    OLD_SCHEMA = "old_schema"
    BAD_PATH = "bad_path"
    TIMEOUT = "timeout"
    BUSY = "busy"
    OVERLOADED = "overloaded"
    MISCONFIGURED = "misconfigured"
    UNAVAILABLE = "unavailable"

    @property
    def public(self) -> str:
        return _PUBLIC[self]


_PUBLIC = {
    StoreFault.UNREACHABLE: "the database server cannot be reached",
    StoreFault.AUTH: "the database refused the server's credentials",
    StoreFault.NO_DATABASE: "the configured database does not exist",
    StoreFault.DISK_FULL: "the disk holding the run store is full; nothing was saved",
    StoreFault.READ_ONLY: "the run store is read-only or the server may not write to it; nothing was saved",
    StoreFault.DAMAGED: "the run store is damaged or not a SQLite database",
    StoreFault.FOREIGN_SCHEMA: "the run store holds tables this advisor did not create",
    StoreFault.NEWER_SCHEMA: "the run store was made by a newer advisor",
    StoreFault.OLD_SCHEMA: "the run store has an older layout that cannot be upgraded read-only",
    StoreFault.BAD_PATH: "the run store's location cannot hold a database file",
    StoreFault.TIMEOUT: "the run store did not answer within its deadline",
    StoreFault.BUSY: "the run store is busy with another writer; try again shortly",
    StoreFault.OVERLOADED: "the run store has no free connection; try again shortly",
    StoreFault.MISCONFIGURED: "the run store setting cannot be used",
    StoreFault.UNAVAILABLE: "the run store failed",
}


def public_text(code: str) -> str:
    """The safe sentence for a fault code (any unknown code reads as a plain failure)."""
    try:
        return StoreFault(code).public
    except ValueError:
        return StoreFault.UNAVAILABLE.public


# PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html): exact codes first, then
# their two-character class.
_PG_CODES = {
    "3D000": StoreFault.NO_DATABASE,  # invalid_catalog_name
    "53100": StoreFault.DISK_FULL,  # disk_full
    "53300": StoreFault.OVERLOADED,  # too_many_connections
    "25006": StoreFault.READ_ONLY,  # read_only_sql_transaction
    "42501": StoreFault.READ_ONLY,  # insufficient_privilege
    "57014": StoreFault.TIMEOUT,  # query_canceled (statement_timeout)
    "55P03": StoreFault.BUSY,  # lock_not_available (lock_timeout)
    "57P01": StoreFault.UNREACHABLE,  # admin_shutdown
    "57P02": StoreFault.UNREACHABLE,  # crash_shutdown
    "57P03": StoreFault.UNREACHABLE,  # cannot_connect_now
    "42P07": StoreFault.FOREIGN_SCHEMA,  # duplicate_table: a half-made schema
    "42P01": StoreFault.FOREIGN_SCHEMA,  # undefined_table
    "42703": StoreFault.FOREIGN_SCHEMA,  # undefined_column
}
_PG_CLASSES = {
    "08": StoreFault.UNREACHABLE,  # connection exception
    "28": StoreFault.AUTH,  # invalid authorization
    "53": StoreFault.OVERLOADED,  # insufficient resources
    "58": StoreFault.UNAVAILABLE,  # system error (I/O)
    "XX": StoreFault.DAMAGED,  # internal error, data corrupted
    "57": StoreFault.UNREACHABLE,  # operator intervention
}


def classify_postgres(exc: BaseException) -> StoreFault:
    """The fault of a psycopg error (exc or its SQLAlchemy wrapper's .orig), by SQLSTATE. An error without one is
    the connection's (refused, reset, timed out)."""
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None)
    if state:
        return _PG_CODES.get(state) or _PG_CLASSES.get(state[:2], StoreFault.UNAVAILABLE)
    name = type(orig).__name__
    if name in ("ConnectionTimeout", "_WaitTimeout") or isinstance(orig, TimeoutError):
        return StoreFault.TIMEOUT
    if name in ("OperationalError", "InterfaceError", "ConnectionTimeout"):
        return StoreFault.UNREACHABLE
    return StoreFault.UNAVAILABLE


# SQLite primary result codes (https://www.sqlite.org/rescode.html), the low byte of the extended code.
_SQLITE_CODES = {
    3: StoreFault.READ_ONLY,  # SQLITE_PERM
    5: StoreFault.BUSY,  # SQLITE_BUSY
    6: StoreFault.BUSY,  # SQLITE_LOCKED
    8: StoreFault.READ_ONLY,  # SQLITE_READONLY
    11: StoreFault.DAMAGED,  # SQLITE_CORRUPT
    13: StoreFault.DISK_FULL,  # SQLITE_FULL
    14: StoreFault.BAD_PATH,  # SQLITE_CANTOPEN
    23: StoreFault.READ_ONLY,  # SQLITE_AUTH
    26: StoreFault.DAMAGED,  # SQLITE_NOTADB
}
SQLITE_IOERR = 10


def classify_sqlite(exc: BaseException) -> StoreFault | None:
    """The fault of a sqlite3 error by its result code, or None when it carries none (or is an I/O error, which
    the caller tells apart by looking at the disk)."""
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "sqlite_errorcode", None)
    if not isinstance(orig, sqlite3.Error) or code is None:
        return None
    return _SQLITE_CODES.get(code & 0xFF)


_ERRNO = {
    errno.ENOSPC: StoreFault.DISK_FULL,
    errno.EDQUOT: StoreFault.DISK_FULL,
    errno.EACCES: StoreFault.READ_ONLY,
    errno.EPERM: StoreFault.READ_ONLY,
    errno.EROFS: StoreFault.READ_ONLY,
    errno.ENAMETOOLONG: StoreFault.BAD_PATH,
    errno.ENOTDIR: StoreFault.BAD_PATH,
    errno.EISDIR: StoreFault.BAD_PATH,
    errno.ELOOP: StoreFault.BAD_PATH,
    errno.ENOENT: StoreFault.BAD_PATH,
}


def classify_os(exc: BaseException) -> StoreFault:
    """The fault of an OSError by its errno."""
    code = getattr(exc, "errno", None)
    return _ERRNO.get(code, StoreFault.UNAVAILABLE) if isinstance(code, int) else StoreFault.UNAVAILABLE
