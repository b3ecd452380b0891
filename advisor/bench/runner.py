"""Runs the benchmark worker in a child process and turns its events into a BenchmarkRun.

A child process keeps TensorFlow out of the caller (the CLI, the app, the API stay light), lets a stop request
or Ctrl-C end a sub-test at once while keeping every sub-test that finished, and isolates a crash.
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import platform as platform_module
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import AdvisorError, BenchmarkFailed, TensorFlowMissing
from ..runs.record import BenchmarkRun
from .device import detect_gpus, match_catalog_gpu
from .scoring import estimate_quick, load_quick_design, score_full
from .subtests import all_subtests

INSTALL_HINT = "pip install tensorflow==2.21.0 tf-keras==2.21.0 ai-benchmark==0.1.2"


@dataclass(frozen=True)
class Progress:
    """Where a run is: sub-test `index` of `total` just finished; seconds elapsed and estimated left."""

    test_id: str
    name: str
    index: int
    total: int
    elapsed_s: float
    eta_s: float
    status: str


def tensorflow_status() -> tuple[bool, str]:
    """(True, versions) when the benchmark can run, else (False, one line on what to install). Imports nothing heavy."""
    missing = [name for module, name in (("tensorflow", "tensorflow"), ("tf_keras", "tf-keras"),
                                         ("ai_benchmark", "ai-benchmark"))
               if importlib.util.find_spec(module) is None]
    if missing:
        return False, f"The live benchmark needs {', '.join(missing)}: {INSTALL_HINT}"
    return True, "TensorFlow, tf-keras and ai-benchmark are installed"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform_module.processor() or platform_module.machine() or "CPU"


def _reader(stream, out: queue.Queue) -> None:
    for line in stream:
        out.put(line)
    out.put(None)


def run_benchmark(mode: str = "quick", force_cpu: bool = False, platform: str | None = None,
                  progress: Callable[[Progress], None] | None = None, should_stop: Callable[[], bool] | None = None,
                  tests: list[str] | None = None, gpus: dict | None = None, worker_args: list[str] | None = None,
                  nvml=None) -> BenchmarkRun:
    """Run AI Benchmark and return the run record (not saved).

    mode: 'quick' (the calibrated subset, estimate with an interval) or 'full' (all 42 sub-tests, library scoring).
    force_cpu: hide the GPU. platform: plan id to label the run with. progress: called after each sub-test.
    should_stop: polled; when it returns True the run ends, keeping finished sub-tests (so does Ctrl-C).
    tests: run only these sub-test ids (scored as a partial full run). gpus: the catalog's GPUs, to match the device.
    Raises TensorFlowMissing, BenchmarkFailed, ValueError for a bad mode.
    """
    if mode not in ("quick", "full"):
        raise ValueError(f"mode: expected quick or full, got {mode!r}")
    ok, message = tensorflow_status()
    if not ok:
        raise TensorFlowMissing(message)
    design = load_quick_design() if mode == "quick" else None
    wanted = list(tests) if tests else (list(design.subtests) if design else [s.id for s in all_subtests()])
    nvml_gpus, nvml_note = detect_gpus(nvml)
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
    if force_cpu:
        env["CUDA_VISIBLE_DEVICES"] = "-1"
    args = [sys.executable, "-m", "advisor.bench.worker", "--tests", ",".join(wanted)]
    if design:
        args += ["--quick-iterations", str(design.iterations)]
    if force_cpu:
        args.append("--cpu")
    args += worker_args or []
    started_at = dt.datetime.now(dt.UTC)
    start_clock = time.monotonic()
    results: dict[str, dict] = {}
    info: dict = {}
    interrupted = False
    with tempfile.TemporaryFile(mode="w+") as errors:
        child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors, text=True, env=env,
                                 start_new_session=True)  # Ctrl-C reaches us, not the worker mid-write
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_reader, args=(child.stdout, lines), daemon=True).start()
        try:
            while True:
                if should_stop is not None and should_stop():
                    interrupted = True
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
                if kind == "start":
                    info = event
                elif kind == "test":
                    results[event["id"]] = event
                    if progress is not None:
                        elapsed = time.monotonic() - start_clock
                        index, total = event["index"], event["total"]
                        progress(Progress(event["id"], event.get("name", ""), index, total, elapsed,
                                          elapsed / index * (total - index), event["status"]))
                elif kind == "error":
                    if event.get("missing"):
                        raise TensorFlowMissing(f"{event['error']}: {INSTALL_HINT}")
                elif kind == "done":
                    break
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        errors.seek(0)
        stderr_tail = errors.read()[-600:]
    if not results:
        if interrupted:
            raise BenchmarkFailed("stopped before any sub-test finished; nothing to keep")
        raise BenchmarkFailed("the benchmark worker stopped before any sub-test finished: "
                              + (stderr_tail.strip().splitlines() or ["no output"])[-1])
    return _assemble(mode, wanted, results, info, nvml_gpus, nvml_note, force_cpu, platform, started_at,
                     interrupted, design, gpus)


def _assemble(mode, wanted, results, info, nvml_gpus, nvml_note, force_cpu, platform, started_at, interrupted,
              design, gpus) -> BenchmarkRun:
    tests = []
    times = {}
    for test_id in wanted:
        event = results.get(test_id)
        if event is None:
            tests.append({"id": test_id, "status": "skipped", "error": "not run: the benchmark was stopped" if interrupted else "not run"})
            continue
        entry = {"id": test_id, "name": event.get("name"), "kind": event.get("kind"), "status": event["status"]}
        if event["status"] == "ok":
            entry.update(mean_ms=event["mean_ms"], sd_ms=event["sd_ms"])
            times[test_id] = event["mean_ms"]
        else:
            entry["error"] = event.get("error")
        tests.append(entry)
    tf_sees_gpu = bool(info.get("tf_gpus")) and not force_cpu
    notes = []
    if tf_sees_gpu and nvml_gpus:
        g = nvml_gpus[0]
        device = {"name": g.name, "kind": "gpu", "memory_gib": g.memory_gib, "driver_version": g.driver_version,
                  "cuda_version": g.cuda_version,
                  "gpu_id": match_catalog_gpu(g.name, g.memory_gib, gpus) if gpus else None}
    elif tf_sees_gpu:
        device = {"name": str(info["tf_gpus"][0]), "kind": "gpu"}
    else:
        device = {"name": cpu_name(), "kind": "cpu"}
        if nvml_gpus and not force_cpu:
            notes.append(f"NVML sees {nvml_gpus[0].name} but TensorFlow cannot use it, so this is the CPU's score "
                         "(check the CUDA libraries TensorFlow needs)")
        elif force_cpu:
            notes.append("forced onto the CPU")
    ok = len(times)
    if design is not None:
        estimate = estimate_quick(times, design)
        scores = {k: estimate[k] for k in ("ai", "inference", "training", "ai_low", "ai_high")}
        partial = ok < len(wanted)
    else:
        full = score_full(times)
        scores = {"ai": full.ai, "inference": full.inference, "training": full.training}
        partial = ok < len(all_subtests())
    if interrupted:
        notes.append("stopped early; the scores use the sub-tests that finished")
    run = {"schema": "advisor.run/1", "mode": mode, "device": device, "tensorflow_version": info.get("tensorflow_version"),
           "scores": scores, "tests": tests, "partial": partial, "tests_used": ok,
           "started_at": started_at.isoformat(), "finished_at": dt.datetime.now(dt.UTC).isoformat(),
           "platform": platform, "note": "; ".join(notes) or None}
    return BenchmarkRun.model_validate(run)


class BenchmarkJob:
    """A benchmark in a background thread, for the app: progress to poll, a stop button, the result when done."""

    def __init__(self, mode: str = "quick", force_cpu: bool = False, platform: str | None = None, gpus: dict | None = None):
        self.mode, self.force_cpu, self.platform, self.gpus = mode, force_cpu, platform, gpus
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
            self.result = run_benchmark(self.mode, self.force_cpu, self.platform, progress=self._on_progress,
                                        should_stop=self._stop.is_set, gpus=self.gpus)
        except AdvisorError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - shown to the user as a message, never a traceback
            self.error = f"the benchmark failed: {type(exc).__name__}: {exc}"
        finally:
            self.finished = True

    def _on_progress(self, p: Progress) -> None:
        self.progress = p
