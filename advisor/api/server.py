"""Serving the API with uvicorn, with slow and greedy clients bounded (probe D9).

Uvicorn has no timeout for a request head and no limit on its size or on open connections, so a client sending
headers a byte at a time holds a connection (and a file descriptor) forever. GuardedHttpProtocol, uvicorn's
httptools protocol with three bounds added, closes a connection whose request head is not complete within
head_timeout_s or grows past max_head_bytes, and keeps at most connection_cap() connections open by closing the
one that has waited longest for a head when a new one arrives. Bodies are bounded in time by the app's
RequestGuard; idle keep-alive connections by uvicorn's own timeout. `uvicorn --http
advisor.api.server:GuardedHttpProtocol --factory advisor.api:create_app` uses it with the default limits.
"""
from __future__ import annotations

import asyncio
import json
import logging
import socket
from functools import partial

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from .settings import ApiSettings

log = logging.getLogger("advisor.api")


class _HeadTooLarge(Exception):
    "Raised inside the parser's callback to stop parsing a head that is over the limit"


class GuardedHttpProtocol(HttpToolsProtocol):
    """Uvicorn's httptools protocol with a time and size limit on each request head and a cap on connections.

    settings: the limits (head_timeout_s, max_head_bytes, connection_cap()); uvicorn passes config, server_state,
    app_state and _loop as it does to its own protocol."""

    def __init__(self, *args, settings: ApiSettings | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limits = settings or ApiSettings()
        self.cap = self.limits.connection_cap()
        self.waiting_for_head = False
        self.waiting_since = 0.0
        self.head_bytes = 0  # bytes received while waiting for the head
        self.head_size = 0  # the request line and headers parsed so far
        self.head_timer: asyncio.TimerHandle | None = None
        self.refused = False

    # The head: from the connection (or the end of the previous response) to the end of the headers.

    def _await_head(self) -> None:
        self.waiting_for_head, self.head_bytes = True, 0
        self.waiting_since = self.loop.time()
        self._cancel_head_timer()
        self.head_timer = self.loop.call_later(self.limits.head_timeout_s, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.waiting_for_head:
            self.refuse(408, f"the request head did not arrive within {self.limits.head_timeout_s:g} s")

    def refuse(self, status: int, message: str) -> None:
        """Answer `status` with the project's error body (when no response is under way) and close."""
        self.waiting_for_head, self.refused = False, True
        self._cancel_head_timer()
        if self.transport is None or self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            body = json.dumps({"error": message, "detail": None}).encode()
            self.transport.write(STATUS_LINE[status] + b"content-type: application/json\r\ncontent-length: "
                                 + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)
        self.transport.close()

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._await_head()
        if len(self.connections) > self.cap:
            waiting = [c for c in self.connections
                       if isinstance(c, GuardedHttpProtocol) and c is not self and c.waiting_for_head]
            if waiting:  # the connection that has waited longest for a head makes room for this one
                min(waiting, key=lambda c: c.waiting_since).refuse(503, "too many open connections")
            else:
                self.refuse(503, "too many open connections; try again shortly")

    def connection_lost(self, exc) -> None:
        self.waiting_for_head = False
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        if self.waiting_for_head:
            self.head_bytes += len(data)
        super().data_received(data)
        if self.waiting_for_head and self.head_bytes > self.limits.max_head_bytes:  # a head still arriving
            self.refuse(431, f"request head over {self.limits.max_head_bytes} bytes")

    def send_400_response(self, msg: str) -> None:
        if not self.refused:  # after a refusal the parser's error is ours: the answer is already written
            super().send_400_response(msg)

    def on_message_begin(self) -> None:
        if not self.waiting_for_head:  # a pipelined request: its head gets the same time
            self._await_head()
        self.head_size = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self.head_size += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_size += len(name) + len(value) + 4
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.waiting_for_head = False
        self._cancel_head_timer()
        if self.head_size > self.limits.max_head_bytes:  # a head that arrived whole in one read
            self.refuse(431, f"request head over {self.limits.max_head_bytes} bytes")
            raise _HeadTooLarge  # stops the parser; uvicorn's 400 for it is not sent (send_400_response)
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._await_head()


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, ready to share with worker processes. Raises OSError (port in use...)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve(settings: ApiSettings, port: int = 8000, workers: int = 1) -> None:
    """Run the API with uvicorn on settings.bind_host:port in `workers` processes that all get `settings`.

    The chat secret is settled here, before the workers start, so every worker signs with the same one (probe D8).
    Raises OSError when the address cannot be bound."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from . import create_app
    from .signing import host_secret

    if settings.chat_secret is None:
        settings = settings.with_(chat_secret=host_secret())
    if not settings.bound_to_loopback and not settings.tokens:
        print(f"note: listening on {settings.bind_host} without ADVISOR_API_TOKEN: only clients on this machine may "
              "POST /runs", flush=True)
    if not settings.bound_to_loopback and not settings.allowed_hosts:
        print("note: only requests addressed to a loopback name or the bind address are answered; list the names "
              "clients use in ADVISOR_ALLOWED_HOSTS", flush=True)
    sock = listening_socket(settings.bind_host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"advisor API on http://{shown}:{bound_port} (docs at /docs), {workers} worker(s); Ctrl-C stops it",
          flush=True)
    config = uvicorn.Config(partial(create_app, settings), factory=True, host=settings.bind_host, port=port,
                            workers=workers, log_level="info", timeout_keep_alive=settings.keep_alive_s,
                            http=partial(GuardedHttpProtocol, settings=settings), server_header=False)
    if workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])
