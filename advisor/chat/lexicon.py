"""The chat's word lists: units, number idioms, cue words and phrases per question, as data the parser reads.

Phrases are written in the parser's normal form (lower case, contractions expanded: "don't" is "do not",
"i'm" is "i am", hyphens between words become spaces); the parser normalises them once at import, so a phrase
written with an apostrophe works too. Needs take their words from advisor.vocab.Need.keywords (one lexicon).
"""
from __future__ import annotations

import re

from ..vocab import DAYS_PER_MONTH, HOURS_PER_MONTH, WEEKS_PER_MONTH

# ---------------------------------------------------------------------------------------------
# Normalisation: contractions and shorthand, applied as regular expressions to lower-case text.

CONTRACTIONS: tuple[tuple[str, str], ...] = (
    (r"\b(can'?t|cannot)\b", "can not"),
    (r"\bwon'?t\b", "will not"),
    (r"\b(do|does|did|is|are|was|were|have|has|had|could|would|should|must|need|ai)n'?t\b", r"\1 not"),
    (r"\b(i|you|we|they)'re\b", r"\1 are"),
    (r"\bi'?m\b", "i am"),
    (r"\b(it|that|what|there|here|who|how|where|he|she|let)'s\b", r"\1 is"),
    (r"\blet is\b", "let us"),
    (r"\b(i|you|we|they|it)'d\b", r"\1 would"),
    (r"\b(i|you|we|they|it)'ll\b", r"\1 will"),
    (r"\b(i|you|we|they)'ve\b", r"\1 have"),
    (r"\b(\w+)'s\b", r"\1"),                  # possessive: "kaggle's quota"
    (r"\b(all|everything|any)\s+but\b", r"\1 except"),
    (r"\bidk\b", "i do not know"),
    # Chat shorthand: "whats", "sorta", "wanna", "u", "cuz".
    (r"\b(what|how|where|who|that)s\b", r"\1 is"),
    (r"\bsorta\b", "sort of"),
    (r"\bkinda\b", "kind of"),
    (r"\bwanna\b", "want to"),
    (r"\bgonna\b", "going to"),
    (r"\bgotta\b", "have to"),
    (r"\bu\b", "you"),
    (r"\bur\b", "your"),
    (r"\b(cuz|coz|bc)\b", "because"),
    (r"\btho\b", "though"),
    (r"\bprolly\b", "probably"),
    (r"\bdunno\b", "do not know"),
    (r"\bw/o\b", "without"),
    (r"\bpls\b|\bplz\b", "please"),
    (r"\btbh\b|\bimo\b|\bbtw\b|\blol\b", " "),
)

# ---------------------------------------------------------------------------------------------
# Numbers and units

# Number words text2num composes ("twenty four", "one hundred and fifty"); the parser finds runs of these.
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand".split())
# Idioms that text2num does not know: value of "a couple", "a few" and so on (a few = 3, as most people mean it).
NUMBER_IDIOMS: dict[str, float] = {
    "half a dozen": 6, "a dozen": 12, "dozen": 12, "a couple of": 2, "a couple": 2, "couple of": 2, "couple": 2,
    "a pair of": 2, "a pair": 2, "pair of": 2, "a few": 3, "few": 3, "several": 3, "a handful of": 3,
    "a handful": 3, "both": 2,
}
# A GPU's name as one token ("a100", "h100", "t4", "l40s", "rtx4090", "a10g") or a consumer card's number ("3060",
# "4090"): a memory size after it names the card's variant ("a100 80gb"), not the job's memory, and the number is no
# quantity.
GPU_NAME = re.compile(r"^(?:[ahlptvkm]\d{1,4}[a-z]?s?|rtx\d{3,4}(?:ti|super)?|gtx\d{3,4}(?:ti)?|mi\d{3}x?)$")
GPU_NUMBER = re.compile(r"^[1-5]0[5-9]0$")
GPU_BRANDS = frozenset({"rtx", "gtx", "geforce", "quadro", "tesla", "radeon", "rx", "arc"})
# Things counted in millions ("200M tokens", "2m images"): after a number, 'm' is a million before these, else
# minutes.
COUNT_NOUNS = frozenset({"tokens", "token", "params", "parameters", "examples", "samples", "rows", "images",
                         "sentences", "words", "documents", "docs", "records", "pairs", "texts", "pictures",
                         "photos", "pics", "files", "steps", "lines", "clips", "users", "requests"})
# Words that make the following number negative ("-5 hours", "minus 20", "negative two hours").
MINUS_WORDS = ("-", "minus", "negative")
# Words that may stand between a number and its hour unit ("100 gpu hours", "50 compute hours").
HOUR_QUALIFIERS = ("gpu", "gpus", "compute", "notebook", "machine")
# Words that make the following quantity a lower or upper bound or an approximation; the value is the number given.
APPROX_WORDS = frozenset("about around roughly approximately approx maybe perhaps like circa ca some nearly almost "
                         "probably say".split())
FREQUENCY_WORDS: dict[str, float] = {"once": 1, "twice": 2, "thrice": 3}
# Nouns of how often: "3 times a week", "5 days a week", "3 nights a week".
OCCASIONS = frozenset({"times", "days", "nights", "sessions", "evenings", "mornings", "runs", "day", "night"})

# Units: word -> (dimension, factor to the base unit). Base units: GiB, hours, parameters.
UNITS: dict[str, tuple[str, float]] = {
    **{w: ("memory", 1.0) for w in ("gb", "gib", "g", "gig", "gigs", "gigabyte", "gigabytes", "giga", "gbs",
                                     "gbytes", "gig s", "gigaoctet", "gigaoctets")},
    **{w: ("memory", 1 / 1024) for w in ("mb", "mib", "megabyte", "megabytes", "megs", "meg")},
    **{w: ("memory", 1024.0) for w in ("tb", "tib", "terabyte", "terabytes")},
    **{w: ("time", 1.0) for w in ("h", "hr", "hrs", "hour", "hours", "hs")},
    **{w: ("time", 1 / 60) for w in ("m", "min", "mins", "minute", "minutes")},
    **{w: ("time", 1 / 3600) for w in ("s", "sec", "secs", "second", "seconds")},
    **{w: ("time", 24.0) for w in ("d", "day", "days")},
    **{w: ("time", 24.0 * 7) for w in ("week", "weeks", "wk", "wks")},
    **{w: ("time", HOURS_PER_MONTH) for w in ("month", "months")},
    **{w: ("params", 1e9) for w in ("b", "billion", "bn")},
    "%": ("percent", 1.0), "percent": ("percent", 1.0),
}
# Units that count only after digits, where the word has another meaning too: French "12 Go" (gigaoctets), but
# "in one go".
DIGIT_UNITS: dict[str, tuple[str, float]] = {"go": ("memory", 1.0), "gio": ("memory", 1.0)}
# Periods a rate is per, with how many of them make one month (one month = 365.25 / 12 days).
PERIODS: dict[str, float] = {
    **dict.fromkeys(("day", "days", "d", "daily", "night", "nights", "nightly", "evening", "evenings", "morning",
                     "mornings", "afternoon", "afternoons"), DAYS_PER_MONTH),
    **dict.fromkeys(("week", "weeks", "wk", "wek", "w", "weekly", "weak"), WEEKS_PER_MONTH),
    **dict.fromkeys(("month", "months", "mo", "mon", "mth", "monthly"), 1.0),
    **dict.fromkeys(("year", "years", "yr", "yearly", "annually", "annum"), 1 / 12),
    "fortnight": WEEKS_PER_MONTH / 2,
    **dict.fromkeys(("weekend", "weekends"), WEEKS_PER_MONTH),
    **dict.fromkeys(("weekday", "weekdays", "workday", "workdays", "working day", "working days"), WEEKS_PER_MONTH * 5),
}
# Periods named for part of a week ("on weekdays", "per weekend").
WEEK_PARTS = frozenset({"weekend", "weekends", "weekday", "weekdays", "workday", "workdays"})
# Adverbs that are a period on their own ("20 hours monthly").
PERIOD_ADVERBS = frozenset({"daily", "weekly", "monthly", "yearly", "annually"})
# Words that join a quantity to the period of its rate: "10 hours a week", "per week", "/week", "each week".
RATE_LINKS = frozenset({"a", "an", "per", "each", "every", "/", "in", "for", "the", "one", "1"})

# Durations said in words (hours).
DURATION_IDIOMS: dict[str, float] = {
    "overnight": 12, "all night": 12, "the whole night": 12, "whole night": 12, "a night": 12,
    "all day": 24, "the whole day": 24, "whole day": 24, "a full day": 24, "full day": 24,
}

# Currencies: ISO code -> the words and symbols that name it. USD is the advisor's currency.
CURRENCIES: dict[str, tuple[str, ...]] = {
    "USD": ("$", "us$", "usd", "dollar", "dollars", "buck", "bucks", "dollar s"),
    "EUR": ("€", "eur", "euro", "euros"),
    "GBP": ("£", "gbp", "pound", "pounds", "quid", "sterling"),
    "JPY": ("¥", "jpy", "yen"),
    "INR": ("₹", "inr", "rupee", "rupees", "rs"),
    "CAD": ("c$", "ca$", "cad", "canadian dollars", "canadian dollar"),
    "AUD": ("a$", "au$", "aud", "australian dollars", "australian dollar"),
    "CHF": ("chf", "franc", "francs", "swiss francs"),
    "BRL": ("r$", "brl", "real", "reais"),
    # Currencies without a rate in data/fx_rates.csv: named so that the chat asks for dollars instead of
    # taking the amount as dollars.
    "MXN": ("mxn", "peso", "pesos", "mexican pesos"),
    "CNY": ("cny", "yuan", "rmb", "renminbi"),
    "KRW": ("krw", "korean won"),
    "RUB": ("ruble", "rubles", "rouble", "roubles"),
    "PLN": ("pln", "zloty", "zlotys"),
    "SEK": ("sek", "krona", "kronor", "kr"),
    "NOK": ("nok", "krone", "kroner"),
    "TRY": ("lira", "liras", "₺"),
    "ZAR": ("zar", "rand", "rands"),
    "NGN": ("ngn", "naira", "₦"),
    "SGD": ("sgd", "s$"),
    "HKD": ("hkd", "hk$"),
    "NZD": ("nzd", "nz$"),
    "IDR": ("idr", "rupiah"),
}
CURRENCY_SYMBOLS = ("r$", "us$", "c$", "a$", "ca$", "au$", "nz$", "hk$", "s$", "$", "€", "£", "¥", "₹")

# ---------------------------------------------------------------------------------------------
# Negation, hedges, clauses

NEGATORS = frozenset({"no", "not", "never", "without", "none", "nothing", "neither", "nor", "nobody", "except",
                      "excluding", "minus_word"})
# How many tokens after a negator it reaches ("I do not need a private notebook": not -> private is 3 tokens).
NEGATION_REACH = 4
# Words that open a subordinate clause: a negation does not reach past them ("I don't care if speed varies": the
# speed varying is not negated).
NEGATION_STOPS = frozenset({"if", "whether", "when", "whenever"})
# After "no" these make it an interjection, not a negator ("no wait", "hmm no actually steady speed matters", "no i
# meant 20").
INTERJECTION_NEXT = frozenset({"actually", "wait", "sorry", "i", "we", "it", "that", "this", "no", "make", "scratch",
                               "thanks", "thank", "you", "my", "oops", "hold", "hang", "ugh", "lol", "haha"})
# Verbs of attitude: a negation ends with them ("I don't mind the lottery": the lottery is not denied).
ATTITUDE_VERBS = frozenset({"mind", "care", "bother", "bothers", "worry", "matter", "matters", "fuss"})
# Intensifiers a phrase may hold without changing its meaning ("does not really matter" is "does not matter").
PHRASE_FILLERS = frozenset({"really", "actually", "honestly", "truly", "totally", "particularly", "especially",
                            "exactly"})
# Words that end a clause (and so a negation's or a hedge's reach).
CLAUSE_BREAKS = frozenset({",", ";", ".", "!", "?", "but", "though", "however", "although", "only", "just", "instead",
                           "rather", "then", "because", "while", ":"})
# 'so' starts a clause before these words ("no credit card so free only", "so like 30 hours"), not as an
# intensifier ("not so important").
SO_STARTS = frozenset({"free", "i", "we", "it", "like", "that", "the", "my", "our", "each", "maybe", "probably",
                       "about", "around", "only", "just", "any", "budget", "no", "yes", "let"})
# Hedges make a wish (nice_to_have) of a need, or 'prefer' of predictability.
HEDGES = ("would be nice", "be nice", "nice to have", "nice", "ideally", "preferably", "prefer", "if possible",
          "would be good", "would be great", "a plus", "a bonus", "bonus", "optional", "not a must",
          "not required", "not essential", "not critical", "not a deal breaker", "not necessary", "maybe",
          "would like", "i would like", "nice if", "helpful", "not strictly", "if available", "could be nice",
          "would help", "not mandatory", "handy", "useful", "convenient", "good to have", "would be handy",
          "would be useful", "nice if possible", "would be cool", "be cool", "cool to have", "would be welcome",
          "be welcome", "welcome", "would be lovely", "would be sweet", "would be neat", "desirable",
          "merely desirable", "pleasant", "would be pleasant", "not vital", "not crucial", "not needed as such")
# Words that make a requirement of a need ("private is a must", "I need background").
REQUIREMENT_CUES = ("need", "needs", "must", "required", "require", "requires", "essential", "have to", "has to",
                    "necessary", "mandatory", "critical", "important", "want", "a must", "must have", "crucial",
                    "vital", "should")

# ---------------------------------------------------------------------------------------------
# Intents

GREETINGS = ("hi", "hello", "hey", "hey there", "hi there", "hello there", "yo", "hiya", "howdy", "greetings",
             "good morning", "good afternoon", "good evening", "morning", "sup", "what is up", "hallo", "hola",
             "bonjour", "thanks", "thank you", "ok", "okay", "cool", "great", "nice one")
def _wipe_all() -> tuple[str, ...]:
    """'wipe all my answers', 'clear everything', 'delete my answers', 'scrap it all': every answer forgotten."""
    verbs = ("wipe", "clear", "erase", "delete", "reset", "forget", "scrap", "drop", "remove", "discard", "trash",
             "throw away", "throw out", "undo")
    things = ("all", "everything", "it all", "all of it", "all of that", "all answers", "all my answers",
              "all the answers", "all of my answers", "my answers", "the answers", "every answer",
              "everything i said", "all i said", "everything so far", "all that", "all of this", "the whole thing")
    return tuple(f"{v} {t}" for v in verbs for t in things) + (
        "start anew", "begin anew", "start afresh", "clean slate", "fresh start", "start from zero",
        "begin from zero", "from square one", "back to square one", "start from the beginning", "new start",
        "restart from scratch", "from scratch again", "start again from scratch", "let us begin again")


# Thanks said with a greeting ("heya, thx for helping"), the words that may come with them, and greeting words that
# are also answers ("ok", "cool"): a message of these alone is small talk.
GREETING_THANKS = ("thanks", "thank you", "thx", "ty", "thank u", "cheers", "thanks a lot", "many thanks",
                   "heya", "hey hey", "hii", "hiii", "helloo", "how are you", "how is it going", "how are things",
                   "what is new", "good day", "nice to meet you", "whats up", "wassup", "what is good")
GREETING_FILLERS = frozenset({"for", "helping", "help", "the", "your", "you", "so", "much", "a", "lot", "there",
                              "all", "again", "everyone", "guys", "bot", "advisor", "friend", "buddy", "mate",
                              "folks", "doing", "today", "in", "advance", "please", "oh", "well", "hmm", "and",
                              "just", "really", "very"})
WEAK_GREETINGS = frozenset({"ok", "okay", "cool", "great", "nice one", "morning"})
START_OVER = ("start over", "start again", "restart", "reset", "begin again", "from the beginning", "new workload",
              "forget all that", "forget everything", "forget it all", "clear everything", "start from scratch",
              "start fresh", "new conversation", "reset everything", "let us start over", "redo everything",
              "start all over", "start it all over", "start everything over", "begin all over", "start over again",
              "all over again", "from the top", "wipe everything", "clear all answers", "clear my answers") + \
    _wipe_all()


UNDO = ("undo", "undo that", "go back", "revert", "revert that", "previous question", "back", "take that back",
        "go back one step", "go back a step", "back one", "one back", "go back one question", "undo one",
        "that was wrong", "oops", "last question", "one step back", "step back", "cancel that", "scratch that",
        "previous", "back one step", "go back one", "undo last", "undo the last change", "revert the last change")
SKIP = ("skip", "pass", "next", "next question", "skip it", "skip this", "move on", "rather not say",
        "i would rather not say", "prefer not to say", "no comment", "do not know", "i do not know", "not sure",
        "no idea", "no clue", "whatever you think", "default", "use the default", "i am not sure", "unsure",
        "no preference", "not applicable", "n/a", "skip this one", "skip that", "skip this question",
        "skip that one", "pass on this", "next one")
# Answers that leave the choice to the advisor: a skip where the question has no such answer of its own.
SOFT_SKIP = ("whatever", "any", "anything", "you decide", "up to you", "do not care", "no preference",
             "whatever you think", "doesn't matter")
WHAT_IF = ("what if", "suppose", "supposing", "hypothetically", "what would change", "what would happen",
           "what would it be", "imagine", "what about with", "and with", "and for", "how about with",
           "if i had", "if i were", "if i was", "if i used", "if i did not", "if it were", "with instead",
           "would it change", "what changes if", "if i could", "if i can", "what would you pick",
           "what would you recommend", "what would you suggest", "would anything change", "would that change",
           "if i spent", "if i paid", "if my budget", "what happens with", "what happens if",
           "what would happen with", "how would it look", "how would that change", "if it were", "if it was",
           "if i switched", "if i went", "what if we")
# Openings of a question (with or without a question mark).
QUESTION_OPENERS = ("what", "why", "how", "is", "are", "does", "do", "can", "could", "which", "who", "where",
                    "when", "explain", "tell me", "what about", "how about", "and", "hmm", "so", "wait", "will",
                    "would", "should")
# Openers that only lead into a question ("hmm, what is ...", "so how does ..."); alone they open statements too.
WEAK_OPENERS = frozenset({"hmm", "hm", "so", "and", "wait", "ok", "okay", "well", "um", "uh", "oh", "ah", "also",
                          "but", "ugh", "argh", "gah", "meh", "damn", "dang", "oof"})
# Questions about the question being asked: the chat explains its question.
# A term asked about, with a condition that makes no what-if ("what counts as a GPU hour if I have two open?").
TERM_QUESTIONS = ("what counts as", "what does it count as", "how do you count", "how is it counted",
                  "what is meant by")
CLARIFY = ("what do you mean", "what does that mean", "what is that", "i do not understand", "meaning",
           "per month or total", "monthly or total", "per month or in total", "total or per month",
           "in total or per month", "explain", "what does this mean", "huh", "why do you ask", "why does it matter",
           "difference between", "what is the difference", "how do they differ") + TERM_QUESTIONS

# Words that tie a question to the question being asked ("how do I know how much memory I need?"); "done": to
# the ranking ("which plan is best?").
QUESTION_WORDS: dict[str, tuple[str, ...]] = {
    "kind": ("training", "inference", "kind", "work", "mix", "fine tune", "finetune", "train", "serve"),
    "gpu_memory_gib": ("memory", "vram", "gb", "gigs", "ram", "model size", "how big", "how much"),
    "session_hours": ("run", "runs", "session", "sessions", "job", "uninterrupted", "how long", "longest"),
    "gpu_hours_per_month": ("hours", "month", "usage", "how many", "how much", "week", "count"),
    "notebooks_at_once": ("notebook", "notebooks", "at once", "same time", "parallel", "how many"),
    "budget_usd_per_month": ("budget", "money", "pay", "dollars", "cost", "price", "currency", "how much"),
    "predictability": ("predictable", "predictability", "speed", "lottery", "same speed", "consistent"),
    "needs": ("timeout", "background", "deployment", "private", "needs", "features", "feature"),
    "done": ("plan", "plans", "best", "rank", "ranking", "recommend", "recommendation", "cheapest", "pick",
             "choose", "first", "winner", "top"),
}


def _how_it_works() -> tuple[str, ...]:
    """'how does this advisor work', 'how do you work', 'how the tool works': the chat asked about itself."""
    subjects = ("this", "it", "you", "this advisor", "the advisor", "advisor", "this tool", "the tool", "this thing",
                "this chat", "the chat", "this bot", "the bot", "this app", "the app", "this site", "the site",
                "all this", "this all")
    return tuple(form.format(s) for s in subjects for form in ("how does {} work", "how do {} work",
                                                               "how {} works", "what does {} compare",
                                                               "what do {} compare", "what does {} do"))


# Topics the chat explains: topic -> phrases that name it.
EXPLAIN_TOPICS: dict[str, tuple[str, ...]] = {
    "training_score": ("training score",),
    "inference_score": ("inference score",),
    "ai_score": ("ai score", "ai benchmark", "score", "scores", "points"),
    "p10_p90": ("p10", "p90", "p10 p90", "percentile", "percentiles", "10th percentile", "range of the score"),
    "price_per_score": ("per 1k points", "per 1k", "per 1000 points", "per 1,000 points", "per point",
                        "price per score", "per 1 000 points", "cost per point", "per 1 k points", "dollars per"),
    "estimate": ("estimated", "estimate", "estimates", "measured or estimated", "modelled", "modeled", "measured",
                 "how accurate", "tilde", "~"),
    "gpu_lottery": ("gpu lottery", "lottery", "gpu roulette", "roulette"),
    "predictability": ("predictable", "predictability", "same speed", "consistent speed", "consistency",
                       "spread"),
    "needs": tuple(dict.fromkeys(("selectable timeout", "background execution", "deployment as a service",
                                  "private notebooks", "private notebook", "background", "deployment",
                                  "timeout", "needs", "features", "feature", "special needs"))),
    "kind": ("training and inference", "inference and training", "training vs inference", "inference vs training",
             "training or inference", "inference or training", "training versus inference"),
    "budget": ("budget", "per hour or per month", "per month or per hour", "hourly or monthly", "monthly or hourly",
               "per month or total", "monthly or total", "per month or in total", "monthly budget"),
    "how_it_works": _how_it_works() + ("how do you rank", "how does the ranking work",
                     "how do you choose", "how do you decide", "how are they ranked", "how it works", "help",
                     "what can you do", "what do you do", "how do you pick", "ranking", "rank them",
                     "what are you", "who are you"),
}

# ---------------------------------------------------------------------------------------------
# Questions' own words

KIND_TRAINING = ("train", "training", "trains", "finetune", "finetuning", "finetunes", "fine tune", "fine tuning",
                 "fine tunes", "pretrain", "pretraining", "pre train", "pre training", "retrain", "retraining",
                 "train from scratch", "from scratch", "lora", "qlora", "loras", "qloras", "trainer",
                 "learning a model", "rlhf",
                 "do the training", "model training", "teach the model", "teach a model", "teach it", "dreambooth",
                 "textual inversion", "sft", "dpo", "instruction tuning", "instruction tune")
KIND_INFERENCE = ("inference", "inferences", "inferencing", "infer", "predictions", "prediction", "predict",
                  "predicting", "serve", "serving", "serves", "deploy", "deploying", "deployment", "evaluate",
                  "evaluating", "evaluation", "eval", "evals", "trained model", "pretrained model",
                  "pretrained models", "pretrained", "existing model", "off the shelf", "existing models",
                  "trained models", "use a model",
                  "pre trained model", "already trained", "trained it", "run it", "run the model",
                  "running the model", "use the model", "using the model", "transcribe", "transcribing",
                  "generate", "generating", "generation", "embeddings", "classify", "classifying", "scoring",
                  "run a trained model", "batch predictions", "testing the model", "test the model",
                  "transcription", "transcriptions", "transcribes", "make pictures", "make images", "create images",
                  "create pictures", "image generation", "text generation", "generates", "captioning",
                  "speech to text", "text to speech", "summarize", "summarizing", "summarization", "translate",
                  "translating", "translation", "run inference", "running inference", "gen images", "image gen",
                  "generating images", "make art", "making images", "answering questions", "answer questions",
                  "question answering", "chatting with", "chat with it", "querying")
# Verbs that mean training when a model is their object ("I fit gradient boosted models", "teaching a model to spot
# defects"); alone they mean something else ("it fits in 6 GB").
TRAINING_VERBS = ("fit", "fits", "fitting", "teach", "teaches", "teaching", "taught")
MODEL_NOUNS = ("model", "models", "network", "networks", "net", "nets", "classifier", "classifiers", "regressor",
               "regressors", "transformer", "transformers", "cnn", "cnns", "llm", "llms", "gan", "gans", "detector",
               "detectors", "adapter", "adapters", "xgboost", "lightgbm", "weights")
# How far after such a verb its object may come ("fit gradient boosted models": 3 words).
VERB_OBJECT_REACH = 4
# Weak signs of inference: count only without any training word ("I just run whisper on audio files").
KIND_INFERENCE_WEAK = ("run", "running", "apply", "applying", "process", "processing")
# Said after a kind word, these deny it ("the training is not for me").
KIND_DENIALS = ("is not", "are not", "not for me", "is not for me", "not needed", "not required", "no longer",
                "is not needed", "not my thing", "is not my thing", "not anymore")
KIND_MIXED = ("both", "mix", "mixed", "mixture", "a mix", "a bit of both", "bit of both", "some of each",
              "a bit of each", "half and half", "equally", "both equally", "combination", "a combination",
              "all of it", "a little of both", "50/50", "50 50", "a bit of each", "little of each",
              "a bit of everything", "bit of everything", "everything", "all of the above", "a little of everything",
              "all sorts")
KIND_DOMINANT = ("mostly", "mainly", "primarily", "largely", "chiefly", "predominantly", "only", "just", "all",
                 "purely", "exclusively")
# Words that say an earlier answer is being changed ("change it to training", "switch to inference").
CHANGE_CUES = ("change", "changed", "switch", "switched", "actually", "make it", "set it to", "instead",
               "go back to", "correction", "update", "make", "now", "rather", "i meant", "sorry")

# A correction of what was said ("16 GB not 384", "no wait, 24", "I meant 12 hours"); a change of mind about a
# need, wish or the budget ("forget free only", "on second thought, no background").
CORRECTION_CUES = ("no wait", "wait", "i meant", "i mean", "scratch that", "make it", "correction", "typo",
                   "no no", "oops", "i said", "sorry", "actually", "not what i said", "that is wrong",
                   "that was wrong", "that is not right", "you misunderstood", "misunderstood", "i misspoke",
                   "let me correct", "to correct", "correct that", "change that to", "should have said")
# Cues that correct only when a value said before is replaced ("none, sorry" at a new question is an answer).
WEAK_CORRECTION_CUES = frozenset({"sorry", "actually", "oops", "no no"})
CHANGE_OF_MIND_CUES = ("changed my mind", "change of plans", "change of plan", "on second thought",
                       "on second thoughts", "second thought", "forget", "never mind", "nevermind", "after all",
                       "anymore", "any more", "i decided", "decided", "come to think of it", "thinking about it",
                       "thinking again", "on reflection", "i have reconsidered", "reconsidered", "new plan",
                       "i changed", "no longer", "not any longer", "i have decided", "decided against",
                       "rethinking", "rethought", "thought about it", "thought it over", "now i think",
                       "changed my plans", "plans changed", "my plans changed", "let me soften", "soften that",
                       "let me relax", "relax that", "downgrade", "demote")
# A question asked with a value in it ("is there anything faster under $20?"): answered as a what-if.
ASKING_OPENERS = ("is there", "are there", "which", "what is the", "what would", "would", "could i", "can i",
                  "do any", "does any", "is any", "will", "how much would", "how much is", "how fast",
                  "what are", "which one", "what plan", "what do i get", "what can i get", "is it possible")

# A job that never stops: its run is the whole month ("it's a server, it runs 24/7").
ALWAYS_ON = ("24/7", "24 7", "always on", "always-on", "never stops", "runs forever", "it never stops",
             "around the clock", "round the clock", "all the time", "non stop forever", "permanently",
             "constantly running", "always running", "always up", "up all the time", "never turns off", "24 / 7",
             "nonstop all month")
# Small talk after an answer: thanks, agreement.
THANKS = ("that is helpful", "very helpful", "helpful", "that helps", "that helped", "thanks a lot",
          "thanks", "thank you", "thx", "ty", "cheers", "makes sense", "that makes sense", "ok makes sense",
          "got it", "perfect", "great thanks", "awesome", "understood", "sounds good", "nice", "cool thanks",
          "ok thanks", "okay thanks", "great", "ok", "okay", "alright", "cool", "good", "fine")
# Asking which plan to take.
PICK = ("which one should i pick", "which should i pick", "which one should i choose", "which should i choose",
        "what should i pick", "what should i choose", "what should i use", "which one should i use",
        "which do you recommend", "what do you recommend", "which one do you recommend", "your pick",
        "what would you pick", "which is best", "which one is best", "what is the best", "best option",
        "which plan should i", "which one then", "so which one")

# Asking to change an answer without giving the new one ("change the budget", "let me redo the memory").
FORGET_CUES = ("change", "change the", "change my", "redo", "re do", "forget", "forget the", "forget my", "reset",
               "reset the", "clear", "clear the", "edit", "edit the", "fix the", "update the", "ask again about",
               "let me change", "i want to change", "can i change")

# Said of a quantity's clause, these make it what the job needs, or what a computer or card has (GPU memory).
NEED_VERBS = ("need", "needs", "needed", "require", "requires", "required", "uses", "use", "takes", "at least",
              "minimum", "eats", "wants", "must have")
OWN_VERBS = ("have", "has", "got", "own", "owns", "mine", "at home", "i bought", "comes with")
# Computers whose RAM is no GPU memory ("my laptop has 16gb ram").
COMPUTER_WORDS = ("laptop", "pc", "computer", "desktop", "mac", "macbook", "system", "cpu", "machine", "server",
                  "workstation")
MEMORY_WORDS = ("memory", "vram", "gpu memory", "ram", "gpu ram", "video memory")
MEMORY_NONE = ("no idea", "do not know", "not sure", "no clue", "unsure", "does not matter", "not much", "tiny",
               "small", "no special requirement", "no particular", "no requirement", "nothing special",
               "any", "whatever", "not important", "none", "no", "not a lot", "very little", "little",
               "doesnt matter", "nothing", "no preference", "i do not know", "anything")

SESSION_CUES = ("run", "runs", "session", "sessions", "job", "jobs", "at a time", "in one go", "straight",
                "nonstop", "non stop", "uninterrupted", "continuously", "in a row", "longest", "without stopping",
                "each training", "per run", "each run", "one run", "epoch", "epochs", "take", "takes", "last",
                "lasts", "runtime", "run time", "in one session", "one go", "at once", "experiment",
                "experiments", "training run", "training runs", "without interruption", "stop in the middle")
MONTHLY_CUES = ("gpu hours", "in total", "total", "a month", "per month", "monthly", "each month", "every month",
                "in a month", "in one month", "hours a month", "usage", "use", "per week", "a week", "a day",
                "per day", "each day", "every day", "weekly", "daily")

NOTEBOOK_NOUNS = ("notebook", "notebooks", "notebok", "nb", "nbs", "kernels", "kernel", "instances", "instance",
                  "sessions", "tabs", "machines")
# A field named before a bare number sets it ("set notebooks to 2", "memory: 24"): field -> its names, and the
# words that may link the name to the number.
FIELD_NAMES = {"notebooks_at_once": ("notebook", "notebooks", "notebok", "kernels", "instances"),
               "gpu_memory_gib": ("memory", "vram"), "budget_usd_per_month": ("budget", "budjet")}
FIELD_LINKS = frozenset({"to", "=", ":", "is", "be", "should", "at", "as", "now", "of", "will", "becomes"})
NOTEBOOK_CUES = ("at once", "at the same time", "in parallel", "parallel", "concurrently", "concurrent",
                 "simultaneously", "side by side")
NOTEBOOK_ONE = ("one after another", "one after the other", "one at a time", "never in parallel",
                "not in parallel", "sequentially", "in sequence", "just the one", "only the one", "single",
                "a single one", "just me", "one by one")

BUDGET_WORDS = ("budget", "spend", "pay", "afford", "cost", "costs", "price", "money", "max", "maximum",
                "at most", "up to", "cap", "spending", "paying", "month", "a month", "per month")
# Words that make an amount the user's own limit ("I'll set 20 as my max"), not a plan's price said beside it.
OWN_LIMIT_WORDS = ("my budget", "budget", "my max", "my maximum", "my limit", "limit", "at most", "tops", "my cap",
                   "i will set", "i can spend", "i can pay", "i can afford", "i will pay", "i will spend")
# Words that put a clause about money ("money is no problem", "whatever it costs").
MONEY_TOPIC = ("budget", "money", "spend", "spending", "cost", "costs", "price", "prices", "pay", "paying", "funds",
               "cash", "dollars", "bucks", "expense", "expenses")
BUDGET_FREE = ("none", "zip", "nil", "no funding", "zero funding", "no funds at all", "unfunded", "no money at all",
               "zero bucks", "0 bucks", "nothing to spend", "no spending money",
               "free", "free only", "only free", "free plans only", "only free plans", "free plans", "nothing",
               "zero", "no money", "broke", "i am broke", "can not pay", "can not afford", "not money",
               "have not money", "no cash", "poor", "free tier", "free stuff", "nada", "zilch", "0 dollars",
               "not a cent", "no funds", "student budget of 0", "nothing at all", "not paying", "no paid",
               "not pay", "not want to pay", "not willing to pay", "pay nothing", "not to pay",
               "not pay anything", "not spend anything", "not want to spend", "not spend money", "spend nothing",
               "zero dollars", "0 dollars", "0$", "refuse to pay", "refuse to spend", "will not pay",
               "will not spend", "not a penny", "a single cent", "a single penny", "a single dollar", "one cent",
               "zero spend", "not spend a", "not pay a", "not wish to pay", "not wish to spend",
               "not intend to pay", "not intend to spend", "not plan to pay", "not plan to spend", "not going to pay",
               "not going to spend", "not like to pay", "not like to spend")
BUDGET_NO_LIMIT = ("no limit", "no budget", "unlimited", "whatever", "money is no object", "no cap", "no problem",
                   "is no problem", "no issue", "not a concern", "no object", "whatever it costs",
                   "does not matter", "my lab pays", "lab pays", "company pays", "employer pays", "no budget limit",
                   "not an issue", "not a problem", "sky is the limit", "any", "no max", "no maximum",
                   "whatever it takes", "no constraint", "no restriction", "not limited", "limitless",
                   "money does not matter", "cost does not matter", "price does not matter", "no spending limit",
                   "as much as needed", "as much as it takes", "no upper limit", "do not care",
                   "as cheap as possible", "cheapest", "the cheaper the better", "cheapest possible",
                   "whatever is cheapest", "lowest price")

PREDICT_ANY = ("does not matter", "not matter", "not important", "not really", "nah", "no", "nope", "do not care",
               "not care", "any", "whatever", "meh", "do not mind", "not mind", "fine", "can vary", "ok if",
               "okay if", "not a priority", "not needed", "not necessary", "no preference", "irrelevant",
               "unimportant", "not at all", "not bothered", "not an issue", "who cares", "not fussed",
               "not relevant", "doesnt matter", "either way", "not a concern", "no need", "not a big deal",
               "no big deal", "not that important", "not really important", "not much", "not too important",
               "not so much")
PREDICT_PREFER = ("would be nice", "nice", "nice to have", "ideally", "prefer", "preferably", "a bit", "a little",
                  "bit", "sort of", "kind of", "kinda", "somewhat", "i would like", "would like", "not critical",
                  "not a deal breaker", "not essential", "if possible", "helpful", "a plus", "bonus",
                  "moderately", "slightly", "sometimes", "a little bit", "rather", "preferred", "prefer it",
                  "i would prefer", "it would help", "good to have", "somewhat important", "fairly", "partly",
                  "not crucial", "not vital", "not mandatory", "if it is cheap", "medium", "a little important",
                  "would be good", "would be great", "good if", "nice if", "be good", "would help", "appreciated",
                  "welcome", "would be welcome", "would be cool", "be cool", "would be lovely", "is better",
                  "better if", "would be better", "better to have", "not must", "not a must", "not a requirement")
# Mild importance: a preference unless said strongly ("it matters" -> prefer; "it matters a lot" -> require).
PREDICT_MILD = ("matters", "it matters", "consistency matters", "i care", "care about", "i care about it",
                "somewhat matters", "it counts")
PREDICT_REQUIRE = ("must", "need", "needs", "required", "require", "essential", "critical", "crucial",
                   "very important", "important", "vital", "definitely", "absolutely", "yes",
                   "deadline", "deadlines", "no surprises", "same speed every time", "same speed",
                   "matters a lot", "really matters", "it really matters", "matters very much",
                   "always the same", "predictable", "predictible", "reliable", "same gpu", "same gpu every time",
                   "same performance", "consistent performance", "consistent speed", "sure", "yeah", "yep",
                   "yes please", "certainly", "really", "so much", "quite important",
                   "a must", "must have", "very", "extremely", "really important", "of course", "steady",
                   "stable", "guaranteed", "yes it matters", "it matters", "a lot", "lots")
# Words for unpredictability: denied, they mean 'require'; accepted, 'any'.
PREDICT_ANTI = ("changes", "changing", "differs", "different every time", "up and down", "goes up and down",
                "go up and down", "ups and downs", "slowing down", "slows down",
                "lottery", "lotteries", "roulette", "gpu roulette", "luck of the draw", "pot luck", "potluck",
                "dice roll", "roll of the dice", "surprise", "surprises", "random", "randomly", "vary", "varies",
                "varying", "variable", "variance", "slower", "slow", "fluctuate", "fluctuates", "fluctuating",
                "inconsistent", "unpredictable", "different gpus", "different speeds", "gamble")
# Said before a word for unpredictability, these make it a requirement ("I'd hate to get a slow GPU").
# Require-words that only strengthen another word ("I really don't care"): alone they answer ("really!").
PREDICT_INTENSIFIERS = frozenset({"really", "very", "so much", "a lot", "lots", "extremely", "definitely",
                                  "absolutely"})
PREDICT_AVERSION = ("hate", "avoid", "dislike", "annoying", "afraid", "worried", "worry", "fear", "cannot stand",
                    "can not stand", "bad", "problem")
PREDICT_ACCEPT = ("fine", "ok", "okay", "do not mind", "not mind", "can", "acceptable", "alright", "no problem",
                  "does not matter", "whatever", "can live with", "not bother", "not bother me", "does not bother",
                  "not bothered", "do not care", "not care", "no worries", "all good", "no big deal", "not a problem",
                  "not an issue", "no issue", "happy with", "fine by me", "fine with", "ok with", "okay with",
                  "who cares", "not a big deal", "i can deal", "can handle", "can wait", "tolerable")
# Said beside a word for unpredictability, these make the clause about the speed varying ("slow sometimes",
# "slower at times", "slow some days"), not about what comes first.
VARIABILITY_QUALIFIERS = ("sometimes", "at times", "some days", "occasionally", "now and then", "from time to time",
                          "every now and then", "on some days", "some sessions", "now and again", "randomly",
                          "some of the time", "once in a while", "on and off", "here and there")
PREDICT_WORDS = ("predictability", "predictable", "predictible", "same speed", "consistent", "consistency",
                 "steadiness", "stability", "stable speed", "same gpu", "reliable performance",
                 "gpu lottery", "lottery", "gpu roulette", "roulette", "speed", "steady", "variance", "spread")


def _closing() -> tuple[str, ...]:
    """'close the tab', 'closing my browser', 'the laptop is shut', 'with the lid closed': a need for background
    execution, said as what the user does to their own machine."""
    things = ("tab", "browser", "laptop", "computer", "pc", "window", "lid", "browser tab", "notebook tab", "mac",
              "macbook", "machine", "screen")
    verbs = ("close", "closes", "closing", "closed", "shut", "shuts", "shutting", "shut down", "shutting down",
             "turn off", "turning off", "switch off", "switching off", "put to sleep")
    states = ("closed", "shut", "off", "asleep", "shut down", "turned off", "switched off")
    out = []
    for thing in things:
        for det in ("the ", "my ", "our ", ""):
            out += [f"{verb} {det}{thing}" for verb in verbs]
            out += [f"{det}{thing}{link} {state}" for link in ("", " is", " being", " gets") for state in states]
    return tuple(out)


# Ways of naming the needs beside advisor.vocab.Need.keywords (that enum holds the core's names; these are the
# chat's paraphrases): need value -> phrases.
NEED_PHRASES: dict[str, tuple[str, ...]] = {
    "selectable-timeout": ("times out", "timing out", "timed out", "time outs", "pick how long", "choose how long",
                           "set how long", "decide how long", "control how long", "how long before it stops",
                           "control the timeout", "change the timeout", "adjust the timeout", "longer timeout",
                           "control when it stops", "decide when it stops", "idle limit", "auto stop",
                           "auto shut down", "shutdown timer"),
    "background": _closing() + ("walk away", "while i am away", "when i am away", "while i am asleep",
                                "when i log out", "after i log out", "logged out", "lose connection",
                                "connection drops", "internet drops", "wifi drops", "unattended runs",
                                "keeps going", "keep going", "run by itself", "runs by itself", "on its own",
                                "detached", "headless"),
    "deployment": ("stable api", "an api", "rest api", "an api endpoint", "host the model",
                   "host my model", "host a model", "host models", "serve the model as",
                   "serve my model as", "api endpoint", "an endpoint", "inference endpoint", "public url",
                   "serve requests", "expose an api", "expose it", "put it online", "make it an api",
                   "as a web app", "as an app", "host an app"),
    "private": ("only me", "hidden", "not shared", "not visible", "nobody can see", "no one can see",
                "keep it to myself", "keep my code private", "closed source", "under nda", "nda",
                "nobody else can see", "no one else can see"),
}
# Words for the opposite of a need: denied, they name the need ("my notebooks can't be public" = private).
NEED_ANTONYMS: dict[str, tuple[str, ...]] = {
    "private": ("public", "publicly", "visible to everyone", "visible to others", "open to everyone",
                "see each other's notebooks", "see each others notebooks", "see each other's work",
                "see each others work", "see each other's code", "see other people's notebooks",
                "see my notebooks", "see my work", "see my code", "see our notebooks", "see our code",
                "open to the public", "shared publicly", "world readable", "anyone can see"),
}
# A conditional after one of these words is a wish, not a what-if ("bonus if I can host it", "nice if it could").
WISH_BEFORE_IF = ("nice", "bonus", "good", "great", "helpful", "handy", "useful", "better", "ideal", "plus", "cool",
                  "happy", "glad", "appreciated", "prefer", "preferably", "ideally", "lovely", "neat", "awesome")

NEEDS_NONE = ("none", "nothing", "no", "nope", "nothing special", "none of those", "none of them", "none of that",
              "not really", "neither", "no thanks", "nothing else", "not necessary", "no special needs",
              "no needs", "nah", "nothing in particular", "no special", "not needed", "none really",
              "do not need any", "not any", "no need", "do not need anything", "not need anything",
              "anything special", "need nothing", "no extras", "no features", "no special features")
NEEDS_ALL = ("all of them", "all", "everything", "all four", "all of those", "all of that", "every one")
NEEDS_EXCEPT = ("except", "but not", "other than", "apart from", "besides", "excluding")
EDUCATION_YES = ("student", "students", "phd", "ph d", "phd student", "grad student", "masters student",
                 "master student", "undergrad", "undergraduate", "postgrad", "graduate student", "lecturer",
                 "professor", "teacher", "faculty", "teaching", "i study", "i am studying", "studying at",
                 "researcher at a university", "university lecturer", "teach a course", "teaching assistant",
                 "doctoral", "doctorate", "msc student", "bsc student", "at school", "tutor", "instructor",
                 "educator", "academic staff", "student of", "i teach", "we teach", "teach at", "i am teaching",
                 "uni student", "university student", "college student", "school student")
EDUCATION_NO = ("not a student", "no longer a student", "not student", "graduated", "not in school",
                "not at university", "not academic", "not a teacher", "not eligible")
MULTI_GPU = ("multi gpu", "multiple gpus", "several gpus", "both gpus", "two gpus", "2 gpus", "all the gpus",
             "multi-gpu", "data parallel", "across gpus", "dual gpu", "t4 x2", "2 x t4", "2x t4")

# Platforms people ask about that the catalog does not hold: key -> names.
OTHER_PLATFORMS: dict[str, tuple[str, ...]] = {
    "lightning": ("lightning", "lightning ai", "lightning studio", "lightning studios"),
    "saturn": ("saturn cloud", "saturncloud"),
    "deepnote": ("deepnote",),
    "azure": ("azure", "azure ml", "azure notebooks"),
    "gcp": ("vertex", "vertex ai", "google cloud", "gcp"),
    "coreweave": ("coreweave",),
}
# Extra names for catalog platforms (key: the platform key the chat derives from plan ids).
PLATFORM_ALIASES: dict[str, tuple[str, ...]] = {
    "colab": ("colab", "google colab", "colaboratory", "collab", "google collab"),
    "kaggle": ("kaggle", "kaggle notebooks", "kaggle kernels"),
    "gradient": ("paperspace", "gradient", "paperspace gradient"),
    "studiolab": ("studio lab", "studiolab", "sagemaker studio lab", "studio lab free", "amazon studio lab"),
    "sagemaker": ("sagemaker", "aws sagemaker", "amazon sagemaker", "aws", "sagemaker notebook"),
    "modal": ("modal", "modal labs", "modal com"),
    "runpod": ("runpod", "run pod"),
    "vastai": ("vast", "vast ai", "vastai", "vast.ai"),
    "lambda": ("lambda", "lambda labs", "lambda cloud", "lambdalabs"),
    "digitalocean": ("digitalocean", "digital ocean", "do gpu", "gpu droplets"),
}

# Words about a plan fact in a question ("how long can a colab session be?"): PlanField value -> phrases.
FACT_WORDS: dict[str, tuple[str, ...]] = {
    "session_limit_hours": ("how long", "session", "sessions", "session limit", "time limit", "max runtime",
                            "longest"),
    "gpu_hours_per_week": ("hours per week", "hours a week", "per week", "a week", "weekly", "quota", "how many hours",
                           "limit per week"),
    "gpu_hours_per_day": ("per day", "a day", "daily"),
    "monthly_price_usd": ("free", "price", "cost", "costs", "how much", "expensive", "cheap", "pay", "paid"),
    "idle_timeout_minutes": ("idle", "idle timeout", "disconnect", "inactive", "afk"),
    "notebooks_running_max": ("at once", "in parallel", "concurrent", "at the same time", "how many notebooks"),
    "background_execution": ("close my laptop", "close the laptop", "close the tab", "background", "keep running",
                             "offline", "when i close", "while i sleep"),
    "private_notebooks": ("private", "privacy", "public"),
    "deployment": ("deploy", "deployment", "endpoint", "serve", "api"),
    "selectable_timeout": ("selectable timeout", "choose the timeout", "set the timeout"),
    "ram_gib": ("ram",),
    "requires_education": ("student", "students", "education", "eligible"),
}
WHY_WORDS = ("why", "why not", "ranked", "rank", "so low", "so high", "not recommended", "first", "best", "worse",
             "better", "ok", "good", "suitable", "fit", "work for me")

# Common English words the typo corrector leaves alone (they are close to lexicon words but mean something else).
COMMON_WORDS = frozenset("""
a about above after again against ago all also am an and another any anyone anything are around as ask at away
back be because been before being below best better between big bit both but by came can case cheap check class
code come could course data day did do does doing done down each else end enough even ever every few find first
fit for from gave get give go going gone good got great had has have having he her here him his hold home how i if
in into is it its just keep kind know large last later least less let like line little live long look lot lots
made main make many may me mean might mind mine more most much must my need never new next nice no nor not now
of off often ok old on once one only or other our out over own part people per place plan plans please point
points put quite rather real really right run said same saw say see seem set she should show side since so some
something soon still such sure take tell than thank thanks that the their them then there these they thing things
think this those though time to today too took tried try two under until up us use used using very want was way we
well went were what when where which while who why will wish with without work works would yes yet you your
fine mix max min maybe then than them here hear tired tried model models thesis course team lab labs company
school image images photo photos people person user users night week weeks month months year years hour hours
today tomorrow tonight weekend weekends job jobs task tasks local laptop desktop server cloud quick slow fast
gpu gpus cpu cpus card cards test tests result results start stop thing think same sure fun bad minus plus
""".split())

# Taking a what-if just shown as the answers ("what if I had $25?" ... "ok let's do that").
ADOPT_WHAT_IF = ("let us do that", "let us do it", "do that", "do it", "go with that", "go with it", "go for it",
                 "go for that", "keep that", "use that", "apply that", "apply it", "make it so", "switch to that",
                 "take that", "i will take that", "sounds good", "deal", "yes please", "that one", "set it",
                 "change it to that", "lets do that", "lets do it")
