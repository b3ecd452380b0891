"""Calibrates quick mode and judges it on devices it never saw; writes advisor/bench/quick_calibration.json.

Data: per-sub-test mean times of full AI Benchmark runs, one JSON per run in benchmarks/calibration/runs/ (public
runs, each with its source), and full runs made on this project's machine (benchmarks/calibration/*.jsonl, the
worker's own event lines with every pass's time, listed in own_runs.json).

Measured here: the timing noise of a quick measurement against a full run (per-pass times of this machine's full
runs; pairs of full runs of one device), and the cost model (model load, host work per pass, warm-up pass) from
this machine's full runs.

Judged by nested leave-one-device-out: for each device, the model's rank and each part's interval factor are
chosen by leave-one-device-out among the other devices only, the model is fitted to the others, and the
device's recorded times are replayed through quick mode's plan (its order, passes and stopping rule) within
the budget. Printed: each device's error per part and whether its full score fell inside the interval; the
median and worst error per part; the coverage; the targets. Cross-run replays (one run's times replayed, judged
against another full run of the same device) show the effect of real run-to-run noise.

Run: .venv/bin/python -m benchmarks.calibrate_quick [--budget 45] [--check]   (--check: judge, do not write)
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import statistics
from pathlib import Path

from advisor.bench.calibration import choose, fit, full_truth, nested_loo, replay_held_out
from advisor.bench.quick import CALIBRATION_FILE, PARTS, Noise
from advisor.bench.replay import RecordedRun, read_recorded
from advisor.vocab import Metric

ROOT = Path(__file__).resolve().parent.parent

CAL_DIR = ROOT / "benchmarks" / "calibration"
# Model forms tried: (rank of the device factors, prior means by kind of device).
FORMS = tuple((rank, by_kind) for by_kind in (False, True) for rank in (0, 1, 2))
LEVEL = 0.9
# The plan's rules (advisor.bench.plan): kept passes per sub-test, coverage of the training and recurrent parts.
PLAN = {"max_passes": 3, "pass_target_s": 0.5, "min_training": 3, "min_recurrent": 1, "budget_s": 45.0}
TARGETS = {Metric.AI: 0.15, Metric.INFERENCE: 0.25, Metric.TRAINING: 0.25}


def load_runs() -> tuple[list[RecordedRun], list[list[dict]]]:
    """Every calibration run, and the event lines of this machine's own runs."""
    runs = [read_recorded(p) for p in sorted((CAL_DIR / "runs").glob("*.json"))]
    manifest = json.loads((CAL_DIR / "own_runs.json").read_text())
    events = []
    for entry in manifest["runs"]:
        path = CAL_DIR / entry["file"]
        r = read_recorded(path)
        runs.append(RecordedRun(path.stem, entry["device"], entry["kind"], entry["source"], r.times_ms,
                                r.tensorflow_version, entry["device_group"]))
        events.append([json.loads(line) for line in path.read_text().splitlines() if line.strip()])
    return runs, events


def measure_noise(runs: list[RecordedRun], own_events: list[list[dict]]) -> tuple[Noise, dict]:
    """pass_var: variance of log(one kept pass / the full run's mean) over this machine's sub-tests; run_var and
    shift_var: per-sub-test and shared parts of log(time in one run / time in another run of the same device)."""
    one_pass = []
    for events in own_events:
        for e in events:
            if e.get("event") == "test" and e.get("status") == "ok" and len(e.get("times_ms", [])) > 2:
                one_pass.append(math.log(e["times_ms"][1] / e["mean_ms"]))
    pass_var = statistics.pvariance(one_pass)
    run_vars, shifts, pairs = [], [], []
    by_device: dict[str, list[RecordedRun]] = {}
    for r in runs:
        by_device.setdefault(r.key, []).append(r)
    for device, group in by_device.items():
        for a, b in zip(group, group[1:], strict=False):
            common = [i for i in a.times_ms if i in b.times_ms]
            d = [math.log(a.times_ms[i] / b.times_ms[i]) for i in common]
            shift = statistics.fmean(d)
            run_vars.append(statistics.pvariance(d, shift))
            shifts.append(shift)
            pairs.append(f"{device}: {a.name} vs {b.name}, shared shift {shift:+.3f}, per-sub-test sd "
                         f"{math.sqrt(run_vars[-1]):.3f}")
    noise = Noise(pass_var=round(pass_var, 6), run_var=round(statistics.fmean(run_vars), 6),
                  shift_var=round(statistics.fmean([s * s for s in shifts]), 6))
    return noise, {"one_pass_sd": math.sqrt(pass_var), "one_pass_n": len(one_pass), "pairs": pairs}


def measure_costs(own_events: list[list[dict]]) -> dict:
    """Seconds besides the kept passes, from this machine's full runs: each test's model load (the gap before its
    first sub-test, where events carry times), each sub-test's host work per pass, and its warm-up factor."""
    load: dict[str, list[float]] = {}
    host: dict[str, list[float]] = {}
    warm: dict[str, list[float]] = {}
    for events in own_events:
        prev_t, prev_test = None, None
        for e in events:
            if e.get("event") == "start":
                prev_t = e.get("t")
            if e.get("event") != "test" or e.get("status") != "ok":
                continue
            times, test = e["times_ms"], e["id"].split(".")[0]
            if "t" in e and prev_t is not None and test != prev_test:
                load.setdefault(test, []).append(max(0.0, e["t"] - e["seconds"] - prev_t))
            host.setdefault(e["id"], []).append(max(0.0, e["seconds"] - sum(times) / 1000) / len(times))
            warm.setdefault(e["id"], []).append(times[0] / e["mean_ms"])
            prev_t, prev_test = e.get("t"), test
    med = statistics.median
    return {"load_s": {k: round(med(v), 3) for k, v in sorted(load.items(), key=lambda kv: int(kv[0]))},
            "host_s": {k: round(med(v), 4) for k, v in host.items()},
            "warmup": {k: round(med(v), 3) for k, v in warm.items()},
            "measured_on": "this project's 2-core AMD EPYC machine, full runs of 2026-11-26"}


def pct(x: float) -> str:
    return f"{x:+.1%}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=float, default=PLAN["budget_s"], help="measurement budget replayed (s)")
    parser.add_argument("--check", action="store_true", help="judge only; do not write the calibration file")
    args = parser.parse_args()
    plan = {**PLAN, "budget_s": args.budget}
    runs, own_events = load_runs()
    noise, about_noise = measure_noise(runs, own_events)
    costs = measure_costs(own_events)

    devices = sorted({r.key for r in runs})
    print(f"calibration: {len(runs)} full runs of {len(devices)} devices")
    for r in runs:
        t = full_truth(r)
        print(f"  {r.name}: {r.device[:70]} [{r.kind}, TF {r.tensorflow_version or '?'}; {len(r.times_ms)} sub-tests]"
              f" AI {t[Metric.AI]} (inference {t[Metric.INFERENCE]}, training {t[Metric.TRAINING]})")
        print(f"      source: {r.source}")
    print(f"timing noise: one kept pass vs the full run's mean, sd {about_noise['one_pass_sd']:.3f} in log "
          f"({about_noise['one_pass_n']} sub-tests of this machine's runs); run to run:")
    for line in about_noise["pairs"]:
        print(f"  {line}")

    nested = nested_loo(runs, args.budget, FORMS, noise, costs, plan, LEVEL)
    print(f"\nnested leave-one-device-out, {args.budget:g} s budget replayed (model form and interval factors "
          "chosen without the device); per part: estimate, error, full score inside the interval?, interval's "
          "upper end / estimate:")
    header = f"  {'run':32s} {'sub-tests':>9s} {'s':>5s}  " + "  ".join(f"{str(m):>24s}" for m in PARTS)
    print(header)
    for held, rank, _ in nested:  # rank: the model form (rank, means by kind)
        cells = []
        for m in PARTS:
            part = held.estimate.part(m)
            cells.append(f"{part.score:8.0f} {pct(held.error(m)):>7s} {'in ' if held.inside(m) else 'OUT'}"
                         f" x{part.high / part.score:.2f}")
        seconds = held.steps[-1].clock_s if held.steps else 0
        print(f"  {held.run.name[:32]:32s} {held.estimate.subtests:9d} {seconds:5.0f}  " + "  ".join(
            f"{c:>24s}" for c in cells) + f"  (rank {rank[0]}, {'means by kind' if rank[1] else 'one mean'})")
    summary = {}
    for m in PARTS:
        errors = [abs(h.error(m)) for h, _, _ in nested]
        inside = sum(h.inside(m) for h, _, _ in nested)
        summary[str(m)] = {"median_abs_error": round(statistics.median(errors), 4),
                           "worst_abs_error": round(max(errors), 4), "inside": inside, "runs": len(nested)}
        print(f"  {str(m):9s}: |error| median {statistics.median(errors):.1%}, worst {max(errors):.1%} "
              f"(target {TARGETS[m]:.0%}: {'met' if max(errors) <= TARGETS[m] else 'NOT met'}); full score inside "
              f"the interval in {inside} of {len(nested)} (nominal {LEVEL:.0%})")

    # Cross-run replays: the quick replay uses one run's times, the truth is another full run of that device.
    cross = []
    by_device: dict[str, list[RecordedRun]] = {}
    for r in runs:
        by_device.setdefault(r.key, []).append(r)
    models = {}
    for device, group in by_device.items():
        if len(group) < 2:
            continue
        others = [r for r in runs if r.key != device]
        rank, scale, _ = choose(others, args.budget, FORMS, noise, costs, plan, LEVEL)
        models[device] = fit(others, rank, noise, costs, plan, LEVEL, scale)
        for a in group:
            for b in group:
                if a is not b:
                    cross.append(replay_held_out(models[device], b, args.budget, times_ms=a.times_ms))
                    h = cross[-1]
                    print(f"  cross-run: {a.name} replayed, judged against {b.name}: " + ", ".join(
                        f"{m} {pct(h.error(m))} {'in' if h.inside(m) else 'OUT'}" for m in PARTS))

    rank, scale, held = choose(runs, args.budget, FORMS, noise, costs, plan, LEVEL)
    info = {
        "method": ("Gaussian device model (level + rank-k factors + residuals) over the 42 log speed ratios, "
                   "conditioned on the finished sub-tests; interval = posterior sd x a conformal factor from "
                   f"leave-one-device-out errors (nominal {LEVEL:.0%}), widened by the multivariate-t rule"),
        "written": dt.date.today().isoformat(),
        "budget_s_judged": args.budget,
        "calibration_runs": [{"run": r.name, "device": r.device, "kind": r.kind, "source": r.source,
                              "tensorflow_version": r.tensorflow_version, "subtests": len(r.times_ms)} for r in runs],
        "noise_measured": about_noise,
        "nested_leave_one_device_out": {
            "runs": [{"run": h.run.name, "subtests": h.estimate.subtests,
                      **{str(m): {"error": round(h.error(m), 4), "inside": h.inside(m)} for m in PARTS}}
                     for h, _, _ in nested],
            "summary": summary},
    }
    model = fit(runs, rank, noise, costs, plan, LEVEL, scale, info)
    factors = ", ".join(f"{k} {v:.2f}" for k, v in scale.items())
    print(f"\nfinal model: rank {rank[0]}, {'means by kind' if rank[1] else 'one mean'}; interval factors {factors} "
          f"x posterior sd; from {len(runs)} runs of {len(devices)} devices")
    if not args.check:
        CALIBRATION_FILE.write_text(json.dumps(model.to_dict(), indent=1) + "\n")
        print(f"wrote {CALIBRATION_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
