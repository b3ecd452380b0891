"""The chat page: the questionnaire as a conversation, the newest reply always in view above the box, quick replies,
a live "what I understood" panel with a way to change each answer, and the ranking (with any what-if beside it)
below. The conversation lives in the page's URL (?c=...), so a reload keeps it and the link shares it."""
from dataclasses import replace

import streamlit as st

from advisor import AdvisorError
from advisor.chat import chat_turn, share
from advisor.chat.conversation import understood
from advisor.chat.questions import QUESTION_BY_NAME
from advisor.present.labels import escape_markdown, plain_markdown
from app_pages.common import (
    catalog_today,
    evidence_selector,
    focus_chat_input,
    phone_layout,
    ranked,
    reference_kwargs,
)
from app_pages.result_view import show_result

st.title("Which GPU notebook plan fits your work?")
phone_layout()
catalog = catalog_today()


def _start() -> dict:
    """The conversation of the link (?c=...) replayed, else a fresh one."""
    said, note = [], None
    link = st.query_params.get(share.QUERY_KEY)
    if link:
        try:
            said = share.decode(link)
        except AdvisorError as exc:
            note = f"The link's conversation could not be read ({exc})."
    turn, transcript = share.replay(catalog, said)
    if note:
        transcript.append(("assistant", note))
    return {"state": turn.state, "messages": transcript, "said": said, "quick": turn.quick_replies,
            "what_if": turn.what_if, "workload": turn.workload, "done": turn.done}


if "chat" not in st.session_state:
    st.session_state.chat = _start()
chat = st.session_state.chat


def send(text: str) -> None:
    """One turn: the user's message, then the reply. A message of only spaces is ignored."""
    if not text or not text.strip():
        return
    try:
        turn = chat_turn(catalog, chat["state"], text, **reference_kwargs())
        chat["messages"].append(("user", text))
        chat["messages"].append(("assistant", turn.reply))
        chat["said"].append(text)
    except AdvisorError as exc:
        turn = chat_turn(catalog, None, None)
        chat["said"] = []
        chat["messages"].append(("assistant", f"Something in the conversation went wrong ({exc}); let's start over."))
    chat.update(state=turn.state, quick=turn.quick_replies, what_if=turn.what_if, workload=turn.workload,
                done=turn.done)
    # The URL carries the conversation: a reload replays it, and the address is a link to share.
    if chat["said"]:
        st.query_params[share.QUERY_KEY] = share.encode(chat["said"])
    else:
        st.query_params.pop(share.QUERY_KEY, None)


pending = st.session_state.pop("quick_reply", None)
for message in [pending] if isinstance(pending, str) else pending or []:
    send(message)

talk, panel = st.columns([3, 1], gap="medium")
with panel, st.container(key="understood"):
    st.markdown("**What I understood**")
    rows = understood(chat["state"])
    if not rows:
        st.caption("Nothing yet: your answers appear here as you give them.")
    for row in rows:
        line, button = st.columns([4, 1], vertical_alignment="center")
        line.markdown(f"{escape_markdown(row.label)}: **{escape_markdown(row.text)}**")
        question = QUESTION_BY_NAME.get(row.name)
        if question is None:  # a fact said in passing (a dataset size, a model): it can be forgotten
            if button.button("Forget", key=f"change-{row.name}", help="Forget this answer"):
                st.session_state.quick_reply = [row.change]
                st.rerun()
            continue
        # Edited in place: the new answer goes to that question's own reading, as two turns of the conversation
        # ("change the budget", "$35"), so the link and a reload replay the edit.
        with button.popover("Change", help=f"Change the {row.label}"), st.form(key=f"edit-{row.name}", border=False):
            new_answer = st.text_input(f"New {row.label}", key=f"edit-{row.name}-text",
                                       placeholder=question.example.replace("'", ""), max_chars=500)
            save, again = st.columns(2)
            if save.form_submit_button("Save") and new_answer.strip():
                st.session_state.quick_reply = [row.change, new_answer]
                st.rerun()
            if again.form_submit_button("Ask me again"):
                st.session_state.quick_reply = [row.change]
                st.rerun()
    if chat["said"]:
        base = str(getattr(st.context, "url", "") or "").split("?")[0]
        st.caption("Link to this conversation (it also lives in the address bar; reloading keeps it):")
        st.code(f"{base}?{share.QUERY_KEY}={share.encode(chat['said'])}", language=None, wrap_lines=True)

# The conversation scrolls inside its own box, which keeps the newest reply in view just above the input.
with talk, st.container(height=460, autoscroll=True, key="chat-log"):
    for role, text in chat["messages"]:
        with st.chat_message(role):
            st.markdown(plain_markdown(text) if role == "user" else escape_markdown(text))
if chat["quick"]:
    with talk, st.container(horizontal=True, key="quick-replies"):
        for i, label in enumerate(chat["quick"]):
            if st.button(label, key=f"quick-{len(chat['messages'])}-{i}"):
                st.session_state.quick_reply = label
                st.rerun()
# Inside a container the box sits right under the conversation instead of being pinned to the bottom of the page,
# so after each answer the reply is in view even when the ranking below is long.
with talk, st.container(key="chat-input-row"):
    typed = st.chat_input("Your answer, or ask: 'why not Colab?', 'what if I had $20?', 'undo'", key="chat-box",
                          max_chars=2000)
if typed is not None:
    send(typed)
    st.rerun()
focus_chat_input()

if chat["done"] and chat["workload"] is not None:
    try:
        # The reference job may have changed since the last turn: it is read afresh; one set on the page replaces
        # one said in the chat ("my epoch takes 20 minutes on a T4").
        workload = chat["workload"]
        if reference_kwargs():
            plain = replace(workload, reference_hours=None, reference_score=None, reference_gpu=None)
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
