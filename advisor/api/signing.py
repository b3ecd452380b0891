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
import logging
import os
import secrets
from pathlib import Path

from ..errors import ChatStateError

log = logging.getLogger("advisor.api")
_MODIFIED = "chat state was modified or comes from another server; start a new conversation with state null"


def host_secret(folder: Path | None = None) -> bytes:
    """This host's chat secret: read from, or created once in, `folder` (default the user's data directory), as a
    file readable only by its owner. Creation is atomic (written in full under a temporary name, then hard-linked
    into place, which fails if another process got there first), so processes starting together agree.
    Where the folder cannot be written, a random secret for this process is returned with a warning: chats then
    break across processes, and ADVISOR_CHAT_SECRET is the cure."""
    if folder is None:
        from platformdirs import user_data_dir

        folder = Path(user_data_dir("advisor", appauthor=False))
    path = folder / "chat-secret"
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        return _process_secret(f"cannot read {path.name} in the data directory ({exc})")
    temporary = folder / f".chat-secret.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        # The folder is the owner's alone whatever the umask (E19): another user could otherwise replace the
        # secret or the run store in it.
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.stat().st_mode & 0o022:
            folder.chmod(folder.stat().st_mode & ~0o022 & 0o7777)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(temporary)
        return _read_secret(path)
    except (OSError, ValueError) as exc:
        return _process_secret(f"cannot keep a secret in the data directory ({exc.strerror or exc})"
                               if isinstance(exc, OSError) else str(exc))


def _read_secret(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & 0o077:  # E19: a secret others can read or write is no secret; made again, privately
        raise ValueError(f"{path.name} is readable or writable by other users (mode {mode & 0o777:o}); remove it "
                         "and a private one is made")
    text = path.read_text(encoding="ascii").strip()
    if len(text) < 32:
        raise ValueError(f"{path.name} holds fewer than 32 characters")
    return text.encode()


def _process_secret(reason: str) -> bytes:
    log.warning("chat secret: %s; using one for this process only, so a chat breaks if another server process "
                "answers its next turn: set ADVISOR_CHAT_SECRET", reason)
    return secrets.token_bytes(32)


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
