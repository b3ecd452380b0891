"""The command line: `python -m advisor plans|recommend ...`. Bad input: exit code 2 and one line on stderr."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sqlite3
import sys
from pathlib import Path
from typing import Sequence

from .catalog import Catalog, load_catalog, parse_date
from .distributions import METRIC_LABEL
from .errors import AdvisorError, InvalidWorkloadError, UnknownGpuError
from .recommend import Recommendation, plan_limits, recommend
from .report import plans_json, recommend_json
from .workload import KINDS, METRIC_FOR_KIND, NEEDS, PREDICTABILITY, Workload

EXIT_USAGE = 2


class UsageError(Exception):
    "The command line asked for something the advisor cannot do"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors instead of usage dumps."""

    def error(self, message: str):
        raise UsageError(message)


def _number(what: str, low: float = 0.0, integer: bool = False):
    def parse(text: str):
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got '{text}'") from None
        if (not integer and not math.isfinite(value)) or value < low:
            raise argparse.ArgumentTypeError(f"expected {what}, got '{text}'")
        return value
    return parse


def _date(text: str):
    try:
        date = parse_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2022-06-01, got '{text}'") from None
    if date > dt.date.today():
        raise argparse.ArgumentTypeError(f"expected a date no later than today, got '{text}'")
    return date


def _needs(text: str) -> frozenset[str]:
    needs = frozenset(n.strip().lower() for n in text.split(",") if n.strip())
    unknown = sorted(needs - set(NEEDS))
    if unknown:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(NEEDS)}, got '{', '.join(unknown)}'")
    return needs


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m advisor", description="Cost-performance advisor for GPU notebook platforms.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    plans = sub.add_parser("plans", help="list the plans in the catalog")
    plans.add_argument("--as-of", type=_date, help="catalog date, YYYY-MM-DD (default today)")
    plans.add_argument("--json", action="store_true", help="print JSON")

    rec = sub.add_parser("recommend", help="rank the plans for a workload")
    rec.add_argument("--workload", choices=KINDS, default="mixed", help="kind of work (default mixed)")
    rec.add_argument("--gpu-mem-gb", type=_number("GiB, 0 or more"), default=0.0, help="GPU memory needed, GiB")
    rec.add_argument("--session-hours", type=_number("hours above 0", 0.01), default=2.0,
                     help="longest uninterrupted run, hours (default 2)")
    rec.add_argument("--gpu-hours-per-month", type=_number("hours, 0 or more"), default=20.0,
                     help="GPU hours per month (default 20)")
    rec.add_argument("--concurrent", type=_number("a whole number of notebooks, 1 or more", 1, integer=True), default=1,
                     help="notebooks running at once (default 1)")
    rec.add_argument("--budget-usd", type=_number("USD per month, 0 or more"), help="monthly budget, USD")
    rec.add_argument("--predictability", choices=PREDICTABILITY, default="any", help="any, prefer or require (±10%%)")
    rec.add_argument("--needs", type=_needs, default=frozenset(), help=f"comma-separated: {','.join(NEEDS)}")
    rec.add_argument("--free-only", action="store_true", help="only plans that cost nothing")
    rec.add_argument("--reference-hours", type=_number("hours above 0", 0.001), help="your job's hours on a reference device")
    ref = rec.add_mutually_exclusive_group()
    ref.add_argument("--reference-gpu", help="the reference device as a GPU name, e.g. T4")
    ref.add_argument("--reference-score", type=_number("a score above 0", 1), help="the reference device's score")
    ref.add_argument("--reference-run", type=_number("a run id from `runs`", 1, integer=True),
                     help="the reference device is a benchmarked machine: its run id from `python -m advisor runs`")
    rec.add_argument("--store", help="SQLite file of runs, for --reference-run (default: $ADVISOR_RUNS_DB)")
    rec.add_argument("--as-of", type=_date, help="catalog date, YYYY-MM-DD (default today)")
    rec.add_argument("--json", action="store_true", help="print JSON")

    bench = sub.add_parser("bench", help="run AI Benchmark on this machine (offline)")
    bench.add_argument("--mode", choices=("quick", "full"), default="quick",
                       help="quick: about a minute, an estimate with an interval; full: all 42 sub-tests")
    bench.add_argument("--cpu", action="store_true", help="run on the CPU even when a GPU is present")
    bench.add_argument("--platform", help="the plan this notebook runs on, e.g. colab-free (labels the run)")
    bench.add_argument("--json", metavar="PATH", help="also write the run as JSON to PATH ('-' for stdout)")
    bench.add_argument("--no-save", action="store_true", help="do not keep the run in the local store")
    bench.add_argument("--store", help="SQLite file of runs (default: $ADVISOR_RUNS_DB or the user data directory)")

    runs = sub.add_parser("runs", help="list the benchmark runs in the local store")
    runs.add_argument("--json", action="store_true", help="print JSON (an export that `import` takes back)")
    runs.add_argument("--store", help="SQLite file of runs (default: $ADVISOR_RUNS_DB or the user data directory)")

    imp = sub.add_parser("import", help="import runs from a JSON file (one run or an export)")
    imp.add_argument("file", help="JSON file, at most 1 MB")
    imp.add_argument("--store", help="SQLite file of runs (default: $ADVISOR_RUNS_DB or the user data directory)")

    serve = sub.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default loopback)")
    serve.add_argument("--port", type=_number("a port from 1 to 65535", 1, integer=True), default=8000)
    serve.add_argument("--workers", type=_number("a whole number of processes, 1 or more", 1, integer=True), default=1,
                       help="server processes (default 1; use one per core)")
    return parser


def _reference_score_from_run(args: argparse.Namespace) -> float | None:
    """The score of a stored run matching the workload's kind (AI, training or inference score)."""
    if args.reference_run is None:
        return args.reference_score
    from .store import RunStore

    stored = RunStore(args.store).get(args.reference_run)
    if stored is None:
        raise UsageError(f"argument --reference-run: no run {args.reference_run} in the store; see `python -m advisor runs`")
    metric = METRIC_FOR_KIND[args.workload]
    score = getattr(stored.run.scores, metric)
    if score is None:
        raise UsageError(f"argument --reference-run: run {args.reference_run} has no {metric} score")
    return float(score)


def workload_from_args(args: argparse.Namespace) -> Workload:
    return Workload(kind=args.workload, gpu_memory_gib=args.gpu_mem_gb, session_hours=args.session_hours,
                    gpu_hours_per_month=args.gpu_hours_per_month, notebooks_at_once=args.concurrent,
                    budget_usd_per_month=args.budget_usd, predictability=args.predictability, needs=args.needs,
                    free_only=args.free_only, reference_hours=args.reference_hours,
                    reference_score=_reference_score_from_run(args), reference_gpu=args.reference_gpu)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _score_text(score) -> str:
    if score is None:
        return "-"
    mark = "~" if score.basis == "estimated" else ""
    return f"{mark}{score.mean:,.0f} ± {score.sd:,.0f}"


def _price_text(catalog: Catalog, plan, option) -> str:
    price = f"${plan.monthly_price_usd:g}/month"
    rate = catalog.rate(plan, option.shares[0][0]) if not option.is_lottery else None
    if rate is None:
        return price
    if rate.unit == "usd_per_hour":
        return f"${rate.rate:g}/h" if plan.monthly_price_usd == 0 else f"{price} + ${rate.rate:g}/h"
    return f"{price} + {rate.rate:g} units/h"


def plans_table(catalog: Catalog) -> str:
    rows = []
    for plan in catalog.plans.values():
        limits = plan_limits(plan)
        for option in plan.options:
            score = catalog.scores.option_score(plan, option, "ai")
            gpus = " / ".join(f"{catalog.gpus[g].name}" + (f" {s:.0%}" if option.is_lottery else "") for g, s in option.shares)
            session = limits["session_limit_hours"]
            rows.append([plan.plan_id, _price_text(catalog, plan, option), gpus, _score_text(score),
                         score.basis if score else "-", "-" if session is None else f"{session:g} h"])
    header = f"Plans as of {catalog.as_of.isoformat()} (AI score: mean ± sd; ~ marks an estimate)\n"
    return header + format_table(["plan", "price", "GPU", "AI score", "basis", "session"], rows)


def recommend_table(catalog: Catalog, workload: Workload, recs: list[Recommendation]) -> str:
    metric = METRIC_LABEL[workload.metric]
    rows = []
    for r in recs:
        if not r.feasible:
            continue
        gpu = r.gpu
        if len(gpu) > 30 and r.score is not None:  # a lottery: ids and shares keep the table narrow
            gpu = " / ".join(f"{c.gpu_id} {c.share:.0%}" for c in r.score.components)
        rows.append([str(r.rank), r.plan_id, gpu,
                     f"${r.monthly_cost_usd:.2f}", _score_text(r.score),
                     "-" if r.usd_per_1k_score is None else f"${r.usd_per_1k_score:.3f}",
                     "-" if r.reference_job_hours is None else f"{r.reference_job_hours:.1f} h"])
    out = [f"Recommendations as of {catalog.as_of.isoformat()} for {workload.kind} work, "
           f"{workload.gpu_hours_per_month:g} GPU h/month ({metric}: mean ± sd; ~ marks an estimate)", ""]
    if rows:
        out.append(format_table(["#", "plan", "GPU", "$/month", metric, "$/1k score", "ref. job"], rows))
        out += ["", "Why:"] + [f"  {r.rank}. {r.plan_id}: {r.why}" for r in recs if r.feasible]
    else:
        out.append("No plan meets every requirement. Relax one of them; the reasons are below.")
    bad = [r for r in recs if not r.feasible]
    if bad:
        out += ["", "Not suitable:"] + [f"  {r.plan_id}: {'; '.join(r.reasons)}" for r in bad]
    return "\n".join(out)


def _progress_bar(p) -> None:
    width = 24
    filled = int(width * p.index / p.total)
    line = (f"\r[{'#' * filled}{'.' * (width - filled)}] {p.index}/{p.total} {p.test_id} {p.name[:22]:<22} "
            f"{p.elapsed_s:5.0f} s elapsed, ~{p.eta_s:4.0f} s left")
    print(line, end="", file=sys.stderr, flush=True)


def _bench_command(args: argparse.Namespace) -> int:
    from .bench import TensorFlowMissing, run_benchmark, tensorflow_status
    from .store import RunStore

    available, message = tensorflow_status()
    if not available:
        return _error_line(message, 3)
    catalog = load_catalog()
    if args.platform is not None:
        try:
            catalog.plan(args.platform)
        except AdvisorError as exc:
            raise UsageError(f"argument --platform: {exc}") from None
    print(f"AI Benchmark, {args.mode} mode{' on the CPU' if args.cpu else ''}: starting TensorFlow "
          "(Ctrl-C stops and keeps the finished sub-tests)...", file=sys.stderr)
    try:
        run = run_benchmark(args.mode, force_cpu=args.cpu, platform=args.platform, progress=_progress_bar,
                            gpus=catalog.gpus)
    except TensorFlowMissing as exc:
        return _error_line(str(exc), 3)
    print(file=sys.stderr)
    record = run.to_dict()
    scores = run.scores
    label = f"{run.device.name} ({run.device.kind.upper()})"
    if scores.ai is None:
        print(f"{label}: no AI score ({run.tests_used} sub-tests finished)")
    else:
        interval = f", estimate; interval {scores.ai_low:,.0f}-{scores.ai_high:,.0f}" if run.mode == "quick" and scores.ai_low else ""
        print(f"{label}: AI score {scores.ai:,.0f} (inference {scores.inference:,.0f}, training {scores.training:,.0f}"
              f"{interval})")
    failed = [t for t in run.tests if t.status != "ok"]
    if failed:
        print(f"partial: {run.tests_used} sub-tests used; " + "; ".join(f"{t.id} {t.status}: {t.error}" for t in failed[:5]))
    if run.note:
        print(f"note: {run.note}")
    if args.json:
        text = json.dumps(record, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
            print(f"wrote {args.json}")
    if not args.no_save:
        store = RunStore(args.store)
        print(f"saved as run {store.add(run)} in {store.path}")
    return 0


def _runs_command(args: argparse.Namespace) -> int:
    from .store import RunStore, runs_from_file

    store = RunStore(args.store)
    if args.command == "import":
        path = Path(args.file)
        if not path.is_file():
            raise UsageError(f"argument file: no such file '{args.file}'")
        runs = runs_from_file(path)
        ids = [store.add(r) for r in runs]
        print(f"imported {len(ids)} run{'s' if len(ids) != 1 else ''} into {store.path} (ids {', '.join(map(str, ids))})")
        return 0
    stored = store.list()
    if args.json:
        print(json.dumps([s.run.to_dict() for s in stored], indent=2))
        return 0
    rows = [[str(s.id), s.run.started_at.strftime("%Y-%m-%d %H:%M"), s.run.mode, s.run.device.name, s.run.device.kind,
             s.run.platform or "-", "-" if s.run.scores.ai is None else f"{s.run.scores.ai:,.0f}"
             + (" (partial)" if s.run.partial else "")] for s in stored]
    print(f"{len(stored)} runs in {store.path}")
    if rows:
        print(format_table(["id", "started", "mode", "device", "kind", "platform", "AI score"], rows))
    return 0


def _error_line(message: str, code: int = EXIT_USAGE) -> int:
    """Prints one line on stderr: control characters a user typed are shown escaped, never as line breaks."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(message))
    print(f"error: {text}", file=sys.stderr)
    return code


def run(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "serve":
            from .api import serve

            serve(args.host, args.port, args.workers)
            return 0
        if args.command in ("runs", "import"):
            return _runs_command(args)
        if args.command == "bench":
            return _bench_command(args)
        catalog = load_catalog(args.as_of)
        if args.command == "plans":
            print(json.dumps(plans_json(catalog), indent=2) if args.json else plans_table(catalog))
        elif args.command == "recommend":
            workload = workload_from_args(args)
            recs = recommend(catalog, workload)
            print(json.dumps(recommend_json(catalog, workload, recs), indent=2) if args.json
                  else recommend_table(catalog, workload, recs))
        return 0
    except UsageError as exc:
        return _error_line(str(exc))
    except InvalidWorkloadError as exc:
        return _error_line(f"--{exc.field.replace('_', '-')}: {exc.message}")
    except UnknownGpuError as exc:
        return _error_line(f"--reference-gpu: {exc}")
    except (AdvisorError, ValueError) as exc:
        return _error_line(str(exc))
    except (OSError, sqlite3.Error) as exc:
        return _error_line(f"cannot use the run store or file: {exc}", 1)
