"""Shared by the benchmark scripts: percentiles, same-run baselines (this machine's speed changes from day to day,
so every figure is printed beside a ratio to a baseline measured in the same run), and the machine's fingerprint."""
from __future__ import annotations

import os
import platform
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_api_server(port: int, env: dict, workers: int = 2, access_log: bool = True) -> subprocess.Popen:
    """`uvicorn advisor.api:create_app` on loopback in its own process group (stop it with os.killpg), returned
    once its /livez answers (or after about a minute)."""
    command = [sys.executable, "-m", "uvicorn", "--factory", "advisor.api:create_app", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    if not access_log:
        command.append("--no-access-log")
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    wait_until_live(f"http://127.0.0.1:{port}")
    return server


def wait_until_live(base_url: str, tries: int = 300, pause_s: float = 0.2) -> None:
    """Waits until base_url's /livez answers, trying `tries` times `pause_s` apart."""
    import urllib.request

    for _ in range(tries):
        try:
            urllib.request.urlopen(base_url + "/livez", timeout=1)
            return
        except OSError:
            time.sleep(pause_s)


def percentile(values, q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def python_start_s(repeats: int = 15) -> float:
    """Median wall time of a bare `python -c pass`, in seconds: the start-up floor of any command."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cpu_unit_ms(repeats: int = 7) -> float:
    """Median time of a fixed pure-Python workload (sorting and hashing), in ms: a unit of this CPU's speed."""
    data = [(i * 7919) % 10007 for i in range(200_000)]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        sorted(data)
        hash(tuple(data))
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def fingerprint() -> str:
    """CPU model, cores, Python: printed with every figure."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}"
