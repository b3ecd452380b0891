"""Evidence that scales: sufficient statistics of the stored runs, updated run by run as runs arrive, from which
RunEvidence is folded without reading a single run again.

Every figure of advisor.runs.evidence.build_evidence is a sum over runs grouped by subject (a device, a plan), mode,
poster and day, and a run's place in the catalog's window is decided by its start day (the window's bounds are
midnights). So the tally keeps, per (subject, metric, mode) and per (poster, origin, day), the count, sum and sum of
squares of the scores and the sum of quick runs' log errors; per plan the sessions per device, poster, origin and
day; and per (day, origin, kind) the counts that decide which runs were used. Folding for a catalog date, evidence
choice and window then costs the number of these buckets (thousands for a million runs), not the number of runs,
and a new run costs one bucket update. The figures equal build_evidence's up to float rounding
(tests/test_evidence.py compares them).
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from ..vocab import EvidenceChoice, EvidenceSource, Metric
from .evidence import (
    DEFAULT_WINDOW_DAYS,
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


@dataclass
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

    def add(self, f: RunFact) -> None:
        """Folds one run in (O(1) bucket updates)."""
        self.runs += 1
        day = f.started_at.date()
        device: Device = (f.device_name, f.memory_gib, f.gpu_id)
        gpu = f.device_kind == "gpu"
        kind = (day, f.origin, gpu, f.platform is not None, f.partial, device if gpu else None)
        self.kinds[kind] += 1
        self._kind_log.append(kind)
        if not gpu:
            return
        self.versions[("device", device)] += 1
        if f.platform is not None:
            self.versions[("plan", f.platform)] += 1
            self.sessions[f.platform][(device, f.poster, f.origin, day)] += 1
        if f.partial:
            return
        cell = (f.poster, f.origin, day)
        for metric in Metric:
            value = f.score(metric)
            if value is None or f.mode not in ("full", "quick") or (f.mode == "quick" and f.quick_log_error is None):
                continue
            self.scores[("device", device, metric, f.mode)][cell].add(value, f.quick_log_error)
            if f.platform is not None:
                self.scores[("plan", f.platform, metric, f.mode)][cell].add(value, f.quick_log_error)

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
        devices: dict[Device, str | None] = {}

        def gpu_of(device: Device) -> str | None:
            if device not in devices:
                devices[device] = match_gpu(catalog, *device)
            return devices[device]

        bounds = (id(catalog), end_day, window_day, frozenset(origins))

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
            gpus.update(self._subject(("gpu", gpu_id), [("device", d) for d in group], bounds, lambda group=group,
                                      gpu_id=gpu_id: self._fold_subject(gpu_id, [("device", d) for d in group],
                                                                        origins, end_day, window_day, None)))
        plans: dict = {}
        for plan_id in plan_subjects:
            plans.update(self._subject(("plan", plan_id), [("plan", plan_id)], bounds, lambda plan_id=plan_id:
                                       self._fold_subject(plan_id, [("plan", plan_id)], origins, end_day,
                                                          window_day, window_day)))
        allocations = {}
        for plan_id, cells in self.sessions.items():
            version = (self.versions[("plan", plan_id)],)
            memo = self._memo.get((("sessions", plan_id), bounds))
            if memo is not None and memo[0] == version:
                if memo[1] is not None:
                    allocations[plan_id] = memo[1]
                continue
            known: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))  # gpu -> poster -> sessions
            other = 0
            seen: dict[EvidenceSource, list] = defaultdict(list)
            for (device, poster, origin, day), n in cells.items():
                if origin not in origins or not window_day <= day < end_day:
                    continue
                seen[origin].append((poster, day, n))
                gpu_id = gpu_of(device)
                if gpu_id is None:
                    other += n
                else:
                    known[gpu_id][poster] += n
            if not seen:
                self._memo[(("sessions", plan_id), bounds)] = (version, None)
                continue
            per_poster: dict[str, int] = defaultdict(int)
            for by_poster in known.values():
                for poster, n in by_poster.items():
                    per_poster[poster] += n
            weight = weights_by_poster(per_poster)
            counts = tuple(sorted((g, sum(p.values())) for g, p in known.items()))
            totals = tuple(sorted((g, sum(weight[p] * n for p, n in by_poster.items())) for g, by_poster in
                                  known.items()))
            allocations[plan_id] = Allocation(plan_id, counts, totals, other, _sources_of(seen))
            self._memo[(("sessions", plan_id), bounds)] = (version, allocations[plan_id])
        return finished_evidence(choice, window_days, catalog, used, left_out, gpus, plans, allocations)


    def _subject(self, name: tuple, parts: list[tuple], bounds: tuple, fold) -> dict:
        """A subject's measurements, folded again only when a run touched one of its parts since."""
        version = tuple(self.versions[p] for p in parts)
        memo = self._memo.get((name, bounds))
        if memo is None or memo[0] != version:
            memo = (version, fold())
            self._memo[(name, bounds)] = memo
        return memo[1]

    def _fold_subject(self, subject: str, parts: list[tuple], origins, end_day: dt.date, window_day: dt.date,
                      low: dt.date | None) -> dict:
        cells: dict[tuple, dict[Cell, list[_Sums]]] = defaultdict(lambda: defaultdict(list))
        for kind, part in parts:
            for metric in Metric:
                for mode in ("full", "quick"):
                    for cell, sums in self.scores.get((kind, part, metric, mode), {}).items():
                        _, origin, day = cell
                        if origin in origins and day < end_day and (low is None or day >= low):
                            cells[(subject, metric, mode)][cell].append(sums)
        return _measurements(cells, window_day)


def _stats(by_poster: dict[str, _Sums]) -> tuple[float, float | None, float]:
    """(mean, sd, effective n) of evidence.weighted_stats with poster weights, from per-poster sums."""
    weight = weights_by_poster({p: s.n for p, s in by_poster.items()})
    v1 = sum(weight[p] * s.n for p, s in by_poster.items())
    v2 = sum(weight[p] ** 2 * s.n for p, s in by_poster.items())
    mean = sum(weight[p] * s.total for p, s in by_poster.items()) / v1
    n_eff = v1 * v1 / v2 if v2 > 0 else 0.0
    if n_eff < 2 - 1e-9:
        return mean, None, n_eff
    spread = sum(weight[p] * (s.squares - 2 * mean * s.total + s.n * mean * mean) for p, s in by_poster.items())
    return mean, math.sqrt(max(spread / (v1 - v2 / v1), 0.0)), n_eff


def _merge(cells: dict[Cell, list[_Sums]], low: dt.date | None = None) -> dict[str, _Sums]:
    out: dict[str, _Sums] = defaultdict(_Sums)
    for (poster, _, day), items in cells.items():
        if low is not None and day < low:
            continue
        into = out[poster]
        for s in items:
            into.n += s.n
            into.total += s.total
            into.squares += s.squares
            into.errors += s.errors
            into.with_error += s.with_error
    return out


def _group(mode: str, cells: dict[Cell, list[_Sums]], window_day: dt.date) -> Group | None:
    cells = {c: v for c, v in cells.items() if any(s.n for s in v)}
    if not cells:
        return None
    everything = _merge(cells)
    mean, _, n_eff = _stats(everything)
    recent = _merge(cells, window_day)
    sd, spread_n = None, 0.0
    if recent:
        _, sd, spread_n = _stats(recent)
    with_error = sum(s.with_error for s in everything.values())
    days = [day for _, _, day in cells]
    return Group(mode, sum(s.n for s in everything.values()), len(everything), n_eff, mean, sd, spread_n,
                 sum(s.errors for s in everything.values()) / with_error if with_error else 0.0, min(days), max(days))


def _sources_of(seen: dict[EvidenceSource, list]) -> tuple[SourceCount, ...]:
    out = []
    for source in ORIGINS:
        items = seen.get(source)
        if items:
            days = [d for _, d, _ in items]
            out.append(SourceCount(source, sum(n for _, _, n in items), len({p for p, _, _ in items}), min(days),
                                   max(days)))
    return tuple(out)


def _measurements(cells: dict[tuple, dict[Cell, list[_Sums]]], window_day: dt.date) -> dict:
    subjects: dict[tuple, dict[str, dict]] = defaultdict(dict)
    for (subject, metric, mode), by_cell in cells.items():
        subjects[(subject, metric)][mode] = by_cell
    out = {}
    for (subject, metric), modes in subjects.items():
        full = _group("full", modes.get("full", {}), window_day)
        quick = _group("quick", modes.get("quick", {}), window_day)
        if full is None and quick is None:
            continue
        seen: dict[EvidenceSource, list] = defaultdict(list)
        for mode in ("full", "quick"):
            for (poster, origin, day), items in modes.get(mode, {}).items():
                n = sum(s.n for s in items)
                if n:
                    seen[origin].append((poster, day, n))
        out[(subject, metric)] = Measurement(subject, metric, full, quick, _sources_of(seen))
    return out
