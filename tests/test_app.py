"""Tests of the Streamlit app with streamlit.testing.v1.AppTest, one per finding of the newcomer probe where the app
(not the chat's parser) was at fault, plus each page. The benchmark is replaced at its boundary (run_benchmark), as
no TensorFlow run belongs in an app test."""
import datetime as dt
import json

import pytest
import streamlit as st
from conftest import ROOT
from sample_runs import valid_quick_run, valid_run
from streamlit.testing.v1 import AppTest

import advisor.bench
import advisor.bench.runner
from advisor.bench.runner import Progress
from advisor.runs.record import run_from_json

# A conversation every version of the chat understands: one plain answer per question.
ANSWERS = ["training", "16 GB", "6 hours", "40 hours a month", "1", "$10", "doesn't matter", "none"]


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def table(at, column: str):
    """The first table on the page that has this column (dataframes take no key in AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def chat(at, *messages):
    for message in messages:
        at.chat_input(key="chat-box").set_value(message).run()
        assert not at.exception, at.exception
    return at


def test_first_page_greets_and_offers_quick_replies():
    at = app()
    assert "training" in markdown(at).lower()
    assert len(at.button) >= 3


def test_a_whole_conversation_ends_in_a_verdict_above_the_ranking():
    at = chat(app(), *ANSWERS)
    assert any("Ranking for your workload" in s.value for s in at.subheader)
    ranking = table(at, "$/month")
    # One line above the table names the first plan and why; price and score come first in the table (phones).
    assert at.success[0].value.startswith(ranking["plan"].iloc[0] + " (")
    assert ranking.columns[:4].tolist() == ["#", "plan", "$/month", "training score"]


def test_prices_never_render_as_mathematics():
    # Streamlit draws $...$ as mathematics: every $ the app writes in Markdown must be escaped.
    at = chat(app(), *ANSWERS)
    for element in list(at.markdown) + list(at.success) + list(at.expander):
        text = getattr(element, "value", "") or ""
        unescaped = [i for i, c in enumerate(text) if c == "$" and (i == 0 or text[i - 1] != "\\")]
        assert not unescaped, text


def test_the_users_own_dollars_and_markup_are_shown_as_typed():
    at = chat(app(), "is $5 or $10 **better**?")
    user = [m for m in at.chat_message if m.name == "user"][-1]
    assert user.markdown[0].value == "is \\$5 or \\$10 \\*\\*better\\*\\*?"


def test_a_message_of_only_spaces_is_ignored():
    at = app()
    before = len(at.chat_message)
    chat(at, "   ")
    assert len(at.chat_message) == before


def test_quick_replies_answer_the_question():
    at = app()
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["chat"]["state"] != app().session_state["chat"]["state"]


def test_the_chat_log_scrolls_in_its_own_box_so_the_newest_reply_stays_in_view():
    at = chat(app(), *ANSWERS)
    # The log is a fixed-height container that follows new messages (the browser test checks the viewport).
    assert at.session_state["chat"]["messages"][-1][0] == "assistant"


def test_jargon_is_explained_where_it_appears():
    at = chat(app(), *ANSWERS)
    explained = "\n".join(m.value for m in at.markdown)
    for term in ("AI score", "p10–p90", "per 1,000 points", "estimated"):
        assert term in explained, term


def test_the_form_has_free_plans_only_and_human_labels():
    at = app("form")
    assert "Free plans only" in at.radio(key="form-budget-kind").options
    assert "private notebooks" in at.multiselect(key="form-needs").options
    at.radio(key="form-budget-kind").set_value("Free plans only")
    at.button[0].click().run()
    ranking = table(at, "$/month")
    assert not at.exception and set(ranking["$/month"]) == {"$0.00"}


def test_the_form_refuses_negative_memory_with_a_message():
    at = app("form")
    at.number_input(key="form-gpu_memory_gib").set_value(-5.0)
    at.button[0].click().run()
    assert any("GPU memory" in e.value and "from 0" in e.value for e in at.error)
    assert not any("Ranking" in s.value for s in at.subheader)


def test_compare_page_shows_the_articles_world():
    at = app("compare")
    at.date_input(key="compare-as-of").set_value(dt.date(2022, 6, 1)).run()
    plans = table(at, "AI score")
    colab = plans[plans["plan"] == "Google Colab Free"].iloc[0]
    assert not at.exception and "K80" in colab["GPU"] and colab["AI score"] == 10773


def test_data_page_lists_sources_and_flags_stale_disputed_and_estimated():
    at = app("data")
    facts = table(at, "fact")
    assert facts["source"].str.len().min() > 0 and facts["stale"].any()
    assert (facts["status"] == "disputed by another current source").any()
    scores = table(at, "measured or estimated")
    assert scores["measured or estimated"].str.startswith("estimated").any()


def test_a_bad_upload_is_refused_with_a_message_and_nothing_is_kept():
    at = app("benchmark")
    at.text_area(key="bench-pasted").input('{"mode": "turbo"}').run()
    at.button(key="bench-import").click().run()
    assert any("Not imported" in e.value for e in at.error)
    assert any("No runs yet" in c.value for c in at.caption)


def test_an_implausible_pasted_run_is_refused_like_an_import_and_a_good_one_is_kept_once():
    # A score three times the fastest measured device is refused here as by `advisor import` and POST /runs.
    at = app("benchmark")
    fake = valid_run(scores={"ai": 900000, "inference": 450000, "training": 450000})
    at.text_area(key="bench-pasted").input(json.dumps(fake)).run()
    at.button(key="bench-import").click().run()
    assert any("Not imported" in e.value for e in at.error)
    assert any("No runs yet" in c.value for c in at.caption)
    at.text_area(key="bench-pasted").input(json.dumps(valid_run())).run()
    at.button(key="bench-import").click().run()
    assert any("Imported 1 run " in s.value for s in at.success), [s.value for s in at.success]
    at.button(key="bench-import").click().run()
    assert any("Imported 0 runs" in s.value and "1 already stored" in s.value for s in at.success)


def test_the_benchmark_page_says_how_long_the_last_complete_quick_run_took():
    at = app("benchmark")
    assert not any("Your last quick run" in m.value for m in at.markdown)
    at.text_area(key="bench-pasted").input(json.dumps(valid_quick_run())).run()
    at.button(key="bench-import").click().run()
    at.run()
    assert any("Your last quick run here took 60 s." in m.value for m in at.markdown)


def test_the_upload_box_says_its_real_limit():
    at = app("benchmark")
    assert at.get("file_uploader")[0].proto.max_upload_size_mb == 1


def test_benchmark_result_shows_times_faster_per_plan(monkeypatch):
    # A stand-in for run_benchmark, which would start TensorFlow: it reports progress and returns a run as the worker
    # would. No GPU or TensorFlow run is possible in an app test.
    def fake_run(mode, force_cpu, platform, progress=None, should_stop=None, gpus=None):
        progress(Progress("1.1", "MobileNet-V2", 1, 2, 3.0, 3.0, "ok"))
        return run_from_json(valid_run(mode=str(mode), platform=platform, partial=False))

    monkeypatch.setattr(advisor.bench.runner, "run_benchmark", fake_run)
    monkeypatch.setattr(advisor.bench, "tensorflow_status", lambda: (True, "installed"))
    at = app("benchmark")
    at.button(key="bench-run").click().run()
    job = at.session_state["bench_job"]
    job._thread.join(30)
    at.run()
    assert not at.exception and job.error is None
    speedups = table(at, "times faster")
    assert list(speedups.columns[:2]) == ["GPU", "times faster"] and "plans and prices" in speedups.columns
    assert speedups["times faster"].is_monotonic_decreasing
    assert "your job" in speedups.columns


def test_a_quick_result_shows_each_part_as_an_estimate_with_its_interval_and_what_it_rests_on(monkeypatch):
    # The same stand-in for run_benchmark (no TensorFlow in an app test); its progress carries no estimate yet.
    def fake_run(mode, force_cpu, platform, progress=None, should_stop=None, gpus=None):
        progress(Progress("1.1", "MobileNet-V2", 1, 2, 3.0, 40.0, "ok", None, 45.0))
        return run_from_json(valid_quick_run(platform=platform))

    monkeypatch.setattr(advisor.bench.runner, "run_benchmark", fake_run)
    monkeypatch.setattr(advisor.bench, "tensorflow_status", lambda: (True, "installed"))
    at = app("benchmark")
    at.button(key="bench-run").click().run()
    at.session_state["bench_job"]._thread.join(30)
    at.run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown == {"AI score": "~12,000", "inference score": "~6,000", "training score": "~6,000"}
    captions = " ".join(c.value for c in at.caption)
    assert "interval 10,800–13,200" in captions and "interval 5,400–6,700" in captions
    assert any("from 2 sub-tests in 44 s of a 45 s budget" in m.value for m in at.markdown)


def test_without_tensorflow_the_benchmark_page_says_how_to_install_and_the_rest_works(monkeypatch):
    monkeypatch.setattr(advisor.bench, "tensorflow_status",
                        lambda: (False, "The live benchmark needs tensorflow: pip install tensorflow==2.21.0"))
    at = app("benchmark")
    assert any("pip install tensorflow" in w.value for w in at.warning)
    at.switch_page("app_pages/chat.py").run()
    assert not at.exception and at.chat_input(key="chat-box")


def test_a_good_pasted_run_is_imported():
    at = app("benchmark")
    at.text_area(key="bench-pasted").input(json.dumps(valid_run(partial=False))).run()
    at.button(key="bench-import").click().run()
    assert any("Imported 1 run" in s.value for s in at.success)


def test_the_ranking_learns_from_your_runs_and_says_so():
    at = app("benchmark")
    at.text_area(key="bench-pasted").input(json.dumps(valid_run(partial=False))).run()
    at.button(key="bench-import").click().run()
    at.switch_page("app_pages/chat.py").run()
    # A free T4 plan leads this ranking, so the run (a T4's) is what its score rests on.
    chat(at, "training", "12 GB", "6 hours", "40 hours a month", "1", "free", "doesn't matter", "none")
    captions = "\n".join(c.value for c in at.caption)
    assert "your runs" in captions
    at.selectbox(key="chat-evidence").set_value(next(o for o in at.selectbox(key="chat-evidence").options
                                                     if "catalog only" in str(o))).run()
    assert "your runs" not in "\n".join(c.value for c in at.caption)


# ---------------------------------------------------------------------------------------------
# The app keeps the user's work (UX probe defect 19): the conversation lives in the URL, a link reproduces it,
# and the "what I understood" panel lists every answer with a way to change it.

def test_the_conversation_lives_in_the_url_and_a_fresh_session_replays_it():
    from advisor.chat import share

    at = chat(app(), *ANSWERS[:3], "sorry, I meant 24 gb")
    link = at.query_params["c"]
    link = link[0] if isinstance(link, list) else link
    assert share.decode(link) == ANSWERS[:3] + ["sorry, I meant 24 gb"]
    # A reload is a fresh session with the same URL: the conversation and its answers come back.
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    again.query_params["c"] = link
    again.run()
    assert not again.exception, again.exception
    text = markdown(again)
    assert "sorry, I meant 24 gb" in text and "24 GB of GPU memory" in text


def test_a_shared_link_to_a_finished_conversation_shows_the_ranking():
    from advisor.chat import share

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["c"] = share.encode(ANSWERS)
    at.run()
    assert not at.exception, at.exception
    assert any("Ranking for your workload" in s.value for s in at.subheader)
    assert any("?c=" in c.value for c in at.code)  # the link is shown to copy


def test_a_damaged_link_starts_a_fresh_conversation_with_a_note():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["c"] = "not-a-conversation"
    at.run()
    assert not at.exception, at.exception
    assert "could not be read" in markdown(at)


def test_the_understood_panel_edits_an_answer_in_place():
    at = chat(app(), "training, 16 GB, dataset of 40 GB")
    text = markdown(at)
    assert "What I understood" in text and "16 GB of GPU memory" in text and "dataset size" in text
    # Edited in place: the new answer replaces the old one, the rest is kept, and the edit is in the link.
    at.text_input(key="edit-gpu_memory_gib-text").set_value("24 gigs")
    next(b for b in at.button if b.label == "Save" and "gpu_memory_gib" in str(b.id)).click().run()
    assert not at.exception, at.exception
    panel = [m.value for m in at.markdown if m.value.startswith(("GPU memory:", "dataset size:"))]
    assert panel == ["GPU memory: **24 GB of GPU memory**", "dataset size: **40**"]
    # "Ask me again" forgets the answer and asks its question; a passing fact can be forgotten.
    next(b for b in at.button if b.label == "Ask me again" and "gpu_memory_gib" in str(b.id)).click().run()
    assert "Let's change the GPU memory" in markdown(at)
    at.button(key="change-dataset_gib").click().run()
    panel = [m.value for m in at.markdown if m.value.startswith(("GPU memory:", "dataset size:"))]
    assert panel == []


def test_the_benchmark_compares_this_machine_with_every_gpu_the_plans_offer():
    # UX probe defect 17: the table listed the 15 fastest plan rows, no free plan, no price.
    from advisor import load_catalog
    from advisor.present.rows import machine_comparison_rows

    catalog = load_catalog()
    rows = machine_comparison_rows(catalog, 560.0, reference_hours=10)
    gpus = [r["GPU"] for r in rows]
    assert len(gpus) == len(set(gpus)) and len(rows) >= 10  # one row per GPU, all of them
    assert [r["times faster"] for r in rows] == sorted((r["times faster"] for r in rows), reverse=True)
    offers = "; ".join(r["plans and prices"] for r in rows)
    assert "Kaggle Notebooks Free: free" in offers and "/h" in offers and "/month" in offers
    for plan in catalog.plans.values():
        if plan.options:
            assert plan.label in offers or not any(True for _ in plan.options)


def test_the_form_has_a_box_for_every_workload_field_it_does_not_lay_out_itself():
    # One declaration per field (workload.FIELDS): a field added there appears on the form with its label and help.
    from advisor.workload import FIELDS

    at = app("form")
    keys = {w.key for w in list(at.number_input) + list(at.selectbox) + list(at.multiselect) + list(at.checkbox)
            + list(at.text_input) + list(at.radio)}
    missing = [s.name for s in FIELDS if not s.name.startswith("reference") and f"form-{s.name}" not in keys
               and s.name not in ("free_only", "budget_usd_per_month", "nice_to_have", "needs")]
    assert missing == []
    at.number_input(key="form-dataset_gib").set_value(40.0)
    at.selectbox(key="form-prefer").set_value(next(iter(FIELDS[[s.name for s in FIELDS].index("prefer")].choices)))
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state["form_workload"].dataset_gib == 40.0


def test_a_form_error_leaves_no_stale_ranking_under_it():
    # UX probe defect 25: after an error the previous ranking stayed under it, unmarked.
    at = app("form")
    at.button[0].click().run()
    assert any("Ranking for your workload" in s.value for s in at.subheader)
    at.number_input(key="form-gpu_memory_gib").set_value(-5.0)
    at.button[0].click().run()
    assert at.error and not any("Ranking for your workload" in s.value for s in at.subheader)


def test_the_reference_job_shows_in_the_ranking_in_the_same_rerun():
    # UX probe defect 16: the job's hours appeared one interaction late (after the next message).
    at = chat(app(), *ANSWERS)
    assert "your job" not in table(at, "$/month").columns
    at.number_input(key="chat-ref-hours").set_value(10.0)
    at.selectbox(key="chat-ref-device").set_value(next(o for o in at.selectbox(key="chat-ref-device").options
                                                        if "T4" in o))
    at.run()
    assert not at.exception, at.exception
    # A reference GPU is timed by the job model: hours with their p10-p90 and sessions on each plan.
    assert "your job" in table(at, "$/month").columns and "p10-p90" in table(at, "$/month")["your job"].iloc[0]


def test_the_chat_said_reference_job_reaches_the_ranking():
    # "my epoch takes 20 minutes on Colab's T4" said in the chat is the reference job of the ranking.
    at = chat(app(), *ANSWERS, "my epoch takes 20 minutes on Colab's T4")
    assert "your job" in table(at, "$/month").columns


def test_a_model_named_shows_what_was_derived_and_the_job_on_every_plan():
    # Issue 17: a newcomer who names a model gets the memory need and the hours and money to finish per plan.
    from streamlit.testing.v1 import AppTest

    def page():  # runs in the app's own script: everything it needs is imported here
        from advisor import Workload, load_catalog, recommend
        from app_pages.result_view import show_result

        catalog = load_catalog()
        workload = Workload(kind="training", model="llama 3 8b", method="qlora", samples=20_000)
        show_result(catalog, workload, recommend(catalog, workload), "t")

    at = AppTest.from_function(page).run(timeout=60)
    assert not at.exception
    assert any("Your job: Llama 3 8B" in i.value and "GiB" in i.value for i in at.info)
    assert "your job takes about" in at.success[0].value
