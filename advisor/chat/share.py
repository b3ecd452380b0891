"""A conversation as a short text for a link or browser storage: the user's messages, compressed and URL-safe.
Replaying them reproduces the conversation, its answers and its ranking (the chat is deterministic), so a reload
keeps the user's work and a shared link shows the same result, with no server account.
"""
from __future__ import annotations

import base64
import binascii
import json
import zlib

from ..catalog import Catalog
from ..errors import ChatStateError
from .conversation import MAX_MESSAGE_CHARS, ChatTurn, chat_turn

# The most messages a link carries (a long conversation keeps its last ones; the answers are what matter).
MAX_MESSAGES = 60
# The longest link text accepted (browsers and servers cope with URLs of several thousand characters).
MAX_LINK_CHARS = 6000
QUERY_KEY = "c"


def encode(messages: list[str]) -> str:
    """The messages as URL-safe text (zlib + base64url, no padding)."""
    kept = [str(m)[:MAX_MESSAGE_CHARS] for m in messages][-MAX_MESSAGES:]
    raw = zlib.compress(json.dumps(kept, separators=(",", ":")).encode(), 9)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(text: str) -> list[str]:
    """The messages of an encode() text. Raises ChatStateError for anything else (a damaged or foreign link)."""
    if not isinstance(text, str) or not text or len(text) > MAX_LINK_CHARS:
        raise ChatStateError("the conversation link is empty or too long; start a new conversation")
    try:
        raw = zlib.decompressobj().decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)),
                                              MAX_MESSAGES * MAX_MESSAGE_CHARS * 4)
        messages = json.loads(raw)
    except (binascii.Error, zlib.error, ValueError, UnicodeDecodeError):
        raise ChatStateError("the conversation link is damaged; start a new conversation") from None
    if not isinstance(messages, list) or len(messages) > MAX_MESSAGES or not all(isinstance(m, str) for m in messages):
        raise ChatStateError("the conversation link holds no conversation; start a new conversation")
    return [m[:MAX_MESSAGE_CHARS] for m in messages]


def replay(catalog: Catalog, messages: list[str], **reference) -> tuple[ChatTurn, list[tuple[str, str]]]:
    """The last turn and the transcript [(role, text)] of a conversation replayed from its first question."""
    turn = chat_turn(catalog, None, None, **reference)
    transcript = [("assistant", turn.reply)]
    for message in messages:
        turn = chat_turn(catalog, turn.state, message, **reference)
        transcript += [("user", message), ("assistant", turn.reply)]
    return turn, transcript
