"""Chooses the quick mode's sub-tests and calibrates its estimate and interval; writes
advisor/bench/quick_calibration.json.

Data: per-sub-test mean times of complete AI Benchmark runs on several devices: the public GTX 1080 and
i7-6700HQ runs (benchmarks/calibration/public_per_test_times.json, from jeremydiba/GPU-benchmark) and full runs
made on this project's 2-core CPU machine (benchmarks/calibration/*.jsonl, the worker's own output).

Estimator, per kind (inference, training): log(score / 10000) is the mean over all sub-tests of log(ref/time);
the quick estimate uses the subset's mean plus a calibrated offset (the devices' average gap between the two).
Choice: greedy forward selection of sub-tests, cheapest error reduction first, within a time budget measured
on this machine (first pass + further passes of each sub-test, plus model loading). Interval: the largest
leave-one-device-out error of the AI score, plus a margin for the timing noise of a few passes.

Run: .venv/bin/python benchmarks/calibrate_quick.py [--budget-s 38] [--iterations 3]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.bench.scoring import CALIBRATION_FILE, score_full  # noqa: E402
from advisor.bench.subtests import all_subtests  # noqa: E402

CAL_DIR = ROOT / "benchmarks" / "calibration"
# Loading a model graph before its first sub-test, on this machine (measured from worker event times).
DEFAULT_BUILD_S = 2.0
NOISE_MARGIN = 0.05  # log units: the spread of a 2-pass mean seen in the full runs' passes


def load_devices() -> tuple[list[dict], dict]:
    """Devices with complete mean times, and the per-sub-test quick cost on this machine (seconds)."""
    devices = []
    public = json.loads((CAL_DIR / "public_per_test_times.json").read_text())
    for d in public["devices"]:
        devices.append({"device": d["device"], "mean_ms": d["mean_ms"]})
    local_runs = sorted(CAL_DIR.glob("*.jsonl"))
    passes: dict[str, list[list[float]]] = {}
    build: dict[int, list[float]] = {}
    for path in local_runs:
        events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        tests = {e["id"]: e for e in events if e.get("event") == "test" and e.get("status") == "ok"}
        if len(tests) == len(all_subtests()):
            devices.append({"device": f"this machine's CPU ({path.name})", "mean_ms": {k: v["mean_ms"] for k, v in tests.items()}})
        last_t = next((e.get("t") for e in events if e.get("event") == "start"), None)
        last_test = None
        for e in events:
            if e.get("event") != "test":
                continue
            test_id = int(e["id"].split(".")[0])
            if "times_ms" in e:
                passes.setdefault(e["id"], []).append(e["times_ms"])
            if last_t is not None and "t" in e and test_id != last_test:
                # time from the previous event to this one, less the passes: the model's loading
                build.setdefault(test_id, []).append(max(0.0, e["t"] - last_t - e.get("seconds", 0)))
            last_t, last_test = e.get("t"), test_id
    return devices, {"passes": passes, "build": build}


def quick_cost_s(test_id: str, iterations: int, timing: dict) -> float:
    runs = timing["passes"].get(test_id)
    if not runs:
        return math.inf
    first = sum(r[0] for r in runs) / len(runs) / 1000
    later = [t for r in runs for t in r[1:]]
    rest = (sum(later) / len(later) / 1000) if later else first
    return first + (iterations - 1) * rest


def log_norms(device: dict) -> dict[str, float]:
    ref = {s.id: s for s in all_subtests()}
    return {i: math.log(ref[i].ref_ms / t) for i, t in device["mean_ms"].items()}


def kind_of() -> dict[str, str]:
    return {s.id: s.kind for s in all_subtests()}


def loo_errors(subset: list[str], devices: list[dict]) -> list[float]:
    """Leave-one-device-out log errors of the AI-score estimate for each device."""
    kinds = kind_of()
    logs = [log_norms(d) for d in devices]
    errors = []
    for held in range(len(devices)):
        est = {}
        truth = {}
        for kind in ("inference", "training"):
            chosen = [i for i in subset if kinds[i] == kind]
            if not chosen:
                return [math.inf]
            gaps = []
            for j, lj in enumerate(logs):
                full = sum(v for i, v in lj.items() if kinds[i] == kind) / sum(1 for i in lj if kinds[i] == kind)
                part = sum(lj[i] for i in chosen) / len(chosen)
                if j == held:
                    truth[kind], held_part = full, part
                else:
                    gaps.append(full - part)
            est[kind] = held_part + sum(gaps) / len(gaps)
        ai_est = math.exp(est["inference"]) + math.exp(est["training"])
        ai_true = math.exp(truth["inference"]) + math.exp(truth["training"])
        errors.append(math.log(ai_est / ai_true))
    return errors


def choose(devices: list[dict], timing: dict, budget_s: float, iterations: int) -> tuple[list[str], float]:
    ids = [s.id for s in all_subtests()]
    tests_of = {i: int(i.split(".")[0]) for i in ids}
    subset: list[str] = []

    def cost(sub: list[str]) -> float:
        tests = {tests_of[i] for i in sub}
        build = sum((sum(timing["build"].get(t, [DEFAULT_BUILD_S])) / len(timing["build"].get(t, [DEFAULT_BUILD_S])))
                    for t in tests)
        return sum(quick_cost_s(i, iterations, timing) for i in sub) + build

    def score(sub: list[str]) -> float:
        errs = loo_errors(sub, devices)
        return max(abs(e) for e in errs)

    # Seed with the cheapest sub-test of each kind, then add what lowers the worst error most per second.
    kinds = kind_of()
    for kind in ("inference", "training"):
        subset.append(min((i for i in ids if kinds[i] == kind), key=lambda i: cost([i])))
    while True:
        current = score(subset)
        best = None
        for i in ids:
            if i in subset or cost(subset + [i]) > budget_s:
                continue
            gain = current - score(subset + [i])
            extra = cost(subset + [i]) - cost(subset)
            value = gain / max(extra, 0.5)
            if gain > 1e-4 and (best is None or value > best[0]):
                best = (value, i)
        if best is None:
            break
        subset.append(best[1])
    return sorted(subset, key=lambda i: [int(x) for x in i.split(".")]), cost(subset)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget-s", type=float, default=38.0, help="compute seconds for the sub-tests on this machine")
    parser.add_argument("--iterations", type=int, default=3, help="passes per sub-test (the first is dropped)")
    args = parser.parse_args()
    devices, timing = load_devices()
    print(f"calibration devices: {', '.join(d['device'] for d in devices)}")
    for d in devices:
        s = score_full(d["mean_ms"])
        print(f"  {d['device']}: AI {s.ai} (inference {s.inference}, training {s.training})")
    subset, cost = choose(devices, timing, args.budget_s, args.iterations)
    errors = loo_errors(subset, devices)
    # Honest error: choose the subset without the held-out device too (nested leave-one-device-out), so the
    # choice cannot fit the device it is judged on.
    nested = []
    for held in range(len(devices)):
        others = [d for j, d in enumerate(devices) if j != held]
        sub, _ = choose(others, timing, args.budget_s, args.iterations)
        nested.append(loo_errors(sub, [devices[held]] + others)[0])
    kinds = kind_of()
    logs = [log_norms(d) for d in devices]
    offset = {}
    for kind in ("inference", "training"):
        chosen = [i for i in subset if kinds[i] == kind]
        gaps = []
        for lj in logs:
            full = sum(v for i, v in lj.items() if kinds[i] == kind) / sum(1 for i in lj if kinds[i] == kind)
            gaps.append(full - sum(lj[i] for i in chosen) / len(chosen))
        offset[kind] = sum(gaps) / len(gaps)
    worst = max(abs(e) for e in nested)
    half_width = worst + NOISE_MARGIN
    design = {
        "subtests": subset, "iterations": args.iterations, "offset": offset,
        "half_width": {"ai": half_width},
        "method": (f"greedy choice within {args.budget_s:g} s of sub-test time on a 2-core CPU; offsets from "
                   f"{len(devices)} devices with complete runs; interval = worst nested leave-one-device-out error "
                   f"({worst:.1%} in log) + {NOISE_MARGIN:.0%} timing margin"),
        "calibration_devices": [d["device"] for d in devices],
        "leave_one_out_log_errors": [round(e, 4) for e in errors],
        "nested_leave_one_out_log_errors": [round(e, 4) for e in nested],
        "estimated_compute_s": round(cost, 1),
    }
    CALIBRATION_FILE.write_text(json.dumps(design, indent=1) + "\n")
    print(f"quick subset ({len(subset)} sub-tests, about {cost:.0f} s of compute here): {', '.join(subset)}")
    print("leave-one-device-out AI errors: " + ", ".join(f"{d['device']}: {math.exp(e) - 1:+.1%}"
                                                        for d, e in zip(devices, errors)))
    print("nested leave-one-device-out AI errors (subset chosen without the device): " + ", ".join(
        f"{d['device']}: {math.exp(e) - 1:+.1%}" for d, e in zip(devices, nested)))
    print(f"interval: x/÷ {math.exp(half_width):.3f} around the estimate; wrote {CALIBRATION_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
