"""The chat page: the questionnaire as a conversation, the newest reply always in view above the box, quick replies,
and the ranking (with any what-if beside it) below."""
from dataclasses import replace

import streamlit as st

from advisor import AdvisorError
from advisor.chat import chat_turn
from advisor.present.labels import escape_markdown, plain_markdown
from app_pages.common import catalog_today, evidence_selector, focus_chat_input, ranked, reference_kwargs
from app_pages.result_view import show_result

st.title("Which GPU notebook plan fits your work?")
catalog = catalog_today()
if "chat" not in st.session_state:
    first = chat_turn(catalog, None, None)
    st.session_state.chat = {"state": first.state, "messages": [("assistant", first.reply)],
                             "quick": first.quick_replies, "what_if": None, "workload": None, "done": False}
chat = st.session_state.chat


def send(text: str) -> None:
    """One turn: the user's message, then the reply. A message of only spaces is ignored."""
    if not text or not text.strip():
        return
    try:
        turn = chat_turn(catalog, chat["state"], text, **reference_kwargs())
        chat["messages"].append(("user", text))
        chat["messages"].append(("assistant", turn.reply))
    except AdvisorError as exc:
        turn = chat_turn(catalog, None, None)
        chat["messages"].append(("assistant", f"Something in the conversation went wrong ({exc}); let's start over."))
    chat.update(state=turn.state, quick=turn.quick_replies, what_if=turn.what_if, workload=turn.workload,
                done=turn.done)


pending = st.session_state.pop("quick_reply", None)
if pending:
    send(pending)

# The conversation scrolls inside its own box, which keeps the newest reply in view just above the input.
with st.container(height=460, autoscroll=True, key="chat-log"):
    for role, text in chat["messages"]:
        with st.chat_message(role):
            st.markdown(plain_markdown(text) if role == "user" else escape_markdown(text))
if chat["quick"]:
    with st.container(horizontal=True, key="quick-replies"):
        for i, label in enumerate(chat["quick"]):
            if st.button(label, key=f"quick-{len(chat['messages'])}-{i}"):
                st.session_state.quick_reply = label
                st.rerun()
# Inside a container the box sits right under the conversation instead of being pinned to the bottom of the page,
# so after each answer the reply is in view even when the ranking below is long.
with st.container(key="chat-input-row"):
    typed = st.chat_input("Your answer, or ask: 'why not Colab?', 'what if I had $20?', 'undo'", key="chat-box",
                          max_chars=2000)
if typed is not None:
    send(typed)
    st.rerun()
focus_chat_input()

if chat["done"] and chat["workload"] is not None:
    try:
        # The reference job may have changed since the last turn: it is read afresh.
        plain = replace(chat["workload"], reference_hours=None, reference_score=None, reference_gpu=None)
        workload = replace(plain, **reference_kwargs())
        if chat["what_if"]:
            hypothetical, what_if_recs = chat["what_if"]
            st.info("The ranking below is a what-if; your answers are unchanged.")
            show_result(catalog, hypothetical, what_if_recs, key="what-if")
            st.divider()
        evidence_selector("chat")
        show_result(catalog, workload, ranked(catalog, workload), key="chat")
    except AdvisorError as exc:
        st.error(f"Could not rank the plans: {exc}")
