"""Evidence that scales: sufficient statistics of the stored runs, updated run by run as runs arrive, from which
RunEvidence is folded without reading a single run again.

Every figure of advisor.runs.evidence.build_evidence is a sum over runs grouped by subject (a device, a plan), mode,
poster and day, and a run's place in the catalog's window is decided by its start day (the window's bounds are
midnights). So the tally keeps, per (subject, metric, mode) and per (poster, origin, day), the count, sum and sum of
squares of the scores and the sum of quick runs' log errors; per plan the sessions per device, poster, origin and
day; and per (day, origin, kind) the counts that decide which runs were used. Folding for a catalog date, evidence
choice and window then costs the number of these buckets (at most posters x days per subject), not the runs,
and a new run costs one bucket update. Folded figures are kept per subject as sums per poster (_Fold, _Sessions),
and the runs added since a subject's last fold are taken into it one by one (the tally's log), so refolding after
a new run costs the posters of the subjects it touched, not their buckets. The figures equal build_evidence's up
to float rounding (tests/test_evidence.py compares them, folded once and folded as runs arrive).
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from ..vocab import EvidenceChoice, EvidenceSource, Metric
from .evidence import (
    DEFAULT_WINDOW_DAYS,
    POSTER_CAP_RUNS,
    Allocation,
    Group,
    Measurement,
    RunEvidence,
    RunFact,
    SourceCount,
    evidence_bounds,
    finished_evidence,
    match_gpu,
    weights_by_poster,
)

Device = tuple[str, float | None, str | None]  # NVML name, memory GiB, claimed catalog id
Cell = tuple[str, EvidenceSource, dt.date]  # poster, origin, day
ORIGINS = (EvidenceSource.LOCAL, EvidenceSource.SHARED)
# Runs kept in the tally's log for its folds to take in one by one; a fold further behind is folded again.
LOG_LIMIT = 50_000
# Folds kept, per catalog date, choice and window (least recently used out): more are folded again when asked for.
FOLDS_KEPT = 8


@dataclass(slots=True)  # a million runs make millions of these
class _Sums:
    """Scores of runs in one cell: n, sum, sum of squares, and the sum and count of their quick log errors."""

    n: int = 0
    total: float = 0.0
    squares: float = 0.0
    errors: float = 0.0
    with_error: int = 0

    def add(self, value: float, log_error: float | None) -> None:
        self.n += 1
        self.total += value
        self.squares += value * value
        if log_error is not None:
            self.errors += log_error
            self.with_error += 1

    def merge(self, other: _Sums) -> None:
        self.n += other.n
        self.total += other.total
        self.squares += other.squares
        self.errors += other.errors
        self.with_error += other.with_error


class RunTally:
    """Sufficient statistics of runs (see the module docstring). `add(fact)` folds one run in; `evidence(catalog,
    choice, window_days)` gives the same RunEvidence build_evidence would give for every run added."""

    def __init__(self) -> None:
        # (subject kind 'device' or 'plan', subject, metric, mode) -> cell -> sums
        self.scores: dict[tuple, dict[Cell, _Sums]] = defaultdict(lambda: defaultdict(_Sums))
        # plan -> (device, poster, origin, day) -> sessions
        self.sessions: dict[str, dict[tuple, int]] = defaultdict(lambda: defaultdict(int))
        # (day, origin, gpu kind, has plan, partial, device) -> runs
        self.kinds: dict[tuple, int] = defaultdict(int)
        self.runs = 0
        # Folding is incremental too: each subject's version grows when a run touches it, and a subject's folded
        # figures are kept per (bounds, origins) with the versions they were folded at; the used/left-out counts
        # are kept with the kinds added since (a log, cleared once folded).
        self.versions: dict[tuple, int] = defaultdict(int)
        self._memo: dict[tuple, tuple] = {}
        self._kind_log: list[tuple] = []
        self._counts: dict[tuple, tuple[int, int, int]] = {}
        # Runs added since the first fold, for the folds kept in _memo to take in one by one (see _Fold). Positions
        # are absolute: _log[0] is run number _log_base of the log; a fold behind _log_base is folded again.
        self._log: list[tuple] = []
        self._log_base = 0
        self._matched: tuple = (None, {})
        self._recent: dict[tuple, None] = {}  # the bounds folded for, least recently used first

    def add(self, f: RunFact) -> None:
        """Folds one run in (O(1) bucket updates)."""
        self.runs += 1
        day = f.started_at.date()
        device: Device = (f.device_name, f.memory_gib, f.gpu_id)
        gpu = f.device_kind == "gpu"
        kind = (day, f.origin, gpu, f.platform is not None, f.partial, device if gpu else None)
        self.kinds[kind] += 1
        if self._counts:  # only once a fold has counted: before it, the kinds themselves are read
            self._kind_log.append(kind)
        if not gpu:
            return
        self.versions[("device", device)] += 1
        if f.platform is not None:
            self.versions[("plan", f.platform)] += 1
            self.sessions[f.platform][(device, f.poster, f.origin, day)] += 1
        cell = (f.poster, f.origin, day)
        scored = []
        if not f.partial:
            for metric in Metric:
                value = f.score(metric)
                if value is None or f.mode not in ("full", "quick") or \
                        (f.mode == "quick" and f.quick_log_error is None):
                    continue
                scored.append((metric, value))
                self.scores[("device", device, metric, f.mode)][cell].add(value, f.quick_log_error)
                if f.platform is not None:
                    self.scores[("plan", f.platform, metric, f.mode)][cell].add(value, f.quick_log_error)
        if self._memo:
            self._log.append((device, f.platform, cell, f.mode, tuple(scored), f.quick_log_error))
            if len(self._log) > LOG_LIMIT:  # folds this far behind are folded again from the sums
                self._log_base += len(self._log)
                self._log = []

    # --- folding ---------------------------------------------------------------------------------

    def evidence(self, catalog, choice: EvidenceChoice | str = EvidenceChoice.ALL,
                 window_days: int = DEFAULT_WINDOW_DAYS) -> RunEvidence | None:
        """The RunEvidence of every run added, for `catalog`'s date, `choice` and `window_days` (see
        build_evidence). None when no run counts or choice is catalog."""
        choice = EvidenceChoice(choice)
        if not choice.origins:
            return None
        if not 1 <= int(window_days) <= 36_525:
            raise ValueError(f"window: expected 1 to 36,525 days, got {window_days}")
        end_day, window_day = (t.date() for t in evidence_bounds(catalog.as_of, int(window_days)))
        origins = set(choice.origins)
        if self._matched[0] is not catalog:  # device -> catalog GPU, kept per catalog
            self._matched = (catalog, {})
        devices: dict[Device, str | None] = self._matched[1]

        def gpu_of(device: Device) -> str | None:
            if device not in devices:
                devices[device] = match_gpu(catalog, *device)
            return devices[device]

        bounds = (id(catalog), end_day, window_day, frozenset(origins))
        self._recent.pop(bounds, None)
        self._recent[bounds] = None
        if len(self._recent) > FOLDS_KEPT:  # each kept fold holds sums per poster: keep the latest few choices
            oldest = next(iter(self._recent))
            del self._recent[oldest]
            self._counts.pop(oldest, None)
            self._memo = {k: v for k, v in self._memo.items() if k[1] != oldest}

        def counted(kind) -> bool:
            day, _, gpu, has_plan, partial, device = kind
            return gpu and ((has_plan and day >= window_day) or (not partial and gpu_of(device) is not None))

        def tally_kinds(items) -> tuple[int, int]:
            used = left_out = 0
            for kind, n in items:
                if kind[1] not in origins or kind[0] >= end_day:
                    continue
                if counted(kind):
                    used += n
                else:
                    left_out += n
            return used, left_out

        before = self._counts.get(bounds)
        if before is not None and before[0] <= len(self._kind_log):
            extra = tally_kinds((k, 1) for k in self._kind_log[before[0]:])
            used, left_out = before[1] + extra[0], before[2] + extra[1]
        else:
            used, left_out = tally_kinds(self.kinds.items())
        self._counts[bounds] = (len(self._kind_log), used, left_out)
        if len(self._kind_log) > 100_000 and len(self._counts) == 1:  # every fold has read the log
            self._kind_log.clear()
            self._counts = {bounds: (0, used, left_out)}

        by_gpu: dict[str, list[Device]] = defaultdict(list)
        plan_subjects: set[str] = set()
        for kind, subject, _, _ in self.scores:
            if kind == "device":
                gpu_id = gpu_of(subject)
                if gpu_id is not None and subject not in by_gpu[gpu_id]:
                    by_gpu[gpu_id].append(subject)
            else:
                plan_subjects.add(subject)
        gpus: dict = {}
        for gpu_id, group in by_gpu.items():
            gpus.update(self._folded(("gpu", gpu_id), tuple(("device", d) for d in group), bounds,
                                     lambda gpu_id=gpu_id: _Fold(gpu_id, origins, end_day, window_day, None)))
        plans: dict = {}
        for plan_id in plan_subjects:
            plans.update(self._folded(("plan", plan_id), (("plan", plan_id),), bounds,
                                      lambda plan_id=plan_id: _Fold(plan_id, origins, end_day, window_day,
                                                                    window_day)))
        allocations = {}
        for plan_id in self.sessions:
            found = self._folded(("sessions", plan_id), (("plan", plan_id),), bounds,
                                 lambda plan_id=plan_id: _Sessions(plan_id, origins, end_day, window_day, gpu_of))
            if found is not None:
                allocations[plan_id] = found
        return finished_evidence(choice, window_days, catalog, used, left_out, gpus, plans, allocations)

    def _folded(self, name: tuple, parts: tuple, bounds: tuple, new_fold):
        """A subject's folded figures for `bounds`: kept while no run touched its parts; else the runs added since
        are taken into its fold one by one (the log), or, when the fold is too far behind (or its parts changed),
        it is folded again from the sums."""
        version = tuple(self.versions[p] for p in parts)
        end = self._log_base + len(self._log)
        memo = self._memo.get((name, bounds))
        if memo is not None and memo[0] == version:
            return memo[2]
        fold = memo[1] if memo is not None else None
        if fold is not None and fold.parts == parts and fold.position >= self._log_base:
            for entry in self._log[fold.position - self._log_base:]:
                fold.take_run(*entry)
        else:
            fold = new_fold()
            fold.parts = parts
            fold.take_all(self)
        fold.position = end
        result = fold.result()
        self._memo[(name, bounds)] = (version, fold, result)
        return result


class _Fold:
    """The figures of one subject (a GPU's devices, or a plan) for one catalog date, choice and window, kept as sums
    per poster: a new run is one update, and finishing costs the posters, not the runs or days."""

    def __init__(self, subject: str, origins: set, end_day: dt.date, window_day: dt.date, low: dt.date | None):
        self.subject, self.origins, self.end_day, self.window_day, self.low = subject, origins, end_day, window_day, low
        self.parts: tuple = ()
        self.position = 0
        # (metric, mode, recent) -> poster -> sums; recent: only days within the window (the spread's runs)
        self.sums: dict[tuple, dict[str, _Sums]] = defaultdict(lambda: defaultdict(_Sums))
        self.days: dict[tuple, list[dt.date]] = {}  # (metric, mode) -> [first, last]
        self.seen: dict[tuple, list] = {}  # (metric, origin) -> [runs, posters, first, last]
        self.groups: dict[tuple, Group | None] = {}  # (metric, mode) -> its group, until a run changes it

    def take(self, cell: Cell, metric: Metric, mode: str, sums: _Sums) -> None:
        poster, origin, day = cell
        if origin not in self.origins or day >= self.end_day or (self.low is not None and day < self.low):
            return
        self.groups.pop((metric, mode), None)
        self.sums[(metric, mode, False)][poster].merge(sums)
        if day >= self.window_day:
            self.sums[(metric, mode, True)][poster].merge(sums)
        span = self.days.get((metric, mode))
        if span is None:
            self.days[(metric, mode)] = [day, day]
        else:
            span[0], span[1] = min(span[0], day), max(span[1], day)
        seen = self.seen.get((metric, origin))
        if seen is None:
            self.seen[(metric, origin)] = [sums.n, {poster}, day, day]
        else:
            seen[0] += sums.n
            seen[1].add(poster)
            seen[2], seen[3] = min(seen[2], day), max(seen[3], day)

    def take_all(self, tally: RunTally) -> None:
        """Every run of the tally's sums for this subject's parts."""
        for kind, part in self.parts:
            for metric in Metric:
                for mode in ("full", "quick"):
                    for cell, sums in tally.scores.get((kind, part, metric, mode), {}).items():
                        self.take(cell, metric, mode, sums)

    def take_run(self, device: Device, platform: str | None, cell: Cell, mode: str, scored: tuple,
                 log_error: float | None) -> None:
        """One run from the tally's log, when it belongs to this subject."""
        if ("device", device) not in self.parts and ("plan", platform) not in self.parts:
            return
        for metric, value in scored:
            one = _Sums()
            one.add(value, log_error)
            self.take(cell, metric, mode, one)

    def result(self) -> dict:
        """(subject, metric) -> Measurement, as build_evidence folds it."""
        out = {}
        for metric in Metric:
            full, quick = self._group(metric, "full"), self._group(metric, "quick")
            if full is None and quick is None:
                continue
            sources = tuple(SourceCount(origin, s[0], len(s[1]), s[2], s[3]) for origin in ORIGINS
                            if (s := self.seen.get((metric, origin))) is not None)
            out[(self.subject, metric)] = Measurement(self.subject, metric, full, quick, sources)
        return out

    def _group(self, metric: Metric, mode: str) -> Group | None:
        if (metric, mode) not in self.groups:
            self.groups[(metric, mode)] = self._fold_group(metric, mode)
        return self.groups[(metric, mode)]

    def _fold_group(self, metric: Metric, mode: str) -> Group | None:
        everything = self.sums.get((metric, mode, False))
        if not everything:
            return None
        mean, _, n_eff = _stats(everything)
        recent = self.sums.get((metric, mode, True))
        sd, spread_n = None, 0.0
        if recent:
            _, sd, spread_n = _stats(recent)
        with_error = sum(s.with_error for s in everything.values())
        first, last = self.days[(metric, mode)]
        return Group(mode, sum(s.n for s in everything.values()), len(everything), n_eff, mean, sd, spread_n,
                     sum(s.errors for s in everything.values()) / with_error if with_error else 0.0, first, last)


class _Sessions:
    """The GPUs a plan's sessions got within the window (its Allocation), kept as sessions per GPU and poster."""

    def __init__(self, plan_id: str, origins: set, end_day: dt.date, window_day: dt.date, gpu_of):
        self.plan_id, self.origins, self.end_day, self.window_day, self.gpu_of = \
            plan_id, origins, end_day, window_day, gpu_of
        self.parts: tuple = ()
        self.position = 0
        self.known: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # gpu -> poster -> sessions
        self.other = 0
        self.seen: dict[EvidenceSource, list] = {}  # origin -> [sessions, posters, first, last]

    def take(self, device: Device, poster: str, origin: EvidenceSource, day: dt.date, n: int) -> None:
        if origin not in self.origins or not self.window_day <= day < self.end_day:
            return
        seen = self.seen.get(origin)
        if seen is None:
            self.seen[origin] = [n, {poster}, day, day]
        else:
            seen[0] += n
            seen[1].add(poster)
            seen[2], seen[3] = min(seen[2], day), max(seen[3], day)
        gpu_id = self.gpu_of(device)
        if gpu_id is None:
            self.other += n
        else:
            self.known[gpu_id][poster] += n

    def take_all(self, tally: RunTally) -> None:
        """Every session of the plan in the tally."""
        for (device, poster, origin, day), n in tally.sessions[self.plan_id].items():
            self.take(device, poster, origin, day, n)

    def take_run(self, device: Device, platform: str | None, cell: Cell, mode: str, scored: tuple,
                 log_error: float | None) -> None:
        if platform == self.plan_id:
            self.take(device, *cell, 1)

    def result(self) -> Allocation | None:
        if not self.seen:
            return None
        per_poster: dict[str, int] = defaultdict(int)
        for by_poster in self.known.values():
            for poster, n in by_poster.items():
                per_poster[poster] += n
        weight = weights_by_poster(per_poster)
        counts = tuple(sorted((g, sum(p.values())) for g, p in self.known.items()))
        totals = tuple(sorted((g, sum(weight[p] * n for p, n in by_poster.items())) for g, by_poster in
                              self.known.items()))
        sources = tuple(SourceCount(origin, s[0], len(s[1]), s[2], s[3]) for origin in ORIGINS
                        if (s := self.seen.get(origin)) is not None)
        return Allocation(self.plan_id, counts, totals, self.other, sources)


def _stats(by_poster: dict[str, _Sums]) -> tuple[float, float | None, float]:
    """(mean, sd, effective n) of evidence.weighted_stats with poster weights (evidence.weights_by_poster's rule,
    inlined: this runs once per touched group and new run, over every poster), from per-poster sums."""
    sums = list(by_poster.values())
    weights = [min(1.0, POSTER_CAP_RUNS / s.n) for s in sums]
    if len(sums) >= 2:
        totals = [w * s.n for w, s in zip(weights, sums, strict=True)]
        top = max(range(len(totals)), key=totals.__getitem__)
        rest = sum(totals) - totals[top]
        if totals[top] > rest:  # only the heaviest poster can outweigh the rest
            weights[top] *= rest / totals[top]
    v1 = v2 = weighted = 0.0
    for w, s in zip(weights, sums, strict=True):
        v1 += w * s.n
        v2 += w * w * s.n
        weighted += w * s.total
    mean = weighted / v1
    n_eff = v1 * v1 / v2 if v2 > 0 else 0.0
    if n_eff < 2 - 1e-9:
        return mean, None, n_eff
    spread = 0.0
    for w, s in zip(weights, sums, strict=True):
        spread += w * (s.squares - 2 * mean * s.total + s.n * mean * mean)
    return mean, math.sqrt(max(spread / (v1 - v2 / v1), 0.0)), n_eff
