"""The monthly cost of a workload on a plan option, with its breakdown and the free quota check."""
from __future__ import annotations

from dataclasses import dataclass

from .catalog import Catalog, GpuOption, Plan
from .workload import Workload

DAYS_PER_MONTH = 365.25 / 12
WEEKS_PER_MONTH = DAYS_PER_MONTH / 7


@dataclass(frozen=True)
class CostLine:
    """One line of a bill: what it is and its USD per month."""

    label: str
    usd: float

    def to_dict(self) -> dict:
        return {"label": self.label, "usd": round(self.usd, 2)}


@dataclass(frozen=True)
class Cost:
    """Monthly cost in USD with its lines. problem: why the plan cannot serve these hours (None: it can)."""

    total_usd: float
    lines: tuple[CostLine, ...]
    problem: str | None = None
    quota_hours_per_month: float | None = None

    def to_dict(self) -> dict:
        return {"total_usd": round(self.total_usd, 2), "lines": [line.to_dict() for line in self.lines],
                "quota_hours_per_month": None if self.quota_hours_per_month is None else round(self.quota_hours_per_month, 1)}


def monthly_quota_hours(plan: Plan) -> float | None:
    """GPU hours a month the plan allows (weekly and daily quotas converted); None when none is published."""
    quotas = []
    if plan.fact("gpu_hours_per_week") is not None:
        quotas.append(plan.fact("gpu_hours_per_week") * WEEKS_PER_MONTH)
    if plan.fact("gpu_hours_per_day") is not None:
        quotas.append(plan.fact("gpu_hours_per_day") * DAYS_PER_MONTH)
    return min(quotas) if quotas else None


def _expected_rate(catalog: Catalog, plan: Plan, option: GpuOption, unit: str) -> tuple[float | None, str]:
    """Average rate over the option's GPUs; (None, gpu) when a GPU has no rate of that unit on record."""
    total = 0.0
    for gpu_id, share in option.shares:
        rate = catalog.rate(plan, gpu_id)
        if rate is None or rate.unit != unit:
            return None, gpu_id
        total += share * rate.rate
    return total, ""


def monthly_cost(catalog: Catalog, plan: Plan, option: GpuOption, workload: Workload) -> Cost:
    """What `workload` costs per month on this plan option (USD)."""
    hours = workload.gpu_hours_per_month
    quota = monthly_quota_hours(plan)
    problem = None
    if quota is not None and hours > quota + 1e-9:
        problem = f"{hours:g} GPU hours a month exceed its quota of about {quota:.0f} h"
    lines = []
    if plan.monthly_price_usd > 0:
        lines.append(CostLine(f"{plan.plan} subscription", plan.monthly_price_usd))
    if plan.price_model == "free":
        return Cost(0.0, tuple(lines), problem, quota)
    gpu_names = " / ".join(catalog.gpus[g].name for g, _ in option.shares)
    if plan.fact("usd_per_unit") is not None:
        units_per_hour, missing = _expected_rate(catalog, plan, option, "units_per_hour")
        if units_per_hour is None:
            return Cost(float("nan"), tuple(lines), f"no compute-unit rate on record for the {catalog.gpus[missing].name}", quota)
        units = hours * units_per_hour
        included = float(plan.fact("included_units", 0.0))
        extra = max(0.0, units - included)
        if included:
            lines.append(CostLine(f"{min(units, included):.0f} of {included:.0f} included units ({gpu_names}, "
                                  f"{units_per_hour:g} units/h)", 0.0))
        if extra > 0:
            lines.append(CostLine(f"{extra:.0f} extra units at ${plan.fact('usd_per_unit'):.4f}/unit "
                                  f"({gpu_names}, {units_per_hour:g} units/h)", extra * plan.fact("usd_per_unit")))
    elif plan.price_model == "hourly":
        usd_per_hour, missing = _expected_rate(catalog, plan, option, "usd_per_hour")
        if usd_per_hour is None:
            return Cost(float("nan"), tuple(lines), f"no hourly price on record for the {catalog.gpus[missing].name}", quota)
        lines.append(CostLine(f"{hours:g} h of {gpu_names} at ${usd_per_hour:.4g}/h", hours * usd_per_hour))
    else:
        lines.append(CostLine(f"GPU hours on the {gpu_names} (included in the subscription)", 0.0))
    return Cost(sum(line.usd for line in lines), tuple(lines), problem, quota)
