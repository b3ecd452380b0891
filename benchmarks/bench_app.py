"""Time to first page: `streamlit run app.py` headless, one warm-up load, then the time from navigation until the
chat's greeting is visible in headless Chromium, over several loads (new sessions each time).

Target (issue 4): the first page renders within 2 s of a warm server.
Run: .venv/bin/python benchmarks/bench_app.py [--loads 10]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from browser import chromium_page, streamlit_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=10)
    args = parser.parse_args()
    with streamlit_server() as url, chromium_page() as page:
        page.goto(url)
        page.get_by_text("Hi!").wait_for(timeout=120000)  # warm-up: the server imports and caches the catalog
        times = []
        for _ in range(args.loads):
            start = time.perf_counter()
            page.goto(url)
            page.get_by_text("Hi!").wait_for(timeout=60000)
            times.append(time.perf_counter() - start)
    print(f"first page (chat greeting visible) on a warm server, {args.loads} loads in headless Chromium: "
          f"median {statistics.median(times):.2f} s, max {max(times):.2f} s (target <= 2 s)")


if __name__ == "__main__":
    main()
