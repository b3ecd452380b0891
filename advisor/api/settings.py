"""The API's settings, read once from the environment (or given by the caller), and the security rules that follow
from them. However the app is started (`advisor serve`, `uvicorn --factory advisor.api:create_app`, a test
client), these settings and the client's own address decide who may write; a setting that cannot be used is
refused when the app is made, never at the first request."""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ..errors import SettingsError

MAX_BODY_BYTES = 1_000_000
# Deeper JSON is refused before parsing: no run, workload or chat message nests more than a few levels.
MAX_JSON_DEPTH = 32
# Slow clients (probe D9). A request head (request line and headers) is a few hundred bytes; 10 s is generous
# on any link and nginx's own default for client_header_timeout is 60 s
# (https://nginx.org/en/docs/http/ngx_http_core_module.html#client_header_timeout).
HEAD_TIMEOUT_S = 10.0
# nginx's default large_client_header_buffers is 4 x 8 KiB; 64 KiB leaves room for long tokens and cookies.
MAX_HEAD_BYTES = 64 * 1024
# A body of MAX_BODY_BYTES in 30 s is 33 KB/s: slower than any link this API is meant for.
BODY_TIMEOUT_S = 30.0
KEEP_ALIVE_S = 5.0
# Open connections per server process; fewer when the process may open fewer files (see connection_cap()).
MAX_CONNECTIONS = 1000
# A bearer token is a token68 (RFC 6750 section 2.1): ASCII letters, digits and -._~+/ with '=' padding. It
# travels in an HTTP header, which carries bytes, so a non-ASCII token could never be sent as configured.
TOKEN68 = re.compile(r"[A-Za-z0-9._~+/-]+=*")
HOSTNAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")
ORIGIN = re.compile(r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._@+-]{0,63}")
MIN_SECRET_BYTES = 32
# A chat secret must hold this many distinct bytes (E19): 32 x "a" is long enough and guessable.
MIN_SECRET_DISTINCT = 12
# Names the server records for its own writes; a token may not take them (E26).
RESERVED_NAMES = frozenset({"local", "loopback", "import"})
STORE_TIMEOUT_S = 10.0
DB_POOL_SIZE = 5
NEW_TOKEN = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def is_loopback(host: str | None) -> bool:
    """True for loopback names and addresses (127.0.0.0/8, ::1, localhost)."""
    if not host:
        return False
    host = host.strip("[]")
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def _default(value, default):
    return default if value is None else value


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return bool(HOSTNAME.fullmatch(host))


def _host_of(header: str) -> str:
    """The host part of a Host header or an origin's authority, lower-cased, without port or brackets."""
    if header.startswith("["):
        return header[1:header.index("]")].lower() if "]" in header else ""
    return header.rsplit(":", 1)[0].lower() if header.count(":") == 1 else header.lower()


@dataclass(frozen=True)
class ApiSettings:
    """What the API needs to know about its deployment. Every value is checked when the settings are made
    (SettingsError names the variable and what it accepts, never a secret's value).

    bind_host: the interface the server listens on (ADVISOR_BIND_HOST, or `serve --host`).
    api_token: the bearer token that writes need (ADVISOR_API_TOKEN); None: only a client on this machine may write.
    token_names: token -> the name recorded with each write (ADVISOR_API_TOKENS="name=token,..."), so a run says
    who posted it without storing the token.
    chat_secret: signs chat states (ADVISOR_CHAT_SECRET, at least 32 bytes); None: one per host, kept in the
    user's data directory.
    cors_origins: browser origins allowed to call the API and to write (ADVISOR_CORS_ORIGINS, comma-separated).
    allowed_hosts: Host header values answered beyond the loopback names and the bind address
    (ADVISOR_ALLOWED_HOSTS), which stops DNS rebinding; '*' answers any host.
    data_dir: the catalog folder (ADVISOR_DATA_DIR; default the shipped data/).
    database_url: the run store (ADVISOR_DATABASE_URL, or the SQLite file ADVISOR_RUNS_DB; default the user's
    data directory).
    max_body_bytes, max_json_depth: the largest request body (bytes) and JSON nesting (levels) read.
    body_timeout_s: seconds a client has to send a whole request body; head_timeout_s, max_head_bytes: the time
    (seconds) and size (bytes) a request head may take; keep_alive_s: seconds an idle connection stays open;
    max_connections: open connections per process. The last four bind `advisor serve`'s HTTP protocol.
    store_timeout_s: every run store call's deadline, seconds (ADVISOR_STORE_TIMEOUT_S); a store that does not
    answer within it gets 503. db_pool_size: pooled store connections per process (ADVISOR_DB_POOL_SIZE).
    evidence_refresh_s: a worker reads the store for new runs at most this often for /recommend
    (ADVISOR_EVIDENCE_REFRESH_S; default 0: every request sees every run; a run posted through a worker is
    always seen at once by that worker).
    """

    bind_host: str = "127.0.0.1"
    api_token: str | None = None
    token_names: Mapping[str, str] = field(default_factory=dict)
    chat_secret: bytes | None = None
    cors_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    data_dir: str | None = None
    database_url: str | None = None
    max_body_bytes: int = MAX_BODY_BYTES
    max_json_depth: int = MAX_JSON_DEPTH
    body_timeout_s: float = BODY_TIMEOUT_S
    head_timeout_s: float = HEAD_TIMEOUT_S
    max_head_bytes: int = MAX_HEAD_BYTES
    keep_alive_s: float = KEEP_ALIVE_S
    max_connections: int = MAX_CONNECTIONS
    store_timeout_s: float = STORE_TIMEOUT_S
    db_pool_size: int = DB_POOL_SIZE
    evidence_refresh_s: float = 0.0

    def __post_init__(self) -> None:
        if not self.bind_host or not _valid_host(self.bind_host):
            raise SettingsError("--host (ADVISOR_BIND_HOST): expected an IP address or a host name, "
                                f"got {self.bind_host!r}")
        for token, name in self.tokens.items():
            if not TOKEN68.fullmatch(token or ""):
                raise SettingsError("ADVISOR_API_TOKEN / ADVISOR_API_TOKENS: a token may hold only ASCII letters, "
                                    f"digits and -._~+/ (it travels in an HTTP header); make one with {NEW_TOKEN}")
            if not NAME.fullmatch(name):
                raise SettingsError(f"ADVISOR_API_TOKENS: the name {name!r} must be 1-64 letters, digits, spaces "
                                    "or ._@+- (it is recorded with each write)")
            if name.lower() in RESERVED_NAMES:
                raise SettingsError(f"ADVISOR_API_TOKENS: the name {name!r} is reserved for the server's own writes "
                                    f"({', '.join(sorted(RESERVED_NAMES))}); choose another")
        if self.chat_secret is not None and len(self.chat_secret) < MIN_SECRET_BYTES:
            raise SettingsError(f"ADVISOR_CHAT_SECRET: use at least {MIN_SECRET_BYTES} characters (a short secret "
                                f"lets a client forge chat states); make one with {NEW_TOKEN}")
        if self.database_url is not None:
            from ..runs.location import check_target

            try:
                check_target(self.database_url)
            except ValueError as exc:
                raise SettingsError(f"ADVISOR_DATABASE_URL / ADVISOR_RUNS_DB: {exc}") from None
        if not 0 < self.store_timeout_s <= 600:
            raise SettingsError("ADVISOR_STORE_TIMEOUT_S: expected seconds above 0 and at most 600")
        if not 0 <= self.evidence_refresh_s <= 60:
            raise SettingsError("ADVISOR_EVIDENCE_REFRESH_S: expected seconds from 0 to 60")
        if not 1 <= self.db_pool_size <= 1000:
            raise SettingsError("ADVISOR_DB_POOL_SIZE: expected a whole number from 1 to 1000")
        for origin in self.cors_origins:
            if not ORIGIN.fullmatch(origin):
                raise SettingsError(f"ADVISOR_CORS_ORIGINS: expected origins like https://course.example or "
                                    f"http://localhost:3000 ('*' is not accepted: list each page), got {origin!r}")
        for host in self.allowed_hosts:
            if host != "*" and not _valid_host(host):
                raise SettingsError(f"ADVISOR_ALLOWED_HOSTS: expected host names or addresses (no port), got {host!r}")
        for name in ("max_body_bytes", "max_json_depth", "max_head_bytes", "max_connections"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name}: expected a whole number of at least 1")
        for name in ("body_timeout_s", "head_timeout_s", "keep_alive_s"):
            if not 0 < getattr(self, name) <= 3600:
                raise SettingsError(f"{name}: expected seconds above 0 and at most 3600")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> ApiSettings:
        """Settings from ADVISOR_* variables (see the class docstring), read by pydantic-settings
        (advisor.api.environment: the process environment, or `environ` alone), then `overrides`. Raises
        SettingsError naming the variable."""
        from .environment import Environment

        env = Environment.read(environ)
        names: dict[str, str] = {}
        for pair in _split(env.api_tokens):
            name, sep, named = pair.partition("=")
            if not sep or not name.strip() or not named.strip():
                raise SettingsError("ADVISOR_API_TOKENS: expected name=token pairs separated by commas")
            if named.strip() in names:  # E26: one token under two names would record the last, silently
                raise SettingsError(f"ADVISOR_API_TOKENS: one token is listed twice (as {names[named.strip()]!r} and "
                                    f"{name.strip()!r}); give each token one name")
            names[named.strip()] = name.strip()
        token = env.api_token or None
        if token and token not in names:
            names[token] = "default"
        secret = env.chat_secret
        if secret and len(secret) >= MIN_SECRET_BYTES and len(set(secret)) < MIN_SECRET_DISTINCT:
            raise SettingsError(f"ADVISOR_CHAT_SECRET: too little variety (under {MIN_SECRET_DISTINCT} distinct "
                                f"characters) to be a secret; make one with {NEW_TOKEN}")
        values = dict(bind_host=env.bind_host or "127.0.0.1", api_token=token, token_names=names,
                      chat_secret=secret.encode("utf-8", "surrogateescape") if secret else None,
                      cors_origins=_split(env.cors_origins),
                      allowed_hosts=_split(env.allowed_hosts),
                      data_dir=env.data_dir or None,
                      database_url=env.database_url or env.runs_db or None,
                      store_timeout_s=_default(env.store_timeout_s, STORE_TIMEOUT_S),
                      db_pool_size=_default(env.db_pool_size, DB_POOL_SIZE),
                      evidence_refresh_s=_default(env.evidence_refresh_s, 0.0))
        values.update(overrides)
        return cls(**values)

    def with_(self, **changes) -> ApiSettings:
        """A copy with `changes`, checked again."""
        return replace(self, **changes)

    @property
    def tokens(self) -> Mapping[str, str]:
        """Every accepted write token and the name recorded for it."""
        return self.token_names or ({self.api_token: "default"} if self.api_token else {})

    @property
    def bound_to_loopback(self) -> bool:
        return is_loopback(self.bind_host)

    def host_allowed(self, host_header: str | None) -> bool:
        """True when the Host header names this server: a loopback name, the bind address, or an allowed host."""
        if "*" in self.allowed_hosts:
            return True
        if not host_header:
            return False
        host = _host_of(host_header)
        if is_loopback(host) or host in (h.lower() for h in self.allowed_hosts):
            return True
        return host == self.bind_host.lower() and self.bind_host not in ("0.0.0.0", "::")

    def origin_allowed(self, origin: str | None) -> bool:
        """True for requests without an Origin (not sent by a browser page), loopback pages and CORS origins."""
        if origin is None:
            return True
        if origin in self.cors_origins:
            return True
        match = ORIGIN.fullmatch(origin)
        return match is not None and is_loopback(match.group(1))

    def connection_cap(self) -> int:
        """max_connections, or fewer where this process may open fewer files (keeping 64 for the store, the
        catalog and the listening socket), so a flood of connections never exhausts the file descriptors."""
        try:
            import resource

            soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        except (ImportError, OSError, ValueError):
            return self.max_connections
        if soft == resource.RLIM_INFINITY:
            return self.max_connections
        return max(1, min(self.max_connections, soft - 64))
