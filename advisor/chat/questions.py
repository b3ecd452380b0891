"""The questionnaire: one record per question owns its prompt, quick replies, default and example."""
from __future__ import annotations

from dataclasses import dataclass

@dataclass(frozen=True)
class Question:
    """One questionnaire step: the field it fills, how it asks, quick replies, and the default on 'skip'."""

    key: str
    prompt: str
    quick_replies: tuple[str, ...]
    default: object
    default_text: str
    example: str


QUESTIONS = (
    Question("kind", "What will you mostly do on the GPU: **training**, **inference**, or a **mix**?",
             ("Training", "Inference", "A mix", "Skip"), "mixed", "a mix of training and inference",
             "'training mostly', 'inference' or 'a bit of both'"),
    Question("gpu_memory_gib", "How much **GPU memory** does your model need?",
             ("8 GB", "16 GB", "24 GB", "40 GB", "Don't know"), 0.0, "no particular GPU memory",
             "'16 GB', '24 gigs' or 'don't know'"),
    Question("session_hours", "How long is your **longest uninterrupted run**?",
             ("1 hour", "6 hours", "12 hours", "24 hours", "Skip"), 2.0, "runs of up to 2 hours",
             "'about 6 hours', '90 minutes' or 'a day'"),
    Question("gpu_hours_per_month", "About how many **GPU hours a month** will you use?",
             ("10 hours", "40 hours", "100 hours", "300 hours", "Skip"), 20.0, "20 GPU hours a month",
             "'40 hours a month' or 'about 100'"),
    Question("notebooks_at_once", "How many **notebooks must run at the same time**?",
             ("Just one", "Two", "Three or more", "Skip"), 1, "one notebook at a time", "'one', 'two notebooks' or '3'"),
    Question("budget", "What is your **monthly budget**?",
             ("Free only", "$10", "$50", "No limit", "Skip"), None, "no budget limit",
             "'$10 a month', '10 bucks', 'free only' or 'no limit'"),
    Question("predictability", "How much does a **predictable run time** matter (same speed every session)?",
             ("Doesn't matter", "I'd prefer it", "I need it", "Skip"), "any", "predictability doesn't matter",
             "'doesn't matter', 'I'd prefer it' or 'I need it to be predictable'"),
    Question("needs", "Do you need any of: a **selectable timeout**, **background** execution, **deployment** as a "
                      "service, **private** notebooks?",
             ("None", "Private notebooks", "Background execution", "Selectable timeout", "Deployment"), (),
             "no special features", "'none', 'private notebooks' or 'background and deployment'"),
)
QUESTION_BY_KEY = {q.key: q for q in QUESTIONS}
FIELD_NAMES = {"kind": "kind of work", "gpu_memory_gib": "GPU memory", "session_hours": "longest run",
               "gpu_hours_per_month": "GPU hours a month", "notebooks_at_once": "notebooks at once",
               "budget": "budget", "predictability": "predictability", "needs": "needs"}


