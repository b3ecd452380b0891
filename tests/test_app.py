"""Tests of the Streamlit app with streamlit.testing.v1.AppTest: the chat to a recommendation, changing an answer,
nonsense, quick replies, the form, compare and data pages, a bad upload, and the benchmark page with the benchmark
replaced at its boundary (run_benchmark) so no TensorFlow run is needed there."""
import datetime as dt
import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import advisor.bench
import advisor.bench.runner
from advisor.bench.runner import Progress
from advisor.store import run_from_json
from conftest import ROOT
from sample_runs import valid_run

ANSWERS = ["training mostly", "16 gigs", "about 6 hours", "40 hours a month", "just one", "10 bucks",
           "doesn't matter", "none"]


@pytest.fixture(autouse=True)
def isolated_store(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVISOR_RUNS_DB", str(tmp_path / "runs.sqlite"))
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception
    return at


def all_markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def chat(at, *messages):
    for message in messages:
        at.chat_input[0].set_value(message).run()
        assert not at.exception, at.exception
    return at


def test_first_page_greets_and_asks_the_first_question():
    at = app()
    assert "Hi!" in all_markdown(at) and "training" in all_markdown(at)
    assert [b.label for b in at.button][:3] == ["Training", "Inference", "A mix"]


def test_a_whole_chat_conversation_ends_in_a_ranking_with_charts():
    at = chat(app(), *ANSWERS)
    text = all_markdown(at)
    assert "Your answers" in text and "Here is my ranking" in text
    assert any("Ranking for your workload" in s.value for s in at.subheader)
    assert len(at.dataframe) >= 1
    assert "Best value" in text


def test_changing_an_answer_updates_the_recommendation():
    at = chat(app(), *ANSWERS)
    before = at.dataframe[0].value
    chat(at, "make the budget 60")
    assert "Updated: a budget of $60" in all_markdown(at)
    assert len(at.dataframe[0].value) > len(before)  # more plans fit a bigger budget


def test_a_nonsense_answer_gets_a_specific_re_ask():
    at = chat(app(), "training", "purple elephant")
    assert "didn't understand" in all_markdown(at) and "16 GB" in all_markdown(at)
    assert not at.error


def test_quick_reply_buttons_answer_the_question():
    at = app()
    at.button[0].click().run()  # "Training"
    assert "Got it: training" in all_markdown(at)


def test_why_not_colab_follow_up():
    at = chat(app(), *ANSWERS, "why not Colab?")
    assert "Colab" in at.chat_message[-1].markdown[0].value


def test_the_form_leads_to_the_same_result_view():
    at = app()
    at.sidebar.radio(key="page").set_value("Form").run()
    at.number_input[0].set_value(16.0)
    at.number_input[2].set_value(40.0)
    at.button[0].click().run()
    assert not at.exception
    assert any("Ranking for your workload" in s.value for s in at.subheader)


def test_compare_page_shows_the_articles_world():
    at = app()
    at.sidebar.radio(key="page").set_value("Compare plans").run()
    at.date_input[0].set_value(dt.date(2022, 6, 1)).run()
    assert not at.exception
    table = at.dataframe[0].value
    colab = table[table["plan_id"] == "colab-free"].iloc[0]
    assert "K80" in colab["GPU"] and colab["AI score"] == 10773


def test_data_page_lists_sources_and_flags_stale_and_estimated():
    at = app()
    at.sidebar.radio(key="page").set_value("Data").run()
    assert not at.exception
    facts = at.dataframe[0].value
    assert facts["source"].str.len().min() > 0 and facts["stale?"].any()
    scores = next(d.value for d in at.dataframe if "measured or estimated" in d.value.columns)
    assert (scores["measured or estimated"] == "ESTIMATE").any()


def test_a_bad_upload_is_refused_with_a_message_and_nothing_is_kept():
    at = app()
    at.sidebar.radio(key="page").set_value("Benchmark").run()
    at.text_area(key="pasted-run").input('{"mode": "turbo"}').run()
    next(b for b in at.button if b.label == "Import pasted JSON").click().run()
    assert not at.exception
    assert any("Not imported" in e.value for e in at.error)
    assert any("No runs yet" in c.value for c in at.caption)


def test_a_good_pasted_run_is_imported():
    at = app()
    at.sidebar.radio(key="page").set_value("Benchmark").run()
    at.text_area(key="pasted-run").input(json.dumps(valid_run(partial=False))).run()
    next(b for b in at.button if b.label == "Import pasted JSON").click().run()
    assert any("Imported 1 run" in s.value for s in at.success)
    assert "colab-free: n=1" in all_markdown(at)


def test_benchmark_page_runs_with_the_benchmark_replaced_at_its_boundary(monkeypatch):
    # run_benchmark would start TensorFlow; this stand-in reports progress and returns a run as the worker would.
    def fake_run(mode, force_cpu, platform, progress=None, should_stop=None, gpus=None):
        progress(Progress("1.1", "MobileNet-V2", 1, 2, 3.0, 3.0, "ok"))
        return run_from_json(valid_run(mode=mode, platform=platform, partial=False))

    monkeypatch.setattr(advisor.bench.runner, "run_benchmark", fake_run)
    monkeypatch.setattr(advisor.bench, "tensorflow_status", lambda: (True, "installed"))
    at = app()
    at.sidebar.radio(key="page").set_value("Benchmark").run()
    next(b for b in at.button if b.label == "Run the benchmark").click().run()
    job = at.session_state["bench_job"]
    job._thread.join(30)
    at.run()
    assert not at.exception and job.error is None
    from advisor.store import RunStore

    saved = RunStore().list()  # the page saved the run in the (temporary) store
    assert len(saved) == 1 and saved[0].run.scores.ai == 12000
    assert any(m.label.startswith("AI score") for m in at.metric)
    assert "would beat this machine in" in all_markdown(at)


def test_without_tensorflow_the_benchmark_page_says_how_to_install_and_the_rest_works(monkeypatch):
    monkeypatch.setattr(advisor.bench, "tensorflow_status",
                        lambda: (False, "The live benchmark needs tensorflow: pip install tensorflow==2.21.0"))
    at = app()
    at.sidebar.radio(key="page").set_value("Benchmark").run()
    assert any("pip install tensorflow" in w.value for w in at.warning)
    at.sidebar.radio(key="page").set_value("Chat").run()
    assert not at.exception and "Hi!" in all_markdown(at)
