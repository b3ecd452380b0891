"""Runs the benchmark worker in a child process and turns its events into a BenchmarkRun.

A child process keeps TensorFlow out of the caller (the CLI, the app, the API stay light), lets a stop request
or Ctrl-C end a sub-test at once while keeping every sub-test that finished, and isolates a crash.
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import AdvisorError, BenchmarkFailed, TensorFlowMissing
from ..runs.record import BenchmarkRun
from ..vocab import BenchMode, DeviceKind
from .device import NvmlGpu, detect_gpus, machine_fingerprint, match_catalog_gpu
from .scoring import score_full
from .subtests import INSTALL_HINT, all_subtests

if TYPE_CHECKING:  # quick mode's model needs numpy: imported when a quick run starts
    from .quick import QuickEstimate, QuickModel

# Quick mode's wall time is its budget plus TensorFlow's start-up; a start-up longer than this shortens the
# measurement so the whole run stays within budget + this allowance (60 s at the default 45 s budget).
STARTUP_ALLOWANCE_S = 15.0
# The parent ends a quick worker that is still running this long after its deadline (a pass that hangs).
KILL_GRACE_S = 10.0


@dataclass(frozen=True)
class Progress:
    """Where a run is: sub-test `index` just finished (of `total` in a full run; quick mode's total is the count
    so far plus one while budget is left); seconds elapsed and left; in quick mode the estimate so far and the
    budget (s)."""

    test_id: str
    name: str
    index: int
    total: int
    elapsed_s: float
    eta_s: float
    status: str
    estimate: QuickEstimate | None = None
    budget_s: float | None = None


@dataclass(frozen=True)
class RunRequest:
    """What a run was asked to do. tests: only these sub-test ids (a full run of them is scored as partial).
    budget_s: quick mode's measurement budget, seconds. gpus: the catalog's GPUs, to match the device."""

    mode: BenchMode
    force_cpu: bool = False
    platform: str | None = None
    tests: tuple[str, ...] | None = None
    budget_s: float | None = None
    gpus: dict | None = None


@dataclass
class WorkerOutput:
    """What the worker said: its start event (TensorFlow version, GPUs it sees), its sub-test events by id in the
    order they finished, whether the run was stopped, the last of its stderr, and its measurement seconds."""

    info: dict = field(default_factory=dict)
    results: dict[str, dict] = field(default_factory=dict)
    interrupted: bool = False
    stderr_tail: str = ""
    measured_s: float | None = None


def tensorflow_status() -> tuple[bool, str]:
    """(True, versions) when the benchmark can run, else (False, one line on what to install). Imports nothing heavy."""
    missing = [name for module, name in (("tensorflow", "tensorflow"), ("tf_keras", "tf-keras"),
                                         ("ai_benchmark", "ai-benchmark"))
               if importlib.util.find_spec(module) is None]
    if missing:
        return False, f"The live benchmark needs {', '.join(missing)}: {INSTALL_HINT}"
    return True, "TensorFlow, tf-keras and ai-benchmark are installed"


def _reader(stream, out: queue.Queue) -> None:
    for line in stream:
        out.put(line)
    out.put(None)


def _worker_command(request: RunRequest, worker_args: list[str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The worker's command line and environment for a request."""
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
    if request.force_cpu:
        env["CUDA_VISIBLE_DEVICES"] = "-1"
    args = [sys.executable, "-m", "advisor.bench.worker", "--mode", str(request.mode)]
    if request.tests:
        args += ["--tests", ",".join(request.tests)]
    if request.mode == BenchMode.QUICK:
        args += ["--budget", f"{request.budget_s:g}", "--launched", f"{time.time():.3f}",
                 "--startup-allowance", f"{STARTUP_ALLOWANCE_S:g}"]
    if request.force_cpu:
        args.append("--cpu")
    return args + list(worker_args or []), env


def _run_worker(args: list[str], env: dict[str, str], on_event: Callable[[dict], None] | None = None,
                should_stop: Callable[[], bool] | None = None, kill_after_s: float | None = None) -> WorkerOutput:
    """Run the worker, collect its events, end it on a stop request, Ctrl-C or after kill_after_s seconds.
    Raises TensorFlowMissing when the worker cannot import TensorFlow."""
    out = WorkerOutput()
    launched = time.monotonic()
    with tempfile.TemporaryFile(mode="w+") as errors:
        child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors, text=True, env=env,
                                 start_new_session=True)  # Ctrl-C reaches us, not the worker mid-write
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_reader, args=(child.stdout, lines), daemon=True).start()
        try:
            while True:
                if should_stop is not None and should_stop():
                    out.interrupted = True
                    break
                if kill_after_s is not None and time.monotonic() - launched > kill_after_s:
                    out.interrupted = True
                    break
                try:
                    line = lines.get(timeout=0.2)
                except queue.Empty:
                    continue
                if line is None:
                    break
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # a library print on stdout
                kind = event.get("event")
                if kind in ("start", "test") and on_event is not None:
                    on_event(event)
                if kind == "start":
                    out.info = event
                elif kind == "test":
                    out.results[event["id"]] = event
                elif kind == "error" and event.get("missing"):
                    raise TensorFlowMissing(f"{event['error']}: {INSTALL_HINT}")
                elif kind == "done":
                    out.measured_s = event.get("measured_s")
                    break
        except KeyboardInterrupt:
            out.interrupted = True
        finally:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        errors.seek(0)
        out.stderr_tail = errors.read()[-600:]
    return out


def quick_inputs(results: dict[str, dict]) -> tuple[dict[str, float], dict[str, int]]:
    """Mean times (ms) and kept passes of the sub-tests that finished, from worker events or test records."""
    times = {i: e["mean_ms"] for i, e in results.items() if e.get("status") == "ok" and e.get("mean_ms")}
    return times, {i: int(results[i].get("passes") or 1) for i in times}


def quick_scores(estimate: QuickEstimate | None) -> dict:
    """The run record's scores for a quick estimate (points, rounded as the library rounds its scores)."""
    if estimate is None:
        return {}
    out: dict = {"interval_level": estimate.level}
    for name, part in (("ai", estimate.ai), ("inference", estimate.inference), ("training", estimate.training)):
        out.update({name: int(part.score), f"{name}_low": int(part.low), f"{name}_high": int(part.high) + 1})
    return out


def _device_kind(request: RunRequest, info: dict) -> DeviceKind:
    """GPU when TensorFlow sees a GPU and the run was not forced onto the CPU (the library silently falls back)."""
    return DeviceKind.GPU if info.get("tf_gpus") and not request.force_cpu else DeviceKind.CPU


def _device(request: RunRequest, info: dict, nvml: tuple[list[NvmlGpu], str | None]) -> tuple[dict, list[str]]:
    """The device record and notes: the GPU NVML names when TensorFlow sees a GPU, else the CPU."""
    nvml_gpus, _ = nvml
    fingerprint = machine_fingerprint(info.get("tensorflow_version"))
    tf_sees_gpu = _device_kind(request, info) == DeviceKind.GPU
    notes = []
    if tf_sees_gpu and nvml_gpus:
        g = nvml_gpus[0]
        device = {"name": g.name, "kind": DeviceKind.GPU, "memory_gib": g.memory_gib,
                  "driver_version": g.driver_version, "cuda_version": g.cuda_version,
                  "gpu_id": match_catalog_gpu(g.name, g.memory_gib, request.gpus) if request.gpus else None}
    elif tf_sees_gpu:
        device = {"name": str(info["tf_gpus"][0]), "kind": DeviceKind.GPU}
    else:
        device = {"name": fingerprint["cpu_model"], "kind": DeviceKind.CPU}
        if nvml_gpus and not request.force_cpu:
            notes.append(f"NVML sees {nvml_gpus[0].name} but TensorFlow cannot use it, so this is the CPU's score "
                         "(check the CUDA libraries TensorFlow needs)")
        elif request.force_cpu:
            notes.append("forced onto the CPU")
    return {**device, "fingerprint": fingerprint}, notes


def _test_records(request: RunRequest, out: WorkerOutput) -> list[dict]:
    """One record per sub-test: those that ran (in the order they finished), then, in full mode, those asked for
    that never ran."""
    records = []
    for test_id, event in out.results.items():
        entry = {"id": test_id, "name": event.get("name"), "kind": event.get("kind"), "status": event["status"],
                 "passes": event.get("passes"), "seconds": event.get("seconds")}
        if event["status"] == "ok":
            entry.update(mean_ms=event["mean_ms"], sd_ms=event["sd_ms"])
        else:
            entry["error"] = event.get("error")
        records.append(entry)
    if request.mode == BenchMode.FULL:
        wanted = request.tests or tuple(s.id for s in all_subtests())
        why = "not run: the benchmark was stopped" if out.interrupted else "not run"
        records += [{"id": i, "status": "skipped", "error": why} for i in wanted if i not in out.results]
    return records


def _assemble(request: RunRequest, out: WorkerOutput, nvml: tuple[list[NvmlGpu], str | None],
              started_at: dt.datetime, model: QuickModel | None = None) -> BenchmarkRun:
    """The run record from what the worker said."""
    device, notes = _device(request, out.info, nvml)
    tests = _test_records(request, out)
    times, passes = quick_inputs(out.results)
    failed = any(t["status"] == "failed" for t in tests)
    if request.mode == BenchMode.QUICK:
        scores = quick_scores(model.estimate(times, passes, device["kind"])) if model is not None else {}
        partial = failed or out.interrupted
    else:
        full = score_full(times)
        scores = {"ai": full.ai, "inference": full.inference, "training": full.training}
        partial = len(times) < len(all_subtests())
    if out.interrupted:
        notes.append("stopped early; the scores use the sub-tests that finished")
    measured = out.measured_s
    if measured is None:  # stopped before the worker said how long it measured
        measured = sum(e.get("seconds") or 0 for e in out.results.values())
    run = {"schema": "advisor.run/1", "mode": request.mode, "device": device,
           "tensorflow_version": out.info.get("tensorflow_version"), "scores": scores, "tests": tests,
           "partial": partial, "tests_used": len(times), "started_at": started_at.isoformat(),
           "finished_at": dt.datetime.now(dt.UTC).isoformat(), "platform": request.platform,
           "note": "; ".join(notes) or None, "budget_s": request.budget_s, "measured_s": round(measured, 1)}
    return BenchmarkRun.model_validate(run)


def _progress_callback(request: RunRequest, model: QuickModel | None, progress: Callable[[Progress], None],
                       started: float) -> Callable[[dict], None]:
    """Turns each sub-test event into a Progress, with quick mode's estimate so far."""
    seen: dict[str, dict] = {}
    total_full = len(request.tests or all_subtests())
    device_kind = [DeviceKind.CPU if request.force_cpu else DeviceKind.GPU]

    def on_event(event: dict) -> None:
        if event.get("event") == "start":
            device_kind[0] = _device_kind(request, event)
            return
        seen[event["id"]] = event
        elapsed = time.monotonic() - started
        index = len(seen)
        if request.mode == BenchMode.QUICK:
            times, passes = quick_inputs(seen)
            estimate = model.estimate(times, passes, device_kind[0]) if model is not None and times else None
            measured = event.get("clock_s", elapsed)
            left = max(0.0, (request.budget_s or 0) - measured)
            done = len(times)
            progress(Progress(event["id"], event.get("name", ""), done, done + (1 if left > 0 else 0), elapsed,
                              left, event["status"], estimate, request.budget_s))
        else:
            progress(Progress(event["id"], event.get("name", ""), index, total_full, elapsed,
                              elapsed / index * (total_full - index), event["status"]))
    return on_event


def run_benchmark(mode: BenchMode | str = BenchMode.QUICK, force_cpu: bool = False, platform: str | None = None,
                  progress: Callable[[Progress], None] | None = None, should_stop: Callable[[], bool] | None = None,
                  tests: list[str] | None = None, gpus: dict | None = None, worker_args: list[str] | None = None,
                  nvml=None, budget_s: float | None = None) -> BenchmarkRun:
    """Run AI Benchmark and return the run record (not saved).

    mode: quick (sub-tests chosen for the most error removed per second until budget_s of measurement is spent,
    default the calibration's 45 s; an estimate with intervals) or full (all 42 sub-tests, the library's scoring).
    force_cpu: hide the GPU. platform: plan id to label the run with. progress: called after each sub-test.
    should_stop: polled; when it returns True the run ends, keeping finished sub-tests (so does Ctrl-C).
    tests: run only these sub-test ids (quick mode: choose only among them). gpus: the catalog's GPUs, to match
    the device.
    nvml: a pynvml stand-in (tests). Raises TensorFlowMissing, BenchmarkFailed, ValueError for a bad mode or budget.
    """
    try:
        mode = BenchMode(mode)
    except ValueError:
        raise ValueError(f"mode: expected one of {', '.join(BenchMode.values())}, got {mode!r}") from None
    model = None
    if mode == BenchMode.QUICK:
        from .quick import load_model

        model = load_model()
        budget_s = float(budget_s if budget_s is not None else model.plan["budget_s"])
        if not 1 <= budget_s <= 3600:
            raise ValueError(f"budget: expected 1 to 3600 seconds, got {budget_s:g}")
    ok, message = tensorflow_status()
    if not ok:
        raise TensorFlowMissing(message)
    request = RunRequest(mode, force_cpu, platform, tuple(tests) if tests else None,
                         budget_s if model is not None else None, gpus)
    nvml_found = detect_gpus(nvml)
    args, env = _worker_command(request, worker_args)
    started_at = dt.datetime.now(dt.UTC)
    on_event = _progress_callback(request, model, progress, time.monotonic()) if progress is not None else None
    kill_after = (request.budget_s + STARTUP_ALLOWANCE_S + KILL_GRACE_S) if request.budget_s else None
    out = _run_worker(args, env, on_event, should_stop, kill_after)
    if not out.results:
        if out.interrupted:
            raise BenchmarkFailed("stopped before any sub-test finished; nothing to keep")
        raise BenchmarkFailed("the benchmark worker stopped before any sub-test finished: "
                              + (out.stderr_tail.strip().splitlines() or ["no output"])[-1])
    return _assemble(request, out, nvml_found, started_at, model)


class BenchmarkJob:
    """A benchmark in a background thread, for the app: progress to poll, a stop button, the result when done."""

    def __init__(self, mode: BenchMode | str = BenchMode.QUICK, force_cpu: bool = False, platform: str | None = None,
                 gpus: dict | None = None, budget_s: float | None = None):
        self.mode, self.force_cpu, self.platform, self.gpus, self.budget_s = mode, force_cpu, platform, gpus, budget_s
        self.progress: Progress | None = None
        self.result: BenchmarkRun | None = None
        self.error: str | None = None
        self.finished = False
        self.saved = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        try:
            extra = {} if self.budget_s is None else {"budget_s": self.budget_s}
            self.result = run_benchmark(self.mode, self.force_cpu, self.platform, progress=self._on_progress,
                                        should_stop=self._stop.is_set, gpus=self.gpus, **extra)
        except AdvisorError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - shown to the user as a message, never a traceback
            self.error = f"the benchmark failed: {type(exc).__name__}: {exc}"
        finally:
            self.finished = True

    def _on_progress(self, p: Progress) -> None:
        self.progress = p
