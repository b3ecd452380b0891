"""Runs folded into evidence: per GPU and metric, per plan and metric, and per plan's GPU allocation, the runs that
count, pooled with a cap on each poster's weight, with their n, dates, posters and sources.

The result, RunEvidence, is immutable and hashable (by a fingerprint of its content), so the score book can be
cached per catalog and evidence (advisor.distributions.score_book(catalog, evidence)). The model, in words, is in
the README's "Evidence from runs"; the numbers it rests on are the constants below.

Which runs count (README rules):
- a measurement of a GPU: a complete run (not partial) on a GPU that TensorFlow really used (device kind gpu),
  whose NVML name matches a catalog GPU; full runs as measured, quick runs with the wider error of their interval;
- CPU runs and runs where TensorFlow fell back to the CPU never count for a GPU or a plan;
- a plan's own score distribution and its GPU allocation: GPU runs labelled with the plan, started within the window
  (allocation also counts partial runs: which GPU a session got does not depend on the sub-tests finishing);
- nothing started after the catalog's date counts (a recommendation as of 2022 does not see 2026's runs).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..catalog import Catalog, gpu_name_key
from ..vocab import EvidenceChoice, EvidenceSource, Metric

# Only runs started within this many days before the catalog's date count for a plan's allocation and for score
# spreads: platforms change what they hand out (Colab Free went from K80s to T4s within two years).
DEFAULT_WINDOW_DAYS = 180
# One poster's runs of one GPU (or plan) count at most as this many runs: 30 runs from one notebook are mostly one
# machine on one day. With two or more posters, no poster may outweigh all the others together.
POSTER_CAP_RUNS = 5
# A quick run's interval (ai_low..ai_high) is read as a 95% interval of its log error.
QUICK_INTERVAL_Z = 1.96
# The catalog's stated allocation counts as this many sessions when observed sessions update it.
CATALOG_ALLOCATION_PRIOR_RUNS = 5
# Fewer effective runs than this and an observed allocation is shown but not compared with the catalog.
MIN_ALLOCATION_RUNS = 3
ALLOCATION_Z = 1.96


@dataclass(frozen=True)
class RunFact:
    """One stored run as evidence reads it. ai/inference/training: points (None where missing). gpu_id: the run's
    own catalog id (the name decides; see match_gpu). poster: a token's name, 'local' or 'loopback'.
    quick_log_error: a quick run's log-scale sd from its interval (ai_low..ai_high read as a 95% interval)."""

    run_id: int
    started_at: dt.datetime
    mode: str
    device_kind: str
    device_name: str
    gpu_id: str | None
    memory_gib: float | None
    platform: str | None
    partial: bool
    ai: float | None
    inference: float | None
    training: float | None
    poster: str
    origin: EvidenceSource
    quick_log_error: float | None = None

    def score(self, metric: Metric) -> float | None:
        return getattr(self, metric.value)


def _log_error(low: float | None, high: float | None) -> float | None:
    if low and high and high > low > 0:
        return math.log(high / low) / 2 / QUICK_INTERVAL_Z
    return None


def fact_from_row(row: tuple) -> RunFact:
    """A RunFact from the store's FACT_COLUMNS (id, started_at, mode, device_kind, device_name, gpu_id, memory_gib,
    platform, partial, ai, inference, training, ai_low, ai_high, poster, origin)."""
    (run_id, started_at, mode, kind, name, gpu_id, memory, platform, partial, ai, inference, training, low, high,
     poster, origin) = row
    return RunFact(int(run_id), started_at, mode, kind, name, gpu_id, memory, platform, bool(partial), ai, inference,
                   training, poster, EvidenceSource(origin), _log_error(low, high))


def match_gpu(catalog: Catalog, name: str, memory_gib: float | None, claimed: str | None) -> str | None:
    """The catalog GPU a run measured: Catalog.match_gpu decides from the NVML name (a claimed id the name
    contradicts is ignored); a claimed catalog id counts only when the name names no GPU the catalog knows and
    carries no model at all (an empty name). None when nothing matches."""
    found = catalog.match_gpu(name, memory_gib)
    if found is not None:
        return found
    return claimed if claimed in catalog.gpus and not gpu_name_key(name) else None


# ---------------------------------------------------------------------------------------------
# Pooling


def weights_by_poster(counts: Mapping[str, int], cap_runs: int = POSTER_CAP_RUNS) -> dict[str, float]:
    """Each poster's weight per run, from the posters' run counts: a poster's runs together weigh at most cap_runs
    (a full run of an uncapped poster weighs 1), and with two or more posters no poster weighs more than all the
    others together."""
    weights = {p: min(1.0, cap_runs / n) for p, n in counts.items()}
    totals = {p: weights[p] * n for p, n in counts.items()}
    if len(totals) >= 2:
        top = max(totals, key=totals.__getitem__)
        rest = sum(totals.values()) - totals[top]
        if totals[top] > rest:  # only the heaviest poster can outweigh the rest
            weights[top] *= rest / totals[top]
    return weights


def poster_weights(posters: list[str], cap_runs: int = POSTER_CAP_RUNS) -> list[float]:
    """Each run's weight (weights_by_poster, run by run)."""
    weight = weights_by_poster(Counter(posters), cap_runs)
    return [weight[p] for p in posters]


def weighted_stats(values: list[float], weights: list[float]) -> tuple[float, float | None, float]:
    """(mean, sd, effective n): a weighted mean; the sd with reliability weights (None below two effective runs);
    Kish's effective number of runs (sum w)^2 / sum w^2."""
    v1 = sum(weights)
    v2 = sum(w * w for w in weights)
    mean = sum(w * x for w, x in zip(weights, values, strict=True)) / v1
    n_eff = v1 * v1 / v2 if v2 > 0 else 0.0
    if n_eff < 2 - 1e-9:
        return mean, None, n_eff
    var = sum(w * (x - mean) ** 2 for w, x in zip(weights, values, strict=True)) / (v1 - v2 / v1)
    return mean, math.sqrt(max(var, 0.0)), n_eff


@dataclass(frozen=True)
class SourceCount:
    """How many runs of one source (catalog, your runs, shared runs) stand behind a figure, from how many distinct
    posters (sources, for the catalog), first and last date."""

    source: EvidenceSource
    n: int
    posters: int
    first: dt.date
    last: dt.date

    def text(self) -> str:
        span = self.first.isoformat() if self.first == self.last else \
            f"{self.first.isoformat()} to {self.last.isoformat()}"
        who = "source" if self.source is EvidenceSource.CATALOG else "poster"
        return f"{self.source.label} n={self.n} ({self.posters} {who}{'s' if self.posters != 1 else ''}, {span})"


@dataclass(frozen=True)
class Group:
    """Runs of one mode (full or quick) of one subject and metric, pooled with poster caps.

    mean: points, over every run up to the catalog's date. sd: run-to-run spread of the runs within the window
    (None below two effective runs there), with spread_n_eff effective runs. n_eff: effective runs of the mean.
    log_error: a quick run's own error (log-scale sd, the mean of the runs'); 0 for full runs."""

    mode: str
    n: int
    posters: int
    n_eff: float
    mean: float
    sd: float | None
    spread_n_eff: float
    log_error: float
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class Measurement:
    """The runs of one GPU or plan for one metric: full and quick groups, and how many came from each source."""

    subject: str
    metric: Metric
    full: Group | None
    quick: Group | None
    sources: tuple[SourceCount, ...]

    @property
    def n(self) -> int:
        return sum(s.n for s in self.sources)

    @property
    def groups(self) -> tuple[Group, ...]:
        return tuple(g for g in (self.full, self.quick) if g is not None)

    def text(self) -> str:
        modes = ", ".join(f"{g.n} {g.mode}" for g in self.groups)
        return f"{'; '.join(s.text() for s in self.sources)} [{modes}]"


@dataclass(frozen=True)
class Allocation:
    """The GPUs sessions of a plan got in runs within the window. counts: runs per catalog GPU; weights: the same
    with poster caps; other: runs on a GPU the catalog does not know."""

    plan_id: str
    counts: tuple[tuple[str, int], ...]
    weights: tuple[tuple[str, float], ...]
    other: int
    sources: tuple[SourceCount, ...]

    @property
    def n(self) -> int:
        return sum(c for _, c in self.counts) + self.other

    @property
    def weight(self) -> float:
        return sum(w for _, w in self.weights)

    def text(self) -> str:
        """'k80 10, p100 4, t4 1 of 15'."""
        parts = [f"{g} {c}" for g, c in sorted(self.counts, key=lambda gc: (-gc[1], gc[0]))]
        if self.other:
            parts.append(f"other {self.other}")
        return f"{', '.join(parts)} of {self.n}"


def _sources(facts: list[RunFact]) -> tuple[SourceCount, ...]:
    out = []
    for source in (EvidenceSource.LOCAL, EvidenceSource.SHARED):
        mine = [f for f in facts if f.origin is source]
        if mine:
            dates = [f.started_at.date() for f in mine]
            out.append(SourceCount(source, len(mine), len({f.poster for f in mine}), min(dates), max(dates)))
    return tuple(out)


def _known_score(fact: RunFact, metric: Metric) -> float:
    score = fact.score(metric)
    assert score is not None, "_measurement keeps only the facts with a score for the metric"
    return score


def _group(mode: str, facts: list[RunFact], metric: Metric, window_start: dt.datetime) -> Group | None:
    if not facts:
        return None
    values = [_known_score(f, metric) for f in facts]
    mean, _, n_eff = weighted_stats(values, poster_weights([f.poster for f in facts]))
    recent = [(f, v) for f, v in zip(facts, values, strict=True) if f.started_at >= window_start]
    sd, spread_n = None, 0.0
    if recent:
        _, sd, spread_n = weighted_stats([v for _, v in recent], poster_weights([f.poster for f, _ in recent]))
    errors = [f.quick_log_error for f in facts if f.quick_log_error is not None]
    dates = [f.started_at.date() for f in facts]
    return Group(mode, len(facts), len({f.poster for f in facts}), n_eff, mean, sd, spread_n,
                 sum(errors) / len(errors) if errors else 0.0, min(dates), max(dates))


def _measurement(subject: str, metric: Metric, facts: list[RunFact], window_start) -> Measurement | None:
    facts = [f for f in facts if f.score(metric) is not None]
    full = [f for f in facts if f.mode == "full"]
    quick = [f for f in facts if f.mode == "quick" and f.quick_log_error is not None]
    if not full and not quick:
        return None
    return Measurement(subject, metric, _group("full", full, metric, window_start),
                       _group("quick", quick, metric, window_start), _sources(full + quick))


@dataclass(frozen=True, eq=False)
class RunEvidence:
    """Runs folded for one catalog date, evidence choice and window. Hashes and compares by its fingerprint (a
    SHA-256 of every figure in it), so equal evidence finds the same cached score book."""

    choice: EvidenceChoice
    window_days: int
    as_of: dt.date
    runs_used: int
    runs_left_out: int
    gpus: Mapping[tuple[str, Metric], Measurement]
    plans: Mapping[tuple[str, Metric], Measurement]
    allocations: Mapping[str, Allocation]
    fingerprint: str = field(default="")

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __eq__(self, other) -> bool:
        return isinstance(other, RunEvidence) and other.fingerprint == self.fingerprint

    def gpu(self, gpu_id: str, metric: Metric) -> Measurement | None:
        return self.gpus.get((gpu_id, Metric(metric)))

    def plan(self, plan_id: str, metric: Metric) -> Measurement | None:
        return self.plans.get((plan_id, Metric(metric)))

    def allocation(self, plan_id: str) -> Allocation | None:
        return self.allocations.get(plan_id)


def evidence_bounds(as_of: dt.date, window_days: int) -> tuple[dt.datetime, dt.datetime]:
    """(end, window start): runs count when started before end (midnight after as_of), and for spreads and
    allocations from window start (window_days + 1 days before end). Both saturate at the calendar's ends, so a
    catalog dated in year 1 or 9999 folds without an OverflowError (E11)."""
    first = dt.datetime.min.replace(tzinfo=dt.UTC)
    try:
        end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.UTC)
    except OverflowError:
        end = dt.datetime.max.replace(tzinfo=dt.UTC)
    try:
        start = end - dt.timedelta(days=window_days + 1)
    except OverflowError:
        start = first
    return end, start


def build_evidence(facts: Iterable[RunFact], catalog: Catalog, choice: EvidenceChoice | str = EvidenceChoice.ALL,
                   window_days: int = DEFAULT_WINDOW_DAYS) -> RunEvidence | None:
    """Runs folded into evidence for `catalog` (its date bounds them), or None when no run counts (the caller then
    takes the catalog-only path, unchanged). choice: which origins count. window_days: see DEFAULT_WINDOW_DAYS."""
    choice = EvidenceChoice(choice)
    if not choice.origins:
        return None
    if not 1 <= int(window_days) <= 36_525:
        raise ValueError(f"window: expected 1 to 36,525 days, got {window_days}")
    end, window_start = evidence_bounds(catalog.as_of, int(window_days))
    matched: dict[tuple, str | None] = {}
    by_gpu: dict[str, list[RunFact]] = {}
    by_plan: dict[str, list[RunFact]] = {}
    seen: dict[str, list[tuple[RunFact, str | None]]] = {}
    used = left_out = 0
    for f in facts:
        if f.origin not in choice.origins or f.started_at >= end:
            continue
        if f.device_kind != "gpu":  # CPU runs, and TensorFlow falling back to the CPU, say nothing of a GPU
            left_out += 1
            continue
        key = (f.device_name, f.memory_gib, f.gpu_id)
        if key not in matched:
            matched[key] = match_gpu(catalog, f.device_name, f.memory_gib, f.gpu_id)
        gpu_id = matched[key]
        counted = False
        recent = f.started_at >= window_start
        if f.platform is not None and recent:
            seen.setdefault(f.platform, []).append((f, gpu_id))
            counted = True
        if not f.partial:
            if gpu_id is not None:
                by_gpu.setdefault(gpu_id, []).append(f)
                counted = True
            if f.platform is not None and recent:
                by_plan.setdefault(f.platform, []).append(f)
        used += counted
        left_out += not counted
    gpus = {(g, m): meas for g, fs in by_gpu.items() for m in Metric
            if (meas := _measurement(g, m, fs, window_start)) is not None}
    plans = {(p, m): meas for p, fs in by_plan.items() for m in Metric
             if (meas := _measurement(p, m, fs, window_start)) is not None}
    allocations = {}
    for plan_id, pairs in seen.items():
        known = [(f, g) for f, g in pairs if g is not None]
        weights = poster_weights([f.poster for f, _ in known])
        counts: dict[str, int] = {}
        totals: dict[str, float] = {}
        for (_, g), w in zip(known, weights, strict=True):
            counts[g] = counts.get(g, 0) + 1
            totals[g] = totals.get(g, 0.0) + w
        allocations[plan_id] = Allocation(plan_id, tuple(sorted(counts.items())), tuple(sorted(totals.items())),
                                          len(pairs) - len(known), _sources([f for f, _ in pairs]))
    return finished_evidence(choice, window_days, catalog, used, left_out, gpus, plans, allocations)


def finished_evidence(choice, window_days, catalog, used, left_out, gpus, plans, allocations) -> RunEvidence | None:
    """The folded evidence with its fingerprint (a hash of everything it holds), or None when it holds nothing.
    Shared by build_evidence and the incremental tally, so both hand out the same object for the same runs."""
    if not gpus and not plans and not allocations:
        return None
    evidence = RunEvidence(choice, int(window_days), catalog.as_of, used, left_out, gpus, plans, allocations)
    content = json.dumps([str(choice), window_days, catalog.as_of.isoformat(),
                          sorted((repr(k), repr(v)) for k, v in {**gpus, **plans}.items()),
                          sorted((k, repr(v)) for k, v in allocations.items())])
    object.__setattr__(evidence, "fingerprint", hashlib.sha256(content.encode()).hexdigest())
    return evidence


# ---------------------------------------------------------------------------------------------
# The observed allocation against the catalog's


def wilson_interval(successes: float, n: float, z: float = ALLOCATION_Z) -> tuple[float, float]:
    """Wilson's score interval for a share observed as successes of n (fractional counts allowed)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def allocation_disagreements(observed: Allocation,
                             stated: tuple[tuple[str, float], ...]) -> list[tuple[str, float, float]]:
    """GPUs whose stated share (catalog) lies outside the 95% interval of the share observed in runs:
    (gpu_id, stated share, observed share). Empty below MIN_ALLOCATION_RUNS effective runs."""
    weights = dict(observed.weights)
    total = sum(weights.values())
    if total < MIN_ALLOCATION_RUNS:
        return []
    stated_shares = dict(stated)
    out = []
    for gpu_id in sorted(set(stated_shares) | set(weights)):
        share = stated_shares.get(gpu_id, 0.0)
        low, high = wilson_interval(weights.get(gpu_id, 0.0), total)
        if not low <= share <= high:
            out.append((gpu_id, share, weights.get(gpu_id, 0.0) / total))
    return out


def posterior_shares(observed: Allocation, stated: tuple[tuple[str, float], ...],
                     prior_runs: float = CATALOG_ALLOCATION_PRIOR_RUNS) -> tuple[tuple[str, float], ...]:
    """The allocation updated by observed sessions: a Dirichlet prior at the catalog's shares worth prior_runs
    sessions, plus the poster-capped observed counts. Shares sum to 1."""
    weights = dict(observed.weights)
    stated_shares = dict(stated)
    total = prior_runs + sum(weights.values())
    shares = {g: (prior_runs * stated_shares.get(g, 0.0) + weights.get(g, 0.0)) / total
              for g in set(stated_shares) | set(weights)}
    return tuple(sorted(((g, s) for g, s in shares.items() if s > 0), key=lambda gs: (-gs[1], gs[0])))


# ---------------------------------------------------------------------------------------------
# Folded evidence, cached per store generation


class EvidenceCache:
    """Evidence folded from a run store and kept up to date incrementally: the runs are read once into a RunTally
    (advisor.runs.tally), and afterwards, whenever the store's generation changes (a run arrived, on this worker
    or any other worker or host sharing the store), only the runs added since are read and tallied. Folded
    evidence is kept per (catalog, choice, window) until the tally changes.

    min_refresh_s: while a refresh happened less than this many seconds ago, a changed generation is picked up
    later (by the next request after it), so a steady stream of posts does not refold (and re-rank) on every
    request; 0 (the default) picks every run up at once. clock: seconds, monotonic (tests pass their own).
    Thread-safe."""

    # A gap in the ids below the newest run seen may be a PostgreSQL transaction that took its id earlier and
    # commits later; such ids are read again until this many seconds have passed (every transaction ends within
    # the store's deadlines long before), then the gap is taken as an id that was never used.
    GAP_SECONDS = 120.0
    MISSING = object()

    def __init__(self, store, max_entries: int = 32, min_refresh_s: float = 0.0, clock=None):
        import threading
        import time

        from .tally import RunTally

        self.store = store
        self.max_entries = max_entries
        self.min_refresh_s = min_refresh_s
        self.clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._refreshed_at = 0.0
        self._tally = RunTally()
        self._last_id = 0
        self._gaps: dict[int, float] = {}
        self._folded: dict[tuple, RunEvidence | None] = {}

    @property
    def runs(self) -> int:
        """Runs tallied so far."""
        return self._tally.runs

    def _read_new(self) -> None:
        now = self.clock()
        self._gaps = {i: t for i, t in self._gaps.items() if now - t < self.GAP_SECONDS}
        low = min(self._gaps) if self._gaps else None
        for rows in self.store.fact_batches(self._last_id, min_id=low):
            for row in rows:
                run_id = int(row[0])
                if run_id <= self._last_id:
                    if self._gaps.pop(run_id, None) is None:
                        continue  # read before
                else:
                    for missing in range(self._last_id + 1, min(run_id, self._last_id + 10_001)):
                        self._gaps[missing] = now
                    self._last_id = run_id
                self._tally.add(fact_from_row(row))

    def refresh(self, force: bool = False) -> bool:
        """Reads what arrived since the last refresh; True when the tally changed. Raises StoreError."""
        now = self.clock()
        if not force and self._generation is not None and now - self._refreshed_at < self.min_refresh_s:
            return False
        generation = self.store.generation()
        with self._lock:
            if generation == self._generation and not self._gaps:
                self._refreshed_at = now
                return False
            before = self._tally.runs
            self._read_new()
            self._generation = generation
            self._refreshed_at = now
            changed = self._tally.runs != before
            if changed:
                self._folded.clear()
            return changed

    def get(self, catalog: Catalog, choice: EvidenceChoice | str = EvidenceChoice.ALL,
            window_days: int = DEFAULT_WINDOW_DAYS) -> RunEvidence | None:
        """The folded evidence (None when no run counts or choice is catalog). Raises StoreError."""
        choice = EvidenceChoice(choice)
        if not choice.origins:
            return None
        self.refresh()
        key = (catalog, choice, int(window_days))
        with self._lock:
            if key not in self._folded:
                if len(self._folded) >= self.max_entries:
                    self._folded.pop(next(iter(self._folded)))
                self._folded[key] = self._tally.evidence(catalog, choice, window_days)
            return self._folded[key]

    def peek(self, catalog: Catalog, choice: EvidenceChoice | str = EvidenceChoice.ALL,
             window_days: int = DEFAULT_WINDOW_DAYS):
        """The folded evidence without touching the store when it was refreshed less than min_refresh_s ago and
        is folded for this key; else MISSING (then call get, which may read the store)."""
        if self._generation is None or self.clock() - self._refreshed_at >= self.min_refresh_s:
            return self.MISSING
        return self._folded.get((catalog, EvidenceChoice(choice), int(window_days)), self.MISSING)

    def touch(self) -> None:
        """A run was just written here: the next get reads the store whatever min_refresh_s says."""
        self._refreshed_at = 0.0

    def stop(self) -> None:
        """Forgets what was tallied (the app calls it at shutdown)."""
        from .tally import RunTally

        with self._lock:
            self._tally, self._last_id, self._generation = RunTally(), 0, None
            self._gaps.clear()
            self._folded.clear()


def load_evidence(store, catalog: Catalog, choice: EvidenceChoice | str = EvidenceChoice.ALL,
                  window_days: int = DEFAULT_WINDOW_DAYS) -> RunEvidence | None:
    """Evidence folded from every run in `store` that `choice` counts (once; see EvidenceCache to keep it)."""
    return EvidenceCache(store).get(catalog, choice, window_days)


def evidence_json(evidence: RunEvidence | None, choice: EvidenceChoice | str, problem: str | None = None) -> dict:
    """What a recommendation learned from runs, JSON-ready: the choice asked for, what was used, how many runs
    counted, and a problem (a store fault: the catalog alone was used)."""
    out: dict[str, Any] = {
        "choice": str(EvidenceChoice(choice)), "used": "catalog" if evidence is None else "catalog and runs",
        "runs_used": 0 if evidence is None else evidence.runs_used, "problem": problem}
    if evidence is not None:
        out.update(window_days=evidence.window_days, runs_left_out=evidence.runs_left_out,
                   gpus_measured=sorted({g for g, _ in evidence.gpus}), plans_observed=sorted(evidence.allocations))
    return out
