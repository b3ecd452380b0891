"""Takes docs/screenshot.png from the real app in headless Chromium: a chat answered through to its ranking.
Run: .venv/bin/python -m docs.screenshot"""
from pathlib import Path

from tests.browser import chromium_page, send_chat, streamlit_server

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = ["fine-tuning a model mostly", "16 GB", "about 6 hours", "40 hours a month", "just one", "$20 a month",
           "I'd prefer it", "none"]

with streamlit_server() as url, chromium_page(1280, 2000) as page:
    page.goto(url)
    page.get_by_test_id("stChatMessage").first.wait_for(timeout=120000)
    for text in ANSWERS:
        send_chat(page, text)
    page.locator(".vega-embed").first.wait_for(timeout=30000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ROOT / "docs" / "screenshot.png"), full_page=False)
print("wrote docs/screenshot.png")
