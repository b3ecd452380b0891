"""Replays a recorded device through quick mode: reads per-sub-test mean times from a file (a per-test run JSON,
this project's run JSON, or the worker's event lines), runs quick mode's plan against them (advisor.bench.plan,
`simulate`) and writes the run record the real quick mode would have produced there, scores and intervals
included. Needs no TensorFlow. The calibration and its tests use it; so can anyone checking the method.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import FileReadError, RunValidationError
from ..files import read_text
from ..runs.record import MAX_MS, MAX_RUN_BYTES, BenchmarkRun, run_from_json
from ..vocab import BenchMode, DeviceKind
from .plan import simulate
from .quick import QuickModel, load_model
from .runner import Progress, quick_scores
from .subtests import all_subtests

# How a per-test file that does not say its kind is read: words that say the run used the CPU although a GPU is
# named, then words naming a GPU, then words naming a CPU; a file with none of them is taken as a GPU run.
_CPU_RUN = re.compile(r"cpu run|no accelerator|use_cpu|cpu[- ]only|unused by tf", re.IGNORECASE)
_GPU_WORDS = re.compile(r"gpu/\d|geforce|tesla|quadro|radeon|jetson|\bnvidia\b|\b(rtx|gtx)\b", re.IGNORECASE)
# The shortest sub-test time a replay takes: a microsecond, far below one TensorFlow op's launch on any device. A
# time like 5e-324 ms would make the score infinite and the estimate NaN (E16).
MIN_REPLAY_MS = 0.001
_CPU_WORDS = re.compile(r"\b(cpu|vcpu|core\s+i\d|xeon|epyc|ryzen|threadripper|opteron)\b", re.IGNORECASE)


@dataclass(frozen=True)
class RecordedRun:
    """Per-sub-test mean times (ms) of one run, with where they come from. device: as the source describes it;
    group: runs of one device share it (leave-one-device-out holds them out together). kind: gpu or cpu."""

    name: str
    device: str
    kind: str
    source: str
    times_ms: dict[str, float]
    tensorflow_version: str | None = None
    group: str = ""

    @property
    def key(self) -> str:
        return self.group or self.device

    def log_ratios(self, ids):
        import numpy as np

        ref = {s.id: s.ref_ms for s in all_subtests()}
        return np.array([math.log(ref[i] / self.times_ms[i]) if self.times_ms.get(i) else np.nan for i in ids])


def _reject_constant(name: str):
    raise RunValidationError(f"{name} is not a number a run may hold")


def _times(values, where: str) -> dict[str, float]:
    """Checked {sub-test id: mean ms}: known ids, positive finite numbers up to MAX_MS. Raises RunValidationError."""
    if not isinstance(values, dict) or not values:
        raise RunValidationError(f"{where}: expected an object of sub-test id -> mean ms")
    known = {s.id for s in all_subtests()}
    out = {}
    for key, value in values.items():
        if key not in known:
            raise RunValidationError(f"{where}.{key}: not an AI Benchmark sub-test (they are 1.1 to 19.1)")
        if value is None:
            continue  # the file marks it missing
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not MIN_REPLAY_MS <= value <= MAX_MS:
            raise RunValidationError(f"{where}.{key}: expected a time in ms from {MIN_REPLAY_MS:g} to {MAX_MS:g}")
        out[key] = float(value)
    if not out:
        raise RunValidationError(f"{where}: holds no sub-test time")
    return out


def _kind(data: dict, device: str) -> str:
    kind = data.get("kind")
    if kind is not None:
        if kind not in DeviceKind.values():
            raise RunValidationError(f"kind: expected one of {', '.join(DeviceKind.values())}")
        return kind
    if _CPU_RUN.search(device) or (not _GPU_WORDS.search(device) and _CPU_WORDS.search(device)):
        return DeviceKind.CPU
    return DeviceKind.GPU


def _from_events(lines: list[str], name: str) -> RecordedRun:
    times, info = {}, {}
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line, parse_constant=_reject_constant)
        except ValueError as exc:
            raise RunValidationError(f"{name}, line {n}: not JSON: {exc}") from None
        if not isinstance(event, dict):
            raise RunValidationError(f"{name}, line {n}: expected a JSON object")
        if event.get("event") == "start":
            info = event
        elif event.get("event") == "test" and event.get("status") == "ok":
            times[str(event.get("id"))] = event.get("mean_ms")
    return RecordedRun(name, f"worker output {name}", DeviceKind.GPU if info.get("tf_gpus") else DeviceKind.CPU,
                       f"worker output {name}", _times(times, name), info.get("tensorflow_version"))


def read_recorded(path: Path | str) -> RecordedRun:
    """A recorded run from a file: a per-test run JSON ({"device", "source", "per_test_ms": {id: ms}, ...}), a
    run JSON of this project (schema advisor.run/1), or the worker's event lines. Raises RunValidationError
    naming what is wrong."""
    path = Path(path)
    try:
        # Bounded in size and time, and never a FIFO or device (st_size is 0 for /dev/zero: E16).
        text = read_text(path, MAX_RUN_BYTES)
    except FileReadError as exc:
        raise RunValidationError(f"cannot replay {exc}") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and all(line.lstrip().startswith("{") and '"event"' in line for line in lines[:2]):
        return _from_events(lines, path.name)
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise RunValidationError(f"{path.name}: not JSON: {exc}") from None
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict):
        raise RunValidationError(f"{path.name}: expected one run (a JSON object)")
    if "per_test_ms" in data:
        device = str(data.get("device") or path.stem)[:200]
        return RecordedRun(path.stem, device, _kind(data, device), str(data.get("source") or path.name),
                           _times(data["per_test_ms"], "per_test_ms"), data.get("tf_version"),
                           str(data.get("device_group") or ""))
    if "tests" in data and "device" in data:
        run = run_from_json(data)
        times = {t.id: t.mean_ms for t in run.tests if t.status == "ok" and t.mean_ms}
        source = run.replay_of or f"a {run.mode} run of this project, {run.started_at:%Y-%m-%d}"
        return RecordedRun(path.stem, run.device.name, str(run.device.kind), source, _times(times, "tests"),
                           run.tensorflow_version)
    raise RunValidationError(f"{path.name}: neither a per-test run (per_test_ms) nor a run of this project (tests)")


def replay(path: Path | str, budget_s: float | None = None, model: QuickModel | None = None,
           progress: Callable[[Progress], None] | None = None) -> BenchmarkRun:
    """The run record quick mode would have produced on the recorded device (see `simulate` for the clock).
    budget_s: measurement budget (default the calibration's). Raises RunValidationError, ValueError."""
    model = model or load_model()
    budget = float(budget_s if budget_s is not None else model.plan["budget_s"])
    if not 1 <= budget <= 3600:
        raise ValueError(f"budget: expected 1 to 3600 seconds, got {budget:g}")
    recorded = read_recorded(path)
    steps = simulate(model, recorded.times_ms, budget, recorded.kind)
    subs = {s.id: s for s in all_subtests()}
    if progress is not None:
        for n, step in enumerate(steps, 1):
            sofar = steps[:n]
            estimate = model.estimate({s.id: s.mean_ms for s in sofar}, {s.id: s.passes for s in sofar},
                                      recorded.kind)
            progress(Progress(step.id, subs[step.id].model, n, n + (1 if n < len(steps) else 0), step.clock_s,
                              max(0.0, budget - step.clock_s), "ok", estimate, budget))
    estimate = model.estimate({s.id: s.mean_ms for s in steps}, {s.id: s.passes for s in steps}, recorded.kind)
    tests = [{"id": s.id, "name": subs[s.id].model, "kind": subs[s.id].kind, "status": "ok", "mean_ms": s.mean_ms,
              "sd_ms": 0.0, "passes": s.passes, "seconds": round(s.seconds, 3)} for s in steps]
    missing = sorted(set(subs) - set(recorded.times_ms), key=lambda i: [int(x) for x in i.split(".")])
    notes = ["a replay of recorded mean times (each pass took the recorded mean), not a measurement of this machine"]
    if missing:
        notes.append(f"the file has no time for {', '.join(missing)}, so quick mode could not choose them")
    now = dt.datetime.now(dt.UTC).isoformat()
    run = {"schema": "advisor.run/1", "mode": BenchMode.QUICK,
           "device": {"name": recorded.device[:200], "kind": recorded.kind},
           "tensorflow_version": recorded.tensorflow_version, "scores": quick_scores(estimate), "tests": tests,
           "partial": False, "tests_used": len(steps), "started_at": now, "finished_at": now,
           "note": "; ".join(notes), "budget_s": budget, "measured_s": round(steps[-1].clock_s if steps else 0.0, 1),
           "replay_of": f"{Path(path).name}: {recorded.source}"[:500]}
    return run_from_json(run)  # one line naming the field, never pydantic's dump (E16)
