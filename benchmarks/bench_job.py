"""How well the job-time model predicts a job's time on a GPU it never saw, beside today's AI-score ratio.

Every pair is (held-out GPU g, reference GPU r, one model and precision both measured in one series: Lambda's files,
or one of NVIDIA's DeepLearningExamples READMEs): the job's hours on r
are known, its hours on g are predicted by a fit that never saw g (and with r's own residual computed without that
model), and compared with the published throughput. The baseline on the same pairs is today's method,
hours_g = hours_r x score_r / score_g with AI Benchmark training scores from the catalog's score book (measured where
the catalog has them, else its spec-sheet estimate). The interval check is nested: g's p10-p90 comes from the other
GPUs' held-out errors only. Where the fit holds more than Lambda's series, the figures on Lambda's pairs alone are
printed too (the pair set of earlier rounds).

Run: .venv/bin/python -m benchmarks.bench_job [--by-gpu] [--shape loglinear|roofline] [--series ...]
"""
from __future__ import annotations

import argparse
import math
import random
import re
import statistics

from advisor import load_catalog
from advisor.distributions import score_book
from advisor.job.throughput import (
    FIT_SERIES,
    GROUPED_CONFORMAL,
    SHAPE,
    SHAPES,
    SHRINK,
    SHRINK_KINDS,
    ThroughputModel,
    load_measurements,
    throughput_model,
)
from advisor.vocab import Metric


def summary(errors: list[float]) -> str:
    """median, 80th percentile and worst of |error|, and the share within 25%."""
    if not errors:
        return "no pairs"
    a = sorted(abs(e) for e in errors)
    p80 = a[min(len(a) - 1, math.ceil(0.8 * len(a)) - 1)]
    within = sum(e <= 0.25 for e in a) / len(a)
    return (f"median {statistics.median(a):5.1%}  p80 {p80:5.1%}  worst {a[-1]:6.1%}  within 25%: {within:5.1%}  "
            f"({len(a)} pairs)")


def transfer(model: ThroughputModel, book, catalog) -> None:
    """The Lambda-fitted model on data it never saw: AI Benchmark's per-sub-test times (TensorFlow, small batches,
    inference too) on six GPUs, every pair of GPUs that ran the same sub-test."""
    by_test: dict[str, dict[str, list[float]]] = {}
    kinds = {}
    for m in load_measurements():
        if m.series == "ai-benchmark" and m.gpu_id in catalog.gpus:
            by_test.setdefault(m.model, {}).setdefault(m.gpu_id, []).append(math.log(m.throughput_per_s))
            kinds[m.model] = (m.family, m.precision)
    errors, base = [], []
    for test, gpus in by_test.items():
        family, precision = kinds[test]
        logs = {g: sum(v) / len(v) for g, v in gpus.items()}
        for g in logs:
            for r in logs:
                if g == r:
                    continue
                speed_g, speed_r = model.speed(g, family, precision), model.speed(r, family, precision)
                true = logs[g] - logs[r]
                errors.append(math.exp(true - (speed_g.log_speed - speed_r.log_speed)) - 1)
                sg, sr = (book.gpu_score(x, Metric.TRAINING).mean for x in (g, r))
                base.append((sr / sg) * math.exp(true) - 1)
    print("Transfer: the Lambda-fitted model on AI Benchmark sub-test pairs it never saw (TensorFlow; "
          f"{len({g for t in by_test.values() for g in t})} GPUs incl. P100 and GTX 1080):")
    print(f"  job-time model                      {summary(errors)}")
    print(f"  AI-score ratio (its scores are built from these very sub-tests)  {summary(base)}")


def nested_inside(model: ThroughputModel, errors: list[dict], grouped: bool | None = None) -> list[tuple[dict, bool]]:
    """Each of `errors` with whether its nested p10-p90 interval holds it: each held-out GPU's interval comes from the
    pools of the other GPUs' errors only (model.loo_errors_ without that GPU). `grouped`: the GPUs as the
    exchangeable units (hierarchical_conformal_bounds) or, False, every error as one exchangeable score; None, the
    shipped setting (GROUPED_CONFORMAL)."""
    out = []
    for g in model.fitted_gpus_:
        pools = ThroughputModel._pools(model.loo_errors_, exclude_gpu=g, grouped=grouped)
        for e in errors:
            if e["gpu"] == g:
                lo, hi = _bounds(pools, e)
                out.append((e, lo <= -e["error"] <= hi))
    return out


def cluster_bootstrap(inside: list[tuple[dict, bool]], resamples: int = 2000) -> tuple[float, float]:
    """5th and 95th percentile of the nested coverage (nested_inside) over resamples of the held-out GPUs (the pairs
    of one GPU share its offset, so the GPUs, not the pairs, are the independent draws). Each GPU's pools stay as
    computed: the spread of the calibration itself is not resampled, so this understates the coverage's
    uncertainty."""
    by_gpu: dict[str, list[int]] = {}
    for e, held in inside:
        counts = by_gpu.setdefault(e["gpu"], [0, 0])
        counts[0] += held
        counts[1] += 1
    gpus = sorted(by_gpu)
    rng = random.Random(0)
    shares = sorted(sum(by_gpu[g][0] for g in draw) / sum(by_gpu[g][1] for g in draw)
                    for draw in ([rng.choice(gpus) for _ in gpus] for _ in range(resamples)))
    return shares[int(0.05 * resamples)], shares[int(0.95 * resamples) - 1]


def _bounds(pools: dict, e: dict) -> tuple[float, float]:
    """The p10-p90 bounds a held-out pair's prediction gets (an extrapolated one: the wider of its pool and spec's)."""
    lo, hi, _ = pools[(e["pool"], e["family"])]
    if e["pool"] == "extrapolated":
        s_lo, s_hi, _ = pools[("spec", e["family"])]
        lo, hi = min(lo, s_lo), max(hi, s_hi)
    return lo, hi


def coverage(inside: list[tuple[dict, bool]]) -> tuple[float, int, dict]:
    """The share of nested_inside's pairs their interval holds, their number, and (held, total) by family."""
    by_family: dict[str, list[int]] = {}
    for e, held in inside:
        c = by_family.setdefault(e["family"].value, [0, 0])
        c[0] += held
        c[1] += 1
    return sum(held for _, held in inside) / len(inside), len(inside), by_family


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--by-gpu", action="store_true", help="also print each held-out GPU's figures")
    parser.add_argument("--series", default="default",
                        help="the series to fit and test on: default (the shipped fit: Lambda's files and NVIDIA's "
                             "DeepLearningExamples READMEs), lambda, dle, ai-benchmark, or all")
    parser.add_argument("--shape", default=SHAPE, choices=sorted(SHAPES),
                        help=f"the shape of relative speed across GPUs (default {SHAPE})")
    parser.add_argument("--seen-workload", action="store_true",
                        help="calibrate and score with the workload seen on the other GPUs (the first protocol)")
    parser.add_argument("--shrink", default=SHRINK, choices=SHRINK_KINDS,
                        help=f"how a GPU's anchor is shrunk towards its spec sheet (default {SHRINK})")
    args = parser.parse_args()
    catalog = load_catalog()
    model = throughput_model(catalog.gpus)
    if args.series != "default" or args.shape != SHAPE or args.shrink != SHRINK or args.seen_workload:
        series = (*FIT_SERIES, "ai-benchmark") if args.series == "all" else FIT_SERIES if args.series == "default" \
            else (args.series,)
        model = ThroughputModel(shape=args.shape, series=series, shrink=args.shrink,
                                new_workload=not args.seen_workload).fit(model.gpus_,
                                                                                          load_measurements())
    book = score_book(catalog)
    print(f"series: {args.series}; series in the fit: {', '.join(sorted({m.series for m, _ in model.rows_}))}; "
          f"shape: {args.shape}; anchor shrinkage: {args.shrink} "
          f"{ {f.value: round(k, 2) for f, k in model.fit_.shrink.items()} }; batch slope "
          f"{ {f.value: round(k, 3) for f, k in model.fit_.batch_slope.items()} }")
    ys = {}
    for m, y in model.rows_:
        ys[(m.group, m.gpu_id)] = y
    unseen = [e for e in model.loo_errors_ if e["pool"] != "measured"]
    print(f"Job-time model: {len(model.fitted_gpus_)} measured GPUs, {len(model.rows_)} (GPU, model, precision) rows "
          f"from {len({m.source for m in model.measurements_})} published files; {model.shape_.describe()}")
    print("Error = predicted hours / published hours - 1, on GPU pairs the model never saw (held-out GPU g; "
          + ("the workload left out of every fit too" if model.new_workload else "the workload seen on other GPUs")
          + "):")
    print(f"  job-time model, all pairs           {summary([math.exp(e['error']) - 1 for e in unseen])}")
    other = model._loo_errors(leave_model_out=not model.new_workload)
    double = [e for e in other if e["pool"] != "measured"]
    print(f"  job-time model, all pairs, the workload {'seen on other GPUs' if model.new_workload else 'left out too'}"
          f"  {summary([math.exp(e['error']) - 1 for e in double])}")

    if model.new_workload:
        # Stress: a workload unlike any measured one: BERT base leaves with BERT large, Transformer-XL base with large.
        kin = [e for e in model._loo_errors(True, kin=lambda name: re.sub(r"_?(base|large)", "", name))
               if e["pool"] != "measured"]
        print(f"  job-time model, all pairs, its size sibling left out too (BERT, Transformer-XL)  "
              f"{summary([math.exp(e['error']) - 1 for e in kin])}")
        share, total, _ = coverage(nested_inside(model, kin))
        print(f"    their p10-p90 coverage (the intervals as calibrated): {share:.1%} of {total}")

    def score(gpu_id):
        s = book.gpu_score(gpu_id, Metric.TRAINING) if gpu_id in catalog.gpus else None
        return s.mean if s is not None else None

    same, base, base_measured, same_measured = [], [], [], []
    for e in unseen:
        sg, sr = score(e["gpu"]), score(e["ref"])
        if sg is None or sr is None:
            continue
        true_ratio = math.exp(ys[((e["series"], e["model"], str(e["precision"])), e["gpu"])]
                              - ys[((e["series"], e["model"], str(e["precision"])), e["ref"])])  # speed_g / speed_r
        baseline = (sr / sg) * true_ratio - 1  # predicted hours_g / true hours_g - 1
        same.append(math.exp(e["error"]) - 1)
        base.append(baseline)
        measured = all(not book.gpu_score(g, Metric.TRAINING).estimated for g in (e["gpu"], e["ref"]))
        if measured:
            same_measured.append(same[-1])
            base_measured.append(baseline)
    print(f"  job-time model, catalog GPU pairs   {summary(same)}")
    print(f"  AI-score ratio, the same pairs      {summary(base)}")
    print(f"  job-time model, pairs where both AI training scores are measured  {summary(same_measured)}")
    print(f"  AI-score ratio, the same pairs                                    {summary(base_measured)}")
    for series in sorted({e["series"] for e in unseen if e["series"].startswith("lambda")}):
        errors = [math.exp(e["error"]) - 1 for e in unseen if e["series"] == series]
        print(f"  job-time model, {series:20} {summary(errors)}")
    for source in sorted({e["series"].split("@")[0].split("-")[0] for e in unseen}):
        errors = [math.exp(e["error"]) - 1 for e in unseen if e["series"].startswith(source)]
        print(f"  job-time model, {source + ' (all its series)':20} {summary(errors)}")
    for family in sorted({e["family"].value for e in unseen}):
        errors = [math.exp(e["error"]) - 1 for e in unseen if e["family"].value == family]
        print(f"  job-time model, {family:20} {summary(errors)}")
    seen = [math.exp(e["error"]) - 1 for e in model.loo_errors_ if e["pool"] == "measured"]
    print(f"  job-time model, GPU seen, the workload left out of its anchor{' and the fit' * model.new_workload}"
          f"  {summary(seen)}")

    inside = nested_inside(model, unseen)
    share, total, by_family = coverage(inside)
    print(f"p10-p90 interval (nested: each GPU's interval from the other GPUs' errors) covers "
          f"{share:.1%} of {total} held-out pairs (nominal 80%); by family: "
          + ", ".join(f"{f} {c / n:.1%}" for f, (c, n) in sorted(by_family.items())))
    low, high = cluster_bootstrap(inside)
    print(f"  a bootstrap over the held-out GPUs (2,000 resamples) puts that coverage between {low:.1%} and {high:.1%} "
          "(5th-95th percentile)")
    share, total, by_family = coverage(nested_inside(model, unseen, grouped=not GROUPED_CONFORMAL))
    lo, hi, _ = ThroughputModel._pools(model.loo_errors_, grouped=not GROUPED_CONFORMAL)[("spec", None)]
    print(f"  with the {'errors as one pool' if GROUPED_CONFORMAL else 'held-out GPUs as the exchangeable units'} "
          f"instead: {share:.1%}; " + ", ".join(f"{f} {c / n:.1%}" for f, (c, n) in sorted(by_family.items()))
          + f"; its spec/all pool p10 {math.exp(lo) - 1:+.1%}  p90 {math.exp(hi) - 1:+.1%}")
    lambda_pairs = [e for e in unseen if e["series"].startswith("lambda")]
    if len(lambda_pairs) < len(unseen):
        share, total, by_family = coverage(nested_inside(model, lambda_pairs))
        errors = [math.exp(e["error"]) - 1 for e in lambda_pairs]
        medians = {f: statistics.median(abs(math.exp(e["error"]) - 1) for e in lambda_pairs if e["family"].value == f)
                   for f in sorted(by_family)}
        print(f"  on Lambda's pairs alone (the earlier pair set): {summary(errors)}; coverage {share:.1%}; "
              "median by family " + ", ".join(f"{f} {v:.1%}" for f, v in medians.items()))
    share, total, _ = coverage(nested_inside(model, double))
    protocol = "workload seen on other GPUs" if model.new_workload else "workload left out too"
    print(f"  the same intervals on the pairs of the other protocol ({protocol}): {share:.1%} of {total}")
    share, total, _ = coverage(nested_inside(model, [e for e in model.loo_errors_ if e["pool"] == "measured"]))
    print(f"  the measured-GPU intervals (nested likewise) on GPU-seen, workload-left-out pairs: "
          f"{share:.1%} of {total}")
    for (name, family), (lo, hi, n) in model.pools_.items():
        label = f"{name}/{family.value if family else 'all'}"
        print(f"  pool {label:24} p10 {math.exp(lo) - 1:+.1%}  p90 {math.exp(hi) - 1:+.1%}  ({n} pairs)")
    if args.series == "default":
        transfer(model, book, catalog)
    if args.by_gpu:
        per_gpu: dict[str, list[float]] = {}
        for e in unseen:
            per_gpu.setdefault(e["gpu"], []).append(math.exp(e["error"]) - 1)
        for g, errs in sorted(per_gpu.items()):
            print(f"  {g:16} {summary(errs)}")


if __name__ == "__main__":
    main()
