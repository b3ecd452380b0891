"""End to end: `streamlit run app.py` headless, driven in headless Chromium (Debian's package) with Playwright: the
chat to a ranking with prices shown as text and the newest reply in view, a phone-sized screen, a real upload of a bad
file, and no errors in the browser's console."""
import re
import shutil

import pytest
from browser import chromium_page, send_chat, streamlit_server
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
FOCUSED = "document.activeElement && document.activeElement.getAttribute('data-testid') === 'stChatInputTextArea'"
ANSWERS = ["training", "16 GB", "6 hours", "40 hours a month", "1", "$10", "doesn't matter", "none"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e")
    with streamlit_server({"ADVISOR_RUNS_DB": str(home / "runs.sqlite"), "ADVISOR_CACHE_DIR": str(home)}) as url:
        yield url


def _in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    viewport = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 40) <= viewport["height"]


def test_chat_to_a_ranking_with_prices_as_text_and_the_newest_reply_in_view(server):
    with chromium_page() as page:
        page.goto(server)
        page.get_by_test_id("stChatMessage").first.wait_for(timeout=60000)
        page.wait_for_function(FOCUSED, timeout=30000)  # a wait, not a timing: a loaded machine reruns slowly  # the box has the focus on load
        for text in ANSWERS:
            send_chat(page, text)
        page.get_by_text("Ranking for your workload").wait_for(timeout=30000)
        page.locator(".vega-embed").first.wait_for(timeout=30000)
        # A change of answer: its reply must be in view, not thousands of pixels above.
        send_chat(page, "make the budget 20")
        newest = page.get_by_test_id("stChatMessage").last
        assert _in_viewport(page, newest)
        # Prices are text, never mathematics: "$8.00" appears as typed, and no KaTeX is drawn.
        page.get_by_text("Ranking for your workload").scroll_into_view_if_needed()
        body = page.inner_text("body")
        assert re.search(r"\$\d+\.\d\d", body), "no price shown as text"
        assert page.locator(".katex").count() == 0
        assert page.get_by_text("Traceback").count() == 0
        assert page.console_errors == [], page.console_errors


def test_a_quick_reply_gives_the_focus_back_to_the_chat_box(server):
    with chromium_page() as page:
        page.goto(server)
        page.get_by_test_id("stChatMessage").first.wait_for(timeout=60000)
        page.get_by_role("button", name="Training").click()
        page.wait_for_function("document.querySelectorAll('[data-testid=\"stChatMessage\"]').length >= 3",
                               timeout=30000)
        page.wait_for_function(FOCUSED, timeout=30000)  # a wait, not a timing: a loaded machine reruns slowly


def test_on_a_phone_price_and_score_come_first_and_nothing_overflows(server):
    with chromium_page(width=390, height=844) as page:
        page.goto(server)
        page.get_by_test_id("stChatMessage").first.wait_for(timeout=60000)
        # The input is on the first screen (UX probe defect 18: it was half below the fold).
        box = page.get_by_test_id("stChatInput").bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844, box
        for text in ANSWERS:
            send_chat(page, text)
        page.get_by_text("Ranking for your workload").wait_for(timeout=30000)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        # The table's column order (price and score first) is checked in the app tests; its grid draws on a canvas.
        page.get_by_test_id("stDataFrame").first.scroll_into_view_if_needed()
        assert page.get_by_test_id("stDataFrame").first.bounding_box()["width"] <= 390
        assert page.console_errors == [], page.console_errors


def test_uploading_a_bad_file_shows_a_message(server, tmp_path):
    bad = tmp_path / "run.json"
    bad.write_text('{"mode": "turbo"}')
    with chromium_page() as page:
        page.goto(server + "/benchmark")
        page.get_by_text("Your runs").wait_for(timeout=60000)
        page.locator("input[type=file]").set_input_files(str(bad))
        page.get_by_text("Not imported").wait_for(timeout=30000)
        # The script goes on after the error (the page draws progressively): wait for the list below it.
        page.get_by_text("No runs yet").wait_for(timeout=30000)
        assert page.get_by_text("No runs yet").count() == 1
        assert page.get_by_text("200MB").count() == 0


# Streamlit's frontend, opened on a page's own URL, first probes `<page>/_stcore/health` and `host-config` to find
# its base path, gets 404 and falls back to the root: streamlit/streamlit#7074 (open). Those two are Streamlit's,
# not ours; any other failed request or console error is.
STREAMLIT_BASE_PATH_PROBES = re.compile(r"/[a-z]+/_stcore/(health|host-config)$")


@pytest.mark.parametrize("page_path", ["/form", "/compare", "/benchmark", "/data"])
def test_each_page_opens_on_its_own_url_without_errors(server, page_path):
    with chromium_page() as page:
        failed = []
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
        page.goto(server + page_path)
        page.get_by_test_id("stMainBlockContainer").get_by_role("heading").first.wait_for(timeout=60000)
        page.wait_for_timeout(1500)
        ours = [url for url in failed if not STREAMLIT_BASE_PATH_PROBES.search(url)]
        assert ours == [], ours
        known = sum(1 for url in failed if STREAMLIT_BASE_PATH_PROBES.search(url))
        others = [e for e in page.console_errors if not e.startswith("Failed to load resource")]
        assert others == [] and len(page.console_errors) - len(others) == known, page.console_errors
        assert page.get_by_text("Traceback").count() == 0
        assert page.get_by_text("Page not found").count() == 0


CORRECTING = ["training", "not sure, my images are 384px, batch 32... maybe 16GB?", "16 gb not 384, runs of 6 hours",
              "40 hours a month", "1", "$10", "doesn't matter", "none"]


def _plot_heights(page) -> list[float]:
    """The height of each drawn Vega chart's plot area (its tallest background rectangle): the score distribution
    drawn as a flat line had a plot area of height 0 (UX probe defect 14)."""
    page.locator(".vega-embed").first.wait_for(timeout=30000)
    page.wait_for_timeout(1000)
    return page.evaluate("""Array.from(document.querySelectorAll('.vega-embed svg')).map(s =>
        Math.max(0, ...Array.from(s.querySelectorAll('path.background')).map(p => p.getBBox().height)))""")


@pytest.mark.parametrize(("width", "height", "dark"), [(1280, 900, False), (390, 844, False), (1280, 900, True)],
                         ids=["desktop", "phone", "dark"])
def test_corrections_reload_share_link_and_charts(server, width, height, dark):
    # The end-to-end check: a conversation with a correction, a reload that keeps it, a share link that
    # reproduces it in a new browser, and charts with a real plot area on desktop, phone and in dark mode.
    with chromium_page(width, height, dark) as page:
        page.goto(server)
        page.get_by_test_id("stChatMessage").first.wait_for(timeout=60000)
        for text in CORRECTING:
            send_chat(page, text)
        page.get_by_text("Ranking for your workload").wait_for(timeout=30000)
        body = page.inner_text("body")
        assert "384 GB" not in body and "384 hours" not in body
        heights = _plot_heights(page)
        assert len(heights) >= 2 and all(h >= 100 for h in heights[:2]), heights  # distribution, price charts
        assert "c=" in page.url
        # A reload keeps the conversation and the answers.
        page.reload()
        page.get_by_text("Ranking for your workload").wait_for(timeout=60000)
        assert "16 gb not 384" in page.inner_text("body")
        if not dark and width >= 600:
            # The understood panel edits an answer in place: the budget's Change box takes "$20".
            row = page.locator(".st-key-understood").get_by_test_id("stHorizontalBlock").filter(has_text="budget:")
            box = page.get_by_label("New budget")
            for _ in range(3):  # a click during the page's own rerun is undone by it: open the box again
                row.get_by_role("button", name="Change").click()
                try:
                    box.wait_for(timeout=15000)
                    break
                except PlaywrightTimeout:
                    continue
            box.fill("$20")
            page.get_by_role("button", name="Save").last.click()
            page.locator(".st-key-understood").get_by_text("a budget of $20.00 a month").wait_for(timeout=30000)
        link = page.locator("[data-testid='stCode'] code").first.inner_text().strip()
        assert "?c=" in link
        errors = list(page.console_errors)
    with chromium_page(width, height, dark) as other:
        other.goto(link)
        other.get_by_text("Ranking for your workload").wait_for(timeout=60000)
        assert "16 GB of GPU memory" in other.inner_text("body")
        assert errors == [] and other.console_errors == [], errors + other.console_errors
        if width < 600:
            assert other.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
