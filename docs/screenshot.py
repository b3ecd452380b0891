"""Takes docs/screenshot.png from the real app in headless Chromium: a chat answered through to its ranking.
Run: .venv/bin/python docs/screenshot.py"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import chromium_page, send_chat, streamlit_server  # noqa: E402

with streamlit_server() as url, chromium_page(1280, 2200) as page:
    page.goto(url)
    page.get_by_text("Hi!").wait_for(timeout=120000)
    for text, expect in [("training mostly", "Got it: training"), ("16 GB", "16 GB of GPU memory"),
                         ("about 6 hours", "runs of up to 6 hours"), ("40 hours a month", "40 GPU hours a month"),
                         ("just one", "1 notebook at once"), ("$10 a month", "a budget of $10"),
                         ("I'd prefer it", "prefer predictable"), ("none", "Here is my ranking")]:
        send_chat(page, text, expect)
    page.locator(".vega-embed").first.wait_for(timeout=30000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ROOT / "docs" / "screenshot.png"), full_page=False)
print("wrote docs/screenshot.png")
