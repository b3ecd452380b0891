"""Ingest throughput: N valid, plausible runs (default 5,000) posted to POST /runs of `uvicorn --workers 2` on a
throwaway PostgreSQL (or --sqlite), by --clients keep-alive client processes; issue 19's target is at least 1,000
runs a second with 2 workers. The same-run baseline is GET /livez on the same server with the same clients, so
the ratio is the cost of storing a run over the server's floor on this machine today.

With --batch N each request is one POST /runs/batch of N runs (one transaction each): the figure is still runs
stored a second, printed beside the requests a second it took.

    .venv/bin/python -m benchmarks.bench_ingest [--runs 5000] [--clients 4] [--sqlite] [--batch 50]
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import tempfile
import time
from pathlib import Path

from benchmarks.bench_evidence import TOKEN, _post_chunk, make_runs
from benchmarks.common import ROOT, fingerprint, free_port, start_api_server


def _get_chunk(args) -> tuple[int, float]:
    port, n = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t0 = time.perf_counter()
    for _ in range(n):
        conn.request("GET", "/livez")
        conn.getresponse().read()
    return n, time.perf_counter() - t0


def _post_batches(args) -> tuple[int, int, float]:
    """Posts bodies in POST /runs/batch requests of `size` runs: (runs stored, runs refused, seconds)."""
    port, bodies, size = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    ok = failed = 0
    t0 = time.perf_counter()
    for start in range(0, len(bodies), size):
        chunk = bodies[start:start + size]
        conn.request("POST", "/runs/batch", body=b"[" + b",".join(chunk) + b"]",
                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"})
        response = conn.getresponse()
        data = response.read()
        if response.status in (200, 201):
            ok += json.loads(data)["added"]
        else:
            failed += len(chunk)
    return ok, failed, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite store instead of a PostgreSQL cluster")
    parser.add_argument("--batch", type=int, default=0,
                        help="runs per request, posted to POST /runs/batch (default: one run per POST /runs)")
    args = parser.parse_args()
    cluster = None
    if args.sqlite:
        url = str(Path(tempfile.mkdtemp(prefix="advisor-ingest-")) / "runs.sqlite")
    else:
        from tests.pg_cluster import start_cluster

        cluster = start_cluster()
        url = cluster.create_database("ingest")
    port = free_port()
    env = dict(os.environ, ADVISOR_DATABASE_URL=url, ADVISOR_API_TOKEN=TOKEN, PYTHONPATH=str(ROOT),
               ADVISOR_CHAT_SECRET="bench-ingest-0123456789abcdefghijklmn")
    server = start_api_server(port, env, access_log=False)
    try:
        print(f"machine: {fingerprint()}")
        print(f"server: uvicorn, 2 workers, {'SQLite' if args.sqlite else 'PostgreSQL'}")
        bodies = make_runs(args.runs)
        with multiprocessing.Pool(args.clients) as pool:
            pool.map(_post_chunk, [(port, bodies[:20][k::args.clients]) for k in range(args.clients)])  # warm-up
            base = pool.map(_get_chunk, [(port, 2000)] * args.clients)
            t0 = time.perf_counter()
            if args.batch:
                results = pool.map(_post_batches, [(port, bodies[20:][k::args.clients], args.batch)
                                                   for k in range(args.clients)])
            else:
                results = pool.map(_post_chunk, [(port, bodies[20:][k::args.clients]) for k in range(args.clients)])
            wall = time.perf_counter() - t0
        base_rate = sum(n for n, _ in base) / max(t for _, t in base)
        ok = sum(r[0] for r in results)
        failed = sum(r[1] for r in results)
        rate = ok / wall
        print(f"baseline GET /livez, {args.clients} clients: {base_rate:,.0f} requests/s")
        how = f"POST /runs/batch of {args.batch} runs ({rate / args.batch:,.0f} requests/s)" if args.batch else \
            "POST /runs (one run a request)"
        print(f"{how}: {ok:,} stored, {failed} failed in {wall:.1f} s: {rate:,.0f} runs/s "
              f"({rate / base_rate:.3f}x the baseline's rate; target >= 1,000 runs/s), load "
              f"{os.getloadavg()[0]:.2f}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
