"""What the chat answers to questions: explanations of the advisor's ideas (AI score, p10-p90, the GPU lottery)
and answers about a platform, taken from the catalog's facts and the ranking, never from text about a platform."""
from __future__ import annotations

from ..catalog import Catalog, Plan
from ..present.labels import gpu_text, money, price_text, reasons_text, verdict_line, why_text
from ..recommend import Recommendation
from ..vocab import Basis, Metric, Need, PlanField, Predictability
from ..workload import REQUIRED_MAX_CV, Workload
from . import lexicon as lx
from .parse import Reading

# ---------------------------------------------------------------------------------------------
# Explanations


def explanation(topic: str, catalog: Catalog) -> str:
    """The explanation of one of the advisor's ideas (lexicon.EXPLAIN_TOPICS); examples come from the catalog."""
    lotteries = sorted({p.label for p in catalog.plans.values() if any(o.is_lottery for o in p.options)})
    if topic in ("ai_score", "training_score", "inference_score"):
        which = {"ai_score": Metric.AI, "training_score": Metric.TRAINING, "inference_score": Metric.INFERENCE}[topic]
        return (f"The **{which.label}** comes from AI Benchmark, which times 42 small deep-learning tests on a GPU; "
                f"higher is faster. {Metric.TRAINING.label.capitalize()} covers the training tests, "
                f"{Metric.INFERENCE.label} the inference tests, and the {Metric.AI.label} both. I rank training "
                f"work on the {Metric.TRAINING.label}, inference on the {Metric.INFERENCE.label}, a mix on the "
                f"{Metric.AI.label}. Scores come from published runs (measured on the platform, or modelled from "
                "measured GPUs) or, where none exist, are estimated from spec sheets and marked with '~'.")
    texts = {
        "p10_p90": "**p10–p90** is the range of the score over sessions: 1 session in 10 is slower than p10, 1 in 10 "
                   "faster than p90. A wide range means a GPU lottery or a shared GPU.",
        "price_per_score": "**$ per 1,000 points** is the monthly cost divided by the score in thousands: what a "
                           "unit of speed costs you. The ranking puts the lowest first; free plans cost nothing.",
        "estimate": f"A score is **{Basis.MEASURED.label}** when runs on the platform were published, "
                    f"**{Basis.MODELLED.label}** when the GPU was measured elsewhere, and **{Basis.ESTIMATED.label}** "
                    "otherwise; an estimate shows '~' and its error (for example ±51%), the typical miss of the "
                    "spec-sheet model on GPUs where the truth is known.",
        "gpu_lottery": "A **GPU lottery** is a plan that hands out a different GPU each session"
                       + (f" (in the catalog: {', '.join(lotteries)})" if lotteries else "")
                       + ", so the same run can be several times slower one day than another. Say you need "
                       "predictable speed and I drop such plans, or prefer it and I rank them on a bad session.",
        "predictability": f"**Predictability** is how much the same speed every session matters: "
                          f"'{Predictability.ANY.label}', '{Predictability.PREFER.label}', or "
                          f"'{Predictability.REQUIRE.label}' (a spread of at most {REQUIRED_MAX_CV:.0%}).",
        "needs": "Features a plan must have: " + "; ".join(f"**{n.label}**" for n in Need) +
                 ". A **selectable timeout** lets you choose when an idle or running session stops; **background "
                 "execution** keeps it running after you close the tab or laptop; **deployment** serves a model as "
                 "an API; **private** notebooks are not public. Say 'would be nice' for a wish: it only breaks "
                 "ties.",
        "kind": "**Training** (fine-tuning included) teaches a model from data; **inference** runs a trained model "
                "on new inputs. I rank training on the AI Benchmark's training score, inference on its inference "
                "score, and a mix of both on the overall AI score.",
        "budget": "The **budget** is what you will pay **per month**, in US dollars (say '€25' and I convert it at "
                  "a dated reference rate). 'Free only' keeps to free plans; 'no limit' ranks them all.",
        "how_it_works": "I ask eight short questions (kind of work, GPU memory, longest run, hours a month, notebooks "
                        "at once, budget, predictability, needs), drop the plans that cannot do the job (memory, "
                        "session limit, quota, budget, needs), then rank the rest by **price per point of speed** on "
                        "the score for your kind of work. You can answer several questions at once, change an answer "
                        "('make the budget 50'), ask 'what if I had $20?', 'why not Colab?', 'undo' or 'start over'.",
    }
    return texts[topic]


def explain_topic(r: Reading) -> str | None:
    """The topic a question asks about, the most specific phrase winning."""
    found = r.match(lx.EXPLAIN_TOPICS)
    if not found:
        return None
    return max(found, key=lambda m: (m.end - m.start, -m.start)).label


# ---------------------------------------------------------------------------------------------
# Platforms


def platform_keys(catalog: Catalog) -> dict[str, list[Plan]]:
    """Plans grouped by platform key (the most common first part of the platform's plan ids: 'colab', 'gradient')."""
    by_platform: dict[str, list[Plan]] = {}
    for plan in catalog.plans.values():
        by_platform.setdefault(plan.platform, []).append(plan)
    out: dict[str, list[Plan]] = {}
    for plans in by_platform.values():
        keys = [p.plan_id.split("-")[0] for p in plans]
        key = max(set(keys), key=lambda k: (keys.count(k), -len(k)))
        out.setdefault(key, []).extend(plans)
    return out


def platform_names(catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """key -> names people use for the platform (catalog names, the lexicon's aliases, and names not in the
    catalog, whose key then has no plans)."""
    out = {}
    for key, plans in platform_keys(catalog).items():
        names = {plans[0].platform.lower(), *lx.PLATFORM_ALIASES.get(key, ())}
        out[key] = tuple(names)
    for key, names in lx.OTHER_PLATFORMS.items():
        out.setdefault(key, names)
    return out


def platforms_in(r: Reading, catalog: Catalog) -> list[str]:
    """Platform keys a message names, in order."""
    found = r.match(platform_names(catalog))
    return list(dict.fromkeys(m.label for m in found))


def _fact_line(plan: Plan, field: PlanField) -> str:
    fact = plan.facts.get(field)
    if fact is None:
        return f"{field.label}: not published"
    value = fact.value
    shown = ("yes" if value else "no") if isinstance(value, bool) else \
        money(value) if field is PlanField.MONTHLY_PRICE_USD else f"{value:g}"
    prov = fact.observation.provenance
    disputed = " (sources disagree; the stricter value is shown)" if fact.disputed_by else ""
    return f"{field.label}: **{shown}**{disputed} ({source_link(prov.source, prov.as_of)})"


def source_link(source: str, as_of) -> str:
    """A source as a short link with its date: '[runpod.io/pricing](https://...), as of 2026-07-31'; a source
    without an address is cut to its first words (UX probe defect 22: raw provenance was dumped into answers)."""
    import re

    url = re.search(r"https?://[^\s)>\]]+", source or "")
    if url:
        address = url.group(0).rstrip(".,;'\"")
        short = re.sub(r"^https?://(www\.)?", "", address).rstrip("/")
        short = short if len(short) <= 40 else short[:39] + "…"
        return f"[{short}]({address}), as of {as_of.isoformat()}"
    words = (source or "source").split()
    return " ".join(words[:6]) + ("…" if len(words) > 6 else "") + f", as of {as_of.isoformat()}"


def _asked_fields(r: Reading) -> list[PlanField]:
    found = r.match({k: v for k, v in lx.FACT_WORDS.items()})
    return list(dict.fromkeys(PlanField(m.label) for m in found))


def _plan_names(plan: Plan) -> list[tuple[str, ...]]:
    """The ways a plan is named, from the catalog (its tier with and without the parenthesis, its id's words
    beside the platform's): 'pro for education', 'pro edu'."""
    from .parse import _key
    tier = plan.tier.split("(")[0]
    words = [w for w in plan.plan_id.split("-") if w not in plan.platform.lower().split()]
    platform = plan.plan_id.split("-")[0]
    names = {_key(plan.tier), _key(tier), " ".join(words[1:] if words and words[0] == platform else words)}
    return [tuple(n.split()) for n in names if n and len(n) > 2 or n in ("pro",)]


def _plan_matches(r: Reading, plans: list[Plan]) -> list[Plan]:
    """The plans of a platform the message singles out by the longest name it says ('colab pro for education'
    reaches Pro for Education, not Pro), else all of them."""
    words = r.words

    def said(name: tuple[str, ...]) -> int:
        n = len(name)
        return n if any(tuple(words[i:i + n]) == name for i in range(len(words) - n + 1)) else 0

    scores = {p.plan_id: max((said(n) for n in _plan_names(p)), default=0) for p in plans}
    best = max(scores.values(), default=0)
    return [p for p in plans if scores[p.plan_id] == best] if best else plans


def about(catalog: Catalog, key: str, r: Reading, workload: Workload, recs: list[Recommendation] | None,
          provisional: bool) -> str:
    """The answer to a question about a platform: what the ranking says of its plans and the facts asked about."""
    plans = platform_keys(catalog).get(key)
    if not plans:
        name = lx.OTHER_PLATFORMS.get(key, (key,))[-1 if key == "lightning" else 0]
        known = ", ".join(sorted({p.platform for p in catalog.plans.values()}))
        return f"**{name.title()}** is not in my catalog, so I can't compare it (no sourced prices or limits). " \
               f"The platforms I know: {known}."
    plans = _plan_matches(r, plans)
    fields = _asked_fields(r)
    by_plan = {rec.plan_id: rec for rec in recs or []}
    n_feasible = sum(rec.feasible for rec in recs or [])
    lines = []
    for plan in plans[:5]:
        head = f"**{plan.label}**"
        rec = by_plan.get(plan.plan_id)
        if rec is None and plan.fact(PlanField.REQUIRES_EDUCATION):
            verdict = "only for eligible students and teachers (tell me if you are one)."
        elif rec is None:
            verdict = "not ranked for your answers."
        elif rec.feasible:
            verdict = why_text(catalog, rec, workload, n_feasible)
        else:
            verdict = f"does not fit: {reasons_text(rec)}."
        facts = [PlanField(f) for f in fields] or [PlanField.MONTHLY_PRICE_USD, PlanField.SESSION_LIMIT_HOURS,
                                                   PlanField.GPU_HOURS_PER_WEEK]
        gpu = "; ".join(gpu_text(catalog, o) for o in plan.options[:3])
        details = [_fact_line(plan, f) for f in facts if f in plan.facts or fields]
        if not fields:
            details.insert(0, f"price: {price_text(catalog, plan, plan.options[0])}; GPU: {gpu}")
        lines.append(f"- {head}: {verdict}\n  " + "\n  ".join(details))
    note = "\n\n(Ranked on your answers so far; questions not yet answered take their defaults.)" if provisional \
        else ""
    return "\n".join(lines) + note


def ranking_text(catalog: Catalog, workload: Workload, recs: list[Recommendation], top: int = 5) -> str:
    """The verdict and the top plans, each with its 'why'."""
    feasible = [r for r in recs if r.feasible]
    if not feasible:
        return ("**No plan meets every requirement.** The closest fail because:\n"
                + "\n".join(f"- **{r.plan.label}**: {reasons_text(r)}" for r in recs[:3])
                + "\n\nChange an answer (for example 'make the budget 50') or ask 'what if ...?'.")
    lines = [f"{r.rank}. **{r.plan.label}**: {why_text(catalog, r, workload, len(feasible))}" for r in feasible[:top]]
    rest = len(recs) - len(feasible)
    extra = len(feasible) - top
    more = f"\n\n{extra} more plan{' fits' if extra == 1 else 's fit'}." if extra > 0 else ""
    misfit = f" {rest} {'does' if rest == 1 else 'do'} not fit (ask 'why not ...?')." if rest else ""
    return f"**{verdict_line(catalog, recs, workload)}**\n\n" + "\n".join(lines) + more + misfit
