"""`advisor data check`: the catalog maintainer's to-do list. It loads data/ (a broken file is the first item and
the only one), then lists what needs re-checking: stale and disputed facts in force, unverified rows, rows
without a locator or with only a transcript's description, plans whose newest price is more than a year old, rates
and exchange rates past their age, GPUs in use that nobody has measured or whose estimate is extrapolated beyond
the measured GPUs' specs, GPU pools whose availability covers one plan but not its sibling, included units without
a unit price, and confidence that claims more than the source's kind. Every item names file, line and field."""
from __future__ import annotations

import datetime as dt
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import Provenance, load_catalog, load_raw
from .distributions import score_book
from .errors import CatalogError
from .vocab import STALE_AFTER_DAYS, Confidence, Metric, PlanField, PriceModel, RateTerm, RateUnit, RowStatus

PRICE_MAX_AGE_DAYS = 365
# A price in force is re-checked after this many days, by the plan's price model: hourly clouds and marketplaces
# reprice within a quarter (the 2026-12 audit found RunPod Secure rates 127 days old and 7-10% low); compute units and
# subscriptions change about yearly.
RATE_MAX_AGE_DAYS = {PriceModel.HOURLY: 90, PriceModel.UNITS: 180, PriceModel.SUBSCRIPTION: 180, PriceModel.FREE: 365}
# An exchange rate converts a user's "€25"; after a quarter it can be off by several per cent.
FX_MAX_AGE_DAYS = 90
# A rate this many times above or below the median of the same GPU's on-demand USD rates (at least UNIT_PEERS of
# them) is likely in the wrong unit: cents for dollars is 100x; real spreads between clouds stay within about 5x.
UNIT_RATIO = 20
UNIT_PEERS = 3
# Words in a source that say the row was read through someone else's copy, not the platform's own page.
_THIRD_PARTY = re.compile(r"transcri|quoted|third[- ]party|relayed|summary|as read live|chat-transcript", re.I)
# An issue or pull-request thread: at most a maintainer's word, never the platform's own page or docs.
_ISSUE = re.compile(r"github\.com/[^/\s]+/[^/\s]+/(issues|pull|discussions)/\d+")


@dataclass(frozen=True)
class Item:
    """One thing to look at: what it is, where (file and line), the field, and why."""

    kind: str
    where: str
    what: str
    field: str = ""

    def to_dict(self) -> dict:
        return {"kind": self.kind, "where": self.where, "field": self.field or None, "what": self.what}

    def to_text(self) -> str:
        place = f"{self.where}, field '{self.field}'" if self.field else self.where
        return f"{place}: {self.what}"


@dataclass
class DataReport:
    broken: str | None = None
    items: list[Item] = field(default_factory=list)

    KINDS = {"stale": f"facts in force older than {STALE_AFTER_DAYS} days",
             "disputed": "facts whose sources disagree",
             "unverified": "rows kept as history but not relied on",
             "no_locator": "rows whose source has no URL or repository path",
             "weak_locator": "rows whose source names no single page (a URL, a repository with a path, commit or "
                             "issue, or a copy id): a transcript's or table's description",
             "old_price": f"plans whose newest price is older than {PRICE_MAX_AGE_DAYS} days",
             "old_rate": "prices in force older than their price model allows ("
                         + ", ".join(f"{m} {d} days" for m, d in RATE_MAX_AGE_DAYS.items()) + ")",
             "old_fx": f"exchange rates in force older than {FX_MAX_AGE_DAYS} days",
             "unmeasured_gpu": "GPUs in use without a measured AI Benchmark score (estimated from spec sheets)",
             "extrapolated": "GPUs in use whose estimated score comes from specs outside the measured GPUs' range",
             "pool_gap": "plans offering a GPU whose availability is observed on a sibling plan's pool but not on "
                         "theirs",
             "no_unit_price": "plans with included units but no price for a unit beyond them",
             "confidence": "rows whose confidence claims more than the source's kind (official for a third-party "
                           "copy or an issue thread)",
             "units": f"prices {UNIT_RATIO}x away from the same GPU's other rates (cents for dollars?) and hourly "
                      "USD plans charged in compute units",
             "conflict": "rows of one fact on one day that disagree (the first would bind silently), and ids used "
                         "for both a GPU and a plan"}

    def to_dict(self) -> dict:
        return {"broken": self.broken, "counts": {k: sum(i.kind == k for i in self.items) for k in self.KINDS},
                "items": [i.to_dict() for i in self.items]}

    def to_text(self) -> str:
        if self.broken:
            return f"broken: {self.broken}"
        out = []
        for kind, title in self.KINDS.items():
            mine = [i for i in self.items if i.kind == kind]
            out.append(f"{title}: {len(mine)}")
            out += [f"  {i.to_text()}" for i in mine]
        return "\n".join(out)


def _where(p: Provenance) -> str:
    return p.where or "?"


def check_data(data_dir: Path | str | None = None, today: dt.date | None = None) -> DataReport:
    """Everything a maintainer should look at in the catalog, as of today."""
    today = today or dt.date.today()
    report = DataReport()
    try:
        raw = load_raw(data_dir)
        catalog = load_catalog(today, data_dir)
    except CatalogError as exc:
        report.broken = str(exc)
        return report
    add = report.items.append
    for plan in catalog.plans.values():
        for fact in plan.facts.values():
            p = fact.observation.provenance
            if p.is_stale(today):
                add(Item("stale", _where(p), f"{plan.plan_id} {fact.field} = {fact.value} as of {p.as_of} "
                                            f"({p.age_days(today)} days old)", "as_of"))
            for other in fact.disputed_by:
                add(Item("disputed", _where(other.provenance),
                         f"{plan.plan_id} {fact.field}: {other.value} ({other.provenance.source}, "
                         f"{other.provenance.as_of}) against {fact.value} ({p.source}, {p.as_of}); {fact.value} binds",
                         "value"))
        dates = [plan.facts[PlanField.MONTHLY_PRICE_USD].observation.provenance.as_of]
        dates += [r.provenance.as_of for (card, _, term, _), r in catalog.rates.items()
                  if card == plan.rate_card and term is RateTerm.ON_DEMAND]
        if (today - max(dates)).days > PRICE_MAX_AGE_DAYS:
            add(Item("old_price", f"plans.csv, line {raw.plan_lines.get(plan.plan_id, '?')}",
                     f"{plan.plan_id}: newest price dated {max(dates)}", "plan_id"))
    provenances = [g.provenance for g in raw.gpus.values()] + [o.provenance for o in raw.facts] \
        + [o.provenance for _, o in raw.options] + [r.provenance for r in raw.rates] \
        + [a.provenance for a in raw.availability] + [e.provenance for e in raw.evidence] \
        + [m.provenance for m in raw.usable_memory] + [f.provenance for f in raw.fx_rates]
    for p in provenances:
        if p.status is RowStatus.UNVERIFIED:
            add(Item("unverified", _where(p), f"{p.source} ({p.as_of}): {p.note}", "status"))
        if not p.has_locator:
            add(Item("no_locator", _where(p), p.source, "source"))
        elif not p.has_strict_locator:
            add(Item("weak_locator", _where(p), p.source, "source"))
        if p.confidence is Confidence.OFFICIAL and (_THIRD_PARTY.search(p.source) or _ISSUE.search(p.source)):
            add(Item("confidence", _where(p), f"'official' for {p.source!r}: a third-party copy or an issue thread "
                                              "is community (or maintainer for a maintainer's word)", "confidence"))
    _old_rates(catalog, today, add)
    _old_fx(catalog, raw, today, add)
    _scores(catalog, add)
    _pool_gaps(catalog, raw, add)
    _unit_prices(catalog, add)
    _units(catalog, raw, add)
    _conflicts(raw, add)
    return report


def _units(catalog, raw, add) -> None:
    """Rates whose magnitude says they are in another unit, and USD-by-the-hour plans whose card charges units."""
    by_gpu: dict[str, list] = {}
    for r in raw.rates:
        if r.provenance.usable and r.unit is RateUnit.USD_PER_HOUR and r.term is RateTerm.ON_DEMAND and r.rate > 0:
            by_gpu.setdefault(r.gpu_id, []).append(r)
    for gpu_id, rates in by_gpu.items():
        if len(rates) < UNIT_PEERS:
            continue
        median = statistics.median(r.rate for r in rates)
        for r in rates:
            ratio = r.rate / median
            if ratio > UNIT_RATIO or ratio < 1 / UNIT_RATIO:
                add(Item("units", _where(r.provenance), f"{r.rate_card} {gpu_id} {r.rate:g} USD/hour is {ratio:.3g} "
                                                       f"times the median {median:g} of {len(rates)} rates for this "
                                                       "GPU; is it in cents, or a typo?", "rate"))
    hourly_cards = {p.rate_card for p in catalog.plans.values() if p.price_model is PriceModel.HOURLY}
    for r in raw.rates:
        if r.rate_card in hourly_cards and r.unit is RateUnit.UNITS_PER_HOUR:
            add(Item("units", _where(r.provenance), f"{r.rate_card} {r.gpu_id}: charged in units_per_hour on the "
                                                   "card of an hourly USD plan; use usd_per_hour", "unit"))


def _conflicts(raw, add) -> None:
    """Normal rows of one fact, rate or exchange rate on one day with different values, and ids shared by a GPU
    and a plan."""
    groups: dict[tuple, list] = {}
    for o in raw.facts:
        groups.setdefault(("fact", o.plan_id, o.field, o.provenance.as_of), []).append((o.value, o.provenance))
    for r in raw.rates:
        groups.setdefault(("rate", r.rate_card, r.gpu_id, r.unit, r.term, r.statistic, r.requires_plan,
                           r.provenance.as_of), []).append((r.rate, r.provenance))
    for f in raw.fx_rates:
        groups.setdefault(("fx", f.currency, f.provenance.as_of), []).append((f.usd_per_unit, f.provenance))
    for key, rows in groups.items():
        normal = [(v, p) for v, p in rows if p.status is RowStatus.NORMAL]
        if len({v for v, _ in normal}) > 1:
            (first, p1), (other, p2) = normal[0], next((v, p) for v, p in normal if v != normal[0][0])
            name = " ".join(str(k) for k in key[1:-1] if k is not None)
            add(Item("conflict", _where(p2), f"{name} on {key[-1]}: {other} here against {first} at {_where(p1)}; "
                                             "mark one disputed or unverified, or correct it",
                     "usd_per_unit" if key[0] == "fx" else "rate" if key[0] == "rate" else "value"))
    for gpu_id in sorted(set(raw.gpus) & set(raw.plans)):
        add(Item("conflict", f"gpus.csv, {_where(raw.gpus[gpu_id].provenance)}",
                 f"'{gpu_id}' is both a GPU id and a plan id; rename one", "gpu_id"))


def _old_rates(catalog, today: dt.date, add) -> None:
    seen = set()
    for plan in catalog.plans.values():
        limit = RATE_MAX_AGE_DAYS[plan.price_model]
        for option in plan.options:
            for gpu_id in option.gpu_ids:
                rate = catalog.rate(plan, gpu_id)
                if rate is None or id(rate) in seen:
                    continue
                seen.add(id(rate))
                p = rate.provenance
                if p.age_days(today) > limit:
                    add(Item("old_rate", _where(p), f"{rate.rate_card} {gpu_id} {rate.rate:g} {rate.unit} as of "
                                                    f"{p.as_of} ({p.age_days(today)} days; {plan.price_model} plans: "
                                                    f"{limit})", "rate"))


def _old_fx(catalog, raw, today: dt.date, add) -> None:
    for currency in sorted({r.currency for r in raw.fx_rates}):
        rate = catalog.usd_rate(currency)
        if rate is not None and rate.provenance.age_days(today) > FX_MAX_AGE_DAYS:
            p = rate.provenance
            add(Item("old_fx", _where(p), f"{currency} {rate.usd_per_unit:g} USD as of {p.as_of} "
                                          f"({p.age_days(today)} days old)", "usd_per_unit"))


def _scores(catalog, add) -> None:
    """GPUs in use without a measurement; among them, those whose FP32 or bandwidth lies outside the measured
    GPUs' range, so that their estimate is an extrapolation of the spec-sheet fit."""
    book = score_book(catalog)
    in_use = sorted({g for plan in catalog.plans.values() for o in plan.options for g in o.gpu_ids})
    measured = [g for g in catalog.gpus.values() if (s := book.gpu_score(g.gpu_id, Metric.AI)) is not None
                and not s.estimated]
    ranges = {name: (min(getattr(g, name) for g in measured), max(getattr(g, name) for g in measured))
              for name in ("fp32_tflops", "memory_bandwidth_gbps")} if measured else {}
    for gpu_id in in_use:
        score = book.gpu_score(gpu_id, Metric.AI)
        if score is None or score.estimated:
            gpu = catalog.gpus[gpu_id]
            add(Item("unmeasured_gpu", _where(gpu.provenance), f"{gpu_id} ({gpu.name})", "gpu_id"))
            for name, (low, high) in ranges.items():
                value = getattr(gpu, name)
                if not low <= value <= high:
                    add(Item("extrapolated", _where(gpu.provenance),
                             f"{gpu_id}: {name} {value:g} is outside the measured GPUs' {low:g}-{high:g}; its "
                             "estimated score is an extrapolation", name))


def _pool_gaps(catalog, raw, add) -> None:
    """Availability is kept per GPU pool, so the plans of one pool cannot disagree. What can still go wrong is a
    plan left out of the pool it draws on: a plan of the same platform offering the same GPU, with no availability
    observation of its own pool while a sibling pool has one."""
    observed: dict[str, set[str]] = {}
    for a in raw.availability:
        if a.provenance.usable and a.provenance.as_of <= catalog.as_of:
            observed.setdefault(a.gpu_pool, set()).add(a.option)
    for plan in catalog.plans.values():
        for option in plan.options:
            if catalog.availability(plan, option) is not None:
                continue
            for other in catalog.plans.values():
                if other.platform != plan.platform or other.gpu_pool == plan.gpu_pool:
                    continue
                if any(o.gpu_ids == option.gpu_ids and catalog.availability(other, o) is not None
                       for o in other.options):
                    add(Item("pool_gap", f"plans.csv, line {raw.plan_lines.get(plan.plan_id, '?')}",
                             f"{plan.plan_id} option '{option.option}' ({', '.join(option.gpu_ids)}) has no "
                             f"availability observation in pool {plan.gpu_pool}, while {other.plan_id} (pool "
                             f"{other.gpu_pool}) has one for the same GPU; put both plans in one pool", "gpu_pool"))
                    break


def _unit_prices(catalog, add) -> None:
    for plan in catalog.plans.values():
        included = plan.facts.get(PlanField.INCLUDED_UNITS)
        if included is not None and included.value > 0 and plan.fact(PlanField.USD_PER_UNIT) is None:
            add(Item("no_unit_price", _where(included.observation.provenance),
                     f"{plan.plan_id} includes {included.value:g} units but has no usd_per_unit: every unit beyond "
                     "them would cost nothing", "usd_per_unit"))
