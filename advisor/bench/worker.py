"""The benchmark worker: runs AI Benchmark sub-tests on TensorFlow in its own process and prints one JSON line
per event ({"event": "start"|"test"|"done"|"error", ...}) on stdout. The parent (advisor.bench.runner) reads them.

Full mode runs the asked sub-tests in the library's order with its pass rules; quick mode asks the plan
(advisor.bench.plan) for the next sub-test until its budget is spent.

It uses the library's model graphs, data and iteration rules, and works around its known breakages on today's
stacks without editing the installed package: TF_USE_LEGACY_KERAS=1 before TensorFlow loads (the LSTM test needs
Keras 2 from tf-keras), a pkg_resources stand-in where setuptools no longer ships it, np.warnings where NumPy
removed it, the working directory restored afterwards, and the upload of results to the library's server
replaced by a no-op (ai_benchmark/update_utils.py, update_info).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import types
import warnings
from collections.abc import Callable

from advisor.vocab import BenchMode

# Must precede any TensorFlow import: the LSTM test's BasicLSTMCell exists only in Keras 2 (tf-keras).
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# The library's own rule for a sub-test that runs long (ai_benchmark/utils.py, MAX_TEST_DURATION).
MAX_TEST_DURATION_S = 100

STARTED = time.perf_counter()
# Sub-test ids to fail on purpose, comma-separated: lets the tests check that a failing sub-test is recorded and
# the run goes on, without needing hardware that really runs out of memory.
INJECT_FAILURE_ENV = "ADVISOR_BENCH_INJECT_FAILURE"


def emit(event: str, **data) -> None:
    print(json.dumps({"event": event, "t": round(time.perf_counter() - STARTED, 3), **data}), flush=True)


def no_upload(*args, **kwargs) -> None:
    """Stands in for ai_benchmark.update_utils.update_info, which sends hardware and results to a server."""
    return None


def install_shims() -> None:
    try:
        import pkg_resources  # noqa: F401
    except ImportError:  # setuptools 82 dropped it; the library only needs parse_version
        from packaging.version import parse as parse_version

        sys.modules["pkg_resources"] = types.SimpleNamespace(parse_version=parse_version)
    import numpy as np

    if not hasattr(np, "warnings"):  # removed in NumPy 1.24; the library's constructor calls it
        np.warnings = warnings


def import_library():
    """TensorFlow and the library's helpers, with the upload switched off before anything can call it."""
    install_shims()
    import ai_benchmark.update_utils as update_utils
    import tensorflow as tf

    update_utils.update_info = no_upload
    from ai_benchmark import utils

    utils.update_info = no_upload
    tf.get_logger().setLevel("ERROR")
    return tf, utils


def gpu_devices(tf) -> list[str]:
    return [d.name for d in tf.config.list_physical_devices("GPU")]


def library_rule_passes(run_once: Callable[[], float], sub, iterations: int | None) -> list[float]:
    """Times of each pass in ms, following the library's rule: up to `iterations` passes while under
    max_duration, or until min_passes within MAX_TEST_DURATION. `iterations` overrides with a fixed count."""
    if iterations is not None:
        return [run_once() for _ in range(iterations)]
    times = []
    started = time.perf_counter()
    for i in range(sub.iterations):
        elapsed = time.perf_counter() - started
        if elapsed < sub.max_duration or (i < sub.min_passes and elapsed < MAX_TEST_DURATION_S):
            times.append(run_once())
    return times


def stats(times: list[float]) -> tuple[float, float]:
    """Mean and sd of the passes after the first, as the library computes them (computeStats)."""
    kept = times[1:] if len(times) > 1 else times
    mean = sum(kept) / len(kept)
    sd = (sum((t - mean) ** 2 for t in kept) / len(kept)) ** 0.5
    return mean, sd


def subtest_ids(test) -> list[tuple[str, str, object]]:
    """(id, kind, library SubTest) of a test's sub-tests, numbered as the library prints them."""
    out: list[tuple[str, str, object]] = []
    for kind, subs in (("inference", test.inference), ("training", test.training)):
        for sub in subs:
            out.append((f"{test.id}.{len(out) + 1}", kind, sub))
    return out


class LoadedModel:
    """One test's model graph in its own session; `error` instead when it could not be built."""

    def __init__(self, tf, utils, test, config):
        self.tf, self.utils, self.test = tf, utils, test
        started = time.perf_counter()
        tf.compat.v1.reset_default_graph()
        self.graph = tf.Graph()
        self._graph_context = self.graph.as_default()
        self._graph_context.__enter__()
        self.sess = tf.compat.v1.Session(config=config)
        self.error: str | None = None
        try:
            self.input_, self.output_, self.train_vars = _build(tf, utils, test, self.sess)
        except Exception as exc:  # noqa: BLE001 - a model that cannot load fails its sub-tests, not the run
            self.error = f"{type(exc).__name__}: {exc}"
        self.load_s = time.perf_counter() - started

    def close(self) -> None:
        self.sess.close()
        self._graph_context.__exit__(None, None, None)


def _build(tf, utils, test, sess):
    """The library's model for a test, initialised in `sess`: (input, output, training vars or None)."""
    input_, output_, train_vars = utils.getModelSrc(test, types.SimpleNamespace(tf_ver_2=True), sess)
    tf.compat.v1.global_variables_initializer().run(session=sess)
    if test.type == "nlp-text":
        sess.run(tf.compat.v1.tables_initializer())
    return input_, output_, train_vars


def _timed_pass(model: LoadedModel, kind: str, sub) -> Callable[[], float]:
    """One pass of a sub-test as the library times it: input data made outside the clock, only sess.run timed.
    Returns a function giving the pass's ms. Training sub-tests get their optimizer built here, once."""
    tf, utils, test, sess = model.tf, model.utils, model.test, model.sess
    if model.error:
        raise RuntimeError(model.error)
    if kind == "inference":
        def once() -> float:
            data = utils.loadData(test.type, sub.getInputDims())
            t = time.perf_counter()
            sess.run(model.output_, feed_dict={model.input_: data})
            return (time.perf_counter() - t) * 1000
        return once
    if model.train_vars is None:
        target_ = tf.compat.v1.placeholder(tf.float32, sub.getOutputDims())
        step = utils.constructOptimizer(sess, model.output_, target_, sub.loss_function, sub.optimizer,
                                        sub.learning_rate, True)
    else:
        target_, step = model.train_vars

    def once() -> float:
        data = utils.loadData(test.type, sub.getInputDims())
        target = utils.loadTargets(test.type, sub.getOutputDims())
        t = time.perf_counter()
        sess.run(step, feed_dict={model.input_: data, target_: target})
        return (time.perf_counter() - t) * 1000
    return once


def _check_injected(test_id: str) -> None:
    if test_id in os.environ.get(INJECT_FAILURE_ENV, "").split(","):
        raise RuntimeError("injected failure (test hook)")


def _failure(record: dict, exc: Exception) -> dict:
    return {**record, "status": "failed", "error": f"{type(exc).__name__}: {str(exc)[:400]}"}


class Worker:
    """TensorFlow, the library and the loaded model, shared by the full and quick loops."""

    def __init__(self, force_cpu: bool):
        from advisor.bench.subtests import library_tests, package_dir

        self.tf, self.utils = import_library()
        self.tests = {t.id: t for t in library_tests()}
        self.package_dir = package_dir()
        self.config = self.tf.compat.v1.ConfigProto(device_count={"GPU": 0}) if force_cpu else None
        self.loaded: LoadedModel | None = None
        self.force_cpu = force_cpu

    def emit_start(self, total: int | None) -> None:
        build = self.tf.sysconfig.get_build_info()
        emit("start", total=total, tensorflow_version=self.tf.__version__, tf_gpus=gpu_devices(self.tf),
             cuda_version=build.get("cuda_version"), cudnn_version=build.get("cudnn_version"),
             force_cpu=self.force_cpu)

    def load(self, test_id: int) -> float:
        """Make test_id's model the loaded one; seconds spent loading (0 when it already was)."""
        if self.loaded is not None and self.loaded.test.id == test_id:
            return 0.0
        if self.loaded is not None:
            self.loaded.close()
        self.loaded = LoadedModel(self.tf, self.utils, self.tests[test_id], self.config)
        return self.loaded.load_s

    def close(self) -> None:
        if self.loaded is not None:
            self.loaded.close()
            self.loaded = None


def run_full(worker: Worker, wanted: list[str], iterations: int | None) -> None:
    """The asked sub-tests in the library's order, with its pass rule (or a fixed count of passes)."""
    worker.emit_start(len(wanted))
    done = 0
    started = time.perf_counter()
    for test in worker.tests.values():
        subs = [s for s in subtest_ids(test) if s[0] in wanted]
        if not subs:
            continue
        for test_id, kind, sub in subs:
            t0 = time.perf_counter()
            load_s = worker.load(test.id)
            record = {"id": test_id, "name": test.model, "kind": kind}
            try:
                _check_injected(test_id)
                times = library_rule_passes(_timed_pass(worker.loaded, kind, sub), sub, iterations)
                mean, sd = stats(times)
                record.update(status="ok", mean_ms=mean, sd_ms=sd, times_ms=times, passes=max(len(times) - 1, 1))
            except Exception as exc:  # noqa: BLE001 - out of memory, a missing op: record it, go on
                record = _failure(record, exc)
            done += 1
            emit("test", **record, index=done, total=len(wanted), seconds=time.perf_counter() - t0, load_s=load_s,
                 clock_s=time.perf_counter() - started)
    emit("done", measured_s=time.perf_counter() - started)


def run_quick(worker: Worker, wanted: list[str] | None, budget_s: float, launched: float | None,
              startup_allowance_s: float) -> None:
    """Quick mode: the plan's next sub-test until the budget is spent. A start-up slower than the allowance
    shortens the budget, so the run's wall time stays within budget + allowance."""
    from advisor.bench.plan import Measured, PlanState, QuickPlan
    from advisor.bench.quick import load_model

    model = load_model()
    startup_s = time.time() - launched if launched else 0.0
    budget = max(0.0, min(budget_s, budget_s + startup_allowance_s - startup_s))
    device_kind = "gpu" if gpu_devices(worker.tf) and not worker.force_cpu else "cpu"
    plan = QuickPlan(model, budget, set(wanted) if wanted else None, device_kind)
    state = PlanState()
    worker.emit_start(None)
    started = time.perf_counter()
    subs = {i: (test, kind, sub) for test in worker.tests.values() for i, kind, sub in subtest_ids(test)}

    def clock() -> float:
        return time.perf_counter() - started

    while (sub_id := plan.next_subtest(state)) is not None:
        test, kind, sub = subs[sub_id]
        t0 = clock()
        record = {"id": sub_id, "name": test.model, "kind": kind}
        load_s = 0.0
        try:
            _check_injected(sub_id)
            load_s = worker.load(test.id)
            once = _timed_pass(worker.loaded, kind, sub)
            warmup = once()  # dropped, as the library drops its first pass
            kept: list[float] = []
            next_ms = warmup / model.costs["warmup"].get(sub_id, 1.0)
            while plan.keep_passing(kept, clock(), next_ms):
                kept.append(once())
                next_ms = kept[-1]
        except Exception as exc:  # noqa: BLE001 - out of memory, a missing op: record it, go on
            state.failed.add(sub_id)
            state.elapsed_s = clock()
            state.loaded_test = worker.loaded.test.id if worker.loaded is not None else None
            emit("test", **_failure(record, exc), seconds=clock() - t0, load_s=load_s, clock_s=clock())
            continue
        if not kept:  # slower than predicted: its warm-up used what was left for it; the plan goes on
            state.failed.add(sub_id)
            state.elapsed_s = clock()
            state.loaded_test = test.id
            emit("test", **record, status="skipped", error="not timed: its warm-up pass left no time in the budget",
                 seconds=clock() - t0, load_s=load_s, clock_s=clock())
            continue
        mean = sum(kept) / len(kept)
        sd = (sum((t - mean) ** 2 for t in kept) / len(kept)) ** 0.5
        plan.record(state, Measured(sub_id, mean, len(kept), clock() - t0))
        state.elapsed_s = clock()
        emit("test", **record, status="ok", mean_ms=mean, sd_ms=sd, times_ms=[warmup, *kept], passes=len(kept),
             seconds=clock() - t0, load_s=load_s, clock_s=clock(), host_scale=round(state.host_scale, 3))
    emit("done", measured_s=clock(), budget_s=budget, startup_s=round(startup_s, 3))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=BenchMode.values(), default=BenchMode.FULL)
    parser.add_argument("--tests", help="comma-separated sub-test ids (default all 42)")
    parser.add_argument("--iterations", type=int, help="full mode: a fixed count of passes, the first dropped")
    parser.add_argument("--budget", type=float, default=45.0, help="quick mode: measurement budget, seconds")
    parser.add_argument("--launched", type=float, help="quick mode: when the parent started this worker (epoch s)")
    parser.add_argument("--startup-allowance", type=float, default=15.0,
                        help="quick mode: start-up seconds allowed before the budget shrinks")
    parser.add_argument("--cpu", action="store_true", help="hide the GPU from TensorFlow")
    args = parser.parse_args(argv)
    try:
        from advisor.bench.subtests import all_subtests

        known = [s.id for s in all_subtests()]
        wanted = [i for i in args.tests.split(",") if i in known] if args.tests else None
        worker = Worker(args.cpu)
        cwd = os.getcwd()
        os.chdir(worker.package_dir)  # the library reads its graphs and images relative to itself
        try:
            if args.mode == BenchMode.QUICK:
                run_quick(worker, wanted, args.budget, args.launched, args.startup_allowance)
            else:
                run_full(worker, wanted or known, args.iterations)
        finally:
            worker.close()
            os.chdir(cwd)
    except KeyboardInterrupt:
        emit("error", error="interrupted")
        return 130
    except ImportError as exc:
        emit("error", error=f"{exc}", missing=True)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
