"""Load test of POST /recommend: 32 concurrent keep-alive clients on loopback for 20 s against a real server.

The server is started as an operator starts it (`advisor serve`: the request guard and the guarded HTTP protocol),
or with --server uvicorn as `uvicorn --factory advisor.api:create_app`. Two baselines are measured in the same run:
a bare FastAPI app (one async endpoint returning a constant, served by uvicorn with the same workers) and GET
/livez on the advisor's server (the server, the guard and the framework). Ratios are to the bare app's rate
(issue 19: /recommend at least 0.15x of it; 0.05 before).
Target (issue 5, 2-core machine): at least 500 requests/s with p95 at most 50 ms.
Run: .venv/bin/python -m benchmarks.bench_api [--seconds 20] [--clients 32] [--workers 1] [--server serve|uvicorn]
The clients share the machine with the server, so the figure includes their cost too.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import free_port, percentile

ROOT = Path(__file__).resolve().parent.parent




def bodies(n: int) -> list[bytes]:
    rng = random.Random(1)
    out = []
    for _ in range(n):
        body = {"workload": rng.choice(["training", "inference", "mixed"]), "gpu_mem_gb": rng.choice([0, 8, 16, 24]),
                "session_hours": rng.choice([1, 4, 8, 12]), "gpu_hours_per_month": rng.randint(0, 200),
                "concurrent": rng.randint(1, 2), "predictability": rng.choice(["any", "prefer", "require"]),
                "needs": rng.sample(["private", "background", "deployment", "selectable-timeout"], rng.randint(0, 1))}
        if rng.random() < 0.5:
            body["budget_usd"] = rng.choice([0, 10, 50])
        data = json.dumps(body).encode()
        out.append(b"POST /recommend HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   b"Content-Length: " + str(len(data)).encode() + b"\r\n\r\n" + data)
    return out


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return status


LIVEZ = [b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"]
BARE = [b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"]


def bare_app():
    """The bare baseline: FastAPI with one async endpoint and nothing else."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/")
    async def root() -> dict:
        return {"status": "ok"}

    return app


def compact(requests: list[bytes]) -> list[bytes]:
    """The same requests asking for the compact answer."""
    return [r.replace(b"POST /recommend HTTP", b"POST /recommend?fields=compact HTTP") for r in requests]


def _wait_for(port: int) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)


def _line(name: str, latencies: list[float], errors: list[int], elapsed: float, bare_rate: float | None) -> str:
    rate = len(latencies) / elapsed
    ratio = f" ({rate / bare_rate:.3f}x the bare FastAPI rate)" if bare_rate else ""
    return (f"{name}, {elapsed:.0f} s: {rate:.0f} requests/s{ratio}, p50 {percentile(latencies, 50):.1f} ms, "
            f"p95 {percentile(latencies, 95):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, {len(errors)} non-200")


async def client(port: int, requests: list[bytes], deadline: float, latencies: list[float], errors: list[int]):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    while time.perf_counter() < deadline:
        request = requests[i % len(requests)]
        i += 1
        start = time.perf_counter()
        writer.write(request)
        status = await read_response(reader)
        latencies.append((time.perf_counter() - start) * 1000)
        if status != 200:
            errors.append(status)
    writer.close()


async def load(port: int, seconds: float, clients: int, requests: list[bytes] | None = None
               ) -> tuple[list[float], list[int], float]:
    requests = requests or bodies(500)
    latencies: list[float] = []
    errors: list[int] = []
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(client(port, requests, deadline, latencies, errors) for _ in range(clients)))
    return latencies, errors, time.perf_counter() - start




def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--server", choices=["serve", "uvicorn"], default="serve")
    args = parser.parse_args()
    port = free_port()
    store = Path(tempfile.mkdtemp(prefix="advisor-bench-api-")) / "runs.sqlite"
    env = dict(os.environ, ADVISOR_CHAT_SECRET="bench-api-" + "0123456789abcdefghijklmnop", PYTHONPATH=str(ROOT),
               ADVISOR_RUNS_DB=str(store))
    if args.server == "serve":
        command = [sys.executable, "-m", "advisor", "serve", "--port", str(port), "--workers", str(args.workers)]
    else:
        command = [sys.executable, "-m", "uvicorn", "--factory", "advisor.api:create_app", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", str(args.workers), "--log-level", "warning", "--no-access-log"]
    print(f"machine: {platform.node()}, {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
          f"load {os.getloadavg()[0]:.2f}; server: {' '.join(command[1:4])}, {args.workers} worker(s)")
    bare_port = free_port()
    bare = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "benchmarks.bench_api:bare_app", "--host",
                             "127.0.0.1", "--port", str(bare_port), "--workers", str(args.workers), "--log-level",
                             "warning", "--no-access-log"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        _wait_for(bare_port)
        asyncio.run(load(bare_port, 1, 4, BARE))
        bare_lat, bare_err, bare_elapsed = asyncio.run(load(bare_port, max(5.0, args.seconds / 4), args.clients, BARE))
    finally:
        bare.terminate()
        bare.wait(10)
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port)
        asyncio.run(load(port, 2, 4))  # warm-up: imports and score caches
        asyncio.run(load(port, 2, 4, compact(bodies(500))))
        base, base_errors, base_elapsed = asyncio.run(load(port, max(5.0, args.seconds / 4), args.clients, LIVEZ))
        latencies, errors, elapsed = asyncio.run(load(port, args.seconds, args.clients))
        small, small_errors, small_elapsed = asyncio.run(load(port, args.seconds, args.clients, compact(bodies(500))))
    finally:
        server.terminate()
        server.wait(10)
    bare_rate = len(bare_lat) / bare_elapsed
    print(_line(f"baseline: bare FastAPI GET /, {args.clients} clients", bare_lat, bare_err, bare_elapsed, None))
    print(_line(f"GET /livez, {args.clients} clients", base, base_errors, base_elapsed, bare_rate))
    print(_line(f"POST /recommend (full answer), {args.clients} clients", latencies, errors, elapsed, bare_rate)
          + " (target >= 500 requests/s, p95 <= 50 ms)")
    print(_line(f"POST /recommend?fields=compact, {args.clients} clients", small, small_errors, small_elapsed,
                bare_rate) + " (issue 19 target: >= 0.15x the bare rate)")


if __name__ == "__main__":
    main()
