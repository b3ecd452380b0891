"""The monthly cost of a workload on a plan option, with its breakdown and the free quota check.

- Free plans cost nothing within their quota.
- Subscriptions pay their price; compute units beyond those included cost the plan's unit price.
- Pay-as-you-go units come in packs that expire: a small workload still buys a pack, and the unused part is said.
- Hourly plans pay by the hour for every GPU of the machine, plus the CPU and memory where they are billed apart
  (Modal), plus the cheapest subscription that unlocks the GPU (Paperspace's mid-range and high-end machines), less
  any free monthly credits (Modal).
- Storage a notebook needs is added where it is billed apart.
Only on-demand prices count: commitment prices are not a notebook user's price.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from .catalog import Catalog, GpuOption, Plan, Rate
from .vocab import DAYS_PER_MONTH, WEEKS_PER_MONTH, Confidence, PlanField, PriceModel, RateUnit
from .workload import Workload


class CostLine(NamedTuple):
    """One line of a bill: its USD per month and what it is. The label is written only when it is read (a ranking
    prices every option of every plan, and shows the lines of a few). A NamedTuple: cheap to make by the thousand."""

    template: str
    usd: float
    values: dict | None = None

    @property
    def label(self) -> str:
        return self.template.format(**self.values) if self.values else self.template


class Cost(NamedTuple):
    """Monthly cost in USD with its lines (total_usd None when a price is missing: `missing` says which).

    quota_problem: why the plan's free quota cannot serve these hours (None: it can).
    unused_units: compute units bought but expiring unused each month (pay-as-you-go packs).
    """

    total_usd: float | None
    lines: tuple[CostLine, ...]
    quota_problem: str | None = None
    quota_hours_per_month: float | None = None
    missing: str | None = None
    unused_units_per_month: float = 0.0


def monthly_quota_hours(plan: Plan) -> float | None:
    """GPU hours a month the plan allows (weekly and daily quotas converted); None when none is published."""
    quotas = []
    if plan.fact(PlanField.GPU_HOURS_PER_WEEK) is not None:
        quotas.append(plan.fact(PlanField.GPU_HOURS_PER_WEEK) * WEEKS_PER_MONTH)
    if plan.fact(PlanField.GPU_HOURS_PER_DAY) is not None:
        quotas.append(plan.fact(PlanField.GPU_HOURS_PER_DAY) * DAYS_PER_MONTH)
    return min(quotas) if quotas else None


def option_rates(catalog: Catalog, plan: Plan, option: GpuOption, unit: RateUnit) -> tuple[list[Rate] | None, str]:
    """The rate of each GPU of the option; (None, gpu_id) when one has no on-demand rate of that unit."""
    rates = []
    for gpu_id, _ in option.shares:
        rate = catalog.rate(plan, gpu_id)
        if rate is None or rate.unit is not unit:
            return None, gpu_id
        rates.append(rate)
    return rates, ""


@lru_cache(maxsize=1024)
def _gpu_names(catalog: Catalog, option: GpuOption) -> str:
    names = " / ".join(catalog.gpus[g].name for g in option.gpu_ids)
    return f"{option.gpu_count} x {names}" if option.gpu_count > 1 else names


def _units_lines(catalog: Catalog, plan: Plan, option: GpuOption, hours: float) -> tuple[list[CostLine], str, float]:
    """Lines for compute-unit plans; (lines, missing GPU id or '', units expiring unused a month)."""
    rates, missing = option_rates(catalog, plan, option, RateUnit.UNITS_PER_HOUR)
    if rates is None:
        return [], missing, 0.0
    units_per_hour = sum(share * r.rate for (_, share), r in zip(option.shares, rates)) * option.gpu_count
    units = hours * units_per_hour
    usd_per_unit = float(plan.fact(PlanField.USD_PER_UNIT, 0.0))
    included = float(plan.fact(PlanField.INCLUDED_UNITS, 0.0))
    what = {"gpus": _gpu_names(catalog, option), "units_per_hour": units_per_hour}
    lines = []
    if included:
        lines.append(CostLine("{used:.0f} of {included:.0f} included units ({gpus}, {units_per_hour:g} units/h)", 0.0,
                              {"used": min(units, included), "included": included, **what}))
    extra = max(0.0, units - included)
    if not extra:
        return lines, "", 0.0
    pack_usd, pack_units = plan.fact(PlanField.PACK_USD), plan.fact(PlanField.PACK_UNITS)
    expire_days = plan.fact(PlanField.UNITS_EXPIRE_DAYS)
    if pack_usd is not None and pack_units and expire_days and not included:
        # A pack lasts pack_units / extra months; when that is longer than the units live, each pack expires
        # partly unused and the month costs one pack per expiry period.
        expiry_months = expire_days / DAYS_PER_MONTH
        if extra * expiry_months < pack_units:
            unused = pack_units / expiry_months - extra
            lines.append(CostLine("one pack of {pack_units:g} units (${pack_usd:.2f}) every {days:g} days, when units "
                                  "expire; {extra:.0f} used a month ({gpus}, {units_per_hour:g} units/h), about "
                                  "{unused:.0f} a month expire unused", pack_usd / expiry_months,
                                  {"pack_units": pack_units, "pack_usd": pack_usd, "days": expire_days, "extra": extra,
                                   "unused": unused, **what}))
            return lines, "", unused
        usd_per_unit = pack_usd / pack_units
    lines.append(CostLine("{extra:.0f} {kind}units at ${usd_per_unit:.4f}/unit ({gpus}, {units_per_hour:g} units/h)",
                          extra * usd_per_unit, {"extra": extra, "kind": "extra " if included else "",
                                                 "usd_per_unit": usd_per_unit, **what}))
    return lines, "", 0.0


def _hourly_lines(catalog: Catalog, plan: Plan, option: GpuOption, hours: float) -> tuple[list[CostLine], str]:
    rates, missing = option_rates(catalog, plan, option, RateUnit.USD_PER_HOUR)
    if rates is None:
        return [], missing
    usd_per_hour = sum(share * r.rate for (_, share), r in zip(option.shares, rates)) * option.gpu_count
    lines = []
    requires = sorted({r.requires_plan for r in rates if r.requires_plan})
    for plan_id in requires:
        needed = catalog.plans.get(plan_id)
        if needed is None:
            return [], option.gpu_ids[0]
        lines.append(CostLine("{plan} subscription (needed for the {gpus})", needed.monthly_price_usd,
                              {"plan": needed.label, "gpus": _gpu_names(catalog, option)}))
    lines.append(CostLine("{hours:g} h of {gpus} at ${rate:.4g}/h", hours * usd_per_hour,
                          {"hours": hours, "gpus": _gpu_names(catalog, option), "rate": usd_per_hour}))
    cpu_memory = plan.fact(PlanField.CPU_MEMORY_USD_PER_HOUR)
    if cpu_memory:
        # Modal's figure is derived for an assumed container size (data/plan_facts.csv): say so where it is shown.
        estimated = plan.facts[PlanField.CPU_MEMORY_USD_PER_HOUR].observation.provenance.confidence \
            is Confidence.ESTIMATE
        lines.append(CostLine("{hours:g} h of CPU and memory billed beside the GPU at ${rate:.4g}/h{estimate}",
                              hours * cpu_memory, {"hours": hours, "rate": cpu_memory,
                                                   "estimate": " (an estimate)" if estimated else ""}))
    credit = float(plan.fact(PlanField.MONTHLY_CREDIT_USD, 0.0))
    if credit:
        used = min(credit, sum(line.usd for line in lines[len(requires):]))
        lines.append(CostLine("free credits (${credit:g} a month)", -used, {"credit": credit}))
    return lines, ""


class HourlyPrice(NamedTuple):
    """An hourly plan option's price in parts that do not depend on the workload (USD): `fixed` a month (the plan's
    subscription, storage billed apart, subscriptions the GPU needs), `per_hour` (the machine's GPUs), `beside_gpu`
    per hour (CPU and memory billed apart), and the `credit` a month that covers the hourly parts."""

    fixed: float
    per_hour: float
    beside_gpu: float
    credit: float

    def total_usd(self, hours: float) -> float:
        """What `hours` GPU hours cost in a month: the same total as monthly_cost (a test holds them equal)."""
        hourly = hours * self.per_hour + hours * self.beside_gpu
        return max(0.0, self.fixed + hourly - min(self.credit, hourly))


def hourly_price(catalog: Catalog, plan: Plan, option: GpuOption) -> HourlyPrice | None:
    """The option's price in parts, for ranking many offers quickly; None when the plan is not billed by the hour,
    a GPU has no on-demand hourly rate, or a subscription it needs is not in the catalog."""
    return _hourly_price(catalog, plan.plan_id, option)


@lru_cache(maxsize=100_000)
def _hourly_price(catalog: Catalog, plan_id: str, option: GpuOption) -> HourlyPrice | None:
    plan = catalog.plans[plan_id]
    if plan.price_model is not PriceModel.HOURLY:
        return None
    rates, _ = option_rates(catalog, plan, option, RateUnit.USD_PER_HOUR)
    if rates is None:
        return None
    fixed = plan.monthly_price_usd + float(plan.fact(PlanField.STORAGE_USD_PER_MONTH) or 0.0)
    for plan_id in sorted({r.requires_plan for r in rates if r.requires_plan}):
        needed = catalog.plans.get(plan_id)
        if needed is None:
            return None
        fixed += needed.monthly_price_usd
    per_hour = sum(share * r.rate for (_, share), r in zip(option.shares, rates)) * option.gpu_count
    return HourlyPrice(fixed, per_hour, float(plan.fact(PlanField.CPU_MEMORY_USD_PER_HOUR) or 0.0),
                       float(plan.fact(PlanField.MONTHLY_CREDIT_USD, 0.0)))


def monthly_cost(catalog: Catalog, plan: Plan, option: GpuOption, workload: Workload) -> Cost:
    """What `workload` costs per month on this plan option (USD)."""
    hours = workload.gpu_hours_per_month
    quota = monthly_quota_hours(plan)
    problem = None
    if quota is not None and hours > quota + 1e-9:
        problem = f"{hours:g} GPU hours a month exceed its quota of about {quota:.0f} h"
    lines = []
    if plan.monthly_price_usd > 0:
        lines.append(CostLine("{tier} subscription", plan.monthly_price_usd, {"tier": plan.tier}))
    storage = plan.fact(PlanField.STORAGE_USD_PER_MONTH)
    if storage:
        lines.append(CostLine("storage for the notebook, billed apart", float(storage)))
    unused = 0.0
    missing = ""
    if plan.price_model is PriceModel.FREE:
        return Cost(0.0, tuple(lines), problem, quota)
    if plan.price_model is PriceModel.HOURLY:
        more, missing = _hourly_lines(catalog, plan, option, hours)
    elif plan.fact(PlanField.USD_PER_UNIT) is not None or plan.price_model is PriceModel.UNITS:
        more, missing, unused = _units_lines(catalog, plan, option, hours)
    else:
        more = [CostLine("GPU hours on the {gpus} (included in the subscription)", 0.0,
                         {"gpus": _gpu_names(catalog, option)})]
    if missing:
        return Cost(None, tuple(lines), problem, quota,
                    missing=f"no price on record for the {catalog.gpus[missing].name}")
    lines += more
    return Cost(max(0.0, sum(line.usd for line in lines)), tuple(lines), problem, quota, unused_units_per_month=unused)
