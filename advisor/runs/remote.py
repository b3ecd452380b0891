"""The HTTP client of a shared server's /runs: posting a run (`bench --post`, `runs --post`) and reading a server's
runs page by page (`runs --from`). Every answer is bounded in size and time, and a server is trusted for nothing:

- a POST never follows a redirect (urllib would replay it as a GET without the body and send the token to the
  new origin, then report success: E8), and success needs a 2xx answer that carries the run's id;
- a listing stops when a page repeats its cursor, after MAX_PAGES pages, and refuses counts and ids that are not
  plain non-negative integers (E15)."""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode, urlsplit

from ..errors import AdvisorError, RunPostError
from ..vocab import EvidenceSource

# The largest answer read: a run is at most about 1 MB, a page of 1,000 runs well under 200 MB.
MAX_POST_ANSWER_BYTES = 1_000_000
MAX_PAGE_BYTES = 200_000_000
# A listing of more pages than this is a server that never ends (1,000 runs a page: ten million runs).
MAX_PAGES = 10_000
POST_TIMEOUT_S = 30.0
LIST_TIMEOUT_S = 60.0
MAX_ID = 2 ** 63 - 1


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuses every redirect: the answer is the 3xx itself."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def runs_endpoint(url: str, query: str = "") -> str:
    """The /runs endpoint of a server URL (http or https). Raises ValueError for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected a server URL like http://host:8000, got '{url}'")
    base = url.strip().rstrip("/")
    endpoint = base if base.endswith("/runs") else base + "/runs"
    return endpoint + (f"?{query}" if query else "")


def _server_message(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read(100_000)).get("error", ""))[:500] or str(exc.reason)
    except (ValueError, AttributeError, OSError):
        return str(exc.reason)


def _count(value: Any, what: str) -> int:
    """A plain non-negative integer from a server's JSON, or RunPostError."""
    if type(value) is not int or not 0 <= value <= MAX_ID:
        raise RunPostError(f"the server sent a bad {what} ({str(value)[:40]!r}); it does not answer like an advisor "
                           "server")
    return value


def post_run(url: str, run, token: str | None = None, timeout_s: float = POST_TIMEOUT_S) -> dict:
    """POSTs one run to a server's /runs (url: the server, or its /runs endpoint), with the bearer token from
    `token` or ADVISOR_API_TOKEN. Returns the server's answer ({"id", "duplicate"}). Raises RunPostError with the
    server's own message when it refuses the run (a redirect included), or the network's when it cannot be
    reached, or when the answer carries no run id."""
    endpoint = _endpoint(url)
    answer = _post_json(endpoint, json.dumps(run.to_dict()).encode(), token, timeout_s, "the run")
    answer["id"] = _count(answer.get("id"), "run id")
    return answer


# A batch stays well under the server's 1 MB body limit and its 1,000 runs.
BATCH_RUNS = 200
BATCH_BYTES = 512_000


def post_runs(url: str, runs, token: str | None = None, timeout_s: float = POST_TIMEOUT_S) -> tuple[int, int]:
    """POSTs runs to a server's /runs/batch in batches (each stored all or none, in order), falling back to one
    POST /runs per run on a server without the batch endpoint. Returns (runs posted, of them stored before).
    Raises RunPostError as post_run does, naming the refused batch's first run."""
    endpoint = _endpoint(url)
    posted = again = 0
    batch: list[bytes] = []
    batches = True  # until the server says it has no batch endpoint

    def send() -> None:
        nonlocal posted, again, batches
        body = b"[" + b",".join(batch) + b"]"
        try:
            if not batches:
                raise _NoBatchEndpoint()
            answer = _post_json(endpoint + "/batch", body, token, timeout_s, f"runs {posted + 1}-{posted + len(batch)}",
                                missing_ok=True)
        except _NoBatchEndpoint:
            batches = False
            for text in batch:
                one = _post_json(endpoint, text, token, timeout_s, f"run {posted + 1}")
                _count(one.get("id"), "run id")
                again += bool(one.get("duplicate"))
                posted += 1
        else:
            ids = answer.get("ids")
            if not isinstance(ids, list) or len(ids) != len(batch):
                raise RunPostError(f"{endpoint}/batch did not answer like an advisor server (no run ids)")
            again += _count(answer.get("duplicates", 0), "count of duplicates")
            posted += len(batch)
        batch.clear()

    size = 0
    for run in runs:
        text = json.dumps(run.to_dict()).encode()
        if batch and (len(batch) >= BATCH_RUNS or size + len(text) > BATCH_BYTES):
            send()
            size = 0
        batch.append(text)
        size += len(text) + 1
    if batch:
        send()
    return posted, again


class _NoBatchEndpoint(Exception):
    "The server has no POST /runs/batch (an older advisor server)"


def _endpoint(url: str) -> str:
    try:
        return runs_endpoint(url)
    except ValueError as exc:
        raise RunPostError(str(exc)) from None


def _post_json(endpoint: str, body: bytes, token: str | None, timeout_s: float, what: str,
               missing_ok: bool = False) -> dict:
    """POSTs a JSON body with the bearer token (`token`, else ADVISOR_API_TOKEN) and returns the answer's object.
    A redirect is refused (the token is never sent on); missing_ok: a 404 or 405 raises _NoBatchEndpoint."""
    token = token if token is not None else os.environ.get("ADVISOR_API_TOKEN")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            answer = json.loads(response.read(MAX_POST_ANSWER_BYTES) or b"{}")
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            raise RunPostError(f"{endpoint} answered with a redirect ({exc.code}); post to the server's own address "
                               "(the run and the token are never sent on to another)") from None
        if missing_ok and exc.code in (404, 405):
            raise _NoBatchEndpoint() from None
        raise RunPostError(f"{endpoint} refused {what} ({exc.code}): {_server_message(exc)}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RunPostError(f"cannot post to {endpoint}: {reason}") from None
    if not isinstance(answer, dict):
        raise RunPostError(f"{endpoint} did not answer like an advisor server (no run id)")
    return answer


class RemoteRuns:
    """A server's GET /runs, paged like the local store (read only; nothing is sent but the query)."""

    def __init__(self, url: str):
        self.url = url
        self.location = runs_endpoint(url)
        self._cursors: set[str] = set()
        self._pages = 0

    def page(self, filters, limit: int, cursor: str | None, order: str):
        """One page (a runs.store.RunPage). Raises RunPostError for a server that refuses, cannot be reached,
        sends what is no page, repeats a cursor or never ends."""
        from .record import run_from_json
        from .store import RunPage, StoredRun

        self._pages += 1
        if self._pages > MAX_PAGES:
            raise RunPostError(f"{self.location} sent over {MAX_PAGES} pages; stopped (a listing that never ends)")
        query = {"limit": limit, "order": str(order), "plan": filters.plan, "gpu": filters.gpu, "mode": filters.mode,
                 "since": filters.since and filters.since.isoformat(),
                 "until": filters.until and filters.until.isoformat(), "cursor": cursor}
        endpoint = runs_endpoint(self.url, urlencode({k: v for k, v in query.items() if v is not None}))
        try:
            request = urllib.request.Request(endpoint, headers={"Accept": "application/json"})
            with _OPENER.open(request, timeout=LIST_TIMEOUT_S) as response:
                body = json.loads(response.read(MAX_PAGE_BYTES))
        except urllib.error.HTTPError as exc:
            raise RunPostError(f"{self.location} refused the listing ({exc.code}): {_server_message(exc)}") from None
        except (urllib.error.URLError, OSError, ValueError, RecursionError) as exc:
            raise RunPostError(f"cannot read runs from {self.location}: {getattr(exc, 'reason', exc)}") from None
        if not isinstance(body, dict) or not isinstance(body.get("runs"), list):
            raise RunPostError(f"{self.location} did not answer like an advisor server (no 'runs' list)")
        next_cursor = body.get("next_cursor")
        if next_cursor is not None:
            if not isinstance(next_cursor, str) or not next_cursor or len(next_cursor) > 200:
                raise RunPostError(f"{self.location} sent a bad next_cursor; it does not answer like an advisor "
                                   "server")
            if next_cursor in self._cursors or next_cursor == cursor or not body["runs"]:
                raise RunPostError(f"{self.location} repeated a page (its cursor does not advance); stopped")
            self._cursors.add(next_cursor)
        skipped = _count(body.get("skipped_invalid", 0) or 0, "skipped_invalid count")
        runs = []
        for item in body["runs"]:
            try:
                runs.append(StoredRun(_count(item["id"], "run id"), run_from_json(item["run"]),
                                      str(item.get("poster") or "?")[:100],
                                      EvidenceSource(item.get("origin") or "shared")))
            except (AdvisorError, KeyError, TypeError, ValueError, RecursionError):
                skipped += 1  # one bad item from a server does not stop the listing
        return RunPage(runs, next_cursor, skipped)
