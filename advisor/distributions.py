"""Score distributions: per GPU from measured (or estimated) AI Benchmark scores, per plan from direct
platform measurements or from the mixture of the GPUs its allocation hands out (the GPU lottery)."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from .catalog import Catalog, Evidence, GpuOption, Plan, allocation_on
from .estimate import EXTRAPOLATION_WIDEN, SpecScoreModel
from .vocab import Basis, EvidenceSource, Metric, Precision, SubjectType

if TYPE_CHECKING:  # the evidence module is imported by whoever builds evidence, never on the catalog-only path
    from .runs.evidence import Measurement, RunEvidence, SourceCount


@dataclass(frozen=True)
class GpuScore:
    """One GPU's score for one metric (points). sd: run-to-run spread. error_pct: the estimate's leave-one-out
    error (None when measured). detail: what the figure rests on, in words."""

    gpu_id: str
    metric: Metric
    mean: float
    sd: float
    n: int
    estimated: bool
    error_pct: float | None
    detail: str
    sources: tuple[str, ...] = ()
    tf_versions: tuple[str, ...] = ()
    basis: tuple[SourceCount, ...] = ()


@dataclass(frozen=True)
class Component:
    """One GPU of an allocation: the share of sessions that get it and its score (points)."""

    gpu_id: str
    share: float
    mean: float
    sd: float
    estimated: bool


def _normal_cdf(x: float, mean: float, sd: float) -> float:
    if sd <= 0:
        return 1.0 if x >= mean else 0.0
    return 0.5 * (1.0 + math.erf((x - mean) / (sd * math.sqrt(2.0))))


def mixture_cdf(x: float, parts: tuple[tuple[float, float, float], ...]) -> float:
    """P(score <= x) for a mixture of normals given as (weight, mean, sd)."""
    return sum(w * _normal_cdf(x, m, s) for w, m, s in parts)


# Memoised: a new run changes the figures of one GPU and one plan, so the score book built for the new evidence
# finds every other option's quantiles here (the bisection is most of a score book's cost).
@lru_cache(maxsize=8192)
def mixture_quantile(q: float, parts: tuple[tuple[float, float, float], ...]) -> float:
    """The score below which a fraction q of sessions fall (bisection on the mixture's CDF)."""
    lo = min(m - 8 * s for _, m, s in parts)
    hi = max(m + 8 * s for _, m, s in parts)
    for _ in range(60):
        mid = (lo + hi) / 2
        if mixture_cdf(mid, parts) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@dataclass(frozen=True)
class ScoreSummary:
    """A plan option's score distribution for one metric (points; higher is faster).

    basis: measured (direct runs on the platform, n of them), modelled (mixture of measured GPU scores) or
    estimated (some GPU score comes from the spec-sheet regression; error_pct is its leave-one-out error).
    parts: the mixture as (weight, mean, sd) triples.
    """

    metric: Metric
    mean: float
    sd: float
    p10: float
    p50: float
    p90: float
    basis: Basis
    basis_detail: str
    n: int | None
    error_pct: float | None
    components: tuple[Component, ...]
    parts: tuple[tuple[float, float, float], ...]
    sources: tuple[SourceCount, ...] = ()
    observed_allocation: str | None = None
    # True when a GPU's score is estimated from a spec sheet outside the measured GPUs' range (its error is widened).
    extrapolated: bool = False

    @property
    def cv(self) -> float:
        """Coefficient of variation: sd / mean."""
        return self.sd / self.mean if self.mean > 0 else 0.0

    @property
    def estimated(self) -> bool:
        return self.basis is Basis.ESTIMATED

    def prob_at_least(self, score: float) -> float:
        """Share of sessions scoring at least `score`."""
        return max(0.0, min(1.0, 1.0 - mixture_cdf(score, self.parts)))


def _summary(metric, parts, basis, detail, n, error_pct, components) -> ScoreSummary:
    mean = sum(w * m for w, m, _ in parts)
    var = sum(w * (s * s + m * m) for w, m, s in parts) - mean * mean
    return ScoreSummary(metric=metric, mean=float(mean), sd=float(math.sqrt(max(var, 0.0))),
                        p10=mixture_quantile(0.10, parts), p50=mixture_quantile(0.50, parts),
                        p90=mixture_quantile(0.90, parts), basis=basis, basis_detail=detail, n=n,
                        error_pct=error_pct, components=components, parts=parts)


def _pool(rows: list[Evidence], default_cv: float) -> tuple[int, float, float, bool]:
    """Combine several results of one subject: total n, mean, sd, and whether the sd was measured."""
    n = sum(r.n for r in rows)
    mean = sum(r.n * r.mean for r in rows) / n
    measured_sd = any(r.sd is not None for r in rows) or len(rows) > 1
    if n < 2 or not measured_sd:
        return n, mean, default_cv * mean, False
    within = sum((r.n - 1) * (r.sd if r.sd is not None else default_cv * r.mean) ** 2 for r in rows)
    between = sum(r.n * (r.mean - mean) ** 2 for r in rows)
    return n, mean, math.sqrt((within + between) / (n - 1)), True


class ScoreBook:
    """All score distributions of one catalog (and, optionally, runs folded into evidence), computed on first use
    and kept. Build it with score_book()."""

    def __init__(self, catalog: Catalog, evidence: RunEvidence | None = None):
        self.catalog = catalog
        self.evidence = evidence
        usable = [e for e in catalog.evidence if e.precision is Precision.NORMAL]
        self._gpu_rows: dict[tuple[str, Metric], list[Evidence]] = {}
        self._plan_rows: dict[tuple[str, Metric], list[Evidence]] = {}
        for e in usable:
            if e.subject_type is SubjectType.GPU:
                self._gpu_rows.setdefault((e.subject, e.metric), []).append(e)
            elif e.subject_type is SubjectType.PLAN:
                self._plan_rows.setdefault((e.subject, e.metric), []).append(e)
                # Runs on a plan that hands out one fixed GPU are runs of that GPU too.
                gpu_id = self._single_gpu_of_plan_on(e.subject, e.provenance.as_of)
                if gpu_id is not None:
                    derived = replace(e, subject_type=SubjectType.GPU, subject=gpu_id,
                                      provenance=replace(e.provenance,
                                                         note=f"run on {e.subject}; " + e.provenance.note))
                    self._gpu_rows.setdefault((gpu_id, e.metric), []).append(derived)
        self.run_to_run_cv, self.run_to_run_detail = self._run_to_run_cv(usable)
        measured = {key: sum(r.n * r.mean for r in rows) / sum(r.n for r in rows)
                    for key, rows in self._gpu_rows.items()}
        self.model = SpecScoreModel().fit(catalog.gpus, measured)
        self._gpu_cache: dict[tuple, GpuScore | None] = {}
        self._option_cache: dict[tuple, ScoreSummary | None] = {}

    def _run_to_run_cv(self, usable: list[Evidence]) -> tuple[float, str]:
        """Spread of repeated runs on one fixed GPU, pooled over every such measurement in the catalog."""
        num = den = 0.0
        used = []
        for e in usable:
            if e.n < 2 or e.sd is None:
                continue
            lottery = self._single_gpu_of_plan_on(e.subject, e.provenance.as_of) is None
            if e.subject_type is SubjectType.PLAN and lottery:
                continue  # a lottery's spread is not run-to-run noise
            num += (e.n - 1) * (e.sd / e.mean) ** 2
            den += e.n - 1
            used.append(f"{e.subject} (n={e.n})")
        if den == 0:
            return 0.0, "run-to-run spread unknown (no repeated runs of one GPU in the catalog)"
        cv = math.sqrt(num / den)
        return cv, f"run-to-run spread {cv:.1%} from repeated runs of one GPU: {', '.join(used)}"

    def _single_gpu_of_plan_on(self, plan_id: str, date) -> str | None:
        """The GPU a plan handed out on `date` when it always handed out the same one, else None."""
        current = allocation_on(self.catalog.raw, plan_id, date)
        if len(current) == 1 and not current[0].is_lottery:
            return current[0].shares[0][0]
        return None

    @property
    def estimate_error_pct(self) -> float | None:
        return self.model.loo_error_pct_

    def gpu_score(self, gpu_id: str, metric: Metric) -> GpuScore | None:
        """Measured score where the catalog has one, else the spec-sheet estimate, else None."""
        key = (gpu_id, Metric(metric))
        if key not in self._gpu_cache:
            self._gpu_cache[key] = self._compute_gpu_score(*key)
        return self._gpu_cache[key]

    def _compute_gpu_score(self, gpu_id: str, metric: Metric) -> GpuScore | None:
        base = self._catalog_gpu_score(gpu_id, metric)
        measured = self.evidence.gpu(gpu_id, metric) if self.evidence is not None else None
        return base if measured is None else self._with_runs(gpu_id, metric, base, measured)

    def _catalog_basis(self, gpu_id: str, metric: Metric) -> tuple[SourceCount, ...]:
        rows = self._gpu_rows.get((gpu_id, metric))
        if not rows:
            return ()
        from .runs.evidence import SourceCount

        dates = [r.provenance.as_of for r in rows]
        return (SourceCount(EvidenceSource.CATALOG, sum(r.n for r in rows), len({r.provenance.source for r in rows}),
                            min(dates), max(dates)),)

    @property
    def between_source_cv(self) -> float:
        """How far one source's measurement of a GPU sits from another's (a coefficient of variation): pooled over
        the catalog's GPUs measured by several sources (setups, TensorFlow versions), else the run-to-run spread."""
        if not hasattr(self, "_between_source_cv"):
            num = den = 0.0
            for rows in self._gpu_rows.values():
                by_source: dict[str, list[Evidence]] = {}
                for r in rows:
                    by_source.setdefault(r.provenance.source, []).append(r)
                if len(by_source) < 2:
                    continue
                means = [math.log(sum(r.n * r.mean for r in rs) / sum(r.n for r in rs)) for rs in by_source.values()]
                centre = sum(means) / len(means)
                num += sum((m - centre) ** 2 for m in means)
                den += len(means) - 1
            self._between_source_cv = math.sqrt(num / den) if den else self.run_to_run_cv
        return self._between_source_cv

    def _with_runs(self, gpu_id: str, metric: Metric, base: GpuScore | None, runs: Measurement) -> GpuScore:
        """The catalog's figure and the runs' full and quick groups pooled by precision (README, "Evidence from
        runs"): each part weighs 1 / its variance. The catalog's figure is one or a few setups, so its variance
        adds the between-source spread; runs from many posters carry that spread in their own."""
        cv = self.run_to_run_cv
        parts: list[tuple[float, float]] = []  # (mean, variance of the mean)
        measured_spreads: list[tuple[float, float]] = []  # (sd, degrees of freedom)
        if base is not None and not base.estimated:
            parts.append((base.mean, base.sd ** 2 / max(base.n, 1) + (self.between_source_cv * base.mean) ** 2))
            if base.n > 1 and _pool(self._gpu_rows[(gpu_id, metric)], cv)[3]:
                measured_spreads.append((base.sd, base.n - 1))
        elif base is not None:  # a spec-sheet estimate: its leave-one-GPU-out error
            parts.append((base.mean, (base.mean * math.log1p((base.error_pct or 100.0) / 100)) ** 2))
        for g in runs.groups:
            spread = g.sd if g.sd is not None else cv * g.mean
            if g.sd is not None:
                measured_spreads.append((g.sd, g.spread_n_eff - 1))
            # A quick run's calibration error is the same for every run of one GPU: it does not average away.
            parts.append((g.mean, spread ** 2 / g.n_eff + (g.log_error * g.mean) ** 2))
        mean, se = precision_weighted_mean(parts)
        if measured_spreads:
            dof = sum(d for _, d in measured_spreads)
            sd = math.sqrt(sum(d * s * s for s, d in measured_spreads) / dof)
        else:
            sd = base.sd if base is not None and not base.estimated else cv * mean
        estimated = (base is None or base.estimated) and runs.full is None
        error = se / mean * 100 if estimated else None
        basis = self._catalog_basis(gpu_id, metric) + runs.sources
        what = "estimated" if estimated else "measured"
        before = base.detail if base is not None else "no catalog figure"
        detail = (f"{what} (n={(base.n if base else 0) + runs.n}): {'; '.join(s.text() for s in basis)}; "
                  f"precision-weighted mean of the catalog and the runs ({before})")
        return GpuScore(gpu_id, metric, mean, sd, (base.n if base else 0) + runs.n, estimated, error, detail,
                        base.sources if base else (), base.tf_versions if base else (), basis)

    def _catalog_gpu_score(self, gpu_id: str, metric: Metric) -> GpuScore | None:
        rows = self._gpu_rows.get((gpu_id, metric))
        if rows:
            n, mean, sd, sd_measured = _pool(rows, self.run_to_run_cv)
            spread = "measured spread" if sd_measured else self.run_to_run_detail
            sources = tuple(sorted({r.provenance.source for r in rows}))
            versions = tuple(sorted({r.tf_version for r in rows if r.tf_version}))
            tf = f", TensorFlow {', '.join(versions)}" if versions else ""
            return GpuScore(gpu_id, metric, mean, sd, n, False, None,
                            f"measured (n={n}{tf}); {spread}; {'; '.join(sources)}", sources, versions)
        predicted = self.model.predict(gpu_id, metric)
        if predicted is None:
            return None
        anchored = any((gpu_id, m) in self.model.measured_ for m in Metric)
        how = "from its measured scores and" if anchored else "from"
        error = self.model.loo_error_pct_
        assert error is not None, "a model that predicts is fitted, with its leave-one-GPU-out error"
        beyond = ""
        if self.model.extrapolated(gpu_id):
            error *= EXTRAPOLATION_WIDEN
            beyond = f", widened x{EXTRAPOLATION_WIDEN:g}: its spec lies outside the measured GPUs' range"
        return GpuScore(gpu_id, metric, predicted, self.run_to_run_cv * predicted, 0, True, error,
                        f"estimated {how} its spec sheet (±{error:.0f}% leave-one-GPU-out error{beyond})")

    def option_score(self, plan: Plan, option: GpuOption, metric: Metric,
                     multi_gpu: bool = False) -> ScoreSummary | None:
        """The distribution of `metric` over sessions of this plan option; None when a GPU has no score at all.
        multi_gpu: the job uses every GPU of the machine (scores add up: an upper bound, see below)."""
        key = (plan.plan_id, option.option, metric, multi_gpu and option.gpu_count > 1)
        try:
            return self._option_cache[key]
        except KeyError:
            self._option_cache[key] = found = self._compute_option_score(plan, option, Metric(metric), key[3])
            return found

    def _compute_option_score(self, plan: Plan, option: GpuOption, metric: Metric, multi: bool) -> ScoreSummary | None:
        observed = self._observed_option(plan, option)
        if observed is not None:
            return self._observed_option_score(plan, observed, metric, multi)
        return self._catalog_option_score(plan, option, metric, multi)

    def _observed_option(self, plan: Plan, option: GpuOption) -> GpuOption | None:
        """The option with its allocation updated by runs on the plan (a plan with one option: what a session
        hands out); None without such runs."""
        if self.evidence is None or len(plan.options) != 1:
            return None
        seen = self.evidence.allocation(plan.plan_id)
        if seen is None or seen.weight <= 0:
            return None
        from .runs.evidence import posterior_shares

        shares = tuple((g, s) for g, s in posterior_shares(seen, option.shares) if g in self.catalog.gpus)
        return replace(option, shares=shares, observed_counts=None)

    def _observed_option_score(self, plan: Plan, option: GpuOption, metric: Metric, multi: bool) -> ScoreSummary | None:
        summary = self._catalog_option_score(plan, option, metric, multi, direct=False)
        if summary is None:
            return None
        # Only called for an option _observed_option updated: there is evidence, with an allocation for the plan.
        assert self.evidence is not None
        seen = self.evidence.allocation(plan.plan_id)
        assert seen is not None
        direct = self.evidence.plan(plan.plan_id, metric)
        detail = (f"{summary.basis_detail}; allocation: the catalog's updated by {seen.text()} sessions in runs "
                  f"({'; '.join(s.text() for s in seen.sources)})")
        if direct is not None and direct.full is not None:
            g = direct.full
            sd = "" if g.sd is None else f", sd {g.sd:,.0f}"
            detail += f"; the plan's own full runs: n={g.n}, mean {g.mean:,.0f}{sd}, {g.first} to {g.last}"
        sources = tuple(s for c in summary.components if (gs := self.gpu_score(c.gpu_id, metric)) for s in gs.basis)
        return replace(summary, basis_detail=detail, sources=_merge_sources(sources),
                       observed_allocation=seen.text())

    def allocation_disagreement(self, plan: Plan, option: GpuOption) -> str | None:
        """A sentence when runs within the window got other GPUs than the catalog states for this plan (or, for a
        plan whose options the user picks, a GPU no option offers); None otherwise or without evidence."""
        if self.evidence is None:
            return None
        seen = self.evidence.allocation(plan.plan_id)
        if seen is None:
            return None
        from .runs.evidence import allocation_disagreements

        stated = option.shares if len(plan.options) == 1 else \
            tuple((g, 1.0) for g in sorted({g for o in plan.options for g in o.gpu_ids}))
        if len(plan.options) == 1:
            off = allocation_disagreements(seen, stated)
        else:
            offered = {g for g, _ in stated}
            off = [(g, 0.0, c / seen.n) for g, c in seen.counts if g not in offered]
        if not off:
            return None
        said = ", ".join(f"{g} {s:.0%}" for g, s in option.shares)
        got = ", ".join(f"{g} {o:.0%} (catalog {s:.0%})" for g, s, o in off)
        return (f"recent runs on this plan got other GPUs than the catalog states: {got}; observed {seen.text()} "
                f"({'; '.join(s.text() for s in seen.sources)}); the catalog says {said} "
                f"({option.provenance.source}, {option.provenance.as_of})")

    def _catalog_option_score(self, plan: Plan, option: GpuOption, metric: Metric, multi: bool,
                              direct: bool = True) -> ScoreSummary | None:
        scale = option.gpu_count if multi else 1
        found = []
        for gpu_id, share in option.shares:
            score = self.gpu_score(gpu_id, metric)
            if score is None:
                return None
            found.append(Component(gpu_id, share, score.mean * scale, score.sd * scale, score.estimated))
        components = tuple(found)
        scaling = (f"; {scale} GPUs, assuming perfect scaling (an upper bound: AI Benchmark uses one GPU)"
                   if multi else "")
        # Direct platform runs count only when made under the allocation now in force, on one GPU.
        rows = [r for r in self._plan_rows.get((plan.plan_id, metric), [])
                if direct and len(plan.options) == 1 and r.provenance.as_of >= option.provenance.as_of and not multi]
        if rows:
            n, mean, sd, _ = _pool(rows, self.run_to_run_cv)
            sources = "; ".join(sorted({r.provenance.source for r in rows}))
            return _summary(metric, ((1.0, mean, sd),), Basis.MEASURED,
                            f"measured on the platform (n={n}), normal approximation; {sources}", n, None, components)
        parts = tuple((c.share, c.mean, c.sd) for c in components)
        names = ", ".join(f"{self.catalog.gpus[c.gpu_id].name} {c.share:.0%}" for c in components)
        if option.is_lottery:
            detail = f"modelled from the GPU lottery: {names}"
        else:
            detail = f"modelled from the {self.catalog.gpus[components[0].gpu_id].name}'s score"
        if any(c.estimated for c in components):
            errors = [s.error_pct for c in components if c.estimated and (s := self.gpu_score(c.gpu_id, metric))]
            error = max((e for e in errors if e is not None), default=self.model.loo_error_pct_)
            how = "spec sheets" if self.evidence is None else "spec sheets or quick runs"
            summary = _summary(metric, parts, Basis.ESTIMATED,
                               detail + f"; estimated from {how} (±{error:.0f}% error)" + scaling,
                               None, error, components)
            if any(c.estimated and self.model.extrapolated(c.gpu_id) for c in components):
                summary = replace(summary, extrapolated=True)
            return summary
        return _summary(metric, parts, Basis.MODELLED, detail + scaling, None, None, components)

    def memory_probability(self, option: GpuOption, gib: float, spread: bool = False,
                           plan: Plan | None = None) -> float:
        """Share of sessions whose machine gives a program at least `gib` GiB of GPU memory: on each GPU, or summed
        over the machine's GPUs with `spread` (a sharded job). Judged on the memory a program can use (a T4 shows
        about 15 GiB of its 16), not the nominal size. plan: the option's plan, so that an allocation observed in
        runs counts."""
        if plan is not None and self.evidence is not None:
            option = self._observed_option(plan, option) or option
        scale = option.gpu_count if spread else 1
        return float(sum(share for gpu_id, share in option.shares
                         if self.catalog.gpus[gpu_id].usable_memory_gib * scale >= gib - 1e-9))

    def speedups(self, score: float, metric: Metric = Metric.AI) -> list[tuple[Plan, GpuOption, ScoreSummary, float]]:
        """For a device scoring `score` points: each plan option with its score and how many times faster its
        average session is (mean / score), fastest first. Options without a score are left out."""
        out = []
        for plan in self.catalog.plans.values():
            for option in plan.options:
                summary = self.option_score(plan, option, metric)
                if summary is not None and score > 0:
                    out.append((plan, option, summary, summary.mean / score))
        return sorted(out, key=lambda row: -row[3])


def precision_weighted_mean(parts: list[tuple[float, float]]) -> tuple[float, float]:
    """The inverse-variance weighted mean of (mean, variance of the mean) parts, and its standard error."""
    weights = [1 / max(v, 1e-12) for _, v in parts]
    total = sum(weights)
    return sum(w * m for w, (m, _) in zip(weights, parts, strict=True)) / total, math.sqrt(1 / total)


def _merge_sources(sources) -> tuple:
    """One SourceCount per source: n summed, posters the largest, dates spanned."""
    merged: dict = {}
    for s in sources:
        old = merged.get(s.source)
        merged[s.source] = s if old is None else replace(old, n=old.n + s.n, posters=max(old.posters, s.posters),
                                                          first=min(old.first, s.first), last=max(old.last, s.last))
    return tuple(merged[k] for k in EvidenceSource if k in merged)


@lru_cache(maxsize=64)
def score_book(catalog: Catalog, evidence: RunEvidence | None = None) -> ScoreBook:
    """The score distributions of a catalog, built once per catalog (catalogs are memoised per date) and per
    folded evidence (advisor.runs.evidence.build_evidence; None: the catalog alone)."""
    return ScoreBook(catalog, evidence)
