"""Where the run store is: ADVISOR_DATABASE_URL, else ADVISOR_RUNS_DB, else runs.sqlite in the user's data
directory. Light on purpose: the CLI asks whether a store exists before it loads the store's database library."""
from __future__ import annotations

import os
from pathlib import Path

ENV_DATABASE_URL = "ADVISOR_DATABASE_URL"
ENV_STORE = "ADVISOR_RUNS_DB"


def default_target() -> str:
    """ADVISOR_DATABASE_URL, else ADVISOR_RUNS_DB, else runs.sqlite in the user's data directory."""
    for name in (ENV_DATABASE_URL, ENV_STORE):
        if os.environ.get(name):
            return os.environ[name]
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("advisor", appauthor=False)) / "runs.sqlite")


def is_postgres(target: str) -> bool:
    """True for a postgresql:// (or postgres://, postgresql+driver://) URL."""
    return target.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def sqlite_path(target: str) -> Path:
    """The file of a SQLite target (a path or a sqlite:/// URL)."""
    return Path(target.removeprefix("sqlite:///") if target.startswith("sqlite:///") else target).expanduser()


def may_hold_runs(target: str | None = None) -> bool:
    """False only for a SQLite store whose file does not exist (it holds no runs, and reading creates nothing)."""
    text = target or default_target()
    return is_postgres(text) or sqlite_path(text).exists()


# The longest path most file systems take (Linux PATH_MAX); a longer setting is refused at start (E12).
MAX_PATH_CHARS = 4096


def check_target(target: str) -> str:
    """`target` (ADVISOR_DATABASE_URL or ADVISOR_RUNS_DB) when a store can be there, else ValueError naming what is
    wrong, never repeating the value (it may hold a password). Checked at start (E12), so a setting that cannot
    work stops the server with one line instead of failing requests with the wrong status:
    - a postgresql:// URL must parse, with a numeric port and a database name;
    - any other scheme (mysql://, http://, sqlite:// without a path) is refused, not taken as a relative path;
    - a SQLite path must not be blank, ':memory:' (acknowledged runs would vanish), '~user' that does not
      expand, over MAX_PATH_CHARS, or an existing thing that is no regular file (FIFO, device, socket)."""
    import stat

    text = target.strip()
    if not text:
        raise ValueError("empty; give a file path or a postgresql:// URL")
    if is_postgres(text):
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(text)
            port = url.port
        except (ArgumentError, ValueError):
            raise ValueError("not a valid postgresql:// URL (check the host and that the port is a number)") from None
        if port is not None and not 0 < port < 65536:
            raise ValueError("the port must be 1-65535")
        if not url.database:
            raise ValueError("the URL names no database (postgresql://user@host:5432/dbname)")
        return text
    scheme = text.split(":", 1)[0] if "://" in text else ""
    if scheme and not text.startswith("sqlite:///"):
        raise ValueError(f"the scheme {scheme!r} is not supported; use a file path, sqlite:///path or postgresql://")
    if text in (":memory:", "sqlite:///:memory:") or text.startswith("file:"):
        raise ValueError("an in-memory store forgets every run; give a file path")
    if len(text) > MAX_PATH_CHARS:
        raise ValueError(f"a path of over {MAX_PATH_CHARS} characters")
    try:
        path = sqlite_path(text)
    except RuntimeError:  # '~nosuchuser/...'
        raise ValueError("the path starts with ~ of a user this machine does not know") from None
    if not path.name or path.name in (".", ".."):
        raise ValueError("the path names no file")
    try:
        mode = path.stat().st_mode
    except OSError:
        return text
    if stat.S_ISDIR(mode):
        raise ValueError("the path is a folder, not a file")
    if not stat.S_ISREG(mode):
        raise ValueError("the path exists and is not a regular file (a folder, FIFO, device or socket)")
    return text


def safe_location(url) -> str:
    """A PostgreSQL URL for the operator's messages: user, host, port and database, never the password or the
    query (libpq takes ?password=... too: E1)."""
    return url.set(drivername="postgresql", password=None, query={}).render_as_string(hide_password=True)
