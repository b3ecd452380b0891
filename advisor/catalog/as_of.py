"""The catalog as of a date: for every fact the newest usable observation on or before that date wins; disputed
observations stay live together until a newer undisputed one settles them, and the stricter value binds."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from ..errors import UnknownGpuError, UnknownPlanError, did_you_mean
from ..vocab import Availability, PlanField, PriceModel, RateStatistic, RateTerm, RowStatus
from .load import ISO_DAY, FxRate, RawCatalog, _load_raw_cached, data_stamp
from .records import AvailabilityObservation, Fact, GpuOption, Observation, Plan, Rate


def parse_date(value: dt.date | str | None) -> dt.date:
    """A date from an ISO string (YYYY-MM-DD) or a date; None means today. Raises ValueError."""
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if not ISO_DAY.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        # repr: a newline or escape the text holds stays escaped, so the message is one line (E11's fuzz)
        raise ValueError(f"{str(value)!r} is not a date like 2022-06-01") from None


def _in_force(observations, as_of: dt.date) -> list:
    """Usable observations dated on or before as_of, newest first; same day: more trusted first, then file order."""
    valid = [o for o in observations if o.provenance.as_of <= as_of and o.provenance.usable]
    return sorted(valid, key=lambda o: (-o.provenance.as_of.toordinal(), o.provenance.confidence.rank,
                                        o.provenance.line))


def newest(observations, as_of: dt.date):
    """The observation in force on as_of, or None."""
    valid = _in_force(observations, as_of)
    return valid[0] if valid else None


def resolve_fact(field: PlanField, observations: list[Observation], as_of: dt.date) -> Fact | None:
    """The fact in force: the newest observation, unless disputed ones are still live (none of them superseded
    by a newer undisputed observation); then every live observation counts and the strictest value binds."""
    valid = _in_force(observations, as_of)
    if not valid:
        return None

    def superseded(o: Observation) -> bool:
        return any(n.provenance.status is RowStatus.NORMAL and n.provenance.as_of > o.provenance.as_of for n in valid)

    disputed = [o for o in valid if o.provenance.status is RowStatus.DISPUTED and not superseded(o)]
    if not disputed:
        return Fact(field, valid[0].value, valid[0])
    oldest = min(o.provenance.as_of for o in disputed)
    live = disputed + [o for o in valid if o.provenance.status is RowStatus.NORMAL and o.provenance.as_of >= oldest]
    value = field.strictest(o.value for o in live)
    binding = next(o for o in live if o.value == value)
    return Fact(field, value, binding, tuple(o for o in live if o is not binding))


def allocation_on(raw: RawCatalog, plan_id: str, date: dt.date) -> tuple[GpuOption, ...]:
    """The plan's GPU options in force on `date`: every option of its newest allocation dated on or before it."""
    snapshots = [o for p, o in raw.options if p == plan_id and o.provenance.as_of <= date and o.provenance.usable]
    if not snapshots:
        return ()
    latest = max(o.provenance.as_of for o in snapshots)
    return tuple(o for o in snapshots if o.provenance.as_of == latest)


class Catalog:
    """Plans, GPUs, rates, availability and evidence in force on `as_of`. Treat as read-only.

    Hashes by identity: load_catalog memoises one per date and version of the files, so caches keyed on a
    catalog (its score book) live as long as it does.
    """

    def __init__(self, raw: RawCatalog, as_of: dt.date):
        self.as_of = as_of
        self.raw = raw
        self.gpus = dict(raw.gpus)
        self.evidence = tuple(e for e in raw.evidence if e.provenance.as_of <= as_of and e.provenance.usable)
        by_rate: dict[tuple, list[Rate]] = {}
        for rate in raw.rates:
            by_rate.setdefault((rate.rate_card, rate.gpu_id, rate.term, rate.statistic), []).append(rate)
        self.rates: dict[tuple, Rate] = {}
        for key, rates in by_rate.items():
            chosen = newest(rates, as_of)
            if chosen is not None:
                self.rates[key] = chosen
        self._availability: dict[tuple[str, str], AvailabilityObservation | None] = {}
        self.plans: dict[str, Plan] = {}
        for plan_id, meta in raw.plans.items():
            plan = self._plan_as_of(plan_id, meta)
            if plan is not None:
                self.plans[plan_id] = plan

    def _plan_as_of(self, plan_id: str, meta: dict) -> Plan | None:
        history: dict[PlanField, list[Observation]] = {}
        for obs in self.raw.facts:
            if obs.plan_id == plan_id:
                history.setdefault(obs.field, []).append(obs)
        facts = {}
        for name, observations in history.items():
            fact = resolve_fact(name, observations, self.as_of)
            if fact is not None:
                facts[name] = fact
        options = allocation_on(self.raw, plan_id, self.as_of)
        # A plan exists on a date once it has a price and a GPU allocation on or before that date.
        if PlanField.MONTHLY_PRICE_USD not in facts or not options:
            return None
        return Plan(plan_id=plan_id, facts=facts, options=options,
                    history={k: tuple(v) for k, v in history.items()}, **meta)

    def plan(self, plan_id: str) -> Plan:
        """The plan with this id. Raises UnknownPlanError with close matches."""
        try:
            return self.plans[plan_id]
        except KeyError:
            if plan_id in self.raw.plans:
                raise UnknownPlanError(f"plan '{plan_id}' has no price or GPU on record as of {self.as_of}; "
                                       "try a later date") from None
            raise UnknownPlanError(f"unknown plan '{plan_id}'{did_you_mean(plan_id, self.raw.plans)}; "
                                   f"known plans: {', '.join(self.raw.plans)}") from None

    def match_gpu(self, name: str, memory_gib: float | None = None) -> str | None:
        """The gpu_id a device name (NVML's) names, or None (see advisor.catalog.match)."""
        from .match import match_gpu

        return match_gpu(self.gpus.values(), name, memory_gib)

    def _match_typed(self, name: str) -> str | None:
        from .match import match_typed

        return match_typed(self.gpus.values(), name)

    def gpu(self, name: str):
        """The GPU with this id or name, case, spacing and vendor words ignored. Raises UnknownGpuError."""
        text = str(name).strip()
        if text.lower() in self.gpus:
            return self.gpus[text.lower()]
        # One matcher for every GPU name (issue 19): the one NVML names go through, which also tells an
        # 'A100 80GB' from the 40 GB part; then a person's shorthand ('my 3090') when it names one GPU only.
        gpu_id = self._match_typed(text)
        if gpu_id is not None:
            return self.gpus[gpu_id]
        raise UnknownGpuError(f"unknown GPU '{text}'{did_you_mean(text, self.gpus)}; known GPUs: "
                              f"{', '.join(self.gpus)}")

    def rate(self, plan: Plan, gpu_id: str, statistic: RateStatistic | None = None) -> Rate | None:
        """The on-demand price of an hour on gpu_id under the plan's rate card: the list price, else a
        marketplace's median (or the statistic asked for). None when none is on record."""
        if not plan.rate_card:
            return None
        wanted = (statistic,) if statistic else (RateStatistic.LIST, RateStatistic.MEDIAN)
        for stat in wanted:
            rate = self.rates.get((plan.rate_card, gpu_id, RateTerm.ON_DEMAND, stat))
            if rate is not None:
                return rate
        return None

    def other_rates(self, plan: Plan, gpu_id: str) -> list[Rate]:
        """Prices in force that do not price a notebook user's month (commitments, spot, marketplace minimum)."""
        chosen = self.rate(plan, gpu_id)
        return [r for (card, g, _, _), r in self.rates.items() if card == plan.rate_card and g == gpu_id
                and r is not chosen]

    def availability(self, plan: Plan, option: GpuOption) -> AvailabilityObservation | None:
        """The newest availability observation in force of this option in the plan's GPU pool (or of the whole
        pool), or None. Every plan of a pool shares its observations (Colab's G4 is scarce on Pro and on PAYG)."""
        key = (plan.gpu_pool or plan.plan_id, option.option)
        if key not in self._availability:
            self._availability[key] = self._resolve_availability(*key)
        return self._availability[key]

    def pool_plans(self, gpu_pool: str) -> list[Plan]:
        """The plans in force that draw on a GPU pool."""
        return [p for p in self.plans.values() if p.gpu_pool == gpu_pool]

    def _resolve_availability(self, gpu_pool: str, option: str) -> AvailabilityObservation | None:
        rows = [a for a in self.raw.availability if a.gpu_pool == gpu_pool and a.option in ("*", option)]
        valid = [a for a in rows if a.provenance.as_of <= self.as_of and a.provenance.usable]
        if not valid:
            return None
        # The newest day's observations apply; on that day the option's own and the plan-wide one both count, and
        # the stricter wins (unavailable, then scarce, then available).
        latest = max(a.provenance.as_of for a in valid)
        order = list(Availability)
        return max((a for a in valid if a.provenance.as_of == latest), key=lambda a: order.index(a.availability))

    def is_available(self, plan: Plan, option: GpuOption) -> bool:
        found = self.availability(plan, option)
        return found is None or found.availability is not Availability.UNAVAILABLE

    def usd_rate(self, currency: str) -> FxRate | None:
        """The exchange rate in force for a currency (ISO 4217 code, any case): the newest usable row of
        fx_rates.csv dated on or before as_of; None when there is none (ask for US dollars then)."""
        code = str(currency).strip().upper()
        return newest([r for r in self.raw.fx_rates if r.currency == code], self.as_of)

    def free_plans(self) -> list[Plan]:
        return [p for p in self.plans.values() if p.price_model is PriceModel.FREE]


@lru_cache(maxsize=64)
def _catalog_cached(path: str, stamp: tuple, today: dt.date, date: dt.date) -> Catalog:
    return Catalog(_load_raw_cached(path, stamp, today), date)


def load_catalog(as_of: dt.date | str | None = None, data_dir: Path | str | None = None) -> Catalog:
    """The catalog in force on `as_of` (ISO date or date; default today) from data_dir (default: the shipped data/).

    Kept per date and per version of the files, so a catalog and its score distributions are built once.
    Raises CatalogError naming the file, line and field of the first bad value, or ValueError for a bad date
    or one in the future.
    """
    date = parse_date(as_of)
    today = dt.date.today()
    if date > today:
        raise ValueError(f"{date.isoformat()} is in the future; the catalog only knows the past and today")
    path, stamp = data_stamp(data_dir)
    catalog = _catalog_cached(path, stamp, today, date)
    if len(_BUILT) > 256:
        _BUILT.clear()
    _BUILT.add((path, stamp, today, date))
    return catalog


# The (folder, files' stamp, today, date) of catalogs built in this process: an async caller builds the others in a
# thread (a first build or a changed file parses every data file, up to their size caps).
_BUILT: set[tuple] = set()


def catalog_is_built(as_of: dt.date | str | None = None, data_dir: Path | str | None = None) -> bool:
    """True when load_catalog(as_of, data_dir) would answer from memory (a bad date too: it is refused at once)."""
    try:
        date = parse_date(as_of)
    except ValueError:
        return True
    path, stamp = data_stamp(data_dir)
    return (path, stamp, dt.date.today(), date) in _BUILT
