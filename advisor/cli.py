"""The command line: `advisor plans|recommend|bench|runs|import|serve|data check` (or `python -m advisor ...`).

One function per command; its docstring is the command's help. Bad input exits with code 2 and one line on stderr
naming the option and what it accepts; a store or file fault exits with 1. Heavy modules (TensorFlow, the API
server, the run store) are imported by the commands that need them, so `recommend` and `--help` start fast.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Sequence

from .catalog import load_catalog, parse_date
from .errors import AdvisorError, InvalidWorkloadError, StoreError, TensorFlowMissing, UnknownGpuError
from .present.text import safe
from .vocab import BenchMode, Kind, Need, Predictability
from .workload import BOUNDS, Workload

EXIT_USAGE = 2
EXIT_FAULT = 1
EXIT_NO_TENSORFLOW = 3
MAX_RUN_ID = 2 ** 63 - 1

# The CLI's one mapping from workload fields to its flags.
FLAGS = {"kind": "--workload", "gpu_memory_gib": "--gpu-mem-gb", "session_hours": "--session-hours",
         "gpu_hours_per_month": "--gpu-hours-per-month", "notebooks_at_once": "--concurrent",
         "budget_usd_per_month": "--budget-usd", "predictability": "--predictability", "needs": "--needs",
         "nice_to_have": "--nice-to-have", "free_only": "--free-only", "education": "--education",
         "multi_gpu": "--multi-gpu", "reference_hours": "--reference-hours", "reference_score": "--reference-score",
         "reference_gpu": "--reference-gpu"}


class UsageError(AdvisorError):
    "A command-line option has a value the command cannot use"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2: no usage dump for a typo
        raise UsageError(message)


def _field_number(name: str):
    """argparse type for a workload field: a finite number inside the field's bounds (workload.BOUNDS)."""
    bound = BOUNDS[name]

    def parse(text: str):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {bound.describe()}, got '{text}'") from None
        if not bound.accepts(value):
            raise argparse.ArgumentTypeError(f"expected {bound.describe()}, got '{text}'")
        return int(value) if bound.integer else value
    return parse


def _whole(low: int, high: int, what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what} from {low} to {high:,}, got '{text}'") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {what} from {low} to {high:,}, got '{text}'")
        return value
    return parse


def _date(text: str) -> dt.date:
    try:
        date = parse_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2022-06-01, got '{text}'") from None
    if date > dt.date.today():
        raise argparse.ArgumentTypeError(f"expected a date no later than today, got '{text}'")
    return date


def _needs(text: str) -> frozenset[Need]:
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in Need.values()]
    if unknown:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(Need.values())}, got "
                                         f"'{', '.join(unknown)}'")
    return frozenset(Need(n) for n in names)


# ---------------------------------------------------------------------------------------------
# Commands


def cmd_plans(args: argparse.Namespace) -> int:
    """List the plans in force with their price, GPU, AI score and session limit.

    Example: advisor plans --as-of 2022-06-01
    """
    from .present.json import plans_json
    from .present.text import plans_table

    catalog = load_catalog(args.as_of)
    print(json.dumps(plans_json(catalog), indent=2) if args.json else plans_table(catalog))
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    """Rank the plans for a workload by price per point of AI Benchmark score, with the reasons.

    Example: advisor recommend --gpu-mem-gb 16 --gpu-hours-per-month 40 --budget-usd 20
    """
    from .present.json import recommend_json
    from .present.text import recommend_table
    from .recommend import recommend

    catalog = load_catalog(args.as_of)
    workload = workload_from_args(args)
    recs = recommend(catalog, workload)
    print(json.dumps(recommend_json(catalog, workload, recs), indent=2) if args.json
          else recommend_table(catalog, workload, recs))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Run AI Benchmark on this machine, offline, and keep the run as evidence; or replay a recorded device.

    Quick mode measures sub-tests in the order that removes the most error per second until its budget is spent,
    and estimates the inference, training and AI scores, each with an interval. --replay runs quick mode's plan
    against a file's recorded per-sub-test times instead (no TensorFlow needed; the run is not saved).
    Example: advisor bench --mode quick --budget 45 --platform colab-free --json run.json
    """
    from .present.text import bench_result_lines, progress_line

    if args.replay is not None and (args.mode != BenchMode.QUICK or args.cpu or args.platform):
        raise UsageError("argument --replay: replays quick mode on recorded times; --mode full, --cpu and "
                         "--platform do not apply")
    if args.budget is not None and args.mode != BenchMode.QUICK:
        raise UsageError("argument --budget: only quick mode has a budget")

    def show(p) -> None:
        print(progress_line(p), end="", file=sys.stderr, flush=True)

    if args.replay is not None:
        from .bench.replay import replay

        run = replay(Path(args.replay), args.budget, progress=show)
        print(file=sys.stderr)
    else:
        from .bench import run_benchmark, tensorflow_status

        available, message = tensorflow_status()
        if not available:
            return _error_line(message, EXIT_NO_TENSORFLOW)
        catalog = load_catalog()
        if args.platform is not None:
            try:
                catalog.plan(args.platform)
            except AdvisorError as exc:
                raise UsageError(f"argument --platform: {exc}") from None
        budget = f", a {args.budget:g} s budget" if args.budget is not None else ""
        print(f"AI Benchmark, {args.mode} mode{' on the CPU' if args.cpu else ''}{budget}: starting TensorFlow "
              "(Ctrl-C stops and keeps the finished sub-tests)...", file=sys.stderr)
        run = run_benchmark(args.mode, force_cpu=args.cpu, platform=args.platform, gpus=catalog.gpus,
                            progress=show, budget_s=args.budget)
        print(file=sys.stderr)
    print("\n".join(bench_result_lines(run)))
    if args.json:
        text = json.dumps(run.to_dict(), indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
            print(f"wrote {safe(args.json)}")
    if args.replay is not None:
        print("a replay is not a measurement of this machine, so it is not kept in the run store")
    elif not args.no_save:
        from .store import RunStore

        store = RunStore(args.store)
        print(f"saved as run {store.add(run)} in {safe(store.path)}")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """List the benchmark runs in the local store.

    Example: advisor runs --json > runs.json
    """
    from .present.text import format_table
    from .store import RunStore

    store = RunStore(args.store)
    stored = store.list()
    if args.json:
        print(json.dumps([s.run.to_dict() for s in stored], indent=2))
        return 0
    rows = [[str(s.id), s.run.started_at.strftime("%Y-%m-%d %H:%M"), str(s.run.mode), s.run.device.name,
             str(s.run.device.kind), s.run.platform or "-",
             "-" if s.run.scores.ai is None else f"{s.run.scores.ai:,.0f}" + (" (partial)" if s.run.partial else "")]
            for s in stored]
    print(f"{len(stored)} runs in {safe(store.path)}")
    if rows:
        print(format_table(["id", "started", "mode", "device", "kind", "platform", "AI score"], rows))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import runs from a JSON file holding one run or an export (`runs --json`).

    Example: advisor import run.json
    """
    from .store import RunStore, runs_from_file

    path = Path(args.file)
    if not path.exists():
        raise UsageError(f"argument file: no such file '{args.file}'")
    if not path.is_file():
        raise UsageError(f"argument file: '{args.file}' is not a regular file")
    runs = runs_from_file(path)
    store = RunStore(args.store)
    ids = [store.add(r) for r in runs]
    print(f"imported {len(ids)} run{'s' if len(ids) != 1 else ''} into {safe(store.path)} "
          f"(ids {', '.join(map(str, ids))})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the HTTP API (OpenAPI docs at /docs, offline).

    Example: advisor serve --port 8000
    """
    from .api import serve
    from .api.settings import ApiSettings

    settings = ApiSettings.from_env(bind_host=args.host)
    serve(settings, port=args.port, workers=args.workers)
    return 0


def cmd_data_check(args: argparse.Namespace) -> int:
    """The maintainer's to-do list: stale, disputed and unverifiable facts, rows without a locator, old prices, GPUs
    without a measured score. Exit 1 when a data file is broken.

    Example: advisor data check --json
    """
    from .data_check import check_data

    report = check_data(args.data_dir)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.to_text())
    return 1 if report.broken else 0


# ---------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="advisor", description="Cost-performance advisor for GPU notebook platforms.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, handler, **kwargs) -> argparse.ArgumentParser:
        doc = handler.__doc__.strip()
        p = sub.add_parser(name, help=doc.splitlines()[0], description=doc,
                           formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)
        p.set_defaults(handler=handler)
        return p

    plans = command("plans", cmd_plans)
    plans.add_argument("--as-of", type=_date, help="catalog date, YYYY-MM-DD (default today)")
    plans.add_argument("--json", action="store_true", help="print JSON")

    rec = command("recommend", cmd_recommend)
    rec.add_argument(FLAGS["kind"], dest="kind", choices=Kind.values(), default="mixed", help="kind of work (default mixed)")
    rec.add_argument(FLAGS["gpu_memory_gib"], dest="gpu_memory_gib", type=_field_number("gpu_memory_gib"), default=0.0,
                     help="GPU memory needed, GiB (per GPU)")
    rec.add_argument(FLAGS["session_hours"], dest="session_hours", type=_field_number("session_hours"), default=2.0,
                     help="longest uninterrupted run, hours (default 2)")
    rec.add_argument(FLAGS["gpu_hours_per_month"], dest="gpu_hours_per_month",
                     type=_field_number("gpu_hours_per_month"), default=20.0, help="GPU hours a month (default 20)")
    rec.add_argument(FLAGS["notebooks_at_once"], dest="notebooks_at_once", type=_field_number("notebooks_at_once"),
                     default=1, help="notebooks running at once (default 1)")
    rec.add_argument(FLAGS["budget_usd_per_month"], dest="budget_usd_per_month",
                     type=_field_number("budget_usd_per_month"), help="monthly budget, USD")
    rec.add_argument(FLAGS["predictability"], dest="predictability", choices=Predictability.values(), default="any",
                     help="any, prefer (rank on a bad session) or require (spread at most 10%%)")
    rec.add_argument(FLAGS["needs"], dest="needs", type=_needs, default=frozenset(),
                     help=f"features a plan must offer, comma-separated: {','.join(Need.values())}")
    rec.add_argument(FLAGS["nice_to_have"], dest="nice_to_have", type=_needs, default=frozenset(),
                     help="features you would like (they break ties, never exclude a plan)")
    rec.add_argument(FLAGS["free_only"], dest="free_only", action="store_true", help="only plans that cost nothing")
    rec.add_argument(FLAGS["education"], dest="education", action="store_true",
                     help="you are an eligible student or teacher (shows education plans)")
    rec.add_argument(FLAGS["multi_gpu"], dest="multi_gpu", action="store_true",
                     help="your job uses every GPU of a multi-GPU machine (memory and score add up)")
    rec.add_argument(FLAGS["reference_hours"], dest="reference_hours", type=_field_number("reference_hours"),
                     help="your job's hours on a reference device")
    ref = rec.add_mutually_exclusive_group()
    ref.add_argument(FLAGS["reference_gpu"], dest="reference_gpu", help="the reference device as a GPU name, e.g. T4")
    ref.add_argument(FLAGS["reference_score"], dest="reference_score", type=_field_number("reference_score"),
                     help="the reference device's score")
    ref.add_argument("--reference-run", type=_whole(1, MAX_RUN_ID, "a run id"),
                     help="the reference device is a benchmarked machine: its run id from `advisor runs`")
    rec.add_argument("--store", help="SQLite file of runs, for --reference-run (default: $ADVISOR_RUNS_DB)")
    rec.add_argument("--as-of", type=_date, help="catalog date, YYYY-MM-DD (default today)")
    rec.add_argument("--json", action="store_true", help="print JSON")

    bench = command("bench", cmd_bench)
    bench.add_argument("--mode", choices=BenchMode.values(), default="quick",
                       help="quick: estimates with intervals in about a minute; full: all 42 sub-tests")
    bench.add_argument("--budget", type=_whole(1, 3600, "seconds"), metavar="SECONDS",
                       help="quick mode's measurement budget (default 45; TensorFlow's start-up comes on top)")
    bench.add_argument("--replay", metavar="FILE",
                       help="replay quick mode on a recorded device: per-sub-test mean times in FILE (a per-test "
                            "run JSON, or a run JSON of this tool)")
    bench.add_argument("--cpu", action="store_true", help="run on the CPU even when a GPU is present")
    bench.add_argument("--platform", help="the plan this notebook runs on, e.g. colab-free (labels the run)")
    bench.add_argument("--json", metavar="PATH", help="also write the run as JSON to PATH ('-' for stdout)")
    bench.add_argument("--no-save", action="store_true", help="do not keep the run in the local store")
    bench.add_argument("--store", help="SQLite file of runs (default: $ADVISOR_RUNS_DB or the user data directory)")

    runs = command("runs", cmd_runs)
    runs.add_argument("--json", action="store_true", help="print JSON (an export that `import` takes back)")
    runs.add_argument("--store", help="SQLite file of runs (default: $ADVISOR_RUNS_DB or the user data directory)")

    imp = command("import", cmd_import)
    imp.add_argument("file", help="JSON file: one run or an export")
    imp.add_argument("--store", help="SQLite file of runs (default: $ADVISOR_RUNS_DB or the user data directory)")

    serve = command("serve", cmd_serve)
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default loopback)")
    serve.add_argument("--port", type=_whole(1, 65535, "a port"), default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=_whole(1, 64, "a number of processes"), default=1,
                       help="server processes (default 1; several need ADVISOR_CHAT_SECRET)")

    data = sub.add_parser("data", help="check the catalog in data/")
    data_sub = data.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    check = data_sub.add_parser("check", help=cmd_data_check.__doc__.strip().splitlines()[0],
                                description=cmd_data_check.__doc__.strip(),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    check.set_defaults(handler=cmd_data_check)
    check.add_argument("--json", action="store_true", help="print JSON")
    check.add_argument("--data-dir", help="the catalog folder (default: the shipped data/)")
    return parser


def _reference_score_from_run(args: argparse.Namespace) -> float | None:
    """The score of a stored run matching the workload's kind (AI, training or inference score)."""
    if args.reference_run is None:
        return args.reference_score
    from .store import RunStore

    stored = RunStore(args.store).get(args.reference_run)
    if stored is None:
        raise UsageError(f"argument --reference-run: no run {args.reference_run} in the store; see `advisor runs`")
    metric = Kind(args.kind).metric
    score = getattr(stored.run.scores, str(metric))
    if score is None:
        raise UsageError(f"argument --reference-run: run {args.reference_run} has no {metric.label}")
    return float(score)


def workload_from_args(args: argparse.Namespace) -> Workload:
    """The Workload the recommend options describe (flags mapped to fields through FLAGS)."""
    values = {name: getattr(args, name) for name in FLAGS if name != "reference_score"}
    return Workload(**values, reference_score=_reference_score_from_run(args))


def _value_options(parser: argparse.ArgumentParser) -> tuple[set[str], set[str]]:
    """(options that take a value, every option string) over the parser and its sub-commands."""
    takes, every = set(), set()
    stack = [parser]
    while stack:
        p = stack.pop()
        for action in p._actions:
            every.update(action.option_strings)
            if action.option_strings and action.nargs is None and action.const is None:
                takes.update(action.option_strings)
            if isinstance(action, argparse._SubParsersAction):
                stack.extend(action.choices.values())
    return takes, every


def _join_dashed_values(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """'--budget-usd -inf' becomes '--budget-usd=-inf', so a value that starts with '-' reaches the option's own
    check (argparse would take it for an option and say 'expected one argument')."""
    takes, every = _value_options(parser)
    out: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token in takes and i + 1 < len(argv) and argv[i + 1].startswith("-") and argv[i + 1] not in every:
            out.append(f"{token}={argv[i + 1]}")
            i += 2
            continue
        out.append(token)
        i += 1
    return out


def _error_line(message: str, code: int = EXIT_USAGE) -> int:
    """One line on stderr: control characters a user typed are shown escaped, never as line breaks."""
    print(f"error: {safe(message)}", file=sys.stderr)
    return code


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (0 done, 1 store or file fault, 2 bad input, 3 TensorFlow missing)."""
    parser = build_parser()
    try:
        args = parser.parse_args(_join_dashed_values(list(sys.argv[1:] if argv is None else argv), parser))
        return args.handler(args)
    except UsageError as exc:
        return _error_line(str(exc))
    except InvalidWorkloadError as exc:
        return _error_line(f"{FLAGS.get(exc.field, exc.field)}: {exc.message}")
    except UnknownGpuError as exc:
        return _error_line(f"{FLAGS['reference_gpu']}: {exc}")
    except StoreError as exc:
        return _error_line(str(exc), EXIT_FAULT)
    except TensorFlowMissing as exc:
        return _error_line(str(exc), EXIT_NO_TENSORFLOW)
    except (AdvisorError, ValueError) as exc:
        return _error_line(str(exc))
    except BrokenPipeError:
        raise
    except OSError as exc:
        return _error_line(f"cannot read or write a file: {exc.strerror or exc}", EXIT_FAULT)


def main() -> None:
    """Console script entry point (`advisor`)."""
    try:
        code = run()
        sys.stdout.flush()
    except BrokenPipeError:  # `advisor plans | head`: the reader left; say nothing more
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)
