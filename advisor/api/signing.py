"""Chat state integrity: the state travels through the client, signed with HMAC-SHA256 so it cannot forge answers.

Every worker and host that serves one chat must share the secret: ADVISOR_CHAT_SECRET, or else one secret per host
kept in the user's data directory (created once, readable only by its owner), so several workers on one machine
agree without configuration.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from ..errors import ChatStateError

_MODIFIED = "chat state was modified or comes from another server; start a new conversation with state null"


def host_secret(folder: Path | None = None) -> bytes:
    """This host's chat secret: read from, or created once in, `folder` (default the user's data directory).
    Falls back to a random secret for this process when the folder cannot be written."""
    if folder is None:
        from platformdirs import user_data_dir

        folder = Path(user_data_dir("advisor", appauthor=False))
    path = folder / "chat-secret"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError:
        return secrets.token_bytes(32)
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    try:
        text = path.read_text().strip()
    except OSError:
        return secrets.token_bytes(32)
    return text.encode() if len(text) >= 32 else secrets.token_bytes(32)


class StateSigner:
    """Signs and checks chat states with HMAC-SHA256 under `secret`."""

    def __init__(self, secret: bytes):
        self.secret = secret

    def dumps(self, state: dict) -> str:
        payload = base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":"), sort_keys=True).encode()).decode()
        mac = hmac.new(self.secret, payload.encode(), hashlib.sha256).hexdigest()
        return f"{payload}.{mac}"

    def loads(self, token: str) -> dict:
        """The state inside a signed token. Raises ChatStateError for anything this signer did not sign."""
        if not token.isascii():  # a signed state is base64 and hex only
            raise ChatStateError(_MODIFIED)
        payload, _, mac = token.rpartition(".")
        expected = hmac.new(self.secret, payload.encode(), hashlib.sha256).hexdigest()
        if not payload or not hmac.compare_digest(mac.encode(), expected.encode()):
            raise ChatStateError(_MODIFIED)
        try:
            return json.loads(base64.urlsafe_b64decode(payload.encode()))
        except (ValueError, RecursionError):
            raise ChatStateError("chat state is not readable; start a new conversation with state null") from None
