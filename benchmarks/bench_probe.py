"""Slow clients against a real server on loopback (probe D9): what the server held, and /healthz meanwhile.

Two servers are measured in the same run, each in a subprocess limited to --nofile open files (the probe's
`ulimit -n 256`): `advisor serve` (the guarded HTTP protocol: head timeout, head size limit, connection cap) and,
as the baseline, plain `uvicorn --factory advisor.api:create_app` (uvicorn's own protocol, which the probe found
never closes a slow head). For each: /healthz latency with no attack, then while --connections slowloris
clients send one header byte every --interval seconds for --seconds (reconnecting --interval seconds after
the server closes one, as slowloris does), then after. Everything is bounded in count and time and goes to
127.0.0.1 only.

Run: .venv/bin/python -m benchmarks.bench_probe [--connections 400] [--seconds 20] [--interval 1.0] [--nofile 256]
     [--reconnect-after 0]

--freeze (probe E3, issue 19): `advisor serve --workers 2` on a throwaway PostgreSQL cluster with
ADVISOR_STORE_TIMEOUT_S (default 2 s); 8 clients call GET /runs, POST /runs, POST /recommend and /healthz while the
postmaster and every backend are stopped (SIGSTOP) for --seconds, then continued. Prints each endpoint's answers
by status and its slowest answer against the no-freeze median measured in the same run; the claim is that no
request waits past the deadline (plus the server's own time).
     .venv/bin/python -m benchmarks.bench_probe --freeze [--seconds 20] [--deadline 2]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import free_port, wait_until_live

ROOT = Path(__file__).resolve().parent.parent




def start(kind: str, port: int, nofile: int, home: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_DATA_HOME=str(home), ADVISOR_RUNS_DB=str(home / "runs.sqlite"),
               ADVISOR_CHAT_SECRET="b" * 32)
    if kind == "advisor serve":
        args = [sys.executable, "-m", "advisor", "serve", "--port", str(port)]
    else:
        args = [sys.executable, "-m", "uvicorn", "--factory", "advisor.api:create_app", "--host", "127.0.0.1",
                "--port", str(port)]
    args_env = {"env": env, "cwd": ROOT, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    process = subprocess.Popen(args, preexec_fn=limit, **args_env)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{kind} did not start")


async def healthz(port: int, timeout_s: float) -> float | None:
    """Milliseconds for one GET /healthz on a new connection, or None if it failed or took over timeout_s."""
    start = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout_s)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout_s - (time.perf_counter() - start))
        writer.close()
        return (time.perf_counter() - start) * 1000 if head.startswith(b"HTTP/1.1 200") else None
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
        return None


async def probe_health(port: int, seconds: float, every_s: float = 0.5) -> list[float | None]:
    results = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        results.append(await healthz(port, timeout_s=2.0))
        await asyncio.sleep(every_s)
    return results


async def slow_client(port: int, deadline: float, interval: float, stats: dict, reconnect_s: float) -> None:
    """Sends a request head one byte every `interval` s until `deadline`; when the server closes the connection,
    opens another after `reconnect_s` (slowloris keeps its count of sockets topped up once a round: `interval`;
    0 is a storm of reconnections)."""
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            stats["refused"] += 1
            await asyncio.sleep(interval)
            continue
        stats["opened"] += 1
        opened = time.monotonic()
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try:
            while time.monotonic() < deadline:
                writer.write(b"X")
                await writer.drain()
                try:
                    await asyncio.wait_for(reader.read(1024), interval)  # an answer (408, 503) or the close
                    break
                except TimeoutError:
                    continue
            else:
                stats["held_to_end"] += 1
                writer.close()
                return
        except OSError:
            pass
        stats["closed_after_s"].append(time.monotonic() - opened)
        writer.close()
        await asyncio.sleep(reconnect_s)


def open_files(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


async def attack(port: int, pid: int, connections: int, seconds: float, interval: float, reconnect_s: float) -> dict:
    stats = {"opened": 0, "refused": 0, "held_to_end": 0, "closed_after_s": [], "max_fds": 0}
    deadline = time.monotonic() + seconds

    async def watch_fds():
        while time.monotonic() < deadline:
            stats["max_fds"] = max(stats["max_fds"], open_files(pid))
            await asyncio.sleep(0.5)

    clients = [slow_client(port, deadline, interval, stats, reconnect_s) for _ in range(connections)]
    await asyncio.sleep(0)
    results = await asyncio.gather(probe_health(port, seconds), watch_fds(), *clients)
    stats["health"] = results[0]
    return stats


def summary(samples: list[float | None]) -> str:
    answered = [s for s in samples if s is not None]
    if not answered:
        return f"/healthz answered 0 of {len(samples)}"
    return (f"/healthz answered {len(answered)} of {len(samples)}, median {statistics.median(answered):.1f} ms, "
            f"max {max(answered):.1f} ms")


def measure(kind: str, args, home: Path) -> dict:
    port = free_port()
    server = start(kind, port, args.nofile, home)
    try:
        before = asyncio.run(probe_health(port, 5, 0.25))
        reconnect_s = args.interval if args.reconnect_after is None else args.reconnect_after
        during = asyncio.run(attack(port, server.pid, args.connections, args.seconds, args.interval, reconnect_s))
        time.sleep(args.interval + 1)
        after = asyncio.run(probe_health(port, 3, 0.25))
        fds_after = open_files(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
    closed = during["closed_after_s"]
    print(f"\n{kind} (open-file limit {args.nofile}):")
    print(f"  before:  {summary(before)}")
    print(f"  during:  {summary(during['health'])}")
    print(f"  after:   {summary(after)}")
    print(f"  slow connections: {during['opened']} opened ({args.connections} clients reconnecting), "
          f"{len(closed)} closed by the server"
          + (f" after a median {statistics.median(closed):.1f} s (max {max(closed):.1f} s)" if closed else "")
          + f", {during['held_to_end']} still open at the end, {during['refused']} connects refused; "
          f"server open files: max {during['max_fds']}, {fds_after} after")
    answered_before = [s for s in before if s is not None]
    answered_during = [s for s in during["health"] if s is not None]
    return {"before": statistics.median(answered_before) if answered_before else None,
            "during": statistics.median(answered_during) if answered_during else None,
            "answered": (len(answered_during), len(during["health"]))}


def _freeze(args) -> None:
    import json
    import signal
    import threading
    import urllib.error
    import urllib.request

    from tests.pg_cluster import start_cluster
    from tests.sample_runs import valid_run

    cluster = start_cluster()
    url = cluster.create_database("freeze")
    port = free_port()
    env = dict(os.environ, ADVISOR_DATABASE_URL=url, ADVISOR_STORE_TIMEOUT_S=str(args.deadline),
               ADVISOR_CHAT_SECRET="bench-probe-freeze-0123456789abcdefgh", PYTHONPATH=str(ROOT))
    server = subprocess.Popen([sys.executable, "-m", "advisor", "serve", "--port", str(port), "--workers", "2"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def call(kind: str, i: int) -> tuple[int, float]:
        if kind == "POST /runs":
            request = urllib.request.Request(base + "/runs", data=json.dumps(valid_run(note=f"f{i}")).encode(),
                                             headers={"Content-Type": "application/json"}, method="POST")
        elif kind == "POST /recommend":
            request = urllib.request.Request(base + "/recommend", data=b'{"evidence":"all"}',
                                             headers={"Content-Type": "application/json"}, method="POST")
        else:
            request = urllib.request.Request(base + ("/runs" if kind == "GET /runs" else "/healthz"))
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as r:
                r.read()
                status = r.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        return status, time.perf_counter() - t0

    kinds = ["GET /runs", "POST /runs", "POST /recommend", "/healthz"]
    try:
        wait_until_live(base)
        idle = {k: statistics.median(call(k, i)[1] for i in range(20)) for k in kinds}
        pids = [int((cluster.folder / "data" / "postmaster.pid").read_text().split()[0])]
        pids += [int(p) for p in subprocess.run(["pgrep", "-P", str(pids[0])], capture_output=True,
                                                text=True).stdout.split()]
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        results: dict[str, list] = {k: [] for k in kinds}
        stop = time.monotonic() + args.seconds

        def client(n: int) -> None:
            i = 0
            while time.monotonic() < stop:
                kind = kinds[(n + i) % len(kinds)]
                results[kind].append(call(kind, n * 100000 + i))
                i += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
        time.sleep(1)
        after = {k: call(k, 999999 + i)[0] for i, k in enumerate(kinds)}
        print(f"machine: {platform.node()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; PostgreSQL "
              f"frozen (SIGSTOP, {len(pids)} processes) for {args.seconds:g} s; store deadline {args.deadline:g} s")
        for kind in kinds:
            answers = results[kind]
            statuses: dict[int, int] = {}
            for status, _ in answers:
                statuses[status] = statuses.get(status, 0) + 1
            worst = max((t for _, t in answers), default=0.0)
            print(f"{kind}: {len(answers)} answers {dict(sorted(statuses.items()))}, slowest {worst:.2f} s "
                  f"({worst / max(idle[kind], 1e-6):.0f}x the no-freeze median {idle[kind] * 1000:.1f} ms); "
                  f"after: {after[kind]}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--freeze", action="store_true", help="freeze PostgreSQL instead (probe E3)")
    parser.add_argument("--deadline", type=float, default=2.0, help="--freeze: ADVISOR_STORE_TIMEOUT_S")
    parser.add_argument("--connections", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between header bytes")
    parser.add_argument("--nofile", type=int, default=256, help="the servers' open-file limit")
    parser.add_argument("--reconnect-after", type=float, help="seconds before a closed client reconnects (default "
                        "--interval; 0: a reconnection storm)")
    parser.add_argument("--only", choices=["advisor serve", "uvicorn"], help="measure one server")
    args = parser.parse_args()
    if args.freeze:
        return _freeze(args)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.connections + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.connections + 256), hard))
    load = os.getloadavg()
    print(f"machine: {platform.node()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load {load[0]:.2f}; Python {platform.python_version()}")
    print(f"{args.connections} slowloris clients, one header byte every {args.interval:g} s, for {args.seconds:g} s "
          "(127.0.0.1 only)")
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind in ([args.only] if args.only else ["uvicorn", "advisor serve"]):
            results[kind] = measure(kind, args, Path(folder))
    for kind, r in results.items():
        if r["before"] and r["during"]:
            ratio = f"{r['during'] / r['before']:.1f}x its no-attack median"
        else:
            ratio = "no answer to compare"
        print(f"{kind}: /healthz under attack answered {r['answered'][0]} of {r['answered'][1]}, median {ratio}")


if __name__ == "__main__":
    main()
