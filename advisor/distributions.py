"""Score distributions: per GPU from measured (or estimated) AI Benchmark scores, per plan from direct
platform measurements or from the mixture of the GPUs its allocation hands out (the GPU lottery)."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

from .catalog import Catalog, Evidence, GpuOption, Plan, allocation_on
from .estimate import SpecScoreModel
from .vocab import Basis, Metric, Precision, SubjectType


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
    """All score distributions of one catalog, computed on first use and kept. Build it with score_book()."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
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
        rows = self._gpu_rows.get((gpu_id, metric))
        if rows:
            n, mean, sd, sd_measured = _pool(rows, self.run_to_run_cv)
            spread = "measured spread" if sd_measured else self.run_to_run_detail
            sources = tuple(sorted({r.provenance.source for r in rows}))
            versions = tuple(sorted({r.tf_version for r in rows if r.tf_version}))
            tf = f", TensorFlow {', '.join(versions)}" if versions else ""
            return GpuScore(gpu_id, metric, mean, sd, n, False, None,
                            f"measured (n={n}{tf}); {spread}; {'; '.join(sources)}", sources, versions)
        mean = self.model.predict(gpu_id, metric)
        if mean is None:
            return None
        anchored = any((gpu_id, m) in self.model.measured_ for m in Metric)
        how = "from its measured scores and" if anchored else "from"
        error = self.model.loo_error_pct_
        return GpuScore(gpu_id, metric, mean, self.run_to_run_cv * mean, 0, True, error,
                        f"estimated {how} its spec sheet (±{error:.0f}% leave-one-GPU-out error)")

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
        scale = option.gpu_count if multi else 1
        components = []
        for gpu_id, share in option.shares:
            score = self.gpu_score(gpu_id, metric)
            if score is None:
                return None
            components.append(Component(gpu_id, share, score.mean * scale, score.sd * scale, score.estimated))
        components = tuple(components)
        scaling = (f"; {scale} GPUs, assuming perfect scaling (an upper bound: AI Benchmark uses one GPU)"
                   if multi else "")
        # Direct platform runs count only when made under the allocation now in force, on one GPU.
        rows = [r for r in self._plan_rows.get((plan.plan_id, metric), [])
                if len(plan.options) == 1 and r.provenance.as_of >= option.provenance.as_of and not multi]
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
            error = self.model.loo_error_pct_
            return _summary(metric, parts, Basis.ESTIMATED,
                            detail + f"; estimated from spec sheets (±{error:.0f}% leave-one-GPU-out error)" + scaling,
                            None, error, components)
        return _summary(metric, parts, Basis.MODELLED, detail + scaling, None, None, components)

    def memory_probability(self, option: GpuOption, gib: float, multi_gpu: bool = False) -> float:
        """Share of sessions whose machine has at least `gib` GiB of GPU memory (per GPU, or summed with
        multi_gpu)."""
        scale = option.gpu_count if multi_gpu else 1
        return float(sum(share for gpu_id, share in option.shares
                         if self.catalog.gpus[gpu_id].memory_gib * scale >= gib))

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


@lru_cache(maxsize=64)
def score_book(catalog: Catalog) -> ScoreBook:
    """The score distributions of a catalog, built once per catalog (catalogs are memoised per date)."""
    return ScoreBook(catalog)
