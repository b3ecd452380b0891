"""`advisor data check`: the catalog maintainer's to-do list. It loads data/ (a broken file is the first item and
the only one), then lists what needs re-checking: stale and disputed facts in force, unverified rows, rows
without a locator, plans whose newest price is more than a year old, and GPUs in use that nobody has measured."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import Provenance, load_catalog, load_raw
from .distributions import score_book
from .errors import CatalogError
from .vocab import STALE_AFTER_DAYS, Metric, PlanField, RateTerm, RowStatus

PRICE_MAX_AGE_DAYS = 365


@dataclass(frozen=True)
class Item:
    """One thing to look at: what it is, where (file and line), and why."""

    kind: str
    where: str
    what: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "where": self.where, "what": self.what}


@dataclass
class DataReport:
    broken: str | None = None
    items: list[Item] = field(default_factory=list)

    KINDS = {"stale": f"facts in force older than {STALE_AFTER_DAYS} days",
             "disputed": "facts whose sources disagree",
             "unverified": "rows kept as history but not relied on",
             "no_locator": "rows whose source has no URL or repository path",
             "old_price": f"plans whose newest price is older than {PRICE_MAX_AGE_DAYS} days",
             "unmeasured_gpu": "GPUs in use without a measured AI Benchmark score (estimated from spec sheets)"}

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
            out += [f"  {i.where}: {i.what}" for i in mine]
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
                                            f"({p.age_days(today)} days old)"))
            for other in fact.disputed_by:
                add(Item("disputed", _where(other.provenance),
                         f"{plan.plan_id} {fact.field}: {other.value} ({other.provenance.source}, "
                         f"{other.provenance.as_of}) against {fact.value} ({p.source}, {p.as_of}); {fact.value} binds"))
        dates = [plan.facts[PlanField.MONTHLY_PRICE_USD].observation.provenance.as_of]
        dates += [r.provenance.as_of for (card, _, term, _), r in catalog.rates.items()
                  if card == plan.rate_card and term is RateTerm.ON_DEMAND]
        if (today - max(dates)).days > PRICE_MAX_AGE_DAYS:
            add(Item("old_price", plan.plan_id, f"newest price dated {max(dates)}"))
    provenances = [g.provenance for g in raw.gpus.values()] + [o.provenance for o in raw.facts] \
        + [o.provenance for _, o in raw.options] + [r.provenance for r in raw.rates] \
        + [a.provenance for a in raw.availability] + [e.provenance for e in raw.evidence]
    for p in provenances:
        if p.status is RowStatus.UNVERIFIED:
            add(Item("unverified", _where(p), f"{p.source} ({p.as_of}): {p.note}"))
        if not p.has_locator:
            add(Item("no_locator", _where(p), p.source))
    book = score_book(catalog)
    in_use = sorted({g for plan in catalog.plans.values() for o in plan.options for g in o.gpu_ids})
    for gpu_id in in_use:
        score = book.gpu_score(gpu_id, Metric.AI)
        if score is None or score.estimated:
            gpu = catalog.gpus[gpu_id]
            add(Item("unmeasured_gpu", _where(gpu.provenance), f"{gpu_id} ({gpu.name})"))
    return report
