"""End to end: `streamlit run app.py` headless, driven in headless Chromium (Debian's package) with Playwright:
the chat to a recommendation, and a real file upload of a bad run."""
import shutil

import pytest

from browser import chromium_page, send_chat, streamlit_server

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with streamlit_server({"ADVISOR_RUNS_DB": str(tmp_path_factory.mktemp("e2e") / "runs.sqlite")}) as url:
        yield url


def test_chat_to_a_recommendation_in_a_real_browser(server):
    with chromium_page() as page:
        page.goto(server)
        page.get_by_text("Hi!").wait_for(timeout=60000)
        page.get_by_role("button", name="Training").click()
        page.get_by_text("Got it: training").wait_for(timeout=30000)
        for text, expect in [("16 gigs", "16 GB of GPU memory"), ("about 6 hours", "runs of up to 6 hours"),
                             ("40 hours a month", "40 GPU hours a month"), ("just one", "1 notebook at once"),
                             ("blah blah", "didn't understand"), ("10 bucks", "a budget of $10"),
                             ("doesn't matter", "predictability doesn't matter"), ("none", "Here is my ranking")]:
            send_chat(page, text, expect)
        page.get_by_text("Ranking for your workload").wait_for(timeout=30000)
        assert page.get_by_test_id("stDataFrame").count() >= 1
        page.locator(".vega-embed").first.wait_for(timeout=30000)  # the charts rendered
        assert page.get_by_text("Traceback").count() == 0


def test_uploading_a_bad_file_shows_a_message(server, tmp_path):
    bad = tmp_path / "run.json"
    bad.write_text('{"mode": "turbo"}')
    with chromium_page() as page:
        page.goto(server)
        page.get_by_text("Hi!").wait_for(timeout=60000)
        page.get_by_text("Benchmark", exact=True).click()
        page.get_by_text("Your runs").wait_for(timeout=30000)
        page.locator("input[type=file]").set_input_files(str(bad))
        page.get_by_text("Not imported").wait_for(timeout=30000)
        assert page.get_by_text("No runs yet").count() == 1
