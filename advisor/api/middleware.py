"""ASGI middleware that guards every request before FastAPI sees it: the Host header (DNS rebinding), the body's
size (read in full, so an over-long chunked body gets 413 however it arrives) and its JSON nesting depth."""
from __future__ import annotations

import json

from .settings import ApiSettings


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON text (strings skipped), without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


async def _send_json(send, status: int, body: dict, headers: list | None = None) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": payload})


class RequestGuard:
    """Refuses, with the project's JSON error body: a Host this server does not answer to (400), a body over
    settings.max_body_bytes (413, before reading it when Content-Length says so), JSON nested deeper than
    settings.max_json_depth (422). The body is read in full here and replayed to the app."""

    def __init__(self, app, settings: ApiSettings):
        self.app, self.settings = app, settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        if not self.settings.host_allowed(headers.get("host")):
            return await _send_json(send, 400, {"error": "this server does not answer to that Host name; add it to "
                                                         "ADVISOR_ALLOWED_HOSTS", "detail": None})
        limit = self.settings.max_body_bytes
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            return await _send_json(send, 413, {"error": f"request body over {limit} bytes", "detail": None},
                                    [(b"connection", b"close")])
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                return await _send_json(send, 413, {"error": f"request body over {limit} bytes", "detail": None},
                                        [(b"connection", b"close")])
            chunks.append(body)
            if not message.get("more_body"):
                break
        data = b"".join(chunks)
        if json_depth(data) > self.settings.max_json_depth:
            return await _send_json(send, 422, {"error": f"invalid request: JSON nested deeper than "
                                                         f"{self.settings.max_json_depth} levels", "detail": None})
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
