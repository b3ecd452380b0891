"""Parsers of ordinary answers: each returns the value, or None when it does not understand the text."""
from __future__ import annotations

import re

NUMBER_WORDS = {
    "zero": 0, "none": 0, "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "couple": 2, "pair": 2, "three": 3,
    "few": 3, "several": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "dozen": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "hundred": 100, "half": 0.5,
}
_NUM = r"(\d+(?:[.,]\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
SKIP_WORDS = re.compile(r"^\s*(skip|pass|don'?t know|dunno|not sure|no idea|default|whatever|idk)\b")


def _to_number(token: str) -> float:
    token = token.strip().lower()
    if token in NUMBER_WORDS:
        return float(NUMBER_WORDS[token])
    return float(token.replace(",", "."))


def _first_number(text: str) -> float | None:
    m = re.search(r"\b" + _NUM + r"\b", text)
    if m is None:
        m = re.search(r"(\d+(?:[.,]\d+)?)", text)
    return None if m is None else _to_number(m.group(1))


# ---------------------------------------------------------------------------------------------
# Parsers: each returns the value, or None when it does not understand the text.


def parse_kind(text: str):
    t = text.lower()
    has_train = re.search(r"\btrain", t) is not None
    has_infer = re.search(r"\b(inferenc\w*|infer\w*|serv(e|ing)|deploy\w*|predictions?)\b", t) is not None
    if re.search(r"\b(both|mix\w*|mixture|a bit of each|half and half|equally)\b", t) or (has_train and has_infer):
        return "mixed"
    if has_train:
        return "training"
    if has_infer:
        return "inference"
    return None


MEMORY_UNITS = ((r"(gb|gib|gigs?|gigabytes?|g\b)", 1.0), (r"(mb|mib|megabytes?)", 1 / 1024))
HOUR_UNITS = ((r"(hours?|hrs?|h)\b", 1.0), (r"(minutes?|mins?|m)\b", 1 / 60), (r"(days?)\b", 24.0))


def _quantity(text: str, units) -> float | None:
    """The first 'number unit' in text, converted: units are (pattern, factor) pairs tried in order."""
    for unit, factor in units:
        m = re.search(_NUM + r"\s*-?\s*" + unit, text)
        if m:
            return round(_to_number(m.group(1)) * factor, 3)
    return None


def parse_memory(text: str):
    t = text.lower()
    value = _quantity(t, MEMORY_UNITS)
    if value is not None:
        return value
    if re.search(r"\b(no|none|nothing|any|doesn'?t matter|not much|tiny|small)\b", t):
        return 0.0
    if re.fullmatch(r"\s*(about|around|roughly|~)?\s*" + _NUM + r"\s*", t):
        return _first_number(t)
    return None


def parse_hours(text: str, plain_number_ok: bool = True):
    t = text.lower()
    if re.search(r"\bhalf an? hour\b", t):
        return 0.5
    if re.search(r"\b(overnight|all night)\b", t):
        return 12.0
    if re.search(r"\b(all day|a day|one day|a full day)\b", t):
        return 24.0
    value = _quantity(t, HOUR_UNITS)
    if value is not None:
        return value
    if plain_number_ok and re.fullmatch(r"\s*(about|around|roughly|maybe|~)?\s*" + _NUM + r"\s*(a month|per month|monthly)?\s*", t):
        return _first_number(t)
    return None


def parse_count(text: str):
    t = text.lower()
    if re.search(r"\b(just one|only one|one at a time|single)\b", t):
        return 1
    if re.search(r"\b(or more|several|many|lots)\b", t):
        return max(3, int(_first_number(t) or 3))
    value = _first_number(t)
    if value is None:
        return None
    if value != int(value):
        return None
    return int(value)


def parse_budget(text: str):
    """(budget_usd_per_month or None, free_only) or None when not understood."""
    t = text.lower()
    if re.search(r"\b(free only|only free|free|nothing|no money|zero|\$0|broke)\b", t) and not re.search(r"\d", t.replace("$0", "")):
        return (None, True)
    if re.search(r"\b(no limit|unlimited|no budget|doesn'?t matter|any|whatever it takes|money is no object)\b", t):
        return (None, False)
    m = re.search(r"\$\s*(\d+(?:[.,]\d+)?)", t) or re.search(r"(\d+(?:[.,]\d+)?)\s*(\$|usd|dollars?|bucks)", t) \
        or re.search(_NUM + r"\s*(usd|dollars?|bucks)", t)
    if m:
        return (_to_number(m.group(1)), False)
    if re.fullmatch(r"\s*(about|around|up to|maybe|make (it|the budget)|budget( of| is)?)?\s*" + _NUM + r"\s*(a month|per month|monthly)?\s*", t):
        return (_first_number(t), False)
    m = re.search(r"budget\D{0,20}" + _NUM, t)
    if m:
        return (_to_number(m.group(1)), False)
    return None


def parse_predictability(text: str):
    t = text.lower()
    if re.search(r"\b(require|must|need|essential|critical|crucial|very|always|definitely|yes,? (it )?matters)\b", t) \
            and not re.search(r"\b(don'?t|do not|doesn'?t|no)\s+(need|care|matter)", t):
        return "require"
    if re.search(r"\b(prefer|nice|would like|somewhat|a bit|a little|bit|rather|yes|ideally)\b", t):
        return "prefer"
    if re.search(r"\b(any|doesn'?t matter|don'?t care|not important|no|nope|whatever|fine)\b", t):
        return "any"
    return None


def parse_needs(text: str):
    t = text.lower()
    found = set()
    if re.search(r"time-?out", t):
        found.add("selectable-timeout")
    if re.search(r"background|unattended|while (i'?m|i am) away|close (the|my) (tab|laptop|browser)", t):
        found.add("background")
    if re.search(r"deploy|as a service|serve|endpoint|\bapi\b", t):
        found.add("deployment")
    if re.search(r"privat|secret|confidential|not public", t):
        found.add("private")
    if found:
        return tuple(sorted(found))
    if re.search(r"\b(none|no|nothing|nope|not really|neither)\b", t):
        return ()
    return None


PARSERS = {
    "kind": parse_kind, "gpu_memory_gib": parse_memory, "session_hours": parse_hours,
    "gpu_hours_per_month": parse_hours, "notebooks_at_once": parse_count, "budget": parse_budget,
    "predictability": parse_predictability, "needs": parse_needs,
}

# Words that point at one field, for changes made out of turn ("make the budget 20", "actually I need 24 GB").
FIELD_MARKERS = {
    "budget": r"budget|\$|\bbucks\b|\bdollars?\b|\busd\b|free only|only free|no limit",
    "gpu_memory_gib": r"\d\s*(gb|gib|gigs?)\b|\bmemory\b|\bvram\b|\bgigs?\b",
    "session_hours": r"\bsession|\buninterrupted|\blongest\b|\bin one go\b|\brun(s)? (of|for|take)",
    "gpu_hours_per_month": r"(a|per|each|every)\s+month|\bmonthly hours|\bgpu hours",
    "notebooks_at_once": r"\bnotebooks?\b|\bat (the same time|once)\b|\bconcurrent",
    "predictability": r"predictab|consisten|reliab|\bvariance\b|\bspread\b",
    "kind": r"\btrain(ing)?\b|\binference\b",
    "needs": r"time-?out|\bbackground\b|\bdeploy|\bprivate\b",
}


def mentioned_fields(text: str) -> list[str]:
    t = text.lower()
    found = [k for k, pattern in FIELD_MARKERS.items() if re.search(pattern, t)]
    # "$10 a month" is a budget, not hours a month.
    if "budget" in found and "gpu_hours_per_month" in found and not re.search(r"hours?", t):
        found.remove("gpu_hours_per_month")
    return found


