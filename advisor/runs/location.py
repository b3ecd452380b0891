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
