"""The benchmark worker: runs AI Benchmark sub-tests on TensorFlow in its own process and prints one JSON line
per event ({"event": "start"|"test"|"done"|"error", ...}) on stdout. The parent (advisor.bench.runner) reads them.

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

# Must precede any TensorFlow import (FACTS.md section 2: BasicLSTMCell needs Keras 2).
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


def time_iterations(run_once, sub, quick_iterations: int | None) -> list[float]:
    """Times of each pass in ms, following the library's rule: up to `iterations` passes while under
    max_duration, or until min_passes within MAX_TEST_DURATION. Quick mode runs a fixed small number."""
    times = []
    started = time.perf_counter()
    if quick_iterations is not None:
        for _ in range(quick_iterations):
            times.append(run_once())
        return times
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


def run(selected: list[str] | None, quick_iterations: int | None, force_cpu: bool) -> None:
    from advisor.bench.subtests import all_subtests, library_tests, package_dir

    infos = {s.id: s for s in all_subtests()}
    wanted = [s.id for s in all_subtests()] if not selected else [i for i in selected if i in infos]
    tf, utils = import_library()
    gpus = gpu_devices(tf)
    build = tf.sysconfig.get_build_info()
    emit("start", total=len(wanted), tensorflow_version=tf.__version__, tf_gpus=gpus,
         cuda_version=build.get("cuda_version"), cudnn_version=build.get("cudnn_version"), force_cpu=force_cpu)
    config = tf.compat.v1.ConfigProto(device_count={"GPU": 0}) if force_cpu else None
    info = types.SimpleNamespace(tf_ver_2=True)
    cwd = os.getcwd()
    os.chdir(package_dir())  # the library reads its graphs and images relative to itself
    done = 0
    try:
        for test in library_tests():
            ids = {}
            sub_index = 1
            for kind, subs in (("inference", test.inference), ("training", test.training)):
                for sub in subs:
                    ids[(kind, id(sub))] = f"{test.id}.{sub_index}"
                    sub_index += 1
            if not any(i in wanted for i in ids.values()):
                continue
            tf.compat.v1.reset_default_graph()
            with tf.Graph().as_default(), tf.compat.v1.Session(config=config) as sess:
                try:
                    input_, output_, train_vars = utils.getModelSrc(test, info, sess)
                    tf.compat.v1.global_variables_initializer().run()
                    if test.type == "nlp-text":
                        sess.run(tf.compat.v1.tables_initializer())
                    build_error = None
                except Exception as exc:  # noqa: BLE001 - a model that cannot load fails its sub-tests, not the run
                    build_error = f"{type(exc).__name__}: {exc}"
                for kind, subs in (("inference", test.inference), ("training", test.training)):
                    for sub in subs:
                        test_id = ids[(kind, id(sub))]
                        if test_id not in wanted:
                            continue
                        started = time.perf_counter()
                        record = {"id": test_id, "name": test.model, "kind": kind}
                        try:
                            if build_error:
                                raise RuntimeError(build_error)
                            if test_id in os.environ.get(INJECT_FAILURE_ENV, "").split(","):
                                raise RuntimeError("injected failure (test hook)")
                            if kind == "inference":
                                def once():
                                    data = utils.loadData(test.type, sub.getInputDims())
                                    t = time.perf_counter()
                                    sess.run(output_, feed_dict={input_: data})
                                    return (time.perf_counter() - t) * 1000
                            else:
                                if train_vars is None:
                                    target_ = tf.compat.v1.placeholder(tf.float32, sub.getOutputDims())
                                    step = utils.constructOptimizer(sess, output_, target_, sub.loss_function,
                                                                    sub.optimizer, sub.learning_rate, True)
                                else:
                                    target_, step = train_vars

                                def once():
                                    data = utils.loadData(test.type, sub.getInputDims())
                                    target = utils.loadTargets(test.type, sub.getOutputDims())
                                    t = time.perf_counter()
                                    sess.run(step, feed_dict={input_: data, target_: target})
                                    return (time.perf_counter() - t) * 1000
                            times = time_iterations(once, sub, quick_iterations)
                            mean, sd = stats(times)
                            record.update(status="ok", mean_ms=mean, sd_ms=sd, times_ms=times)
                        except Exception as exc:  # noqa: BLE001 - out of memory, a missing op: record it, go on
                            record.update(status="failed", error=f"{type(exc).__name__}: {str(exc)[:400]}")
                        done += 1
                        record.update(index=done, total=len(wanted), seconds=time.perf_counter() - started)
                        emit("test", **record)
    finally:
        os.chdir(cwd)
    emit("done")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", help="comma-separated sub-test ids (default all 42)")
    parser.add_argument("--quick-iterations", type=int, help="fixed passes per sub-test (quick mode)")
    parser.add_argument("--cpu", action="store_true", help="hide the GPU from TensorFlow")
    args = parser.parse_args(argv)
    try:
        run(args.tests.split(",") if args.tests else None, args.quick_iterations, args.cpu)
    except KeyboardInterrupt:
        emit("error", error="interrupted")
        return 130
    except ImportError as exc:
        emit("error", error=f"{exc}", missing=True)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
