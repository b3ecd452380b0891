"""The API's settings, read once from the environment (or given by the caller), and the security rules that follow
from them. However the app is started (`advisor serve`, `uvicorn --factory advisor.api:create_app`, a test
client), these settings and the client's own address decide who may write."""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, replace
from typing import Mapping

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
MAX_BODY_BYTES = 1_000_000
# Deeper JSON is refused before parsing: no run, workload or chat message nests more than a few levels.
MAX_JSON_DEPTH = 32


def is_loopback(host: str | None) -> bool:
    """True for loopback names and addresses (127.0.0.0/8, ::1, localhost)."""
    if not host:
        return False
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


@dataclass(frozen=True)
class ApiSettings:
    """What the API needs to know about its deployment.

    bind_host: the interface the server listens on (writes without a token are refused beyond loopback).
    api_token: the bearer token that writes need (ADVISOR_API_TOKEN); None: only loopback clients may write.
    token_names: names recorded with each write for each token (ADVISOR_API_TOKENS="name=token,..."), so a run
    says who posted it without storing the token.
    chat_secret: signs chat states (ADVISOR_CHAT_SECRET); None: one per host, kept in the user's data directory.
    cors_origins: browser origins allowed to call the API (ADVISOR_CORS_ORIGINS, comma-separated).
    allowed_hosts: Host header values accepted beyond the loopback names (ADVISOR_ALLOWED_HOSTS), which stops DNS
    rebinding; '*' accepts any host.
    data_dir: the catalog folder (ADVISOR_DATA_DIR; default the shipped data/).
    database_url: the run store (ADVISOR_DATABASE_URL, or the SQLite file ADVISOR_RUNS_DB; default the user's
    data directory).
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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> ApiSettings:
        env = os.environ if environ is None else environ
        names = {}
        for pair in _split(env.get("ADVISOR_API_TOKENS")):
            name, _, token = pair.partition("=")
            if name.strip() and token.strip():
                names[token.strip()] = name.strip()
        token = env.get("ADVISOR_API_TOKEN") or None
        if token and token not in names:
            names[token] = "default"
        secret = env.get("ADVISOR_CHAT_SECRET")
        settings = cls(bind_host=env.get("ADVISOR_BIND_HOST") or "127.0.0.1", api_token=token, token_names=names,
                       chat_secret=secret.encode() if secret else None,
                       cors_origins=_split(env.get("ADVISOR_CORS_ORIGINS")),
                       allowed_hosts=_split(env.get("ADVISOR_ALLOWED_HOSTS")),
                       data_dir=env.get("ADVISOR_DATA_DIR") or None,
                       database_url=env.get("ADVISOR_DATABASE_URL") or env.get("ADVISOR_RUNS_DB") or None)
        return replace(settings, **overrides)

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
        host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
        if host.startswith("[") and "]" in host:
            host = host[1:host.index("]")]
        host = host.lower()
        if is_loopback(host) or host in (h.lower() for h in self.allowed_hosts):
            return True
        return host == self.bind_host.lower() and self.bind_host not in ("0.0.0.0", "::")

    def origin_allowed(self, origin: str | None) -> bool:
        """True for requests without an Origin (not from a browser page), loopback pages and CORS origins."""
        if origin is None:
            return True
        if origin in self.cors_origins:
            return True
        scheme, _, rest = origin.partition("://")
        host = rest.split("/")[0]
        host = host[1:host.index("]")] if host.startswith("[") and "]" in host else host.rsplit(":", 1)[0]
        return scheme in ("http", "https") and is_loopback(host)
