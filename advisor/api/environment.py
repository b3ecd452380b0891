"""The ADVISOR_* variables as pydantic-settings reads them: each variable's name and type in one declaration. The
values are raw (text, or a number where the variable is one); ApiSettings.from_env turns them into settings and
checks them, and every parse error becomes one SettingsError line naming the variable."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..errors import SettingsError


def _var(name: str, **kwargs: Any) -> Any:
    return Field(None, validation_alias=name, **kwargs)


class Environment(BaseSettings):
    """The server's ADVISOR_* variables (see ApiSettings for what each one means)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=False)

    bind_host: Annotated[str | None, _var("ADVISOR_BIND_HOST")]
    api_token: Annotated[str | None, _var("ADVISOR_API_TOKEN")]
    api_tokens: Annotated[str | None, _var("ADVISOR_API_TOKENS")]
    chat_secret: Annotated[str | None, _var("ADVISOR_CHAT_SECRET")]
    cors_origins: Annotated[str | None, _var("ADVISOR_CORS_ORIGINS")]
    allowed_hosts: Annotated[str | None, _var("ADVISOR_ALLOWED_HOSTS")]
    data_dir: Annotated[str | None, _var("ADVISOR_DATA_DIR")]
    database_url: Annotated[str | None, _var("ADVISOR_DATABASE_URL")]
    runs_db: Annotated[str | None, _var("ADVISOR_RUNS_DB")]
    store_timeout_s: Annotated[float | None, _var("ADVISOR_STORE_TIMEOUT_S", allow_inf_nan=False)]
    db_pool_size: Annotated[int | None, _var("ADVISOR_DB_POOL_SIZE")]
    evidence_refresh_s: Annotated[float | None, _var("ADVISOR_EVIDENCE_REFRESH_S", allow_inf_nan=False)]

    @field_validator("store_timeout_s", "db_pool_size", "evidence_refresh_s", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        """A number variable that is set but blank means its default, as an unset one does."""
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @classmethod
    def read(cls, environ: Mapping[str, str] | None = None) -> Environment:
        """The variables from the process environment, or from `environ` alone. Raises SettingsError naming the
        first variable that does not parse."""
        try:
            # pydantic-settings fills every field from the environment; mypy, without pydantic's plugin, sees none
            return cls() if environ is None else cls.model_validate(dict(environ))  # type: ignore[call-arg]
        except ValidationError as exc:
            raise SettingsError(_one_line(exc)) from None


_WHOLE = {"ADVISOR_DB_POOL_SIZE"}


def _one_line(exc: ValidationError) -> str:
    """The first error as 'VARIABLE: what it accepts, got ...' (never pydantic's multi-line dump)."""
    first = exc.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else "ADVISOR_*"
    if first["type"] == "finite_number":
        return f"{name}: expected a finite number"
    raw = first.get("input")
    got = f", got {str(raw)[:20]!r}" if isinstance(raw, str) else ""
    if name.endswith(("_S", "_SIZE")):
        return f"{name}: expected a {'whole ' if name in _WHOLE else ''}number{got}"
    return f"{name}: expected text"  # never echoed: it may be a token or a secret
