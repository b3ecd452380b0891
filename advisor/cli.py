"""The command line: `advisor plans|recommend|job|bench|runs|import|serve|data check` (or `python -m advisor ...`).

One function per command; its docstring is the command's help. Bad input exits with code 2 and one line on stderr
naming the option and what it accepts; a store or file fault exits with 1. Heavy modules (TensorFlow, the API
server, the run store) are imported by the commands that need them, so `recommend` and `--help` start fast.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .catalog import load_catalog, parse_date
from .errors import AdvisorError, InvalidWorkloadError, RunPostError, StoreError, TensorFlowMissing, UnknownGpuError
from .present.formats import FORMATS
from .present.text import safe
from .vocab import BenchMode, EvidenceChoice, EvidenceSource, Kind, RunOrder
from .workload import BOUNDS, FIELDS, FieldSpec, Workload

if TYPE_CHECKING:
    from .runs.store import StoredRun

EXIT_USAGE = 2
EXIT_FAULT = 1
EXIT_NO_TENSORFLOW = 3
MAX_RUN_ID = 2 ** 63 - 1

# The CLI's flags come from the workload's field declarations (workload.FIELDS).
FLAGS = {spec.name: spec.flag for spec in FIELDS}


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
        raise argparse.ArgumentTypeError(f"expected a date like 2022-06-01, got {text!r}") from None
    if date > dt.date.today():
        raise argparse.ArgumentTypeError(f"expected a date no later than today, got {text!r}")
    return date


STORE_HELP = ("the run store: a SQLite file or a postgresql:// URL (default: $ADVISOR_DATABASE_URL, $ADVISOR_RUNS_DB "
              "or the user data directory)")


def _plan_id(text: str) -> str:
    import re

    if not re.match(r"^[a-z0-9][a-z0-9+-]{0,99}$", text):
        raise argparse.ArgumentTypeError(f"expected an id like colab-free or t4, got '{text}'")
    return text


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
    from .recommend import recommend

    catalog = load_catalog(args.as_of)
    workload = workload_from_args(args)
    evidence = _evidence_from_args(args, catalog)
    recs = recommend(catalog, workload, evidence)
    name = "json" if args.json else args.format
    if name in ("json", "jsonl"):
        from .runs.evidence import evidence_json

        extra = {"evidence": evidence_json(evidence, args.evidence)}
        print(FORMATS[name].render(catalog, workload, recs, extra if name == "json" else {}), end="" if
              name == "jsonl" else "\n")
    else:
        print(FORMATS[name].render(catalog, workload, recs, {}))
        if evidence is not None and name == "text":
            print(f"\nLearned from {evidence.runs_used} run{'s' if evidence.runs_used != 1 else ''} in the store "
                  f"({EvidenceChoice(args.evidence).label}; `--evidence catalog` leaves them out).")
    return 0


def cmd_job(args: argparse.Namespace) -> int:
    """Predict a job's hours (median, p10-p90) on every catalog GPU, from a time on a GPU you know or a model.

    Examples:
      advisor job --reference-gpu t4 --reference-hours 2 --family transformer --precision fp16
      advisor job --model "llama 3 8b" --method qlora --samples 20000 --epochs 1 --batch 4 --precision bf16
    """
    from .job import Job, estimate_job
    from .job.report import job_table

    catalog = load_catalog(args.as_of)
    try:
        job = Job(kind=args.workload, family=args.family, precision=args.precision, model=args.model,
                  params_billion=args.params, method=args.method, tokens=args.tokens, samples=args.samples,
                  epochs=args.epochs, batch=args.batch, reference_gpu=args.reference_gpu,
                  reference_hours=args.reference_hours, seq_len=args.seq_len)
        estimate = estimate_job(catalog, job)
    except InvalidWorkloadError as exc:
        raise UsageError(f"--{exc.field.replace('_', '-')}: {exc.message}") from None
    print(json.dumps(estimate.to_dict(), indent=2) if args.json else job_table(catalog, estimate))
    return 0


def _evidence_from_args(args: argparse.Namespace, catalog):
    """Runs of the store folded into evidence as --evidence says; None (the catalog alone) when the choice is
    catalog or the store holds no runs. A store that does not exist is not created, nor its database library
    loaded."""
    from .runs.location import may_hold_runs

    if args.evidence == EvidenceChoice.CATALOG or not may_hold_runs(args.store):
        return None
    from .runs.evidence import load_evidence
    from .runs.store import RunStore

    return load_evidence(RunStore(args.store), catalog, args.evidence, args.evidence_window_days)


def cmd_bench(args: argparse.Namespace) -> int:
    """Run AI Benchmark on this machine, offline, and keep the run as evidence; or replay a recorded device.

    Quick mode measures sub-tests in the order that removes the most error per second until its budget is spent,
    and estimates the inference, training and AI scores, each with an interval. --replay runs quick mode's plan
    against a file's recorded per-sub-test times instead (no TensorFlow needed; the run is not saved).
    Example: advisor bench --mode quick --budget 45 --platform colab-free --json run.json
    """
    from .present.text import bench_result_lines, progress_line

    if args.replay is not None and (args.mode != BenchMode.QUICK or args.cpu or args.platform or args.post):
        raise UsageError("argument --replay: replays quick mode on recorded times; --mode full, --cpu, "
                         "--platform and --post do not apply")
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
        from .runs.store import RunStore

        store = RunStore(args.store)
        print(f"saved as run {store.add(run)} in {safe(store.location)}")
    return _post_after_bench(args, run)


def _post_after_bench(args: argparse.Namespace, run) -> int:
    """bench --post URL: send the finished run to a shared server; if that fails, keep it locally (even with
    --no-save) and say how to send it later. Exit 0 when the run is kept somewhere, else 1."""
    if not args.post:
        return 0
    try:
        answer = post_run(args.post, run)
        print(f"posted to {safe(args.post)} as run {answer.get('id')}"
              + (" (the server had it already)" if answer.get("duplicate") else ""))
        return 0
    except RunPostError as exc:
        print(f"warning: {safe(exc)}", file=sys.stderr)
    from .runs.store import RunStore

    store = RunStore(args.store)
    run_id = store.add(run)
    print(f"kept as run {run_id} in {safe(store.location)}; send it later with: advisor runs --limit 1 --post "
          f"{safe(args.post)}", file=sys.stderr)
    return 0


def post_run(url: str, run, token: str | None = None, timeout_s: float = 30.0) -> dict:
    """See advisor.runs.remote.post_run (kept here for callers of the CLI module)."""
    from .runs.remote import post_run as post

    return post(url, run, token, timeout_s)


def cmd_runs(args: argparse.Namespace) -> int:
    """List benchmark runs, newest first, a page at a time: from the local store, or a server's with --from URL.

    Examples: advisor runs --plan colab-free --limit 20
              advisor runs --json > runs.json          (every run: an export that `import` takes back)
              advisor runs --from http://server:8000 --save   (a shared server's runs, kept as shared evidence)
    """
    from .present.text import format_table
    from .runs.store import RunFilter

    filters = RunFilter(plan=args.plan, gpu=args.gpu, mode=args.mode, since=_day_start(args.since),
                        until=_day_start(args.until, next_day=True))
    export = args.json or args.jsonl
    limit = args.limit if args.limit is not None else (None if export or args.all or args.save or args.post else 50)
    source = _remote(args.source) if args.source else _local_store(args.store)
    runs: list[StoredRun] = []
    cursor, skipped = args.cursor, 0
    stream = export and limit is None
    if stream:
        print("[" if args.json else "", end="")
    first = True
    while True:
        want = 1000 if limit is None else min(1000, limit - len(runs))
        page = source.page(filters, want, cursor, args.order)
        skipped += page.skipped
        cursor = page.next_cursor
        if stream:
            for stored in page.runs:
                text = json.dumps(stored.run.to_dict(), separators=(",", ":") if args.jsonl else None)
                print(text if args.jsonl else ("" if first else ",\n") + text, end="\n" if args.jsonl else "")
                first = False
        else:
            runs.extend(page.runs)
        if cursor is None or (limit is not None and len(runs) >= limit):
            break
    if stream:
        print("]" if args.json else "", end="\n" if args.json else "")
    elif args.json:
        print(json.dumps([s.run.to_dict() for s in runs], indent=2))
    elif args.jsonl:
        for s in runs:
            print(json.dumps(s.run.to_dict(), separators=(",", ":")))
    if skipped:
        print(f"note: {skipped} stored run{'s' if skipped != 1 else ''} no longer validate and were left out "
              "(see the server's or this store's log)", file=sys.stderr)
    if args.save and args.source:
        return _save_remote(args, runs)
    if args.post:
        return _post_listed(args.post, runs)
    if export:
        return 0
    rows = [[str(s.id), s.run.started_at.strftime("%Y-%m-%d %H:%M"), str(s.run.mode), s.run.device.name,
             str(s.run.device.kind), s.run.platform or "-", s.poster,
             "-" if s.run.scores.ai is None else f"{s.run.scores.ai:,.0f}" + (" (partial)" if s.run.partial else "")]
            for s in runs]
    print(f"{len(runs)} run{'s' if len(runs) != 1 else ''} from {safe(source.location)}, {RunOrder(args.order).label}")
    if rows:
        print(format_table(["id", "started", "mode", "device", "kind", "platform", "posted by", "AI score"], rows))
    if cursor is not None:
        print(f"more: advisor runs --cursor {cursor}" + (f" --from {safe(args.source)}" if args.source else ""))
    return 0


def _post_listed(url: str, runs) -> int:
    """runs --post URL: send the listed runs to a server, oldest first, in batches (each stored all or none); stops
    at the first refusal (exit 1)."""
    from .runs.remote import post_runs

    posted, again = post_runs(url, [s.run for s in sorted(runs, key=lambda s: (s.run.started_at, s.id))])
    print(f"posted {posted} run{'s' if posted != 1 else ''} to {safe(url)} ({again} the server had already)")
    return 0


def _remote(url: str):
    from .runs.remote import RemoteRuns

    try:
        return RemoteRuns(url)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _local_store(target):
    from .runs.store import RunStore

    return RunStore(target)


def _day_start(day: dt.date | None, next_day: bool = False) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=1 if next_day else 0), dt.time(), dt.UTC)


def _save_remote(args: argparse.Namespace, runs) -> int:
    """Keeps a server's runs in the local store as shared evidence, each once."""
    import re

    from .bench.reference import run_reference
    from .runs.ingest import ingest
    from .runs.store import RunStore

    catalog, reference = load_catalog(), run_reference()
    host = urlsplit(args.source).netloc
    store = RunStore(args.store)
    by_poster: dict[str, list] = {}
    for s in runs:
        # A server's poster names are its own; only plain characters are kept (no control or format characters).
        poster = re.sub(r"[^\w.@:/+-]", "_", f"{host}/{s.poster}", flags=re.ASCII)[:100]
        by_poster.setdefault(poster, []).append(s.run)
    added = duplicates = 0
    try:
        for poster, items in by_poster.items():
            result = ingest(store, items, catalog, reference, poster, EvidenceSource.SHARED)
            added, duplicates = added + result.added, duplicates + result.duplicates
    finally:
        store.close()
    print(f"saved {added} new shared run{'s' if added != 1 else ''} into {safe(store.location)} "
          f"({duplicates} already there)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import runs from a file of any size: one run, a JSON export (`runs --json`), JSON Lines (`runs --jsonl`) or
    a saved GET /runs page. All or nothing: one bad run and none is stored; a run already stored is not stored
    twice.

    Example: advisor import run.json
    """
    from .bench.reference import run_reference
    from .runs.ingest import ingest
    from .runs.record import runs_from_file
    from .runs.store import RunStore

    path = Path(args.file)
    if not path.exists():
        raise UsageError(f"argument file: no such file '{args.file}'")
    if not path.is_file():
        raise UsageError(f"argument file: '{args.file}' is not a regular file (a folder, a device or a pipe)")
    runs = runs_from_file(path)
    store = RunStore(args.store)
    origin = EvidenceSource.SHARED if args.shared else EvidenceSource.LOCAL
    try:
        result = ingest(store, runs, load_catalog(), run_reference(), "import" if args.shared else "local", origin)
    finally:
        store.close()  # a checkpoint: the store's file alone holds the runs (E10)
    ids = result.ids
    shown = ", ".join(map(str, ids[:20])) + (f", ... ({len(ids) - 20} more)" if len(ids) > 20 else "")
    print(f"imported {result.added} run{'s' if result.added != 1 else ''} into {safe(store.location)}"
          + (f" ({result.duplicates} already stored)" if result.duplicates else "") + f" (ids {shown})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the HTTP API (OpenAPI docs at /docs, offline). Settings come from ADVISOR_* variables (see the README's
    security section); one that cannot be used stops the server before it starts.

    Example: advisor serve --port 8000
    """
    from .api import serve
    from .api.settings import ApiSettings

    # --host, else ADVISOR_BIND_HOST, else loopback (E14: the variable was ignored behind --host's default).
    settings = ApiSettings.from_env(**({"bind_host": args.host} if args.host is not None else {}))
    try:
        serve(settings, port=args.port, workers=args.workers)
    except OSError as exc:  # binding: the port is taken, or the address is not this machine's
        return _error_line(f"cannot listen on {settings.bind_host}:{args.port}: {exc.strerror or exc}", EXIT_FAULT)
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


def _choices(spec: FieldSpec):
    """argparse type for a set of vocabulary members, comma-separated."""
    def parse(text: str) -> frozenset:
        names = [n.strip().lower() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in spec.choices.values()]
        if unknown:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(spec.choices.values())}, "
                                             f"got '{', '.join(unknown)}'")
        return frozenset(spec.choices(n) for n in names)
    return parse


def _workload_options(parser: argparse.ArgumentParser) -> argparse._MutuallyExclusiveGroup:
    """One option per workload field, from its declaration: type, bounds, choices, default and help. The reference
    device options (a GPU, a score or a benchmarked run) share a mutually exclusive group, which is returned."""
    group = parser.add_mutually_exclusive_group()
    for spec in FIELDS:
        target = group if spec.name in ("reference_gpu", "reference_score") else parser
        shown_default = "" if spec.default in (None, frozenset(), False) else f" (default {spec.default:g})" \
            if isinstance(spec.default, (int, float)) else f" (default {spec.default})"
        help_text = (spec.help + shown_default).replace("%", "%%")
        if spec.type == "flag":
            target.add_argument(spec.flag, dest=spec.name, action="store_true", help=help_text)
        elif spec.type == "choice":
            target.add_argument(spec.flag, dest=spec.name, choices=spec.choices.values(), default=spec.default,
                                help=help_text)
        elif spec.type == "choices":
            target.add_argument(spec.flag, dest=spec.name, type=_choices(spec), default=spec.default,
                                help=f"{help_text}, comma-separated: {','.join(spec.choices.values())}")
        elif spec.type == "text":
            target.add_argument(spec.flag, dest=spec.name, help=help_text)
        else:
            target.add_argument(spec.flag, dest=spec.name, type=_field_number(spec.name), default=spec.default,
                                help=help_text)
    return group


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
    ref = _workload_options(rec)  # the reference device: a GPU, a score or a benchmarked run
    ref.add_argument("--reference-run", type=_whole(1, MAX_RUN_ID, "a run id"),
                     help="the reference device is a benchmarked machine: its run id from `advisor runs`")
    rec.add_argument("--store", help="the run store, for --reference-run and --evidence: a SQLite file or a "
                     "postgresql:// URL (default: $ADVISOR_DATABASE_URL, $ADVISOR_RUNS_DB or the user data directory)")
    rec.add_argument("--evidence", choices=EvidenceChoice.values(), default=EvidenceChoice.ALL.value,
                     help="what the ranking learns from besides the catalog: catalog (nothing), local (your runs), "
                          "shared (runs pulled from a server), all (default)")
    rec.add_argument("--evidence-window-days", type=_whole(1, 3650, "a number of days"), default=180,
                     help="only runs started within this many days count for allocations and spreads (default 180)")
    rec.add_argument("--as-of", type=_date, help="catalog date, YYYY-MM-DD (default today)")
    rec.add_argument("--format", choices=list(FORMATS), default="text",
                     help="how to write the ranking: " + ", ".join(FORMATS) + " (default text)")
    rec.add_argument("--json", action="store_true", help="print JSON (the same as --format json)")

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
    bench.add_argument("--store", help=STORE_HELP)
    bench.add_argument("--post", metavar="URL", help="when the run finishes, post it to a shared server (token from "
                       "ADVISOR_API_TOKEN); kept locally if that fails")

    runs = command("runs", cmd_runs)
    runs.add_argument("--from", dest="source", metavar="URL", help="list a server's runs instead of the local store's")
    runs.add_argument("--save", action="store_true", help="with --from: keep the server's runs in the local store as "
                      "shared evidence")
    runs.add_argument("--post", metavar="URL", help="send the listed runs to a server (token from ADVISOR_API_TOKEN), "
                      "e.g. a run whose post from `bench --post` failed")
    runs.add_argument("--plan", type=_plan_id, help="only runs on this plan, e.g. colab-free")
    runs.add_argument("--gpu", type=_plan_id, help="only runs on this catalog GPU, e.g. t4")
    runs.add_argument("--mode", choices=BenchMode.values(), help="only quick or full runs")
    runs.add_argument("--since", type=_date, help="only runs started on or after this day, YYYY-MM-DD")
    runs.add_argument("--until", type=_date, help="only runs started on or before this day, YYYY-MM-DD")
    runs.add_argument("--order", choices=RunOrder.values(), default=RunOrder.NEWEST.value,
                      help="newest (default) or oldest first")
    runs.add_argument("--limit", type=_whole(1, 10_000_000, "a number of runs"),
                      help="at most this many runs (default 50 in the table, every run with --json or --all)")
    runs.add_argument("--cursor", help="continue a listing where the last page ended (printed after it)")
    runs.add_argument("--all", action="store_true", help="every run, not only the first page")
    runs.add_argument("--json", action="store_true", help="print JSON (an export that `import` takes back)")
    runs.add_argument("--jsonl", action="store_true", help="print JSON Lines, one run a line (streams any number)")
    runs.add_argument("--store", help=STORE_HELP)

    imp = command("import", cmd_import)
    imp.add_argument("file", help="one run, a JSON export, JSON Lines or a saved GET /runs page")
    imp.add_argument("--shared", action="store_true", help="the runs are someone else's (a course's export): count "
                     "them as shared evidence, not yours")
    imp.add_argument("--store", help=STORE_HELP)

    from .vocab import Family, JobKind, JobPrecision, Method

    job = command("job", cmd_job)
    job.add_argument("--reference-gpu", help="a GPU whose time you know (id or name, e.g. t4)")
    job.add_argument("--reference-hours", type=float, help="hours the job takes on --reference-gpu")
    job.add_argument("--model", help="a model from data/models.csv (e.g. \"llama 3 8b\", resnet-50)")
    job.add_argument("--params", type=float, help="or the model's parameters, billions")
    job.add_argument("--method", choices=Method.values(), help="full, lora, qlora or inference (default full)")
    job.add_argument("--tokens", type=float, help="tokens per epoch")
    job.add_argument("--samples", type=float, help="examples per epoch")
    job.add_argument("--seq-len", type=int, help="tokens per example (default 512, or the model's context if less)")
    job.add_argument("--epochs", type=float, default=1, help="epochs (default 1)")
    job.add_argument("--batch", type=int, help="examples per step (memory only; default 1)")
    job.add_argument("--workload", choices=JobKind.values(), default="training", help="training or inference")
    job.add_argument("--precision", choices=JobPrecision.values(),
                     help="number format (default fp32 with a reference GPU, fp16 with a model)")
    job.add_argument("--family", choices=Family.values(), help="model family (default: the model's, else cnn)")
    job.add_argument("--as-of", type=_date, help="catalog date, YYYY-MM-DD (default today)")
    job.add_argument("--json", action="store_true", help="print JSON")

    serve = command("serve", cmd_serve)
    serve.add_argument("--host", default=None,
                       help="interface to listen on (default ADVISOR_BIND_HOST, else loopback 127.0.0.1)")
    serve.add_argument("--port", type=_whole(1, 65535, "a port"), default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=_whole(1, 64, "a number of processes"), default=1,
                       help="server processes (default 1; they share one chat secret)")

    data = sub.add_parser("data", help="check the catalog in data/",
                          description="Commands on the catalog in data/: `advisor data check`.")
    data_sub = data.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    check_doc = (cmd_data_check.__doc__ or "").strip()
    check = data_sub.add_parser("check", help=check_doc.splitlines()[0], description=check_doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    check.set_defaults(handler=cmd_data_check)
    check.add_argument("--json", action="store_true", help="print JSON")
    check.add_argument("--data-dir", help="the catalog folder (default: the shipped data/)")
    return parser


def _reference_score_from_run(args: argparse.Namespace) -> float | None:
    """The score of a stored run matching the workload's kind (AI, training or inference score)."""
    if args.reference_run is None:
        return args.reference_score
    from .runs.store import RunStore

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
    takes: set[str] = set()
    every: set[str] = set()
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
    except (StoreError, RunPostError) as exc:
        return _error_line(str(exc), EXIT_FAULT)
    except TensorFlowMissing as exc:
        return _error_line(str(exc), EXIT_NO_TENSORFLOW)
    except (AdvisorError, ValueError) as exc:
        return _error_line(str(exc))
    except BrokenPipeError:
        raise
    except OSError as exc:
        where = f" {Path(exc.filename).name}" if exc.filename else " a file"
        return _error_line(f"cannot read or write{where}: {exc.strerror or exc}", EXIT_FAULT)
    except KeyboardInterrupt:
        return _error_line("interrupted", 130)
    except Exception as exc:  # a fault no core function turned into an AdvisorError: one line, never a traceback
        sqlite3 = sys.modules.get("sqlite3")
        if sqlite3 is not None and isinstance(exc, sqlite3.Error):
            return _error_line(f"the run store failed: {exc}; check the file given by --store or $ADVISOR_RUNS_DB",
                               EXIT_FAULT)
        if isinstance(exc, RecursionError):
            return _error_line("the input nests too deeply to read", EXIT_USAGE)
        return _error_line(f"unexpected error ({type(exc).__name__}: {exc}); this is a bug, please report it",
                           EXIT_FAULT)


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
