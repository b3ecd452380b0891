"""Time to first page: `streamlit run app.py` headless, one warm-up load, then the time from navigation until the
chat's first message is visible in headless Chromium, over several loads (a new session each time), beside a bare
`python -c pass` measured in the same run.

Target: the first page renders within 2 s of a warm server.
Run: .venv/bin/python -m benchmarks.bench_app [--loads 10]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from benchmarks.common import fingerprint, python_start_s

# tests/browser.py imports its neighbours (pg_cluster) as top-level modules, as pytest runs it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from browser import chromium_page, streamlit_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=10)
    args = parser.parse_args()
    print(f"machine: {fingerprint()}")
    base = python_start_s()
    with streamlit_server() as url, chromium_page() as page:
        page.goto(url)
        page.get_by_test_id("stChatMessage").first.wait_for(timeout=120000)  # warm-up: imports, cached catalog
        times = []
        for _ in range(args.loads):
            start = time.perf_counter()
            page.goto(url)
            page.get_by_test_id("stChatMessage").first.wait_for(timeout=60000)
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"first page (the chat's first message visible) on a warm server, {args.loads} loads in headless Chromium: "
          f"median {median:.2f} s, max {max(times):.2f} s, {median / base:.0f}x python -c pass ({base * 1000:.0f} ms) "
          "(target <= 2 s)")


if __name__ == "__main__":
    main()
