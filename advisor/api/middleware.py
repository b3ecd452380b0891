"""ASGI middleware that guards every request before FastAPI sees it, however the app is served: the Host header (DNS
rebinding), the Origin and Content-Type of every write (cross-site requests), the body's size and the time it takes
to arrive (read in full here, so an over-long chunked body gets 413 and a stalled one 408 on every endpoint), and
its encoding and JSON nesting depth. HEAD is answered on every GET route."""
from __future__ import annotations

import asyncio
import json
import time

from .settings import ApiSettings

# Methods that may change something, so a browser page on another site must not be able to send them.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The only method with a body that any route takes; the others get 405 before their body is judged (E21).
BODY_METHODS = frozenset({"POST"})
JSON_TYPE = "application/json"


# Every byte but the four brackets and the quote: deleted before counting, so the loop below sees few bytes.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON text (brackets inside strings skipped), without parsing.

    Linear in len(data): escaped backslashes and quotes are removed first (left to right, as JSON reads them), then
    everything but brackets and quotes, so a 1 MB body costs a few C-speed passes and a loop over what is left."""
    structure = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    depth = deepest = 0
    in_string = False
    for byte in structure:
        if byte == 0x22:  # quote
            in_string = not in_string
        elif in_string:
            continue
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        else:  # ] }
            depth -= 1
    return deepest


def _json_content_type(value: str | None) -> bool:
    """True for 'application/json', with at most a UTF-8 charset parameter (RFC 8259 section 8.1)."""
    if not value:
        return False
    media, *params = (part.strip().lower() for part in value.split(";"))
    return media == JSON_TYPE and all(p.replace(" ", "") in ("charset=utf-8", "charset=\"utf-8\"") for p in params)


async def send_error(send, status: int, message: str, close: bool = False, headers: list | None = None) -> None:
    """The project's error body, {"error": message, "detail": null}, as a whole response."""
    payload = json.dumps({"error": message, "detail": None}).encode()
    extra = [(b"connection", b"close")] if close else []
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *extra, *(headers or [])]})
    await send({"type": "http.response.body", "body": payload})


class RequestGuard:
    """Refuses, with the project's JSON error body and before the app runs:

    - a Host this server does not answer to: 400 (settings.host_allowed);
    - a write (POST, PUT, PATCH, DELETE) from a browser page of a foreign origin: 403; a write whose body is not
      declared as application/json: 415 (so no cross-site "simple" request, form or text/plain, gets through);
    - a body over settings.max_body_bytes: 413 (before reading it when Content-Length says so, else as soon as
      the chunks add up to more);
    - a body that has not arrived within settings.body_timeout_s: 408, and the connection is closed;
    - a body that is not UTF-8 or nests JSON deeper than settings.max_json_depth: 422.

    The body is replayed to the app. HEAD runs as GET with the body dropped, so every GET route answers HEAD."""

    def __init__(self, app, settings: ApiSettings):
        self.app, self.settings = app, settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        settings = self.settings
        headers = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        if not settings.host_allowed(headers.get("host")):
            return await send_error(send, 400, "this server does not answer to that Host name; its operator can "
                                               "list the name in ADVISOR_ALLOWED_HOSTS")
        method = scope["method"]
        if method == "HEAD":
            return await self.app(dict(scope, method="GET"), receive, _without_body(send))
        if method not in UNSAFE_METHODS:
            return await self.app(scope, receive, send)
        if method not in BODY_METHODS:  # no route takes PUT, PATCH or DELETE: say so, whatever the body (E21)
            return await send_error(send, 405, "method not allowed on this endpoint",
                                    headers=[(b"allow", b"GET, HEAD, POST")])
        if not settings.origin_allowed(headers.get("origin")):
            return await send_error(send, 403, "requests from this web page's origin are refused; the server's "
                                               "operator can list the origin in ADVISOR_CORS_ORIGINS")
        if not _json_content_type(headers.get("content-type")):
            return await send_error(send, 415, "send the body as JSON with 'Content-Type: application/json'")
        # Codings the server does not decode are refused, not ignored (E23): a body is read as sent, so a gzip
        # body would be parsed as bytes it is not, and a proxy might read the framing otherwise.
        coding = headers.get("content-encoding", "identity").strip().lower()
        if coding not in ("", "identity"):
            return await send_error(send, 415, "send the body without Content-Encoding (identity only)", close=True)
        transfer = [t.strip().lower() for t in headers.get("transfer-encoding", "").split(",") if t.strip()]
        if transfer and transfer != ["chunked"]:
            return await send_error(send, 501, "Transfer-Encoding other than chunked is not supported", close=True)
        limit = settings.max_body_bytes
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            return await send_error(send, 413, f"request body over {limit} bytes", close=True)
        chunks, size = [], 0
        deadline = time.monotonic() + settings.body_timeout_s
        while True:
            try:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    message = await receive()
            except TimeoutError:
                return await send_error(send, 408, f"the request body did not arrive within "
                                                   f"{settings.body_timeout_s:g} s", close=True)
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                return await send_error(send, 413, f"request body over {limit} bytes", close=True)
            chunks.append(body)
            if not message.get("more_body"):
                break
        data = b"".join(chunks)
        try:
            data.decode("utf-8")
            # JSON text never holds a raw NUL (it must be escaped in strings): one means UTF-16 or UTF-32, which
            # json.loads would guess at, though RFC 8259 and the README say UTF-8 (E20).
            if b"\x00" in data:
                raise UnicodeDecodeError("utf-8", data, data.index(b"\x00"), data.index(b"\x00") + 1, "NUL byte")
        except UnicodeDecodeError:
            return await send_error(send, 422, "invalid request: body: not valid JSON (JSON must be UTF-8 text)")
        if json_depth(data) > settings.max_json_depth:
            return await send_error(send, 422, f"invalid request: body: JSON nested deeper than "
                                               f"{settings.max_json_depth} levels")
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _without_body(send):
    """`send` for a HEAD request: the status and headers (Content-Length included) of the GET, no body."""

    async def head_send(message):
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)
    return head_send
