"""The chat's parsing layer, apart from the conversation: tokens, numbers, quantities with units and rates, phrase
matching with negation scope and typo tolerance. `read(text)` gives a Reading the questions' parsers look at.

Libraries: text2num composes number words ("twenty four", "one hundred and fifty"); rapidfuzz corrects typos
("trainning", "budjet", "notbooks") against the lexicon's own words, and pyspellchecker's English word list keeps
real words ("text", "game") from being "corrected". Units, rates and idioms ("a couple", "2h30", "overnight",
"10 hours a week") are the lexicon's tables read by one scanner (leftmost-longest).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA
from text_to_num import text2num

from ..vocab import DAYS_PER_MONTH, WEEKS_PER_MONTH, Need
from . import lexicon as lx

MAX_TOKENS = 400

# ---------------------------------------------------------------------------------------------
# Normal form and tokens

_CONTRACTIONS = tuple((re.compile(p), r) for p, r in lx.CONTRACTIONS)
# Model names such as "a100", "t4", "rtx4090" stay one word unless a number comes first ("2h30" is 2 h 30).
_TOKEN = re.compile(r"(?<![a-z])[a-z]{1,2}\$(?=\s*(?:\d|$))|\d+(?:[.,]\d+)*|(?<!\d)[a-z]+\d+(?:\.\d+(?!\.?\d))?[a-z\d]*"
                    r"|[a-z]+"
                    r"|[$€£¥₹%~+/:;,.!?±&=<>()-]|[^\s\w]")
_MARKUP = re.compile(r"<script.*?</script>|<[^>]{0,200}>|\]\([^)]{0,500}\)|[*_`#>\[\]]", re.S)


def normalise(text: str) -> str:
    """Lower case, one kind of quote and dash, contractions expanded, markup dropped, hyphens between words
    made spaces ("fine-tune" -> "fine tune")."""
    t = unicodedata.normalize("NFKC", str(text)).lower()
    # Accents off ("café" -> "cafe"): the lexicon is plain ASCII.
    t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
    t = t.translate(str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"', "–": "-", "—": "-",
                                   "−": "-", "×": "x", "\u00a0": " "}))
    t = _MARKUP.sub(" ", t)
    t = _CLOCK_RANGE.sub(_clock_hours, t)
    for pattern, repl in _CONTRACTIONS:
        t = pattern.sub(repl, t)
    t = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", t)
    # A dash with spaces around it after a word separates answers ("mixed - 10 GB - 2h"); "5 - 6" is a range, "-5" a
    # minus sign.
    t = re.sub(r"(?<=[a-z$%)])\s+-+\s+", " , ", t)
    # A name's parts ("a100-80gb", "rtx-4090", "phi-3", "qwen2.5-7b"): a hyphen after a word is no minus sign.
    t = re.sub(r"(?<=[a-z])-(?=\d)|(?<=\b[a-z]\d)-(?=\d)|(?<=[a-z]\d\d)-(?=\d)|(?<=[a-z]\d\d\d)-(?=\d)", " ", t)
    t = re.sub(r"(?<=[a-z]\d\.\d)-(?=\d)", " ", t)
    return t


# "from 11pm to 7am", "9:30 am - 5 pm": a span between two times of day is a duration in hours.
_CLOCK_RANGE = re.compile(r"\b(?:from\s+)?(\d{1,2})(?::(\d\d))?\s*(am|pm)\s*(?:to|-|till|until|through)\s*"
                          r"(\d{1,2})(?::(\d\d))?\s*(am|pm)\b")


def _clock_hours(m: re.Match) -> str:
    def hour(h: str, minutes: str | None, half: str) -> float:
        return int(h) % 12 + (12 if half == "pm" else 0) + int(minutes or 0) / 60
    start, end = hour(m[1], m[2], m[3]), hour(m[4], m[5], m[6])
    if int(m[1]) > 12 or int(m[4]) > 12:
        return m[0]
    span = (end - start) % 24 or 24
    return f"{span:g} hours"


@dataclass(frozen=True)
class Token:
    """A word, number or symbol in normal form; num is a number's value (number words included)."""

    text: str
    num: float | None = None
    typed: str = ""  # the word as typed, before any typo correction (empty when the same as text)


def _number_value(text: str) -> float:
    """'1,000' -> 1000, '2,5' -> 2.5, '1.5' -> 1.5."""
    if "," in text:
        head, _, tail = text.partition(",")
        if re.fullmatch(r"\d{3}(,\d{3})*", tail):
            return float(head + tail.replace(",", ""))
        text = head + "." + tail.split(",")[0]
    try:
        return float(text)
    except ValueError:
        return float(re.match(r"\d+(\.\d+)?", text).group())


def _words(text: str) -> list[str]:
    return [m.group() for m in _TOKEN.finditer(text)]


@lru_cache(maxsize=8192)
def _normal_word(word: str) -> str:
    return normalise(word)


def _normal_phrase(phrase: str) -> str:
    """normalise() of a lexicon phrase, word by word: the generated tables repeat a few words thousands of times
    ("close my laptop", "shutting the lid"), and each word is normalised once."""
    return " ".join(_normal_word(w) for w in phrase.split(" "))


# The words the typo corrector may correct to: every word of the lexicon (phrases, units, periods, currencies)
# and of the needs' keywords; longer words first so a tie goes to the more specific word.
def _vocabulary() -> tuple[str, ...]:
    words: set[str] = set(lx.NUMBER_WORDS) | set(lx.UNITS) | set(lx.PERIODS) | set(lx.APPROX_WORDS)
    tables = [tuple(v) for k, v in vars(lx).items() if k.isupper() and isinstance(v, (tuple, frozenset))
              and k != "COMMON_WORDS"]
    tables += list(lx.EXPLAIN_TOPICS.values()) + list(lx.CURRENCIES.values()) + list(lx.QUESTION_WORDS.values())
    tables += list(lx.PLATFORM_ALIASES.values()) + list(lx.OTHER_PLATFORMS.values()) + list(lx.FACT_WORDS.values())
    tables += list(lx.NEED_PHRASES.values()) + list(lx.NEED_ANTONYMS.values())
    tables += [n.keywords for n in Need] + [tuple(lx.NUMBER_IDIOMS), tuple(lx.DURATION_IDIOMS)]
    for table in tables:
        for phrase in table:
            if isinstance(phrase, str):
                words.update(w for w in _words(_normal_phrase(phrase)) if w.isalpha() and len(w) >= 3)
    return tuple(sorted(words, key=lambda w: (-len(w), w)))


VOCABULARY = _vocabulary()
_KNOWN = frozenset(VOCABULARY) | lx.COMMON_WORDS
_FOUR_LETTER = [w for w in VOCABULARY if len(w) == 4]


@lru_cache(maxsize=1)
def _english():
    """pyspellchecker's English word list (MIT), loaded once and only when a correction is in sight: a real word
    ("text", "game", "bert") is never corrected into a lexicon word ("next", "same", "best")."""
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1)


@lru_cache(maxsize=8192)
def correct(word: str) -> str:
    """The lexicon word a typo stands for ("trainning" -> "training"), or the word itself. Up to one edit
    (a transposition counts as one) for words of 4-8 letters, two for longer ones; a 3-letter word only gains a
    letter ("nic" -> "nice")."""
    if len(word) < 3 or word in _KNOWN or not word.isalpha():
        return word
    if len(word) == 3:
        found = process.extractOne(word, _FOUR_LETTER, scorer=OSA.distance, score_cutoff=1)
    else:
        limit = 1 if len(word) <= 8 else 2
        found = process.extractOne(word, VOCABULARY, scorer=OSA.distance, score_cutoff=limit)
    if not found or word in _english():
        return word
    return found[0]


def tokenise(text: str, fix_typos: bool = True) -> list[Token]:
    """Tokens of normalised text: numbers carry their value; runs of number words become one number
    (text2num composes them); typos are corrected against the lexicon."""
    raw = _words(text)[:MAX_TOKENS]
    out: list[Token] = []
    i = 0
    while i < len(raw):
        w = raw[i]
        if w[0].isdigit():
            out.append(Token(w, _number_value(w)))
            i += 1
            continue
        typed = w
        if fix_typos and w.isalpha():
            w = correct(w)
        if w in lx.NUMBER_WORDS:
            j = i + 1
            while j < len(raw) and (raw[j] in lx.NUMBER_WORDS or (raw[j] == "and" and j + 1 < len(raw)
                                                                   and raw[j + 1] in lx.NUMBER_WORDS)):
                j += 1
            while j > i:
                try:
                    value = float(text2num(" ".join(raw[i:j]), "en"))
                    break
                except ValueError:
                    j -= 1
            if j > i:
                out.append(Token(" ".join(raw[i:j]), value))
                i = j
                continue
            j = i + 1
        out.append(Token(w, typed="" if typed == w else typed))
        i += 1
    return out


# ---------------------------------------------------------------------------------------------
# Phrases


@lru_cache(maxsize=512)
def _compiled(phrases: tuple[str, ...]) -> dict[str, list[tuple[str, ...]]]:
    """Phrases as token tuples indexed by their first token, longest first."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        words = tuple(t.text for t in tokenise(_normal_phrase(phrase), fix_typos=False))
        if words:
            index.setdefault(words[0], []).append(words)
    for group in index.values():
        group.sort(key=len, reverse=True)
    return index


@dataclass(frozen=True)
class Match:
    """A phrase found at tokens start..end (end excluded), with the label of its table."""

    start: int
    end: int
    label: str
    negated: bool = False


# ---------------------------------------------------------------------------------------------
# Quantities


@dataclass
class Quantity:
    """A number with what it measures. dim: memory (GiB), time (hours), money (units of `currency`, None when
    not said), params, percent, or number (a bare number; `noun` is the word after it). per_month: how many of
    the rate's periods make a month (None: not a rate). low: the lower end of a range (value is the upper)."""

    dim: str
    value: float
    start: int
    end: int
    low: float | None = None
    per_month: float | None = None
    currency: str | None = None
    noun: str | None = None
    idiom: bool = False
    negative: bool = False
    per_hour: bool = False
    period_apart: bool = False  # the rate's period was said elsewhere in the clause ("in a year it adds up to 500 h")

    @property
    def monthly(self) -> float:
        return self.value * (self.per_month if self.per_month is not None else 1.0)


def _key(phrase: str) -> str:
    """A phrase as phrase matching returns it: its tokens joined by spaces ("zł" -> "z ł")."""
    return " ".join(_words(normalise(phrase)))


_CURRENCY_WORDS = {_key(w): code for code, words in lx.CURRENCIES.items() for w in words}
_CODES = tuple(code.lower() for code in lx.CURRENCIES)  # "EUR 30": an ISO code may come first
_NUMBER_IDIOMS = {_key(k): v for k, v in lx.NUMBER_IDIOMS.items()}
_DURATION_IDIOMS = {_key(k): v for k, v in lx.DURATION_IDIOMS.items()}
_RANGE_JOINS = {"-", "to", "or", "till", "until", "through"}
_ALTERNATIVE_WORDS = {"maybe", "sometimes", "perhaps", "possibly", "occasionally", "rarely", "max", "or",
                      "at", "up", "probably", "even"}
# "two hours, maybe 15 hours total a month": a total is an answer of its own, no alternative to the run's length.
_TOTAL_WORDS = {"total", "altogether", "overall", "combined", "cumulative", "all"}
_HOUR_WORDS = {w for w, (d, f) in lx.UNITS.items() if d == "time" and f == 1.0}
_MINUTE_WORDS = {w for w, (d, f) in lx.UNITS.items() if d == "time" and abs(f - 1 / 60) < 1e-12}
_BARE_UNITS = {"hour", "day", "week", "night", "minute"}  # "an hour", "a day", "a week"


class _Scanner:
    """The quantity scanner: at each token the longest reading wins, left to right."""

    def __init__(self, tokens: list[Token]):
        self.t = tokens
        self.w = [tok.text for tok in tokens]
        self.n = len(tokens)

    def word(self, i: int) -> str:
        return self.w[i] if 0 <= i < self.n else ""

    def phrase_at(self, i: int, phrases) -> tuple[str, int] | None:
        for words in _compiled(tuple(phrases)).get(self.word(i), ()):
            if tuple(self.w[i:i + len(words)]) == words:
                return " ".join(words), i + len(words)
        return None

    def number_at(self, i: int) -> tuple[float, int, bool, bool] | None:
        """(value, end, idiom, negative) of a number starting at i."""
        negative = False
        if self.word(i) in lx.MINUS_WORDS and (i == 0 or self.t[i - 1].num is None) \
                and self.word(i - 1) not in _HOUR_WORDS and not lx.GPU_NAME.match(self.word(i - 1)):
            negative, i = True, i + 1
        if self.word(i) == "~":
            i += 1
        found = self.phrase_at(i, tuple(lx.NUMBER_IDIOMS))
        if found and not (found[0] == "both"):
            value, end, idiom = float(_NUMBER_IDIOMS[found[0]]), found[1], True
        elif i < self.n and self.t[i].num is not None:
            value, end, idiom = self.t[i].num, i + 1, not self.w[i][0].isdigit()
            if self.word(end) == "k" and self.word(end + 1) not in _CURRENCY_WORDS:
                value, end = value * 1000, end + 1
            elif self.word(end) in ("million", "mil", "mln") or self.word(end) == "m" and self.word(end + 1) in \
                    lx.COUNT_NOUNS:
                value, end = value * 1e6, end + 1  # "200M tokens", "2 million images"; "200m" alone is minutes
        else:
            return None
        if self.w[end:end + 3] == ["and", "a", "half"] and self.word(end + 3) in lx.UNITS:
            value, end = value + 0.5, end + 3
        return (-value if negative else value), end, idiom, negative

    def unit_at(self, i: int) -> tuple[str, float, str | None, int] | None:
        """(dim, factor, currency, end) of a unit or currency word at i."""
        cur = self.phrase_at(i, tuple(_CURRENCY_WORDS))
        if cur:
            return "money", 1.0, _CURRENCY_WORDS[cur[0]], cur[1]
        w = self.word(i)
        if w in lx.DIGIT_UNITS and i > 0 and self.w[i - 1][0].isdigit():
            dim, factor = lx.DIGIT_UNITS[w]
            return dim, factor, None, i + 1
        if w in lx.HOUR_QUALIFIERS and self.word(i + 1) in _HOUR_WORDS:
            w, i = self.word(i + 1), i + 1  # "100 gpu hours": GPU time
        if w in lx.UNITS:
            dim, factor = lx.UNITS[w]
            return dim, factor, None, i + 1
        return None

    def rate_at(self, i: int) -> tuple[float, int] | None:
        """(periods per month, end) of a rate's period at i: 'a week', 'per day', '/mo', 'monthly', 'every two
        weeks', 'in one month', 'for month'."""
        w = self.word(i)
        if w in lx.PERIOD_ADVERBS:
            return lx.PERIODS[w], i + 1
        if w in ("/", "a", "an", "per", "each", "every", "in", "for", "x", "on"):
            j = i + 1
            if w in ("in", "for") and self.word(j) in ("a", "one", "1", "the", "each", "every"):
                j += 1
            count = 1.0
            if w == "every" and self.t[j].num is not None if j < self.n else False:
                count, j = self.t[j].num or 1.0, j + 1
            if w == "every" and self.word(j) == "other":
                count, j = 2.0, j + 1
            if w == "every" and self.word(j) == "couple":
                count, j = 2.0, j + (2 if self.word(j + 1) == "of" else 1)
            p = self.word(j)
            if p in lx.PERIODS and (w not in ("in", "for", "on") or p in ("month", "months", "mo", "week", "year")
                                    or p in lx.WEEK_PARTS):
                return lx.PERIODS[p] / count, j + 1
        return None

    def quantity_at(self, i: int) -> Quantity | None:
        always = self.phrase_at(i, lx.ALWAYS_ON)
        if always:
            return Quantity("time", 24.0, i, always[1], per_month=DAYS_PER_MONTH, idiom=True)
        idiom = self.phrase_at(i, tuple(lx.DURATION_IDIOMS))
        if idiom:
            return Quantity("time", float(_DURATION_IDIOMS[idiom[0]]), i, idiom[1], idiom=True)
        if self.word(i) == "between":
            a = self.simple_at(i + 1)
            if a and self.word(a.end) in ("and", "-", "to"):
                b = self.simple_at(a.end + 1)
                if b:
                    return self.join_range(a, b, i)
        freq = self.frequency_at(i)
        if freq:
            return freq
        if self.word(i) in ("every", "each", "per", "daily", "weekly"):
            # the period first: "every day for a couple of hours", "each week, 10 hours"
            rate = self.rate_at(i) if self.word(i) not in ("daily", "weekly") else (lx.PERIODS[self.word(i)], i + 1)
            if rate:
                j = rate[1]
                while j < rate[1] + 2 and self.word(j) in ("for", ",", "about", "around", "roughly", "maybe"):
                    j += 1  # "every evening for about 2 hours"
                d = self.simple_at(j)
                if d is not None and d.dim == "time" and d.per_month is None:
                    d.start, d.per_month = i, rate[0]
                    return d
        q = self.simple_at(i)
        if q is None:
            return None
        # Ranges and alternatives: "5-6 hours", "10 to 12 GB", "three or four", "one, maybe two".
        j = q.end
        if self.word(j) in _RANGE_JOINS or (self.word(j) == "," and self.word(j + 1) in _ALTERNATIVE_WORDS):
            k = j + 1
            if self.word(j) == ",":
                k = j + 2
                if self.word(k - 1) == "up" and self.word(k) == "to" or self.word(k - 1) == "at":
                    k += 1
            if not (self.word(j) == "or" and self.word(k) == "so"):
                b = self.simple_at(k, default=q)
                # Across a comma, two quantities with their own units and only one of them a rate are two answers
                # ("runs go two days, maybe 100 hrs a month"), not one answer and its alternative.
                separate = b is not None and self.word(j) == "," and q.dim != "number" and \
                    ((q.per_month is None) != (b.per_month is None) or self.word(b.end) in _TOTAL_WORDS)
                if b and not separate and b.value >= 0 and q.value >= 0 and (b.dim == q.dim or q.dim == "number"
                                                                             or b.dim == "number"):
                    return self.join_range(q, b, i)
        return q

    def join_range(self, a: Quantity, b: Quantity, start: int) -> Quantity:
        dim = b.dim if b.dim != "number" else a.dim
        a_value = a.value * self._factor(b) if a.dim == "number" and b.dim != "number" else a.value
        return Quantity(dim, max(a_value, b.value), start, b.end, low=min(a_value, b.value),
                        per_month=b.per_month or a.per_month, currency=b.currency or a.currency, noun=b.noun,
                        idiom=a.idiom and b.idiom)

    def _factor(self, q: Quantity) -> float:
        # The unit factor of q (its value over the number said): used to give a bare lower end of a range q's unit.
        for k in range(q.start, q.end):
            u = self.unit_at(k)
            if u and u[0] == q.dim:
                return u[1]
        return 1.0

    def frequency_at(self, i: int) -> Quantity | None:
        """'twice a week for 3 hours', '3 times a week, 2 hours each': frequency x duration per period."""
        if self.word(i) in lx.FREQUENCY_WORDS:
            times, j = lx.FREQUENCY_WORDS[self.word(i)], i + 1
        elif i < self.n and self.t[i].num is not None and self.word(i + 1) in lx.OCCASIONS:
            times, j = self.t[i].num, i + 2
        else:
            return None
        rate = self.rate_at(j)
        if not rate:
            return None
        per, j = rate
        occasion = self.word(i + 1)
        if self.word(j) in (",", "for", "of", "at"):
            j += 1
        d = self.simple_at(j)
        if d is None or d.dim != "time" or d.per_month is not None:
            # "3 nights a week": how often, with the duration said elsewhere (or a night's, for nights)
            return Quantity("frequency", times, i, j, per_month=per, noun=occasion)
        return Quantity("time", times * d.value, i, d.end, per_month=per)

    def simple_at(self, i: int, default: Quantity | None = None) -> Quantity | None:
        """One number with its unit, currency and rate: '$10/month', '2h30', '16 GB', 'an hour and a half'."""
        start = i
        currency = None
        minus = self.word(i) in lx.MINUS_WORDS and (i == 0 or self.t[i - 1].num is None)
        cur = self.phrase_at(i + minus, lx.CURRENCY_SYMBOLS) or self.phrase_at(i + minus, _CODES)
        if cur and cur[0] in _CURRENCY_WORDS and (self.number_at(cur[1]) is not None):
            currency, i = _CURRENCY_WORDS[cur[0]], cur[1]
        else:
            minus = False
        num = self.number_at(i)
        if num is None:
            # "half an hour", "an hour", "a day and a half"
            if currency is None and self.word(i) == "half" and self.word(i + 1) in ("a", "an") \
                    and self.word(i + 2) in lx.UNITS:
                dim, factor = lx.UNITS[self.word(i + 2)]
                return self.with_rate(Quantity(dim, 0.5 * factor, start, i + 3, idiom=True))
            if currency is None and self.word(i) in ("a", "an") and self.word(i + 1).rstrip("s") in _BARE_UNITS:
                dim, factor = lx.UNITS[self.word(i + 1)]
                end, value = i + 2, factor
                if self.w[end:end + 3] == ["and", "a", "half"]:
                    value, end = 1.5 * factor, end + 3
                return self.with_rate(Quantity(dim, value, start, end, idiom=True))
            return None
        value, end, idiom, negative = num
        if minus:  # "-$20"
            value, negative = -abs(value), True
        unit = self.unit_at(end)
        if currency is not None:
            q = Quantity("money", value, start, end, currency=currency, idiom=idiom, negative=negative)
            if unit and unit[0] == "money":
                q.end = unit[3]
        elif unit:
            dim, factor, cur_code, uend = unit
            q = Quantity(dim, value * factor, start, uend, currency=cur_code, idiom=idiom, negative=negative)
            if dim == "time":
                q = self.compound_duration(q)
            if self.w[q.end:q.end + 3] == ["and", "a", "half"]:
                q.value += 0.5 * factor
                q.end += 3
        else:
            q = Quantity("number", value, start, end, idiom=idiom, negative=negative)
            if default is not None and default.dim != "number":
                q.dim, q.currency = default.dim, default.currency
                q.value = value * self._factor(default)
        if self.word(q.end) == "+":
            q.end += 1
        q = self.with_rate(q)
        if q.dim == "number":
            nxt = [w for w in self.w[q.end:q.end + 3] if w.isalpha()]
            q.noun = nxt[0] if nxt else None
        return q

    def compound_duration(self, q: Quantity) -> Quantity:
        """'2h30', '2 h 30 min', '2 hours 15 minutes', '1 h and 45 min': hours then minutes."""
        if self.t[q.end - 1].text not in _HOUR_WORDS:
            return q
        j = q.end + (1 if self.word(q.end) == "and" else 0)
        if j < self.n and self.t[j].num is not None and self.w[j][0].isdigit() or \
                (j < self.n and self.t[j].num is not None and self.word(j + 1) in _MINUTE_WORDS):
            minutes = self.t[j].num or 0.0
            k = j + 1
            if self.word(k) in _MINUTE_WORDS:
                k += 1
            elif self.word(k) in lx.UNITS or self.word(k) in _CURRENCY_WORDS or minutes >= 60:
                return q
            q.value += minutes / 60
            q.end = k
        return q

    def with_rate(self, q: Quantity) -> Quantity:
        w, nxt = self.word(q.end), self.word(q.end + 1)
        if q.dim == "money" and w in ("a", "an", "per", "/", "each", "every") and nxt in _HOUR_WORDS:
            q.per_hour, q.end = True, q.end + 2  # "$0.50 an hour": a price, not a monthly amount
            return q
        rate = self.rate_at(q.end)
        if rate and q.dim in ("time", "money", "number"):
            q.per_month, q.end = rate
            # "5 hours a day on weekdays", "a day during the week": only the days named count
            days = {"weekdays": 5, "workdays": 5, "weekday": 5, "weekends": 2, "weekend": 2}
            if abs(q.per_month - DAYS_PER_MONTH) < 1e-9 and self.word(q.end) in ("on", "during", "over") and \
                    self.word(q.end + 1 + (self.word(q.end + 1) == "the")) in days:
                k = q.end + 1 + (self.word(q.end + 1) == "the")
                q.per_month, q.end = WEEKS_PER_MONTH * days[self.word(k)], k + 1
        elif self.word(q.end) == "/" and self.word(q.end + 1) == "m" and q.dim != "time":
            q.per_month, q.end = 1.0, q.end + 2
        return q


def scan_quantities(tokens: list[Token]) -> list[Quantity]:
    """Every quantity in the tokens, left to right, the longest reading at each position."""
    s = _Scanner(tokens)
    out, i = [], 0
    while i < s.n:
        q = s.quantity_at(i)
        if q is not None and q.dim == "time" and s.word(i - 1) == "every":
            q = None  # "every couple of weeks" says how often, not how long
        if q is not None and q.end > i:
            out.append(q)
            i = q.end
        else:
            i += 1
    return out


# ---------------------------------------------------------------------------------------------
# A reading of one message


@dataclass
class Reading:
    """One message, read once: tokens, clauses, negation scope and quantities."""

    text: str
    tokens: list[Token] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    clause: list[int] = field(default_factory=list)
    negated: list[bool] = field(default_factory=list)

    @property
    def words(self) -> list[str]:
        return [t.text for t in self.tokens]

    @property
    def content_words(self) -> list[str]:
        return [t.text for t in self.tokens if t.num is not None or t.text.isalnum()
                or t.text in lx.CURRENCY_SYMBOLS]

    def find(self, phrases, label: str = "") -> list[Match]:
        """Non-overlapping matches of the phrases, leftmost-longest."""
        return self.match({label: tuple(phrases)})

    def match(self, tables: dict[str, tuple[str, ...]]) -> list[Match]:
        """Non-overlapping matches over several labelled tables at once, leftmost-longest across them. A phrase
        also matches with intensifiers inside it ("price does not really matter": "price does not matter")."""
        compiled = [(label, _compiled(tuple(phrases))) for label, phrases in tables.items()]
        words = self.words
        fillers = self._has_fillers
        out, i = [], 0
        while i < len(words):
            best = None  # (label, phrase length, end)
            for label, index in compiled:
                for cand in index.get(words[i], ()):
                    end = i + len(cand) if tuple(words[i:i + len(cand)]) == cand else \
                        _end_with_fillers(words, i, cand) if fillers else None
                    if end is not None:
                        if best is None or len(cand) > best[1]:
                            best = (label, len(cand), end)
                        break
            if best:
                out.append(Match(i, best[2], best[0], self.negated[i]))
                i = best[2]
            else:
                i += 1
        return out

    @cached_property
    def _has_fillers(self) -> bool:
        return any(t.text in lx.PHRASE_FILLERS for t in self.tokens)

    def has(self, phrases) -> bool:
        return bool(self.find(phrases))

    def find_exact(self, phrases) -> list[Match]:
        """Matches of words as typed, no typo correction: for what cannot be taken back lightly ("resnet" is
        not "reset")."""
        return [m for m in self.find(phrases) if not any(t.typed for t in self.tokens[m.start:m.end])]

    def is_only(self, phrases, fillers=("please", "just", "ok", "okay", "well", "um", "uh", "hmm", "so")) -> bool:
        """True when the message is one of the phrases, give or take fillers and punctuation."""
        words = [w for w in self.content_words if w not in fillers]
        if not words:
            return False
        text = " ".join(words)
        return any(" ".join(p) == text for group in _compiled(tuple(phrases)).values() for p in group)

    def clause_words(self, i: int) -> list[str]:
        c = self.clause[i] if 0 <= i < len(self.clause) else -1
        return [t.text for t, k in zip(self.tokens, self.clause, strict=True) if k == c]

    def clause_has(self, i: int, phrases) -> bool:
        c = self.clause[i] if 0 <= i < len(self.clause) else -1
        return any(self.clause[m.start] == c for m in self.find(phrases))

    @property
    def is_question(self) -> bool:
        """Ends with '?', or opens like a question ("what is", "how do", "is it"; not "does not matter")."""
        if self.text.rstrip().endswith("?"):
            return True
        words = self.content_words
        # A weak opener ("hmm", "so", "and", "wait") opens a question only before a question word ("hmm, what is
        # a lottery"): "hmm changed my mind" is a statement.
        start = 0
        while start < len(self.tokens) and (self.tokens[start].text in lx.WEAK_OPENERS
                                            or not self.tokens[start].text.isalnum()):
            start += 1
        opener = [m for m in self.find(lx.QUESTION_OPENERS) if m.start == start]
        after = self.words[start + 1:start + 3]
        # "would be nice to ...", "would like private notebooks": a wish, said with a modal
        wish = self.words[start:start + 1] in (["would"], ["could"], ["will"]) and (
            after[:1] in (["like"], ["love"], ["prefer"]) or after[:1] == ["be"] and after[1:] and
            after[1] in lx.WISH_BEFORE_IF)
        # "is better same speed, but not must": a statement with its subject left out (as some learners of
        # English say it), not a question, when 'is' opens it before a judgement
        judged = self.words[start:start + 1] == ["is"] and after[:1] in (
            ["better"], ["good"], ["fine"], ["ok"], ["okay"], ["enough"], ["important"], ["nice"], ["best"])
        return bool(words) and bool(opener) and after[:1] != ["not"] and not wish and not judged


def _end_with_fillers(words: list[str], i: int, phrase: tuple[str, ...]) -> int | None:
    """Where the phrase ends when it matches at i with intensifiers (lexicon.PHRASE_FILLERS) between its words;
    None when it does not."""
    j = i
    for k, w in enumerate(phrase):
        while k > 0 and j < len(words) and words[j] != w and words[j] in lx.PHRASE_FILLERS:
            j += 1
        if j >= len(words) or words[j] != w:
            return None
        j += 1
    return j


def _periods_apart(s: _Scanner, quantities: list[Quantity], clause: list[int]) -> None:
    """A rate's period said apart from its quantity, in the same clause ("in a year it adds up to maybe 500 hrs",
    "monthly I'd say 40"): the quantity takes it. Only periods introduced by a preposition or an adverb count
    ("a week" alone may be a duration)."""
    covered = {k for q in quantities for k in range(q.start, q.end)}
    periods: dict[int, set[float]] = {}
    for i in range(s.n):
        if i in covered or not (s.word(i) in ("in", "per", "each", "every", "over", "/")
                                or s.word(i) in lx.PERIOD_ADVERBS):
            continue
        rate = s.rate_at(i)
        if rate:
            periods.setdefault(clause[i], set()).add(rate[0])
    if not periods:
        return
    for q in quantities:
        found = periods.get(clause[q.start], set())
        if q.per_month is None and q.dim in ("time", "number") and len(found) == 1:
            q.per_month, q.period_apart = next(iter(found)), True


def _breaks(tokens: list[Token]) -> list[bool]:
    """True for tokens that end a clause: punctuation and linking words (lexicon.CLAUSE_BREAKS), and a dash between
    words ("not inference - training"; a dash before a number is a range or a minus sign)."""
    out = []
    for i, t in enumerate(tokens):
        dash = t.text == "-" and 0 < i < len(tokens) - 1 and tokens[i - 1].num is None \
            and tokens[i + 1].num is None and tokens[i + 1].text.isalpha()
        so = t.text == "so" and i + 1 < len(tokens) and tokens[i + 1].text in lx.SO_STARTS
        out.append(t.text in lx.CLAUSE_BREAKS or dash or so)
    return out


def _clauses(tokens: list[Token], breaks: list[bool]) -> list[int]:
    out, c = [], 0
    for brk in breaks:
        c += brk
        out.append(c)
    return out


def interjection(tokens: list[Token], i: int) -> bool:
    """True for a 'no' that answers or corrects rather than negates ("no wait", "hmm no, actually ...")."""
    return tokens[i].text in ("no", "nope", "nah") and i + 1 < len(tokens) and \
        tokens[i + 1].text in lx.INTERJECTION_NEXT


def _negation(tokens: list[Token], breaks: list[bool]) -> list[bool]:
    """True for tokens within a negator's reach in its clause ("no training, only inference": training only)."""
    out = [False] * len(tokens)
    for i, t in enumerate(tokens):
        if t.text not in lx.NEGATORS:
            continue
        if t.text == "not" and i + 1 < len(tokens) and tokens[i + 1].text in ("only", "just"):
            continue
        if interjection(tokens, i):
            continue
        # "does not have to be the same gpu", "i don't need it to be stable": a negated 'have to', 'need', 'want'
        # reaches over its infinitive
        reach = lx.NEGATION_REACH + (3 if any(x.text in ("need", "needs", "have", "has", "want", "require")
                                              for x in tokens[i + 1:i + 3]) else 0)
        for j in range(i + 1, min(len(tokens), i + 1 + reach)):
            if breaks[j] or tokens[j].text == "and" and j > i + 1 \
                    and tokens[j - 1].text not in lx.NEGATORS or tokens[j].text in lx.NEGATION_STOPS:
                break
            out[j] = True
    return out


@lru_cache(maxsize=256)
def read(text: str) -> Reading:
    """The Reading of a message (cached: a turn reads its message once however many parsers look at it)."""
    tokens = tokenise(normalise(text))
    breaks = _breaks(tokens)
    clause = _clauses(tokens, breaks)
    quantities = scan_quantities(tokens)
    _periods_apart(_Scanner(tokens), quantities, clause)
    return Reading(text=str(text), tokens=tokens, quantities=quantities, clause=clause,
                   negated=_negation(tokens, breaks))
