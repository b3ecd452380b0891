"""Helpers to drive the real app: start `streamlit run app.py` headless and open it in Debian's Chromium with
Playwright (its own browser download is never used), collecting the console's errors."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from pg_cluster import free_port

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags for a sandboxed, offline machine: without the background-networking flags Chromium keeps trying to reach
# Google's hosts.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]




def wait_for_http(url: str, seconds: float = 60) -> None:
    """Waits until `url` answers 200. Raises RuntimeError after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds:g} s")


@contextmanager
def streamlit_server(env_extra: dict | None = None):
    port = free_port()
    env = dict(os.environ, **(env_extra or {}))
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                               "--server.headless", "true", "--server.port", str(port),
                               "--server.address", "127.0.0.1"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/_stcore/health", 60)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


@contextmanager
def chromium_page(width: int = 1280, height: int = 900, dark: bool = False):
    """A page in headless Chromium (dark: the OS asks for a dark colour scheme); page.console_errors collects
    console errors and uncaught page errors."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height},
                                    color_scheme="dark" if dark else "light", has_touch=width < 600)
            page.console_errors = []
            page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: page.console_errors.append(str(e)))
            yield page
        finally:
            browser.close()


def send_chat(page, text: str, timeout_ms: int = 30000) -> None:
    """Types a message and waits for the assistant's reply to it."""
    replies = page.get_by_test_id("stChatMessage").count()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('[data-testid=\"stChatMessage\"]').length >= {replies + 2}",
                           timeout=timeout_ms)
    page.wait_for_timeout(300)
