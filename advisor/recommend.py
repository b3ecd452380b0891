"""Ranks the catalog's plans for a workload: hard constraints first, then price per point of speed.

Each rule of the README's "How the ranking works" is one function here: the feasibility checks in CHECKS, the
caveats in CAVEATS, and the ranking in rank_score, usd_per_1k_score and order_key. Where a plan lets the user
pick the GPU, every option is judged and the plan is represented by its best one.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from .catalog import Catalog, GpuOption, Observation, Plan, Provenance
from .costs import Cost, HourlyPrice, hourly_price, monthly_cost, monthly_quota_hours
from .distributions import ScoreBook, ScoreSummary, score_book
from .vocab import (
    HOURS_PER_MONTH,
    Availability,
    CaveatCode,
    PlanField,
    Predictability,
    Preference,
    PriceModel,
    RateStatistic,
    ReasonCode,
    Requirement,
)
from .workload import BOUNDS, REQUIRED_MAX_CV, Workload

if TYPE_CHECKING:
    from .runs.evidence import RunEvidence

# For a GPU lottery, at least this share of sessions must get the memory the job needs.
MEMORY_MIN_PROBABILITY = 0.9


@dataclass(frozen=True)
class Reason:
    """Why a plan cannot serve the workload: a stable code and a sentence."""

    code: ReasonCode
    text: str


@dataclass(frozen=True)
class Caveat:
    """A risk of a feasible plan: a stable code and a sentence."""

    code: CaveatCode
    text: str


@dataclass(frozen=True)
class StaleFact:
    """A fact a recommendation rests on that is older than STALE_AFTER_DAYS or disputed."""

    subject: str
    value: str
    provenance: Provenance
    disputed: bool


class SessionLimit(NamedTuple):
    """How long one session may run on a plan, and how we know.

    hours: the cap (None: the machine runs until you stop it). known: False when the platform publishes no cap and
    a conservative one is assumed (such a plan ranks below one whose cap is known to pass). basis: why, in words.
    """

    hours: float | None
    known: bool
    basis: str


@lru_cache(maxsize=64)
def _shortest_notebook_cap(catalog: Catalog) -> float | None:
    """The shortest session cap any notebook plan (not billed by the hour) of the catalog publishes, hours."""
    caps = [p.fact(PlanField.SESSION_LIMIT_HOURS) for p in catalog.plans.values()
            if p.price_model is not PriceModel.HOURLY]
    caps = [c for c in caps if c is not None]
    return min(caps) if caps else None


def session_limit(catalog: Catalog, plan: Plan) -> SessionLimit:
    """The plan's session cap: published; else a machine billed by the hour runs until it is stopped (that is what
    the hour buys: RunPod, Vast.ai, Lambda and DigitalOcean bill a running machine by the second or hour); else the
    shortest cap any notebook plan publishes, assumed and said (unknown is never 'unlimited')."""
    published = plan.fact(PlanField.SESSION_LIMIT_HOURS)
    if published is not None:
        return SessionLimit(float(published), True, f"sessions end after {published:g} h")
    if plan.price_model is PriceModel.HOURLY:
        return SessionLimit(None, True, "billed by the hour, it runs until you stop it")
    assumed = _shortest_notebook_cap(catalog)
    if assumed is None:
        return SessionLimit(None, False, "no published session limit")
    return SessionLimit(assumed, False, f"no published session limit: {assumed:g} h assumed, the shortest any "
                                        "notebook plan publishes")


class JobOnPlan(NamedTuple):
    """The user's job on one plan option: hours to finish across the plan's GPU lottery (median, p10, p90), the
    sessions it needs under the plan's cap (at p90), the money to finish it (USD, its median hours in one month of
    the plan: subscription included; None without a price) with its lines, and the basis.
    supported: False when the option's GPU cannot compute in the job's precision."""

    hours: float
    low: float
    high: float
    sessions: int
    cost: Cost | None
    basis: str
    supported: bool = True

    @property
    def cost_usd(self) -> float | None:
        return None if self.cost is None else self.cost.total_usd


# A GpuTime's p10-p90 read as a lognormal's: z of the 90th percentile.
_Z90 = 1.2815515655446004


def _mixture_quantile(parts: list[tuple[float, float, float]], q: float) -> float:
    """The q-quantile of a mixture of lognormals given as (weight, median, sigma), by bisection in log space."""
    def cdf(t: float) -> float:
        return sum(w * (0.5 * (1 + math.erf((math.log(t) - math.log(m)) / (s * math.sqrt(2)))) if s > 0
                        else float(t >= m)) for w, m, s in parts)
    lo = math.log(min(m for _, m, _ in parts)) - 10
    hi = math.log(max(m for _, m, _ in parts)) + 10
    for _ in range(50):  # 20 log-units halved 50 times: far below a minute
        mid = (lo + hi) / 2
        if cdf(math.exp(mid)) < q:
            lo = mid
        else:
            hi = mid
    return math.exp(hi)


def job_on_option(catalog: Catalog, plan: Plan, option: GpuOption, workload: Workload, estimate,
                  session: SessionLimit) -> JobOnPlan | None:
    """The job's hours across the option's GPU lottery, its sessions and its cost to finish; None without
    predictions for every GPU. With multi_gpu the hours divide by the machine's GPU count (perfect scaling: a
    lower bound)."""
    parts, bases, supported = [], [], True
    for gpu_id, share in option.shares:
        t = estimate.predictions.get(gpu_id)
        if t is None or t.hours is None:
            if t is not None and not t.supported:
                supported = False
                bases.append(t.basis)
                continue
            return None
        sigma = max(math.log(t.high / t.low), 0.0) / (2 * _Z90) if t.low and t.high else 0.0
        scale = option.gpu_count if workload.multi_gpu else 1
        parts.append((share, t.hours / scale, sigma))
        bases.append(t.basis)
    if not parts:
        return JobOnPlan(math.inf, math.inf, math.inf, 0, None, "; ".join(bases), False)
    total = sum(w for w, _, _ in parts)
    parts = [(w / total, m, sd) for w, m, sd in parts]
    if len({(m, sd) for _, m, sd in parts}) == 1:  # one GPU (or one GPU model): its own median and p10-p90
        _, hours, sigma = parts[0]
        low, high = hours * math.exp(-_Z90 * sigma), hours * math.exp(_Z90 * sigma)
    else:
        hours = _mixture_quantile(parts, 0.5)
        low, high = _mixture_quantile(parts, 0.1), _mixture_quantile(parts, 0.9)
    sessions = max(1, math.ceil(high / session.hours)) if session.hours else 1
    run = replace(workload, gpu_hours_per_month=min(hours, HOURS_PER_MONTH * 64))
    cost = monthly_cost(catalog, plan, option, run)
    return JobOnPlan(hours, low, high, sessions, cost, bases[0] if len(set(bases)) == 1 else "; ".join(bases),
                     supported)


class _Context(NamedTuple):
    """Everything the rules look at for one plan option (a NamedTuple: made for every option of every plan)."""

    catalog: Catalog
    book: ScoreBook
    plan: Plan
    option: GpuOption
    workload: Workload
    score: ScoreSummary | None
    cost: Cost
    memory_probability: float
    reference_job_hours: float | None
    session: SessionLimit
    job: JobOnPlan | None


@dataclass(frozen=True)
class Recommendation:
    """The verdict on one plan for one workload (costs in USD per month, scores in points, times in hours).

    rank: 1 for the best feasible plan, None for an infeasible one. option: the plan's best option.
    cost: one account's month (per student for a class); total_cost_usd: every student's together.
    reference_job_sessions: sessions the reference job needs on this plan (None without a reference job).
    nice_to_have_met: how many of the workload's wishes the plan offers (it breaks ties).
    session: the plan's session cap and how it is known. tier: 0 when every limit the verdict rests on is known;
    higher when it rests on an assumed cap or, for a workload that needs dependable access, on a scarce GPU pool or
    unpublished usage limits (a plan ranks below every plan of a lower tier). risks: access risks (scarce pool,
    dynamic limits; they break ties). students: accounts costed. job: the user's job on this plan (hours to
    finish across the lottery, sessions, money to finish), when the workload describes one.
    """

    rank: int | None
    plan: Plan
    option: GpuOption
    feasible: bool
    reasons: tuple[Reason, ...]
    caveats: tuple[Caveat, ...]
    cost: Cost
    score: ScoreSummary | None
    usd_per_1k_score: float | None
    reference_job_hours: float | None
    reference_job_sessions: int | None
    memory_probability: float
    nice_to_have_met: int
    stale_facts: tuple[StaleFact, ...]
    session: SessionLimit = SessionLimit(None, True, "")
    tier: int = 0
    risks: int = 0
    students: int = 1
    job: JobOnPlan | None = None

    @property
    def plan_id(self) -> str:
        return self.plan.plan_id

    @property
    def monthly_cost_usd(self) -> float | None:
        """One account's month, USD (per student for a class)."""
        return self.cost.total_usd

    @property
    def total_cost_usd(self) -> float | None:
        """Every account's month together, USD (the class's total)."""
        return None if self.cost.total_usd is None else self.cost.total_usd * self.students

    @property
    def needs_card(self) -> bool:
        """True when the plan asks for a payment card (so it is not 'free' in the plain sense)."""
        return bool(self.plan.fact(PlanField.REQUIRES_CARD))

    @property
    def scored(self) -> ScoreSummary:
        """The score of a feasible plan (check_score makes a plan without one infeasible)."""
        if self.score is None:
            raise ValueError(f"{self.plan_id} has no score: it is not feasible")
        return self.score


# ---------------------------------------------------------------------------------------------
# Hard constraints: each yields the reasons a plan option fails (README rule 1).


def check_memory(c: _Context) -> Iterator[Reason]:
    need = c.workload.gpu_memory_gib
    if need > 0 and c.memory_probability < MEMORY_MIN_PROBABILITY:
        share = "no session gets" if c.memory_probability == 0 else f"only {c.memory_probability:.0%} of sessions get"
        yield Reason(ReasonCode.MEMORY, f"{share} {need:g} GiB of GPU memory")


def check_session(c: _Context) -> Iterator[Reason]:
    limit = c.session.hours
    if limit is not None and limit < c.workload.session_hours:
        yield Reason(ReasonCode.SESSION, f"{c.session.basis}; you need {c.workload.session_hours:g} h uninterrupted")


def check_multi_gpu(c: _Context) -> Iterator[Reason]:
    if c.workload.multi_gpu and c.option.gpu_count < 2:
        yield Reason(ReasonCode.SINGLE_GPU, "one GPU per machine; your job uses several")


def check_requirements(c: _Context) -> Iterator[Reason]:
    for requirement in sorted(c.workload.cannot_provide):
        if c.plan.fact(requirement.fact):
            yield Reason(ReasonCode.REQUIREMENT, f"asks for {requirement.label}, which you cannot provide")
        elif requirement is Requirement.CARD and c.plan.fact(requirement.fact) is None and c.cost.total_usd:
            # Paying needs a payment method unless the platform says otherwise.
            yield Reason(ReasonCode.REQUIREMENT, f"costs ${c.cost.total_usd:.2f} a month, paid with a card, which you "
                                                 "cannot provide")


def check_job(c: _Context) -> Iterator[Reason]:
    if c.job is not None and not c.job.supported:
        yield Reason(ReasonCode.PRECISION, c.job.basis)


def check_access(c: _Context) -> Iterator[Reason]:
    """'require' predictability is about getting the GPU as well as its speed: an unpublished, dynamic quota can
    cut a run off or hand out a slower GPU."""
    if c.workload.predictability is Predictability.REQUIRE and c.plan.fact(PlanField.DYNAMIC_USAGE_LIMITS):
        yield Reason(ReasonCode.ACCESS, "its usage limits are dynamic and unpublished: access can be cut off, "
                                        "and you need a dependable plan")


def check_concurrency(c: _Context) -> Iterator[Reason]:
    running = c.plan.fact(PlanField.NOTEBOOKS_RUNNING_MAX)
    if running is not None and running < c.workload.notebooks_at_once:
        yield Reason(ReasonCode.CONCURRENCY, f"runs {running} notebook{'s' if running > 1 else ''} at once; you need "
                                             f"{c.workload.notebooks_at_once}")


def check_quota(c: _Context) -> Iterator[Reason]:
    if c.cost.quota_problem:
        yield Reason(ReasonCode.QUOTA, c.cost.quota_problem)


def check_free_only(c: _Context) -> Iterator[Reason]:
    if c.workload.free_only and c.cost.total_usd != 0:
        cost = "" if c.cost.total_usd is None else f": ${c.cost.total_usd:.2f} a month for your hours"
        yield Reason(ReasonCode.NOT_FREE, f"not free{cost}; you asked for free plans only")


def check_price_known(c: _Context) -> Iterator[Reason]:
    if c.cost.total_usd is None:
        yield Reason(ReasonCode.NO_PRICE, c.cost.missing or "no price on record")


def check_budget(c: _Context) -> Iterator[Reason]:
    budget = c.workload.budget_usd_per_month
    students = c.workload.students
    if budget is None or c.cost.total_usd is None or c.cost.total_usd * students <= budget + 1e-9:
        return
    if students > 1:
        total = c.cost.total_usd * students
        yield Reason(ReasonCode.BUDGET, f"costs ${c.cost.total_usd:.2f} a month per student, ${total:.2f} for "
                                        f"{students}; your budget is ${budget:g}")
    else:
        yield Reason(ReasonCode.BUDGET, f"costs ${c.cost.total_usd:.2f} a month; your budget is ${budget:g}")


def check_needs(c: _Context) -> Iterator[Reason]:
    for need in sorted(c.workload.needs):
        value = c.plan.fact(need.fact)
        if value is None:
            yield Reason(ReasonCode.NEED_UNDOCUMENTED, f"{need.label}: not documented for this plan")
        elif not value:
            yield Reason(ReasonCode.NEED_MISSING, f"no {need.label}")


def check_score(c: _Context) -> Iterator[Reason]:
    if c.score is None:
        yield Reason(ReasonCode.NO_SCORE, f"no measured or estimated {c.workload.metric.label} for its GPU")
    elif c.workload.predictability is Predictability.REQUIRE and c.score.cv > REQUIRED_MAX_CV:
        yield Reason(ReasonCode.SPREAD, f"scores vary by {c.score.cv:.0%} (sd/mean) from session to session; you "
                                        f"require at most {REQUIRED_MAX_CV:.0%}")


def check_availability(c: _Context) -> Iterator[Reason]:
    seen = c.catalog.availability(c.plan, c.option)
    if seen is None:
        return
    when = f"(as of {seen.provenance.as_of.isoformat()})"
    if seen.availability is Availability.UNAVAILABLE:
        yield Reason(ReasonCode.UNAVAILABLE, f"its GPUs could not be had {when}")
    elif seen.availability is Availability.SCARCE and c.workload.predictability is Predictability.REQUIRE:
        yield Reason(ReasonCode.SCARCE, f"its GPUs are often unavailable {when}; you need a dependable plan")


# The checks whose answer is the same for every option of a plan: run once per plan.
PLAN_CHECKS = frozenset({"check_session", "check_concurrency", "check_needs", "check_access"})

CHECKS: tuple[Callable[[_Context], Iterator[Reason]], ...] = (
    check_availability, check_multi_gpu, check_memory, check_session, check_concurrency, check_quota,
    check_free_only, check_price_known, check_budget, check_needs, check_requirements, check_access, check_job,
    check_score)


# ---------------------------------------------------------------------------------------------
# Caveats: risks worth knowing about a plan option.


def caveat_memory(c: _Context) -> Iterator[Caveat]:
    need = c.workload.gpu_memory_gib
    if need > 0 and MEMORY_MIN_PROBABILITY <= c.memory_probability < 1:
        yield Caveat(CaveatCode.MEMORY_SOME_SESSIONS,
                     f"{1 - c.memory_probability:.0%} of sessions get a GPU with less than {need:g} GiB")


def caveat_unpublished_limits(c: _Context) -> Iterator[Caveat]:
    if not c.session.known:
        yield Caveat(CaveatCode.ASSUMED_SESSION_LIMIT, c.session.basis)
    if c.plan.fact(PlanField.NOTEBOOKS_RUNNING_MAX) is None and c.workload.notebooks_at_once > 1:
        yield Caveat(CaveatCode.NO_CONCURRENCY_LIMIT, "no published limit on notebooks running at once")
    if c.plan.fact(PlanField.DYNAMIC_USAGE_LIMITS) and c.workload.gpu_hours_per_month > 0:
        yield Caveat(CaveatCode.DYNAMIC_QUOTA,
                     f"its GPU quota is dynamic and unpublished: {c.workload.gpu_hours_per_month:g} GPU hours a month "
                     "may not be granted, and heavy use can be cut off or get a slower GPU")


def caveat_idle_timeout(c: _Context) -> Iterator[Caveat]:
    idle = c.plan.fact(PlanField.IDLE_TIMEOUT_MINUTES)
    if idle is not None and c.workload.session_hours * 60 > idle and not c.plan.fact(PlanField.BACKGROUND_EXECUTION):
        yield Caveat(CaveatCode.IDLE_TIMEOUT, f"disconnects after about {idle:g} min without interaction: keep the "
                                              "tab active during long runs")


def caveat_availability(c: _Context) -> Iterator[Caveat]:
    seen = c.catalog.availability(c.plan, c.option)
    if seen is not None and seen.availability is Availability.SCARCE:
        yield Caveat(CaveatCode.SCARCE, f"its GPUs are often unavailable (as of {seen.provenance.as_of.isoformat()}: "
                                        f"{seen.provenance.note or seen.provenance.source})")


def caveat_requirements(c: _Context) -> Iterator[Caveat]:
    asks = [r.label for r in Requirement if c.plan.fact(r.fact)]
    if asks:
        yield Caveat(CaveatCode.REQUIREMENT, f"to use it you need {' and '.join(asks)}")
    topup = c.plan.fact(PlanField.MIN_TOPUP_USD)
    if topup and c.cost.total_usd is not None and c.cost.total_usd < topup:
        yield Caveat(CaveatCode.MIN_TOPUP, f"credits are bought ${topup:g} at a time: you pay that up front, and "
                                           f"your month uses ${c.cost.total_usd:.2f} of it")


def caveat_extrapolated_score(c: _Context) -> Iterator[Caveat]:
    if c.score is not None and getattr(c.score, "extrapolated", False):
        yield Caveat(CaveatCode.EXTRAPOLATED_SCORE, "its GPU's spec sheet lies beyond every GPU with a measured score: "
                                                    "the estimate is an extrapolation and may be far off")


def caveat_estimated_score(c: _Context) -> Iterator[Caveat]:
    if c.score is not None and c.score.estimated:
        yield Caveat(CaveatCode.ESTIMATED_SCORE, f"score estimated from spec sheets (±{c.score.error_pct:.0f}%); "
                                                 "no one has published an AI Benchmark run of this GPU")


def caveat_reference_job(c: _Context) -> Iterator[Caveat]:
    limit = c.session.hours
    hours = c.reference_job_hours
    if hours is not None and limit is not None and hours > limit:
        yield Caveat(CaveatCode.REFERENCE_JOB_SESSIONS,
                     f"your reference job would take about {hours:.1f} h here, longer than a {limit:g} h session: "
                     f"it needs {math.ceil(hours / limit)} sessions with checkpoints")


def caveat_nice_to_have(c: _Context) -> Iterator[Caveat]:
    for need in sorted(c.workload.nice_to_have):
        if not c.plan.fact(need.fact):
            state = "not documented" if c.plan.fact(need.fact) is None else "not offered"
            yield Caveat(CaveatCode.NICE_TO_HAVE, f"{need.label} (which you would like): {state}")


def caveat_disputed(c: _Context) -> Iterator[Caveat]:
    yield from _disputed(c.catalog, c.plan.plan_id)


@lru_cache(maxsize=4096)
def _disputed(catalog: Catalog, plan_id: str) -> tuple[Caveat, ...]:
    """The plan's disputed facts as caveats: they depend on the catalog alone, so they are written once per catalog."""
    out = []
    for fact in catalog.plans[plan_id].facts.values():
        for other in fact.disputed_by:
            out.append(Caveat(CaveatCode.DISPUTED_FACT,
                              f"sources disagree on its {fact.field.label}: {_shown(fact.value)} "
                              f"({fact.observation.provenance.source}, {fact.observation.provenance.as_of}) is used; "
                              f"{_shown(other.value)} ({other.provenance.source}, {other.provenance.as_of}) is not"))
    return tuple(out)


def caveat_observed_allocation(c: _Context) -> Iterator[Caveat]:
    text = c.book.allocation_disagreement(c.plan, c.option)
    if text:
        yield Caveat(CaveatCode.ALLOCATION_DISAGREES, text)


def caveat_prices(c: _Context) -> Iterator[Caveat]:
    if c.cost.unused_units_per_month > 0:
        yield Caveat(CaveatCode.UNUSED_UNITS, f"units come in packs that expire: about "
                                              f"{c.cost.unused_units_per_month:.0f} units a month go unused")
    if c.plan.fact(PlanField.PRICE_VOLATILE):
        lowest = [c.catalog.rate(c.plan, g, RateStatistic.MINIMUM) for g in c.option.gpu_ids]
        known = [r for r in lowest if r is not None]
        low = "" if len(known) < len(lowest) else f" (lowest seen ${min(r.rate for r in known):.2f}/h on " \
                                                  f"{known[0].provenance.as_of})"
        yield Caveat(CaveatCode.VOLATILE_PRICE, f"a marketplace: prices change by the hour; the median is used{low}")


def _shown(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


CAVEATS: tuple[Callable[[_Context], Iterator[Caveat]], ...] = (
    caveat_availability, caveat_memory, caveat_unpublished_limits, caveat_idle_timeout, caveat_requirements,
    caveat_extrapolated_score, caveat_estimated_score, caveat_reference_job, caveat_nice_to_have, caveat_disputed,
    caveat_prices, caveat_observed_allocation)


# ---------------------------------------------------------------------------------------------
# Ranking (README rules 2 and 3).


def rank_score(score: ScoreSummary | None, predictability: Predictability) -> float | None:
    """The score a plan is ranked on: the mean, or with 'prefer' the 10th percentile (a bad session)."""
    if score is None:
        return None
    return score.p10 if predictability is Predictability.PREFER else score.mean


def usd_per_1k_score(cost_usd: float | None, ranked_on: float | None) -> float | None:
    """Monthly cost per 1,000 points of the ranking score; None when either is unknown."""
    if cost_usd is None or not ranked_on or ranked_on <= 0:
        return None
    return cost_usd / (ranked_on / 1000)


# Speeds within this step of each other count as the same under the 'speed' preference, so the cheaper of two
# nearly equal GPUs wins: spec-sheet estimates carry errors of tens of percent (README, "How the ranking works").
SPEED_STEP = 1.10


def speed_step(ranked_on: float | None) -> int:
    """The ranking score in steps of SPEED_STEP (higher is faster); unknown speed is the slowest."""
    if not ranked_on or ranked_on <= 0:
        return -(10 ** 9)
    return math.floor(math.log(ranked_on) / math.log(SPEED_STEP))


def order_key(preference: Preference, tier: int, per_1k: float | None, needs_card: bool, risks: int, nice_met: int,
              ranked_on: float | None, cost_usd: float | None, n_caveats: int, plan_id: str):
    """The ranking key (smaller first). Plans of a lower tier come first (every limit known to pass, dependable
    access when it matters); then the preference: value (cheapest per point of speed), cost (cheapest, then
    fastest) or speed (fastest in steps of SPEED_STEP, then cheapest). Among equal prices a plan that needs no card
    comes first ("free" means free without a card), then the plan that meets more wishes; between plans of the same
    speed step, fewer access risks (a free plan with a dynamic quota is no tie-breaker for a GPU 10% faster, but it
    is for the same GPU); then the higher score, the lower cost, fewer caveats, then the plan id."""
    cost = math.inf if cost_usd is None else cost_usd
    step = speed_step(ranked_on)
    if preference is Preference.COST:
        primary: tuple = (cost, needs_card, -nice_met, -step)
    elif preference is Preference.SPEED:
        primary = (-step, cost, needs_card, -nice_met)
    else:
        primary = (math.inf if per_1k is None else per_1k, needs_card, -nice_met, -step)
    return (tier, *primary, risks, -(ranked_on or 0), cost, n_caveats, plan_id)


# ---------------------------------------------------------------------------------------------


def reference_device_score(catalog: Catalog, workload: Workload, evidence: RunEvidence | None = None) -> float | None:
    """The reference device's score for the workload's metric. Raises UnknownGpuError for an unknown GPU."""
    if workload.reference_score is not None:
        return workload.reference_score
    if workload.reference_gpu is None:
        return None
    gpu = catalog.gpu(workload.reference_gpu)
    score = score_book(catalog, evidence).gpu_score(gpu.gpu_id, workload.metric)
    return None if score is None else score.mean


def _stale_facts(catalog: Catalog, rec: Recommendation, workload: Workload) -> tuple[StaleFact, ...]:
    """The facts this verdict rests on (price, limits the workload meets, needs, allocation, rates) that are older
    than STALE_AFTER_DAYS (vocab) or disputed, on the catalog's date."""
    return _stale_facts_cached(catalog, rec.plan.plan_id, rec.option, workload.notebooks_at_once > 1,
                               tuple(sorted(workload.needs | workload.nice_to_have)))


@lru_cache(maxsize=16_384)
def _stale_facts_cached(catalog: Catalog, plan_id: str, option: GpuOption, concurrency: bool,
                        needs: tuple) -> tuple[StaleFact, ...]:
    plan = catalog.plans[plan_id]
    today = catalog.as_of
    fields = [PlanField.MONTHLY_PRICE_USD, PlanField.SESSION_LIMIT_HOURS, PlanField.IDLE_TIMEOUT_MINUTES,
              PlanField.GPU_HOURS_PER_WEEK, PlanField.GPU_HOURS_PER_DAY, PlanField.INCLUDED_UNITS,
              PlanField.USD_PER_UNIT]
    if concurrency:
        fields.append(PlanField.NOTEBOOKS_RUNNING_MAX)
    fields += [n.fact for n in needs]
    out = []
    for name in fields:
        fact = plan.facts.get(name)
        if fact is None:
            continue
        observations: list[Observation] = [fact.observation, *fact.disputed_by]
        for obs in observations:
            if fact.disputed_by or obs.provenance.is_stale(today):
                out.append(StaleFact(str(name), _shown(obs.value), obs.provenance, bool(fact.disputed_by)))
    if option.provenance.is_stale(today):
        out.append(StaleFact("gpu_allocation", " / ".join(option.gpu_ids), option.provenance, False))
    for gpu_id in option.gpu_ids:
        rate = catalog.rate(plan, gpu_id)
        if rate is not None and rate.provenance.is_stale(today):
            out.append(StaleFact(f"rate:{gpu_id}", f"{rate.rate:g} {rate.unit.label}", rate.provenance, False))
    return tuple(out)


def access_risks(c: _Context) -> int:
    """How many things may keep the user from the speed they pay for: a GPU pool that is often unavailable, and
    dynamic, unpublished usage limits (a quota that can cut a run off or hand out a slower GPU)."""
    seen = c.catalog.availability(c.plan, c.option)
    return int(seen is not None and seen.availability is Availability.SCARCE) + \
        int(bool(c.plan.fact(PlanField.DYNAMIC_USAGE_LIMITS)))


def needs_dependable_access(workload: Workload) -> bool:
    """True when access risks count on free plans too: predictability prefer or require, or a class that meets at
    set times."""
    return workload.predictability is not Predictability.ANY or workload.students > 1


def tier_of(session_known: bool, risks: int, paid: bool, dependable: bool) -> int:
    """0 when every limit the plan's verdict rests on is known and nothing stands between the user and what they
    pay for; +1 for an assumed session cap (unknown never beats known); +1 for an access risk on a plan that costs
    money, or on any plan when the workload needs dependable access. A free plan with an access risk costs nothing
    to try: there the risk only breaks ties."""
    return (0 if session_known else 1) + int(risks > 0 and (paid or dependable))


def ranking_tier(c: _Context, risks: int) -> int:
    """tier_of for one judged option."""
    paid = c.cost.total_usd is None or c.cost.total_usd > 0
    return tier_of(c.session.known, risks, paid, needs_dependable_access(c.workload))


def speed_and_value(ranked_on: float | None, usd_per_1k: float | None, job: JobOnPlan | None):
    """What the ranking compares: (speed, value). Without a job, the ranking score and the price per 1,000 points;
    with a job, jobs per 1,000 hours (the inverse of the hours to finish) and the money to finish it."""
    if job is not None and job.supported and math.isfinite(job.hours) and job.hours > 0:
        return 1000 / job.hours, job.cost_usd
    return ranked_on, usd_per_1k


class _Verdict(NamedTuple):
    """One plan option judged: what the rules looked at, why it fails, and what it is ranked on."""

    context: _Context
    reasons: tuple[Reason, ...]
    ranked_on: float | None
    usd_per_1k: float | None
    nice_met: int
    tier: int
    risks: int

    def key(self):
        """The ranking key without caveats (looked up only for the option that represents its plan)."""
        c = self.context
        speed, value = speed_and_value(self.ranked_on, self.usd_per_1k, c.job)
        return order_key(c.workload.preference, self.tier, value, bool(c.plan.fact(PlanField.REQUIRES_CARD)),
                         self.risks, self.nice_met, speed, c.cost.total_usd, 0, c.plan.plan_id)


def _judge(catalog: Catalog, book: ScoreBook, plan: Plan, option: GpuOption, workload: Workload,
           ref_score: float | None, session: SessionLimit, estimate=None, plan_reasons: dict | None = None,
           nice_met: int | None = None) -> _Verdict:
    """One option judged. plan_reasons: the plan-level checks' reasons (PLAN_CHECKS), when already known."""
    score = book.option_score(plan, option, workload.metric, workload.multi_gpu)
    ref_hours = None
    # (a reference device comes with its hours: Workload checks both are given)
    if ref_score is not None and workload.reference_hours is not None and score is not None and score.mean > 0:
        ref_hours = workload.reference_hours * ref_score / score.mean
    memory = book.memory_probability(option, workload.gpu_memory_gib, workload.memory_spread, plan)
    job = None if estimate is None else job_on_option(catalog, plan, option, workload, estimate, session)
    cost = None
    if job is not None and job.supported and math.isfinite(job.hours):
        # With a job the plan is priced for finishing it: its hours in one month of the plan.
        ref_hours, cost = job.hours, job.cost
    c = _Context(catalog, book, plan, option, workload, score, cost or monthly_cost(catalog, plan, option, workload),
                 memory, ref_hours, session, job)
    ranked_on = rank_score(score, workload.predictability)
    risks = access_risks(c)
    if plan_reasons is None:
        reasons = tuple(r for check in CHECKS for r in check(c))
    else:
        reasons = tuple(r for check in CHECKS for r in (plan_reasons[check.__name__] if check.__name__ in plan_reasons
                                                        else check(c)))
    if nice_met is None:
        nice_met = sum(1 for need in workload.nice_to_have if plan.fact(need.fact))
    return _Verdict(c, reasons, ranked_on, usd_per_1k_score(c.cost.total_usd, ranked_on), nice_met,
                    ranking_tier(c, risks), risks)


def _recommendation(v: _Verdict) -> Recommendation:
    """The verdict of the option that represents its plan, with its caveats and stale facts."""
    c = v.context
    limit = c.session.hours
    sessions = None if c.reference_job_hours is None else \
        max(1, math.ceil(c.reference_job_hours / limit)) if limit else 1
    if c.job is not None and c.job.supported:
        sessions = c.job.sessions
    rec = Recommendation(rank=None, plan=c.plan, option=c.option, feasible=not v.reasons, reasons=v.reasons,
                         caveats=tuple(cv for rule in CAVEATS for cv in rule(c)), cost=c.cost, score=c.score,
                         usd_per_1k_score=v.usd_per_1k, reference_job_hours=c.reference_job_hours,
                         reference_job_sessions=sessions, memory_probability=c.memory_probability,
                         nice_to_have_met=v.nice_met, stale_facts=(), session=c.session, tier=v.tier,
                         risks=v.risks, students=c.workload.students, job=c.job)
    # Filled in on the fresh, unshared object (a dataclasses.replace would build every field again, for each plan of
    # every ranking).
    object.__setattr__(rec, "stale_facts", _stale_facts(c.catalog, rec, c.workload))
    return rec


def _key(r: Recommendation, workload: Workload):
    speed, value = speed_and_value(rank_score(r.score, workload.predictability), r.usd_per_1k_score, r.job)
    return order_key(workload.preference, r.tier, value, r.needs_card, r.risks, r.nice_to_have_met, speed,
                     r.monthly_cost_usd, len(r.caveats), r.plan_id)


# A plan with more options than this (a marketplace's offers) is prescreened: each option's option-level checks and
# ranking key are computed from its price parts (costs.hourly_price) and cached scores, and only the option that
# would represent the plan is judged in full. The plan-level checks (session, notebooks, needs, requirements, access)
# are the same for every option of a plan, so the choice is the one full judging would make (a test holds them equal).
FAST_PATH_MIN_OPTIONS = 2


class _Offer(NamedTuple):
    """What the prescreen needs of one option, none of it depending on the workload: its price parts, availability,
    GPUs per machine, and for an option of one GPU model its id and the memory a program sees on it (GiB)."""

    option: GpuOption
    price: HourlyPrice | None
    availability: Availability | None
    gpu_count: int
    gpu_id: str | None
    usable_gib: float | None


@lru_cache(maxsize=4096)
def _offers(catalog: Catalog, plan_id: str) -> tuple[_Offer, ...]:
    """The plan's options as offers, once per catalog (work that depends only on the catalog)."""
    plan = catalog.plans[plan_id]
    out = []
    for option in plan.options:
        seen = catalog.availability(plan, option)
        single = len({g for g, _ in option.shares}) == 1
        gpu_id = option.shares[0][0] if single else None
        out.append(_Offer(option, hourly_price(catalog, plan, option), None if seen is None else seen.availability,
                          option.gpu_count, gpu_id, None if gpu_id is None else catalog.gpus[gpu_id].usable_memory_gib))
    return tuple(out)


def _prescreened(catalog: Catalog, book: ScoreBook, plan: Plan, workload: Workload,
                 session: SessionLimit, estimate=None) -> tuple[GpuOption, ...]:
    """The options of a many-option hourly plan that full judging would choose from (all options when the plan is
    not billed by the hour, or when a job meets a lottery of GPUs)."""
    offers = _offers(catalog, plan.plan_id)
    if any(o.price is None or (estimate is not None and o.gpu_id is None) for o in offers):
        return plan.options
    hours, budget, students = workload.gpu_hours_per_month, workload.budget_usd_per_month, workload.students
    budget_limit = math.inf if budget is None else budget + 1e-9
    need_gib, spread, multi = workload.gpu_memory_gib, workload.memory_spread, workload.multi_gpu
    require = workload.predictability is Predictability.REQUIRE
    prefer = workload.predictability is Predictability.PREFER
    dependable = needs_dependable_access(workload)
    dynamic = int(bool(plan.fact(PlanField.DYNAMIC_USAGE_LIMITS)))
    # Option-level parts of check_requirements and check_quota: a card is needed to pay where the plan says nothing,
    # and a job's own hours meet the plan's quota.
    card_blocked = Requirement.CARD in workload.cannot_provide and plan.fact(PlanField.REQUIRES_CARD) is None
    quota = monthly_quota_hours(plan)
    needs_card = bool(plan.fact(PlanField.REQUIRES_CARD))
    nice = sum(1 for need in workload.nice_to_have if plan.fact(need.fact))
    preference, metric, plan_id, free_only = workload.preference, workload.metric, plan.plan_id, workload.free_only
    predictions = None if estimate is None else estimate.predictions
    max_hours = HOURS_PER_MONTH * 64
    best: tuple[tuple, GpuOption] | None = None
    best_miss: tuple[tuple, GpuOption] | None = None
    for offer in offers:
        option, price = offer.option, offer.price
        assert price is not None, "options without an hourly price returned above"
        job_hours = None
        if predictions is not None:
            t = predictions.get(offer.gpu_id)
            if t is None:
                return plan.options
            job_hours = None if t.hours is None else t.hours / (offer.gpu_count if multi else 1)
        billed = hours if job_hours is None else min(job_hours, max_hours)
        cost = price.total_usd(billed)
        score = book.option_score(plan, option, metric, multi)
        scarce = offer.availability is Availability.SCARCE
        misses = (offer.availability is Availability.UNAVAILABLE) + (multi and offer.gpu_count < 2) \
            + (free_only and cost != 0) + (cost * students > budget_limit) \
            + (score is None or (require and score.cv > REQUIRED_MAX_CV)) + (scarce and require) \
            + (predictions is not None and job_hours is None) + (card_blocked and cost > 0) \
            + (quota is not None and billed > quota + 1e-9)
        if need_gib > 0:
            if offer.usable_gib is not None:
                fits = offer.usable_gib * (offer.gpu_count if spread else 1) >= need_gib - 1e-9
            else:
                fits = book.memory_probability(option, need_gib, spread, plan) >= MEMORY_MIN_PROBABILITY
            misses += not fits
        risks = scarce + dynamic
        tier = tier_of(session.known, risks, cost > 0, dependable)
        ranked_on = None if score is None else (score.p10 if prefer else score.mean)
        speed: float | None
        value: float | None
        if job_hours is not None and job_hours > 0:
            speed, value = 1000 / job_hours, cost
        else:
            speed, value = ranked_on, usd_per_1k_score(cost, ranked_on)
        key = order_key(preference, tier, value, needs_card, risks, nice, speed, cost, 0, plan_id)
        if misses == 0 and (best is None or key < best[0]):
            best = (key, option)
        miss = (misses, cost, key)
        if best_miss is None or miss < best_miss[0]:
            best_miss = (miss, option)
    # The best option that passes every option-level check; and the nearest miss, which represents the plan when a
    # plan-level check fails them all.
    assert best_miss is not None, "a plan has at least one option"
    if best is None or best[1] is best_miss[1]:
        return (best_miss[1],)
    return best[1], best_miss[1]


def workload_job(workload: Workload):
    """The job the workload describes (advisor.job.Job), or None: a model (by name or size) with its data, or a time
    on a reference GPU. A reference score (a benchmarked machine) stays with AI-score scaling."""
    has_data = workload.tokens is not None or workload.samples is not None
    by_model = (workload.model is not None or workload.params_billion is not None) and has_data
    if not by_model and workload.reference_gpu is None:
        return None
    from .job import Job  # the job model loads only when a job is described
    from .vocab import JobKind, Kind

    kind = JobKind.INFERENCE if workload.kind is Kind.INFERENCE else JobKind.TRAINING
    return Job(kind=kind, family=workload.family, precision=workload.precision, model=workload.model,
               params_billion=workload.params_billion, method=workload.method, tokens=workload.tokens,
               samples=workload.samples, epochs=workload.epochs or 1, batch=workload.batch,
               reference_gpu=workload.reference_gpu if not by_model else None,
               reference_hours=workload.reference_hours if not by_model else None)


def job_estimate(catalog: Catalog, workload: Workload):
    """advisor.job.estimate_job for the workload's job (None without one). Raises UnknownModelError,
    UnknownGpuError or InvalidWorkloadError for a job that cannot be timed."""
    job = workload_job(workload)
    return None if job is None else _job_estimate_cached(catalog, job)


@lru_cache(maxsize=256)
def _job_estimate_cached(catalog: Catalog, job):
    """One estimate per catalog and job (both frozen): the chat and the API ask again for the same job."""
    from .job import estimate_job

    return estimate_job(catalog, job)


# A plan that misses only the budget, by at most this factor, is a near miss worth naming first.
NEAR_BUDGET_FACTOR = 1.5


def _miss_key(r: Recommendation, workload: Workload):
    """Unsuitable plans, nearest miss first: the fewest reasons; a plan that only costs a little more than the budget
    (at most NEAR_BUDGET_FACTOR times it) before one that cannot do the job; then the cheapest; then the ranking."""
    budget = workload.budget_usd_per_month
    near = (budget is not None and r.total_cost_usd is not None and all(x.code is ReasonCode.BUDGET for x in r.reasons)
            and r.total_cost_usd <= max(budget, 1.0) * NEAR_BUDGET_FACTOR)
    return (len(r.reasons), not near, math.inf if r.total_cost_usd is None else r.total_cost_usd, _key(r, workload))


def eligible(plan: Plan, workload: Workload) -> bool:
    """False for plans the user may not use (education plans without workload.education)."""
    return workload.education or not plan.fact(PlanField.REQUIRES_EDUCATION)


def recommend(catalog: Catalog, workload: Workload, evidence: RunEvidence | None = None) -> list[Recommendation]:
    """Every plan the user may use judged for `workload`: feasible ones first in rank order, then the rest
    (nearest misses first: _miss_key). evidence: runs folded by advisor.runs.evidence.build_evidence (None: the
    catalog alone). Raises UnknownGpuError when workload.reference_gpu is not in the catalog."""
    book = score_book(catalog, evidence)
    estimate = job_estimate(catalog, workload)
    if estimate is not None and not workload.gpu_memory_gib and estimate.memory_gib:
        # The memory need comes from the model when the user names one and gives no figure of their own.
        workload = replace(workload, gpu_memory_gib=min(estimate.memory_gib, BOUNDS["gpu_memory_gib"].high))
    ref_score = None if estimate is not None else reference_device_score(catalog, workload, evidence)
    best = []
    for plan in catalog.plans.values():
        if not eligible(plan, workload):
            continue
        session = session_limit(catalog, plan)
        options = plan.options
        if len(options) > FAST_PATH_MIN_OPTIONS:
            options = _prescreened(catalog, book, plan, workload, session, estimate)
        first = _judge(catalog, book, plan, options[0], workload, ref_score, session, estimate)
        plan_reasons = {check.__name__: tuple(check(first.context)) for check in CHECKS
                        if check.__name__ in PLAN_CHECKS}
        judged = [first] + [_judge(catalog, book, plan, option, workload, ref_score, session, estimate, plan_reasons,
                                   first.nice_met) for option in options[1:]]
        fitting = [v for v in judged if not v.reasons]
        # A plan that fits is represented by its best option; one that does not, by its nearest miss (the fewest
        # reasons, then the cheapest: the option a user could stretch to).
        chosen = min(fitting, key=_Verdict.key) if fitting else min(judged, key=lambda v: (
            len(v.reasons), math.inf if v.context.cost.total_usd is None else v.context.cost.total_usd, v.key()))
        # Caveats and stale facts are looked up once per plan, for the option that represents it.
        best.append(_recommendation(chosen))
    feasible = sorted((r for r in best if r.feasible), key=lambda r: _key(r, workload))
    rest = sorted((r for r in best if not r.feasible), key=lambda r: _miss_key(r, workload))
    for i, r in enumerate(feasible):
        object.__setattr__(r, "rank", i + 1)  # fresh objects made by this call: not yet seen by anyone
    return feasible + rest


# An upgrade is worth naming beside a free plan when it is at least this many times faster.
UPGRADE_MIN_SPEEDUP = 1.5


@dataclass(frozen=True)
class Verdict:
    """The answer above a ranking, computed from it: each flag is a fact about the feasible plans, checked by a
    property test, so a sentence built from it cannot claim what the ranking does not show.

    top: the first plan (None when nothing fits). n_feasible: plans that fit. speed: the ranking score of a plan
    (mean, or the 10th percentile with predictability 'prefer'). is_free: top costs nothing; needs_card: top asks
    for a payment card. fastest_free: top is free and no free plan that fits is faster. cheapest: no plan that fits
    costs less. fastest: no plan that fits is faster; near_fastest_for_less: none is SPEED_STEP times faster, and
    every faster one costs more. best_value: no plan that fits costs less per point (best_value_in_tier: among the
    plans of top's tier).
    free_choice / free_speedup: when top is paid, the best free plan that fits (no card first) and how many times
    faster top is. upgrade / upgrade_speedup: when top is free, the cheapest paid plan that fits and is at least
    UPGRADE_MIN_SPEEDUP times faster, and how many times. value_choice / value_share: when the ranking puts speed
    first and top is paid, the paid plan of no higher tier that fits with the lowest price per point of speed (when
    it is not top and costs less) and the share of top's speed it gives. closest: when nothing fits, the plan that
    misses by the fewest reasons and, among those, costs least (the ranking's first unsuitable plan).
    """

    top: Recommendation | None
    n_feasible: int
    preference: Preference
    is_free: bool = False
    needs_card: bool = False
    fastest_free: bool = False
    cheapest: bool = False
    fastest: bool = False
    near_fastest_for_less: bool = False
    best_value: bool = False
    best_value_in_tier: bool = False
    free_choice: Recommendation | None = None
    free_speedup: float | None = None
    upgrade: Recommendation | None = None
    upgrade_speedup: float | None = None
    value_choice: Recommendation | None = None
    value_share: float | None = None
    closest: Recommendation | None = None


def plan_speed(rec: Recommendation, workload: Workload) -> float:
    """A plan's speed for the verdict, as the ranking compares it: the ranking score, or with a job the jobs per
    1,000 hours (0 when unknown)."""
    return speed_and_value(rank_score(rec.score, workload.predictability), rec.usd_per_1k_score, rec.job)[0] or 0.0


def verdict(recs: list[Recommendation], workload: Workload) -> Verdict:
    """The verdict on a ranking made by recommend() for `workload`."""
    feasible = [r for r in recs if r.feasible]
    if not feasible:
        return Verdict(None, 0, workload.preference, closest=recs[0] if recs else None)
    top = feasible[0]
    speed = {r.plan_id: plan_speed(r, workload) for r in feasible}
    cost = {r.plan_id: r.monthly_cost_usd if r.monthly_cost_usd is not None else math.inf for r in feasible}
    free = [r for r in feasible if cost[r.plan_id] == 0]
    paid = [r for r in feasible if cost[r.plan_id] > 0]
    per_1k = [r.usd_per_1k_score for r in feasible if r.usd_per_1k_score is not None]
    is_free = cost[top.plan_id] == 0
    free_choice = free_speedup = upgrade = upgrade_speedup = None
    if not is_free and free:
        order = {r.plan_id: i for i, r in enumerate(feasible)}
        free_choice = min(free, key=lambda r: (r.needs_card, -speed[r.plan_id], order[r.plan_id]))
        if speed[free_choice.plan_id] > 0:
            free_speedup = speed[top.plan_id] / speed[free_choice.plan_id]
    if is_free and paid and speed[top.plan_id] > 0:
        faster = [r for r in paid if speed[r.plan_id] >= UPGRADE_MIN_SPEEDUP * speed[top.plan_id]]
        if faster:
            upgrade = min(faster, key=lambda r: (cost[r.plan_id], -speed[r.plan_id], r.plan_id))
            upgrade_speedup = speed[upgrade.plan_id] / speed[top.plan_id]
    value_choice = value_share = None
    if workload.preference is Preference.SPEED and not is_free and speed[top.plan_id] > 0:
        value = {r.plan_id: speed_and_value(rank_score(r.score, workload.predictability), r.usd_per_1k_score, r.job)[1]
                 for r in paid}
        # Only a plan as dependable as top (no higher tier): a cheaper GPU from a scarce pool is no alternative.
        cheaper = [r for r in paid if value[r.plan_id] is not None and cost[r.plan_id] < cost[top.plan_id]
                   and speed[r.plan_id] > 0 and r.tier <= top.tier]
        if cheaper and value[top.plan_id] is not None:
            best = min(cheaper, key=lambda r: (value[r.plan_id], r.plan_id))
            if value[best.plan_id] < value[top.plan_id]:
                value_choice, value_share = best, speed[best.plan_id] / speed[top.plan_id]
    return Verdict(
        top, len(feasible), workload.preference, is_free=is_free, needs_card=top.needs_card,
        fastest_free=is_free and all(speed[top.plan_id] >= speed[r.plan_id] for r in free),
        cheapest=all(cost[top.plan_id] <= c for c in cost.values()),
        fastest=all(speed[top.plan_id] >= v for v in speed.values()),
        near_fastest_for_less=all(speed[top.plan_id] * SPEED_STEP > v for v in speed.values())
        and all(cost[top.plan_id] < cost[r.plan_id] for r in feasible if speed[r.plan_id] > speed[top.plan_id]),
        best_value=top.usd_per_1k_score is not None and all(top.usd_per_1k_score <= v for v in per_1k),
        best_value_in_tier=top.usd_per_1k_score is not None and all(
            top.usd_per_1k_score <= r.usd_per_1k_score for r in feasible
            if r.tier == top.tier and r.usd_per_1k_score is not None),
        free_choice=free_choice, free_speedup=free_speedup, upgrade=upgrade, upgrade_speedup=upgrade_speedup,
        value_choice=value_choice, value_share=value_share)


__all__ = ["CAVEATS", "CHECKS", "Caveat", "MEMORY_MIN_PROBABILITY", "Reason", "Recommendation", "SessionLimit",
           "StaleFact", "Verdict", "eligible", "order_key", "rank_score", "recommend", "reference_device_score",
           "session_limit", "usd_per_1k_score", "verdict"]
