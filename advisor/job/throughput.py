"""A per-GPU throughput model by kind of work, fitted on published training throughputs and calibrated
leave-one-GPU-out.

Every measured row is (GPU, model, precision, samples per second) from data/job_throughput.csv (Lambda's PyTorch
benchmark). Only ratios between GPUs are learnt (one free level per (source, model, precision) group), which is what
a job's time on another GPU needs. The shape of those ratios is an additive roofline:

    time per sample on GPU g = sum over k of share[family, precision, k] x reference rate_k / rate_k(g)

over four rates from the spec sheet: the peak at the precision (TF32 tensor cores for Lambda's FP32 runs, FP16 tensor
cores for AMP), the FP32 CUDA-core rate, memory bandwidth and the board power limit (an energy-bound term). Each
Lambda model's shares are fitted by non-negative least squares on relative time; a family's shares are the mean over
its models, so a new workload of the family is predicted from them. (The first fit, log-linear slopes per family on
log peak and log bandwidth, stays as shape "loglinear" for comparison.) Each measured GPU keeps its own residual per
family (cnn, transformer, rnn): a GPU with a measured point for a family is anchored on it; one without is predicted
from its spec sheet alone. Lambda runs each GPU at the largest batch its memory holds; a per-family slope on log batch
size separates that from the GPU (BATCH_COVARIATE). A transformer workload's mix is interpolated between two end mixes
by its arithmetic intensity, computed from its architecture (INTENSITY, data/job_workloads.csv for the measured ones);
a workload without one keeps the family's mix.

The p10-p90 interval is split-conformal on leave-one-GPU-out errors (each GPU predicted by a fit that never saw it,
from every other GPU that measured the same model), with the finite-sample rank ((n+1) q), per family and kind of
prediction (from the spec sheet, anchored on measured points, or extrapolated beyond the measured GPUs' specs).

The fit is plain Python (a few hundred rows, four shares per model), so the CLI's hot path imports neither numpy
nor scikit-learn; it is computed once per process and data folder.
"""
from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal, overload

from ..catalog import DATA_DIR, Gpu
from ..catalog.load import read_data_file
from ..catalog.records import Provenance, TensorSpecs
from ..errors import CatalogError
from ..files import read_cache, write_cache
from ..vocab import Confidence, Family, JobKind, JobPrecision

MEASUREMENTS_FILE = "job_throughput.csv"
WORKLOADS_FILE = "job_workloads.csv"
EXTRA_GPUS_FILE = "job_gpus.csv"
# Ridge penalty on the two slopes: small, so the fit follows the data; it only keeps the solve defined.
RIDGE_ALPHA = 0.01
# The precisions Lambda measured, and which spec-sheet figure bounds each precision a user may ask for.
MEASURED_PRECISIONS = (JobPrecision.FP32, JobPrecision.FP16)
# Which measured precision's behaviour stands in for a user's precision.
PRECISION_CLASS = {JobPrecision.FP32: JobPrecision.FP32, JobPrecision.TF32: JobPrecision.FP32,
                   JobPrecision.FP16: JobPrecision.FP16, JobPrecision.BF16: JobPrecision.FP16,
                   JobPrecision.INT8: JobPrecision.FP16, JobPrecision.FP8: JobPrecision.FP16}
# Families with no measured model borrow from these (diffusion UNets are convolutions with attention blocks; an LLM
# is a transformer).
FAMILY_PROXY = {Family.CNN: (Family.CNN,), Family.TRANSFORMER: (Family.TRANSFORMER,), Family.RNN: (Family.RNN,),
                Family.DIFFUSION: (Family.CNN, Family.TRANSFORMER), Family.LLM: (Family.TRANSFORMER,)}
# Interval quantiles (p10-p90).
LOW_Q, HIGH_Q = 0.10, 0.90
# The leave-one-GPU-out errors come in groups, one per held-out GPU, sharing that GPU's offset. True: the GPUs are the
# exchangeable units (hierarchical_conformal_bounds), which guarantees coverage but, with 28 GPUs, widens the
# spec-sheet p10-p90 from -24.8%/+30.7% to -29.5%/+42.5% and covers 87.5% of held-out pairs (bench_job, data of
# 2026-12-05). False (shipped): every error as one score, 80.0% for the nominal 80% (a bootstrap over the held-out
# GPUs, their pools held fixed, puts that between 77.9% and 82.0%), so the narrower interval is kept, its label honest.
GROUPED_CONFORMAL = False
# A pool of calibration errors smaller than this borrows the spec-sheet pool, widened by this factor.
MIN_POOL = 30
WIDEN = 1.5
# Whether the FP32 rows use the TF32 tensor-core peak where the GPU has one. Lambda's NGC containers allow TF32 by
# default; the leave-one-GPU-out median error with it is lower (README, "Your job on every GPU").
FP32_USES_TF32 = True
# The series the model is fitted on. data/job_throughput.csv also holds AI Benchmark's per-sub-test times
# (TensorFlow 1.14 to 2.18, small batches, six GPUs); fitting on them too made the held-out error worse (median 15.8%
# to 18.9%, interval coverage 79.8% to 77.1%: `python -m benchmarks.bench_job --series all`), so they stay out.
# NVIDIA's DeepLearningExamples READMEs (series "dle-...": one README's training or inference tables, 1-GPU rows only)
# add T4, A100 and V100 runs of PyTorch and TensorFlow models (data/README.md).
FIT_SERIES = ("lambda", "dle")
# The shape of relative speed across GPUs: "roofline" (additive time over tensor math, CUDA-core math and memory
# traffic) or "loglinear" (the first fit). The roofline lowered the held-out median error (README).
SHAPE = "roofline"
# The rates the roofline divides the work by. "power" (the board power limit, W) is an energy-bound term: a card whose
# peak outruns its power budget (RTX 6000 Ada at 300 W against the RTX 4090 at 450 W) cannot hold its boost clock.
ROOFLINE_RATES = ("peak", "cuda", "bandwidth", "power")
# How a family's mix of those rates is formed from its models: "mean" of each model's own least-squares mix, or
# "joint" (one mix fitted on every row of the family, each model keeping its own level).
MIX = "joint"
JOINT_ITERATIONS = 1
# A family's mix is pooled towards the mix of every family at its precision class, as if that pooled mix were this
# many more models of the family: with one model left out, a family of two (rnn: GNMT, Tacotron 2) would otherwise
# rest on the other alone. 0 turns the pooling off.
MIX_POOL_MODELS = 1.0
# A spec sheet without a power limit (none in today's data) stands at this board power (W).
DEFAULT_POWER_W = 250.0
# How a GPU's anchor (mean residual over its measured models) is shrunk towards the spec sheet, by n / (n + k):
# "family" (k estimated per family by the method of moments, _shrinkage), "pooled" (one k) or "none".
SHRINK = "family"
SHRINK_KINDS = ("family", "pooled", "none")
# Whether the held-out errors behind the intervals leave the workload (the Lambda model) out of every fit too, as a
# user's own workload is: the honest protocol for a new workload; without it the intervals covered 76% of such pairs.
CALIBRATE_NEW_WORKLOAD = True
# Whether the fit separates the batch size a suite ran at from the GPU's speed. Lambda runs each GPU at the largest
# batch its memory holds (pytorch-train-bs-*.csv), so a 10 GB card's published throughput is partly a small batch's;
# a per-family slope of log throughput on log batch (within each model's group) takes that out of the spec-sheet
# shape. A user's job keeps its batch on every GPU, so predictions carry no batch term; the benchmark's pairs, whose
# two GPUs ran different batches, do (README).
BATCH_COVARIATE = True
BATCH_ITERATIONS = 1
# Whether a workload's arithmetic intensity (FLOPs per byte of activation and weight traffic, from its architecture:
# memory.transformer_intensity; data/job_workloads.csv for the measured models) sets its mix: two end mixes per family
# and precision class, one at the lowest and one at the highest log intensity among its fitted models, fitted jointly
# (non-negative least squares, each model at its own level) and each pooled like the family mix; a workload's mix is
# interpolated linearly in log intensity between them (clipped at the ends). A workload without an architecture keeps
# the family's mix. (One slope shifting the family mix was tried first and dropped: job_model_log.md, jobacc3.)
INTENSITY = True


def peak_tflops(gpu: Gpu, precision: JobPrecision, fp32_uses_tf32: bool = FP32_USES_TF32) -> float | None:
    """The spec-sheet peak (TFLOPS, or TOPS for INT8) that bounds `precision` on `gpu`; None when the GPU cannot
    compute in it (BF16, TF32 or FP8 on a T4, INT8 without INT8 units)."""
    t = gpu.tensor
    if precision is JobPrecision.FP32:
        return max(gpu.fp32_tflops, t.tf32_tflops or 0.0) if fp32_uses_tf32 else gpu.fp32_tflops
    if precision is JobPrecision.TF32:
        return t.tf32_tflops
    if precision is JobPrecision.FP16:
        # Mixed precision runs everywhere; without tensor cores or fast FP16 units it runs at the FP32 rate.
        # (gpus.csv's own fp16_tflops column mixes tensor and CUDA-core figures, so the tensor column comes first.)
        return t.fp16_tflops or max(gpu.fp32_tflops, gpu.fp16_tflops or 0.0)
    if precision is JobPrecision.BF16:
        return t.bf16_tflops
    if precision is JobPrecision.INT8:
        return t.int8_tops
    return t.fp8_tflops


FEATURES = ("peak", "bandwidth")
# Measured families: each has its own slopes (split by family the leave-one-GPU-out median error fell from 17.1% to
# 15.8% on the data of 2026-12-05; split by precision too it was 16.0%, adding memory or power changed < 0.2 points).
FITTED_FAMILIES = (Family.CNN, Family.TRANSFORMER, Family.RNN)


def spec_rates(gpu: Gpu, precision: JobPrecision) -> dict[str, float] | None:
    """A GPU's spec-sheet figures the model may read, by name: "peak" at the precision (tensor cores where the
    precision uses them, TFLOPS), "cuda" (the FP32 CUDA-core rate, TFLOPS), "bandwidth" (GB/s), "memory" (GiB) and
    "power" (the board power limit, W). None when the GPU cannot compute in the precision."""
    peak = peak_tflops(gpu, precision)
    if peak is None:
        return None
    return {"peak": peak, "cuda": gpu.fp32_tflops, "bandwidth": gpu.memory_bandwidth_gbps, "memory": gpu.memory_gib,
            "power": gpu.tensor.power_w or DEFAULT_POWER_W}


def features(gpu: Gpu, precision: JobPrecision, names: tuple[str, ...] | None = None) -> tuple[float, ...] | None:
    """The logs of spec_rates' `names` (default FEATURES: peak and bandwidth, the log-linear shape's inputs)."""
    rates = spec_rates(gpu, precision)
    return None if rates is None else tuple(math.log(rates[n]) for n in (names or FEATURES))


def _fitted_features(gpu: Gpu, precision: JobPrecision) -> tuple[float, ...]:
    """features() of a GPU the fit kept at `precision`: ThroughputModel.fit keeps only rows whose GPU computes in
    their precision, so it is defined there."""
    x = features(gpu, precision)
    if x is None:
        raise ValueError(f"{gpu.gpu_id} cannot compute in {precision}: no fitted row stands on it")
    return x


def design(x: tuple[float, ...], family: Family) -> tuple[float, ...]:
    """The features placed in the family's block (one slope per feature and measured family)."""
    i = FITTED_FAMILIES.index(family)
    return (0.0,) * (len(x) * i) + tuple(x) + (0.0,) * (len(x) * (len(FITTED_FAMILIES) - i - 1))


@dataclass(frozen=True)
class Measurement:
    """One published throughput: samples per second of `model` (training or inference: `kind`) on `gpu_id` at
    `precision`. Rows of one series (one suite and software version) with the same model and precision are
    comparable: their ratios are what the model learns."""

    series: str
    gpu_id: str
    model: str
    family: Family
    precision: JobPrecision
    throughput_per_s: float
    source: str
    as_of: str
    kind: JobKind = JobKind.TRAINING
    batch_size: float | None = None  # samples per step of the run, where the suite publishes it

    @property
    def group(self) -> tuple[str, str, str]:
        return self.series, self.model, str(self.precision)


def _read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    text = read_data_file(path)  # bounded: no FIFO, device or huge file (E17)
    try:
        return [(i, row) for i, row in enumerate(csv.DictReader(io.StringIO(text, newline="")), start=2)]
    except csv.Error as exc:
        raise CatalogError(f"{path.name}: not valid CSV ({exc})") from None


@overload
def _number(name: str, line: int, row: dict[str, str], column: str, required: Literal[True] = True) -> float: ...


@overload
def _number(name: str, line: int, row: dict[str, str], column: str, required: bool) -> float | None: ...


def _number(name: str, line: int, row: dict[str, str], column: str, required: bool = True) -> float | None:
    raw = (row.get(column) or "").strip()
    if not raw:
        if required:
            raise CatalogError(f"{name}, line {line}, field '{column}': is empty; it needs a value")
        return None
    try:
        value = float(raw)
    except ValueError:
        raise CatalogError(f"{name}, line {line}, field '{column}': '{raw}' is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise CatalogError(f"{name}, line {line}, field '{column}': {raw} is out of range: expected a number above 0")
    return value


def load_measurements(data_dir: Path = DATA_DIR) -> tuple[Measurement, ...]:
    """Every usable row of job_throughput.csv (rows marked unverified are skipped)."""
    name = MEASUREMENTS_FILE
    out = []
    for line, row in _read_csv(data_dir / name):
        if (row.get("status") or "").strip() == "unverified":
            continue
        try:
            family, precision = Family(row["family"].strip()), JobPrecision(row["precision"].strip())
            kind = JobKind(row["kind"].strip())
        except ValueError as exc:
            raise CatalogError(f"{name}, line {line}: {exc}") from None
        if not (row.get("source") or "").strip() or not (row.get("as_of") or "").strip():
            raise CatalogError(f"{name}, line {line}: every row needs a source and an as_of date")
        out.append(Measurement(row["series"].strip(), row["gpu_id"].strip(), row["model"].strip(), family,
                               precision, _number(name, line, row, "throughput_per_s"), row["source"].strip(),
                               row["as_of"].strip(), kind, _number(name, line, row, "batch_size", False)))
    return tuple(out)


def load_extra_gpus(data_dir: Path = DATA_DIR) -> dict[str, Gpu]:
    """Spec sheets of measured GPUs that no plan offers (job_gpus.csv), as catalog Gpu records."""
    import datetime as dt

    name = EXTRA_GPUS_FILE
    gpus = {}
    for line, row in _read_csv(data_dir / name):
        def num(c: str, line: int = line, row: dict[str, str] = row) -> float:  # a required figure
            return _number(name, line, row, c)

        def opt(c: str, line: int = line, row: dict[str, str] = row) -> float | None:  # an optional figure
            return _number(name, line, row, c, False)

        tensor = TensorSpecs(opt("tensor_fp16_tflops"), opt("tensor_tf32_tflops"), opt("tensor_bf16_tflops"),
                             opt("int8_tops"), opt("fp8_tflops"), opt("power_w"), row["source"])
        prov = Provenance(row["source"], dt.date.fromisoformat(row["as_of"]), Confidence(row["confidence"]),
                          row.get("note") or "", file=name, line=line)
        gpus[row["gpu_id"]] = Gpu(row["gpu_id"], row["name"], row["vendor"], num("memory_gib"), num("fp32_tflops"),
                                  opt("fp16_tflops"), num("memory_bandwidth_gbps"), prov, tensor=tensor)
    return gpus


@dataclass(frozen=True)
class MeasuredWorkload:
    """A measured model's architecture at its benchmarked input (data/job_workloads.csv): layers, hidden size,
    attention heads, tokens per batch item (seq_tokens), positions each token attends over (context_tokens), and
    whether one published sample is a token or a whole sequence."""

    layers: int
    hidden: int
    heads: int
    seq_tokens: int
    context_tokens: int
    sample: str  # "token" or "sequence"


def load_workloads(data_dir: Path = DATA_DIR) -> dict[tuple[str, str], MeasuredWorkload]:
    """(series prefix, model) -> its architecture, from job_workloads.csv."""
    name = WORKLOADS_FILE
    out = {}
    for line, row in _read_csv(data_dir / name):
        if not (row.get("source") or "").strip() or not (row.get("as_of") or "").strip():
            raise CatalogError(f"{name}, line {line}: every row needs a source and an as_of date")
        sample = (row.get("sample") or "").strip()
        if sample not in ("token", "sequence"):
            raise CatalogError(f"{name}, line {line}, field 'sample': '{sample}' is not 'token' or 'sequence'")
        layers, hidden, heads, seq_tokens, context_tokens = (
            int(_number(name, line, row, c)) for c in ("layers", "hidden", "heads", "seq_tokens", "context_tokens"))
        out[(row["series"].strip(), row["model"].strip())] = MeasuredWorkload(
            layers, hidden, heads, seq_tokens, context_tokens, sample)
    return out


def _group_intensities(rows: list[tuple[Measurement, float]],
                       workloads: dict[tuple[str, str], MeasuredWorkload]) -> dict[tuple, float]:
    """Each measured group's log arithmetic intensity (memory.transformer_intensity) at the geometric mean of its
    published batch sizes, where its architecture is in `workloads`."""
    from .memory import transformer_intensity

    batches: dict[tuple, list[float | None]] = {}
    for m, _ in rows:
        batches.setdefault(m.group, []).append(m.batch_size)
    out = {}
    for (series, model, precision), bs in batches.items():
        w = next((w for (prefix, name), w in workloads.items() if name == model and series.startswith(prefix)), None)
        if w is None:
            continue
        known = [b for b in bs if b]
        batch = math.exp(sum(math.log(b) for b in known) / len(known)) if known else None
        out[(series, model, precision)] = math.log(transformer_intensity(
            w.hidden, w.heads, w.context_tokens, batch * w.seq_tokens if batch else None))
    return out


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination for the small normal equations."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col and m[col][col]:
                f = m[r][col] / m[col][col]
                m[r] = [x - f * y for x, y in zip(m[r], m[col])]
    return [m[i][n] / m[i][i] if m[i][i] else 0.0 for i in range(n)]


def _nnls(a: list[list[float]], b: list[float]) -> list[float]:
    """Non-negative least squares for four or so unknowns: the best feasible solution over every subset of them, from
    the normal equations (formed once, so the cost is one pass over the rows)."""
    k = len(a[0])
    gram = [[sum(row[i] * row[j] for row in a) for j in range(k)] for i in range(k)]
    atb = [sum(row[i] * y for row, y in zip(a, b)) for i in range(k)]
    btb = sum(y * y for y in b)
    best: tuple[float, list[float]] | None = None
    for mask in range(1, 2 ** k):
        cols = [j for j in range(k) if mask >> j & 1]
        w = _solve([[gram[i][j] + 1e-12 for j in cols] for i in cols], [atb[i] for i in cols])
        if any(v < 0 for v in w):
            continue
        full = [0.0] * k
        for j, v in zip(cols, w):
            full[j] = v
        sse = btb - 2 * sum(f * t for f, t in zip(full, atb)) + sum(
            full[i] * gram[i][j] * full[j] for i in range(k) for j in range(k))
        if best is None or sse < best[0]:
            best = (sse, full)
    return best[1] if best else [1.0 / k] * k


def _quantile(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return 0.0
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def conformal_bounds(values: list[float], low_q: float = LOW_Q, high_q: float = HIGH_Q) -> tuple[float, float]:
    """Split-conformal p10 and p90 with the finite-sample correction: the ceil((n+1) q)-th smallest of n calibration
    scores for the upper bound and the floor((n+1) q)-th for the lower one, so a new exchangeable score falls below the
    upper bound with probability >= high_q (Vovk et al. 2005; Angelopoulos and Bates 2021, section 1.1)."""
    s = sorted(values)
    if not s:
        return 0.0, 0.0
    n = len(s)
    lo_rank = math.floor((n + 1) * low_q)
    hi_rank = math.ceil((n + 1) * high_q)
    return s[max(lo_rank, 1) - 1], s[min(hi_rank, n) - 1]


def hierarchical_conformal_bounds(groups: dict[str, list[float]], low_q: float = LOW_Q,
                                  high_q: float = HIGH_Q) -> tuple[float, float]:
    """Conformal p10 and p90 when the scores come in exchangeable groups rather than exchangeable scores: the
    leave-one-GPU-out errors of one held-out GPU share that GPU's offset, so the GPUs, not the pairs, are the units a
    new prediction is exchangeable with. Each of the k groups weighs 1 / (k + 1), spread evenly over its scores, and
    the remaining 1 / (k + 1) sits at +infinity for the upper bound (-infinity for the lower): the hierarchical
    conformal prediction of Lee, Barber and Willett, "Distribution-free inference with hierarchical data" (2023,
    arXiv:2306.06342, section 3), the group-level analogue of conformal_bounds' (n + 1) rank. With one score per group
    it is conformal_bounds (from 9 groups for p10-p90; with fewer, where conformal_bounds clamps to the extreme
    scores, this is infinite: k + 1 < 1 / (1 - high_q) leaves no finite quantile); a group with many scores weighs no
    more than one with few."""
    groups = {g: v for g, v in groups.items() if v}
    k = len(groups)
    if not k:
        return 0.0, 0.0
    weighted = sorted((v, 1.0 / ((k + 1) * len(vals))) for vals in groups.values() for v in vals)

    def upper(scores: list[tuple[float, float]], q: float) -> float:
        total = 0.0
        for v, w in scores:
            total += w
            if total >= q - 1e-12:
                return v
        return math.inf

    hi = upper(weighted, high_q)
    lo = -upper([(-v, w) for v, w in reversed(weighted)], 1 - low_q)
    return lo, hi


def capacities(gpu: Gpu, precision: JobPrecision) -> tuple[float, ...] | None:
    """The rates the roofline shape divides the work by (ROOFLINE_RATES, from spec_rates): tensor math, CUDA-core
    math (element-wise and reduction kernels, optimiser steps), memory traffic and energy. None when the GPU cannot
    compute in the precision."""
    rates = spec_rates(gpu, precision)
    return None if rates is None else tuple(rates[name] for name in ROOFLINE_RATES)


@lru_cache(maxsize=4096)
def _time_weights(members: tuple[tuple[tuple[float, ...], float], ...]) -> tuple[float, ...]:
    """One group's work per unit of each rate: non-negative least squares of sum_k w_k / rate_k on the measured time
    per sample, in relative terms (each row divided by its time). Memoised: leave-one-out fits repeat most groups."""
    a = [[math.exp(y) / c[j] for j in range(len(c))] for c, y in members]
    return tuple(_nnls(a, [1.0] * len(members)))


class _LogLinear:
    """log(speed) = slopes per family . (log peak, log bandwidth): the shape of the first fit (README)."""

    name = "loglinear"

    def __init__(self, rows: list[tuple[Measurement, float]], gpus: dict[str, Gpu],
                 intensity: dict[tuple, float] | None = None, alpha: float = RIDGE_ALPHA):
        groups: dict[tuple, list[tuple[tuple[float, ...], float]]] = {}
        for m, y in rows:
            groups.setdefault(m.group, []).append((design(_fitted_features(gpus[m.gpu_id], m.precision), m.family), y))
        k = len(FEATURES) * len(FITTED_FAMILIES)
        xtx = [[alpha if i == j else 0.0 for j in range(k)] for i in range(k)]
        xty = [0.0] * k
        for members in groups.values():  # the within estimator: demean x and y inside each group
            mx = [sum(x[j] for x, _ in members) / len(members) for j in range(k)]
            my = sum(y for _, y in members) / len(members)
            for x, y in members:
                dx = [x[j] - mx[j] for j in range(k)]
                for a in range(k):
                    xty[a] += dx[a] * (y - my)
                    for b in range(k):
                        xtx[a][b] += dx[a] * dx[b]
        self.coef = _solve(xtx, xty)
        self.gpus = gpus

    def __call__(self, gpu_id: str, family: Family, precision: JobPrecision,
                 intensity: float | None = None) -> float | None:
        x = features(self.gpus[gpu_id], precision)
        return None if x is None else sum(c * v for c, v in zip(self.coef, design(x, family)))

    def describe(self) -> str:
        return f"slopes {[round(c, 3) for c in self.coef]}"


class _Roofline:
    """Time per sample = sum over the capacities of work / rate (tensor math, CUDA-core math, memory traffic, energy):
    an additive roofline whose mix of the three is fitted per Lambda model (non-negative least squares on relative
    time) and averaged per family and precision class, so a new workload of the family gets the family's mix. A GPU
    whose tensor peak outruns its bandwidth gains less than the peak says, as measured (RTX 6000 Ada against 4090)."""

    name = "roofline"

    def __init__(self, rows: list[tuple[Measurement, float]], gpus: dict[str, Gpu],
                 intensity: dict[tuple, float] | None = None):
        self.gpus = gpus
        self._caps: dict[tuple[str, JobPrecision], tuple[float, ...] | None] = {}
        capacities = self._fitted_capacities
        groups: dict[tuple, list[tuple[tuple[float, ...], float]]] = {}
        for m, y in rows:
            groups.setdefault(m.group, []).append((capacities(m.gpu_id, m.precision), y))
        # A reference GPU per precision class (geometric mean of the fitted GPUs' rates) on which mixes are stated.
        by_class: dict[JobPrecision, list[tuple[float, ...]]] = {}
        for m, _ in rows:
            by_class.setdefault(PRECISION_CLASS[m.precision], []).append(capacities(m.gpu_id, m.precision))
        self.reference = {p: tuple(math.exp(sum(math.log(c[j]) for c in cs) / len(cs)) for j in range(len(cs[0])))
                          for p, cs in by_class.items()}
        shares: dict[tuple[Family, JobPrecision], list[list[float]]] = {}
        families = {m.group: (m.family, PRECISION_CLASS[m.precision]) for m, _ in rows}
        for group, members in groups.items():
            ref = self.reference[families[group][1]]
            # rows: 1/rate scaled by the measured time (relative error), target 1
            w = _time_weights(tuple(members))
            at_ref = [w[j] / ref[j] for j in range(len(ref))]
            total = sum(at_ref)
            if total > 0:
                shares.setdefault(families[group], []).append([v / total for v in at_ref])
        self.mix = {key: tuple(sum(v[j] for v in vals) / len(vals) for j in range(len(vals[0])))
                    for key, vals in shares.items()}
        if MIX == "joint":
            self.mix = {key: self._joint(mix, [g for g in groups if families[g] == key], groups, self.reference[key[1]])
                        for key, mix in self.mix.items()}
        pooled: dict[JobPrecision, tuple[float, ...]] = {}
        if MIX_POOL_MODELS > 0:
            models = {key: len({g[1] for g in groups if families[g] == key}) for key in self.mix}
            for cls in {key[1] for key in self.mix}:
                keys = [key for key in self.mix if key[1] is cls]
                start = tuple(sum(self.mix[k][j] * models[k] for k in keys) / sum(models[k] for k in keys)
                              for j in range(len(ROOFLINE_RATES)))
                pooled[cls] = self._joint(start, [g for g in groups if families[g][1] is cls], groups,
                                          self.reference[cls]) if MIX == "joint" else start
            self.mix = {key: self._pool(mix, models[key], pooled[key[1]]) for key, mix in self.mix.items()}
        # key -> (lowest and highest log intensity, the mix at each); only where two or more models have one
        self.intensity_ends: dict[tuple[Family, JobPrecision], tuple[float, float, tuple, tuple]] = {}
        if INTENSITY and intensity:
            for key in self.mix:
                known = [g for g in groups if families[g] == key and g in intensity]
                if len({g[1] for g in known}) < 2:
                    continue
                self._fit_ends(key, known, groups, intensity, self.reference[key[1]],
                               pooled.get(key[1], self.mix[key]))

    def _fit_ends(self, key: tuple[Family, JobPrecision], known: list[tuple], groups: dict,
                  intensity: dict[tuple, float], ref: tuple[float, ...], pooled: tuple[float, ...]) -> None:
        """The two end mixes of a family and precision class (see INTENSITY)."""
        lo, hi = min(intensity[g] for g in known), max(intensity[g] for g in known)
        if hi - lo <= 1e-9:
            return
        mix, k = self.mix[key], len(ROOFLINE_RATES)
        a: list[list[float]] = []
        b: list[float] = []
        for g in known:
            t = (intensity[g] - lo) / (hi - lo)
            xs, level = self._scaled(groups[g], ref, mix)
            a.extend([level * (1 - t) * x for x in row] + [level * t * x for x in row] for row in xs)
            b.extend([1.0] * len(xs))
        w = _nnls(a, b)
        n = len({g[1] for g in known})
        ends = []
        for part in (w[:k], w[k:]):
            total = sum(part)
            end = tuple(v / total for v in part) if total > 0 else mix
            ends.append(self._pool(end, n, pooled))
        self.intensity_ends[key] = (lo, hi, ends[0], ends[1])

    @staticmethod
    def _scaled(members: list[tuple[tuple[float, ...], float]], ref: tuple[float, ...],
                mix: tuple[float, ...]) -> tuple[list[list[float]], float]:
        """One model's rows as the NNLS of a mix sees them (reference rate / rate, times the measured speed: relative
        time) and the model's level under `mix` (least squares on relative time)."""
        xs = [[ref[j] / c[j] * math.exp(y) for j in range(len(ref))] for c, y in members]
        pred = [sum(s * x for s, x in zip(mix, row)) for row in xs]
        return xs, sum(pred) / sum(p * p for p in pred)

    @staticmethod
    def _pool(mix: tuple[float, ...], models: int, pooled: tuple[float, ...]) -> tuple[float, ...]:
        """A mix fitted on `models` models pooled towards the class mix, as if that were MIX_POOL_MODELS more."""
        return tuple((models * v + MIX_POOL_MODELS * p) / (models + MIX_POOL_MODELS) for v, p in zip(mix, pooled))

    @staticmethod
    def _joint(mix: tuple[float, ...], keys: list[tuple], groups: dict, ref: tuple[float, ...]) -> tuple[float, ...]:
        """One mix for every model of a family: alternate each model's level (least squares on relative time) with
        non-negative least squares of the shared mix over all their rows, starting from the mean of the models'
        own mixes."""
        for _ in range(JOINT_ITERATIONS):
            a: list[list[float]] = []
            b: list[float] = []
            for g in keys:
                xs, level = _Roofline._scaled(groups[g], ref, mix)
                a.extend([level * x for x in row] for row in xs)
                b.extend([1.0] * len(xs))
            w = _nnls(a, b)
            total = sum(w)
            if total <= 0:
                break
            mix = tuple(v / total for v in w)
        return mix

    def _capacities(self, gpu_id: str, precision: JobPrecision) -> tuple[float, ...] | None:
        key = (gpu_id, precision)
        if key not in self._caps:
            self._caps[key] = capacities(self.gpus[gpu_id], precision)
        return self._caps[key]

    def _fitted_capacities(self, gpu_id: str, precision: JobPrecision) -> tuple[float, ...]:
        """_capacities of a fitted row's GPU, which computes in the row's precision (ThroughputModel.fit)."""
        caps = self._capacities(gpu_id, precision)
        if caps is None:
            raise ValueError(f"{gpu_id} cannot compute in {precision}: no fitted row stands on it")
        return caps

    def __call__(self, gpu_id: str, family: Family, precision: JobPrecision,
                 intensity: float | None = None) -> float | None:
        cls = PRECISION_CLASS[precision]
        caps = self._capacities(gpu_id, precision)
        if caps is None or (family, cls) not in self.mix:
            return None
        ref = self.reference[cls]
        mix = self.mix[(family, cls)]
        if intensity is not None and (family, cls) in self.intensity_ends:
            lo, hi, low_mix, high_mix = self.intensity_ends[(family, cls)]
            t = min(1.0, max(0.0, (intensity - lo) / (hi - lo)))
            mix = tuple((1 - t) * a + t * b for a, b in zip(low_mix, high_mix))
        return -math.log(sum(s * r / c for s, r, c in zip(mix, ref, caps)))

    def describe(self) -> str:
        return f"time shares ({', '.join(ROOFLINE_RATES)}) at the reference GPU " + ", ".join(
            f"{f.value}/{p.value} {tuple(round(v, 2) for v in mix)}" for (f, p), mix in sorted(
                self.mix.items(), key=lambda kv: (kv[0][0].value, kv[0][1].value))) + (
            "; intensity ends " + ", ".join(
                f"{f.value}/{p.value} {lo:.2f}: {tuple(round(v, 2) for v in a)}, {hi:.2f}: "
                f"{tuple(round(v, 2) for v in b)}" for (f, p), (lo, hi, a, b) in sorted(
                    self.intensity_ends.items(), key=lambda kv: (kv[0][0].value, kv[0][1].value)))
            if self.intensity_ends else "")


SHAPES = {"loglinear": _LogLinear, "roofline": _Roofline}


@dataclass
class _Fit:
    shape: _LogLinear | _Roofline
    # (gpu, family, precision) -> [(model, residual)], so one model can be left out of an anchor
    residual_rows: dict[tuple[str, Family, JobPrecision], list[tuple[str, float]]]
    ranges: dict[JobPrecision, set[str]]  # the fitted GPUs per precision, whose spec range a prediction may leave
    gpus: dict[str, Gpu] = field(default_factory=dict)
    # family -> k: an anchor of n residuals is shrunk by n / (n + k) towards the spec sheet (see _shrinkage)
    shrink: dict[Family, float] = field(default_factory=dict)
    # family -> slope of log throughput on log batch size (0 where the fit does not separate batch)
    batch_slope: dict[Family, float] = field(default_factory=dict)
    # group -> log arithmetic intensity of the workload (data/job_workloads.csv), where known
    intensity: dict[tuple, float] = field(default_factory=dict)

    def batch_term(self, m: Measurement, r: Measurement) -> float:
        """log(speed of m's run / speed of r's run) owed to their batch sizes alone (0 where either is unknown)."""
        if m.batch_size is None or r.batch_size is None:
            return 0.0
        return self.batch_slope.get(m.family, 0.0) * math.log(m.batch_size / r.batch_size)


def _shrinkage(residual_rows: dict[tuple[str, Family, JobPrecision], list[tuple[str, float]]],
               pooled: bool = False) -> dict[Family, float]:
    """Empirical-Bayes shrinkage of a GPU's anchor, per family: a GPU's residual on one model is its own offset
    (variance tau2 across GPUs) plus the model's own deviation (variance sigma2), so the best guess of the offset for
    a new model from n measured ones is their mean times n / (n + sigma2 / tau2). sigma2 is the pooled variance of
    residuals inside each (GPU, family, precision) cell; tau2 the variance of the cell means less sigma2's share of
    it (method of moments). k = sigma2 / tau2; infinite (no anchor) where tau2 is not positive."""
    out = {}
    for family in FITTED_FAMILIES:
        cells = [[r for _, r in rows] for (_, f, _), rows in residual_rows.items() if pooled or f is family]
        within = sum(sum((r - sum(c) / len(c)) ** 2 for r in c) for c in cells)
        dof = sum(len(c) - 1 for c in cells)
        means = [sum(c) / len(c) for c in cells]
        if dof <= 0 or len(means) < 3:
            out[family] = 0.0
            continue
        sigma2 = within / dof
        grand = sum(means) / len(means)
        tau2 = sum((m - grand) ** 2 for m in means) / (len(means) - 1) - sigma2 * sum(1 / len(c) for c in cells) / len(
            cells)
        out[family] = sigma2 / tau2 if tau2 > 0 else math.inf
    return out


def _batch_offsets(rows: list[tuple[Measurement, float]]) -> list[float]:
    """Each row's log batch size less its group's mean (0 where the row or its group publishes none)."""
    logs: dict[tuple, list[float]] = {}
    for m, _ in rows:
        if m.batch_size is not None:
            logs.setdefault(m.group, []).append(math.log(m.batch_size))
    return [math.log(m.batch_size) - sum(logs[m.group]) / len(logs[m.group]) if m.batch_size is not None else 0.0
            for m, _ in rows]


def _group_demeaned(rows: list[tuple[Measurement, float]], values: list[float]) -> list[float]:
    sums: dict[tuple, list[float]] = {}
    for (m, _), v in zip(rows, values):
        sums.setdefault(m.group, []).append(v)
    return [v - sum(sums[m.group]) / len(sums[m.group]) for (m, _), v in zip(rows, values)]


def _fit(rows: list[tuple[Measurement, float]], gpus: dict[str, Gpu], shape: str = SHAPE,
         shrink: str = SHRINK, batch: bool = BATCH_COVARIATE, intensity: dict[tuple, float] | None = None) -> _Fit:
    """The shape (relative log speed per GPU), then each row's residual inside its group: (y - s) less its
    group's mean, which is what one intercept per group leaves. With `batch`, a per-family slope on log batch size
    (within groups) is fitted by alternating with the shape, and the shape and residuals are those of the
    batch-adjusted rows."""
    slopes: dict[Family, float] = {}
    intensity = intensity or {}
    offsets = _batch_offsets(rows) if batch else [0.0] * len(rows)
    adjusted = rows
    for _ in range(BATCH_ITERATIONS if batch and any(offsets) else 1):
        adjusted = [(m, y - slopes.get(m.family, 0.0) * b) for (m, y), b in zip(rows, offsets)]
        model = SHAPES[shape](adjusted, gpus, intensity)
        if not (batch and any(offsets)):
            break
        # slope of what the shape leaves of the unadjusted rows on the batch offsets, per family
        left = _group_demeaned(rows, [y - model(m.gpu_id, m.family, m.precision, intensity.get(m.group))
                                      for m, y in rows])
        for family in FITTED_FAMILIES:
            pairs = [(b, e) for (m, _), b, e in zip(rows, offsets, left) if m.family is family]
            sxx = sum(b * b for b, _ in pairs)
            slopes[family] = max(0.0, sum(b * e for b, e in pairs) / sxx) if sxx > 0 else 0.0
    if batch and any(offsets):
        adjusted = [(m, y - slopes.get(m.family, 0.0) * b) for (m, y), b in zip(rows, offsets)]
        model = SHAPES[shape](adjusted, gpus, intensity)
    groups: dict[tuple, list[tuple[Measurement, float]]] = {}
    for m, y in adjusted:
        groups.setdefault(m.group, []).append((m, y - model(m.gpu_id, m.family, m.precision,
                                                            intensity.get(m.group))))
    residual_rows: dict[tuple, list[tuple[str, float]]] = {}
    ranges: dict[JobPrecision, set[str]] = {}
    for members in groups.values():
        mean = sum(d for _, d in members) / len(members)
        for m, d in members:
            residual_rows.setdefault((m.gpu_id, m.family, m.precision), []).append((m.model, d - mean))
            ranges.setdefault(m.precision, set()).add(m.gpu_id)
    return _Fit(model, residual_rows, ranges, gpus=gpus,
                shrink={} if shrink == "none" else _shrinkage(residual_rows, pooled=shrink == "pooled"),
                batch_slope=slopes, intensity=intensity)


def _shape_at(fit: _Fit, gpu_id: str, family: Family, precision: JobPrecision,
              intensity: float | None = None) -> float:
    """The fit's log speed where it is defined: a GPU that computes in the precision, of a family the fit has a
    shape for (every fitted row's, and every measured family's); `intensity` is the workload's log arithmetic
    intensity, where known."""
    s = fit.shape(gpu_id, family, precision, intensity)
    if s is None:
        raise ValueError(f"no fitted {family} shape for {gpu_id} in {precision}")
    return s


def _residual(fit: _Fit, gpu_id: str, family: Family, precision: JobPrecision,
              leave_out_model: str | None = None) -> tuple[float, int] | None:
    """A GPU's mean residual for a family (at the precision class, else any measured precision), leaving one
    model out and shrunk towards 0 (the spec sheet) by the fit's empirical-Bayes factor; None when the GPU has no
    such point."""
    cls = PRECISION_CLASS[precision]
    for precisions in ((cls,), MEASURED_PRECISIONS):
        vals = [r for p in precisions for model, r in fit.residual_rows.get((gpu_id, family, p), [])
                if model != leave_out_model]
        if vals:
            k = fit.shrink.get(family, 0.0)
            return (0.0 if math.isinf(k) else sum(vals) / (len(vals) + k)), len(vals)
    return None


def _outside(fit: _Fit, gpu: Gpu, precision: JobPrecision) -> bool:
    """Whether any rate the fit's shape divides by (the roofline's four; the log-linear shape's two) lies outside the
    range of the GPUs the fit saw at the precision class: a power limit or CUDA-core rate beyond them is as much an
    extrapolation as a peak beyond them (a held-out T4, at 70 W, lies below every other measured GPU's limit)."""
    cls = PRECISION_CLASS[precision]
    names = ROOFLINE_RATES if isinstance(fit.shape, _Roofline) else FEATURES
    x = features(gpu, precision, names)
    maybe_seen = [features(fit.gpus[g], cls, names) for g in sorted(fit.ranges.get(cls, ()))]
    seen = [s for s in maybe_seen if s is not None]
    if x is None or not seen or len(seen) < len(maybe_seen):
        return True
    return any(x[j] < min(s[j] for s in seen) - 1e-9 or x[j] > max(s[j] for s in seen) + 1e-9 for j in range(len(x)))


@dataclass(frozen=True)
class Speed:
    """A GPU's relative speed for a kind of work: log_speed (natural log, arbitrary scale shared by every GPU for
    the same family and precision), whether a measured point anchors it, whether its spec is extrapolated, and
    the sentence saying so."""

    gpu_id: str
    log_speed: float | None
    measured: bool
    extrapolated: bool
    supported: bool
    basis: str
    points: int = 0
    calibrated: bool = True  # False where no held-out error speaks for this kind of prediction (bandwidth-bound)
    families: tuple[Family, ...] = ()  # the measured families it stands on (their intervals apply)


@dataclass(eq=False)  # hashed by identity: caches key on the fitted model
class ThroughputModel:
    """Fitted relative-speed model with its leave-one-GPU-out calibration. scikit-learn's contract: __init__ stores
    parameters, fit returns self, learned attributes end in _ (shape_, loo_errors_, pools_)."""

    shape: str = SHAPE
    series: tuple[str, ...] = FIT_SERIES
    shrink: str = SHRINK
    new_workload: bool = CALIBRATE_NEW_WORKLOAD
    batch: bool = BATCH_COVARIATE
    use_cache: bool = True
    gpus_: dict[str, Gpu] = field(default_factory=dict)
    measurements_: tuple[Measurement, ...] = ()

    def fit(self, gpus: dict[str, Gpu], measurements: tuple[Measurement, ...],
            workloads: dict[tuple[str, str], MeasuredWorkload] | None = None) -> ThroughputModel:
        """Fit on the measurements; `workloads` (the architectures behind data/job_workloads.csv, read from the
        data folder when None) give each measured model its arithmetic intensity."""
        self.gpus_ = dict(gpus)
        self.measurements_ = tuple(m for m in measurements if m.gpu_id in gpus and m.precision in MEASURED_PRECISIONS
                                   and m.series.startswith(self.series))
        # Several rows of one GPU in one group (Lambda's four H100 SXM5 vendors) count once: their mean log.
        merged: dict[tuple, list[Measurement]] = {}
        for m in self.measurements_:
            merged.setdefault((m.group, m.gpu_id), []).append(m)
        self.rows_ = []
        for (_, gpu_id), ms in sorted(merged.items()):
            if features(gpus[gpu_id], ms[0].precision) is None or ms[0].family not in FITTED_FAMILIES:
                continue
            batches = [m.batch_size for m in ms if m.batch_size is not None]
            batch = math.exp(sum(math.log(b) for b in batches) / len(batches)) if len(batches) == len(ms) else None
            log_speed = sum(math.log(m.throughput_per_s) for m in ms) / len(ms)
            self.rows_.append((replace(ms[0], batch_size=batch), log_speed))
        self.fitted_gpus_ = sorted({m.gpu_id for m, _ in self.rows_})
        # (gpu, family, precision) -> the kinds of run its measured rows are (a T4 is measured in inference only)
        self.anchor_kinds_: dict[tuple[str, Family, JobPrecision], set[JobKind]] = {}
        for m, _ in self.rows_:
            self.anchor_kinds_.setdefault((m.gpu_id, m.family, m.precision), set()).add(m.kind)
        self.intensity_ = _group_intensities(self.rows_, load_workloads() if workloads is None else workloads)
        self.fit_ = _fit(self.rows_, self.gpus_, self.shape, self.shrink, self.batch, self.intensity_)
        self.shape_ = self.fit_.shape
        self._loo: list[dict] | None = None
        # The calibration refits the model some 150 times (about 4 s); its outcome, the pools, depends only on
        # the rows, the spec sheets and these settings, so it is cached on disk under a hash of exactly those.
        key = hashlib.sha256(repr((POOLS_CACHE_VERSION, self.shape, self.series, self.shrink, self.new_workload,
                                   self.batch, GROUPED_CONFORMAL, self.rows_, sorted(self.gpus_.items()),
                                   sorted(self.intensity_.items()))).encode()).hexdigest()[:32]
        pools = _read_pools(key) if self.use_cache else None
        if pools is None:
            pools = self._pools(self.loo_errors_)
            if self.use_cache:
                write_cache("job-pools", key, {"pools": [[kind, family and str(family), lo, hi, n]
                                                         for (kind, family), (lo, hi, n) in pools.items()]})
        self.pools_ = pools
        return self

    @property
    def loo_errors_(self) -> list[dict]:
        """Every held-out pair's error (see _loo_errors), computed when first asked for (bench_job asks)."""
        if self._loo is None:
            self._loo = self._loo_errors(self.new_workload)
        return self._loo

    def _loo_errors(self, leave_model_out: bool = CALIBRATE_NEW_WORKLOAD,
                    kin: Callable[[str], str] | None = None) -> list[dict]:
        """Every held-out pair: GPU g predicted from GPU r on a model both measured, with r's anchor from its other
        models. Spec pool: by a fit that never saw g; measured pool: g anchored on its own other models.
        error = log(true speed ratio / predicted), i.e. log(predicted hours / true hours).

        With leave_model_out (the default) no fit sees the model either, as no fit will see a user's workload: the
        spec pool's fit is one per held-out GPU and model, the measured pool's one per model. Without it (the first
        protocol) the fits see the model on the other GPUs. `kin` maps a model to the models left out with it (a
        stress test: BERT base with BERT large)."""
        kin = kin or (lambda name: name)
        by_group: dict[tuple, dict[str, tuple[float, Measurement]]] = {}
        for m, y in self.rows_:
            by_group.setdefault(m.group, {})[m.gpu_id] = (y, m)
        seen_fits: dict[str | None, _Fit] = {None: self.fit_}

        def seen_fit(model: str) -> _Fit:
            key = model if leave_model_out else None
            if key not in seen_fits:
                seen_fits[key] = _fit([row for row in self.rows_ if key is None or kin(row[0].model) != kin(key)],
                                      self.gpus_, self.shape, self.shrink, self.batch, self.intensity_)
            return seen_fits[key]

        out = []
        for g in self.fitted_gpus_:
            fits: dict[str | None, _Fit] = {}
            for members in by_group.values():
                if g not in members:
                    continue
                y_g, m = members[g]
                key = m.model if leave_model_out else None
                if key not in fits:
                    fits[key] = _fit([row for row in self.rows_
                                      if row[0].gpu_id != g and (key is None or kin(row[0].model) != kin(key))],
                                     self.gpus_, self.shape, self.shrink, self.batch, self.intensity_)
                fit, full = fits[key], seen_fit(m.model)
                x = self.intensity_.get(m.group)  # a property of the job description, known before any run
                s_g = _shape_at(fit, g, m.family, m.precision, x)
                outside = _outside(fit, self.gpus_[g], m.precision)
                full_g = _shape_at(full, g, m.family, m.precision, x)
                res_g_full = _residual(full, g, m.family, m.precision, leave_out_model=m.model)
                for r, (y_r, m_r) in members.items():
                    if r == g:
                        continue
                    res_r = _residual(fit, r, m.family, m.precision, leave_out_model=m.model)
                    # the two runs' batch sizes are conditions of the published pair, not of the GPU
                    pred = (s_g - _shape_at(fit, r, m.family, m.precision, x) - (res_r[0] if res_r else 0.0)
                            + fit.batch_term(m, m_r))
                    true = y_g - y_r  # log(speed_g / speed_r) = log(hours_r / hours_g)
                    base = {"gpu": g, "ref": r, "model": m.model, "family": m.family, "precision": m.precision,
                            "series": m.series}
                    out.append({**base, "pool": "extrapolated" if outside else "spec", "error": true - pred})
                    if res_g_full is not None:
                        res_r_full = _residual(full, r, m.family, m.precision, leave_out_model=m.model)
                        pred_m = (full_g - _shape_at(full, r, m.family, m.precision, x) + res_g_full[0]
                                  - (res_r_full[0] if res_r_full else 0.0) + full.batch_term(m, m_r))
                        out.append({**base, "pool": "measured", "error": true - pred_m})
        return out

    @staticmethod
    def _pools(errors: list[dict], exclude_gpu: str | None = None, grouped: bool | None = None,
               ) -> dict[tuple[str, Family | None], tuple[float, float, int]]:
        """Conformal p10 and p90 of log(true hours / predicted hours) per kind of prediction (spec, measured,
        extrapolated) and family, with an all-families pool per kind (family None) for a family with fewer than
        MIN_POOL errors; a kind with fewer than MIN_POOL borrows the spec pool, widened by WIDEN. `grouped`: the
        held-out GPUs are the exchangeable units (hierarchical_conformal_bounds); where too few GPUs leave a finite
        bound, the errors as one pool, widened by WIDEN. None: GROUPED_CONFORMAL as it is now (the cache key reads
        it at fit time too)."""
        grouped = GROUPED_CONFORMAL if grouped is None else grouped
        pools: dict[tuple[str, Family | None], dict[str, list[float]]] = {}
        for e in errors:
            if e["gpu"] != exclude_gpu and e["ref"] != exclude_gpu:
                for key in ((e["pool"], e["family"]), (e["pool"], None)):
                    pools.setdefault(key, {}).setdefault(e["gpu"], []).append(-e["error"])

        def flat(key: tuple[str, Family | None]) -> list[float]:
            return [v for vals in pools.get(key, {}).values() for v in vals]

        def bounds(key: tuple[str, Family | None]) -> tuple[float, float]:
            if grouped:
                lo, hi = hierarchical_conformal_bounds(pools[key])
                if math.isfinite(lo) and math.isfinite(hi):
                    return lo, hi
                lo, hi = conformal_bounds(flat(key))
                return lo * WIDEN, hi * WIDEN
            return conformal_bounds(flat(key))

        spec = flat(("spec", None)) + flat(("extrapolated", None))
        out = {}
        for kind in ("spec", "measured", "extrapolated"):
            for family in (None, *FITTED_FAMILIES):
                n = len(flat((kind, family)))
                if n >= MIN_POOL:
                    out[(kind, family)] = (*bounds((kind, family)), n)
                elif family is None:
                    lo, hi = conformal_bounds(spec)
                    out[(kind, family)] = (lo * WIDEN, hi * WIDEN, n)
                else:
                    out[(kind, family)] = out[(kind, None)]
        return out

    def speed(self, gpu_id: str, family: Family, precision: JobPrecision, bandwidth_bound: bool = False,
              intensity: float | None = None) -> Speed:
        """A GPU's relative speed for the work; bandwidth_bound scales by memory bandwidth alone (token-by-token LLM
        decoding reads every weight once per token). `intensity` is the workload's log arithmetic intensity
        (memory.transformer_intensity), where its architecture gives one: it sets the workload's mix between the
        family's end mixes (INTENSITY)."""
        gpu = self.gpus_[gpu_id]
        x = features(gpu, precision)
        if x is None:
            return Speed(gpu_id, None, False, False, False,
                         f"{gpu.name} cannot compute in {precision.label} (its spec sheet lists no such units)")
        if bandwidth_bound:
            return Speed(gpu_id, math.log(gpu.memory_bandwidth_gbps), False, False, True,
                         "token-by-token decoding is bound by memory bandwidth: scaled by the spec sheet's GB/s; "
                         "no measured decoding point, so the interval is the widest held-out one", calibrated=False)
        # (log speed, residual or None) per family standing in for this one
        parts = [(_shape_at(self.fit_, gpu_id, f, precision, intensity), _residual(self.fit_, gpu_id, f, precision))
                 for f in FAMILY_PROXY[family]]
        shifted = [f for f in FAMILY_PROXY[family] if isinstance(self.shape_, _Roofline) and (
            f, PRECISION_CLASS[precision]) in self.shape_.intensity_ends]
        mix_note = "" if not shifted else (
            f"; mix set by its arithmetic intensity ({math.exp(intensity):.0f} FLOPs per byte"
            f"{self._intensity_range_note(shifted, precision, intensity)})" if intensity is not None
            else "; no architecture for its arithmetic intensity: the family's mix")
        extrapolated = _outside(self.fit_, gpu, precision)
        anchors = [r for _, r in parts if r is not None]
        measured = len(anchors) == len(parts)
        log_speed = sum(lin + (r[0] if measured and r is not None else 0.0) for lin, r in parts) / len(parts)
        names = "/".join(f.value for f in FAMILY_PROXY[family])
        borrowed = "" if FAMILY_PROXY[family] == (family,) else f" (no {family.value} model is measured; from {names})"
        if measured:
            n = sum(r[1] for r in anchors)
            kinds = set().union(*(self._anchor_kinds(gpu_id, f, precision) for f in FAMILY_PROXY[family]))
            # a training job anchored on inference runs alone should know it (the T4: NVIDIA's READMEs only)
            only = (f" ({next(iter(kinds)).value} runs only)" if len(kinds) == 1 and JobKind.TRAINING not in kinds
                    else "")
            return Speed(gpu_id, log_speed, True, extrapolated, True,
                         f"anchored on {n} measured {names} point(s) of this GPU{only}{borrowed}{mix_note}", n,
                         families=FAMILY_PROXY[family])
        basis = f"no measured {family.value} point for this GPU; from its spec sheet{borrowed}{mix_note}"
        if extrapolated:
            basis += " (extrapolated: its spec lies outside the measured GPUs' range)"
        return Speed(gpu_id, log_speed, False, extrapolated, True, basis, families=FAMILY_PROXY[family])

    def _anchor_kinds(self, gpu_id: str, family: Family, precision: JobPrecision) -> set[JobKind]:
        """The kinds of run behind the GPU's anchor for the family, at the precisions _residual draws on: the
        precision class where it has rows, else every measured precision."""
        for precisions in ((PRECISION_CLASS[precision],), MEASURED_PRECISIONS):
            kinds = set().union(*(self.anchor_kinds_.get((gpu_id, family, p), set()) for p in precisions))
            if kinds:
                return kinds
        return set()

    def _intensity_range_note(self, families: list[Family], precision: JobPrecision, intensity: float) -> str:
        """Where a workload's log intensity lies beyond the measured workloads' (the end mixes'), say so."""
        assert isinstance(self.shape_, _Roofline)
        ends = [self.shape_.intensity_ends[(f, PRECISION_CLASS[precision])] for f in families
                if (f, PRECISION_CLASS[precision]) in self.shape_.intensity_ends]
        if any(intensity > e[1] for e in ends):
            top = math.exp(max(e[1] for e in ends))
            return f"; above the measured workloads' {top:.0f}: their most compute-bound mix"
        if any(intensity < e[0] for e in ends):
            bottom = math.exp(min(e[0] for e in ends))
            return f"; below the measured workloads' {bottom:.0f}: their most memory-bound mix"
        return ""

    def interval(self, speed: Speed) -> tuple[float, float]:
        """p10 and p90 of log(true hours / predicted hours) for a prediction of this kind (the widest over the
        families it stands on)."""
        families = speed.families or (None,)

        def pool(kind: str) -> tuple[float, float]:
            bounds = [self.pools_[(kind, f)] for f in families]
            return min(b[0] for b in bounds), max(b[1] for b in bounds)

        if speed.measured:
            return pool("measured")
        if speed.extrapolated or speed.log_speed is None or not speed.calibrated:
            (lo, hi), (s_lo, s_hi) = pool("extrapolated"), pool("spec")
            if not speed.calibrated:
                return min(lo, s_lo, *(v[0] for v in self.pools_.values())), max(hi, s_hi, *(
                    v[1] for v in self.pools_.values()))
            return min(lo, s_lo), max(hi, s_hi)
        return pool("spec")


# Bump when the calibration's code changes in a way its inputs do not show.
POOLS_CACHE_VERSION = 6  # 2: family mixes pooled towards the all-family mix (MIX_POOL_MODELS); 3: intensity slope;
# 4: intensity end mixes; 5: GROUPED_CONFORMAL joins the key; 6: every roofline rate bounds the extrapolation flag
# Cached pools are a dozen numbers; anything far larger is not them.
MAX_POOLS_CACHE_BYTES = 100_000
_POOL_KINDS = ("spec", "measured", "extrapolated")


def _read_pools(key: str) -> dict[tuple[str, Family | None], tuple[float, float, int]] | None:
    """The cached pools for this key, or None when missing or not what this code writes (E18: refitted, never
    raised)."""
    data = read_cache("job-pools", key, MAX_POOLS_CACHE_BYTES)
    rows = data.get("pools") if data else None
    if not isinstance(rows, list) or not rows:
        return None
    out: dict[tuple[str, Family | None], tuple[float, float, int]] = {}
    families = {str(f): f for f in Family}
    for row in rows:
        if not (isinstance(row, list) and len(row) == 5 and row[0] in _POOL_KINDS
                and (row[1] is None or row[1] in families)
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                        and abs(v) < 100 for v in row[2:4])
                and isinstance(row[4], int) and not isinstance(row[4], bool) and row[4] >= 0 and row[2] <= row[3]):
            return None
        out[(row[0], None if row[1] is None else families[row[1]])] = (float(row[2]), float(row[3]), row[4])
    return out


@lru_cache(maxsize=4)
def _model_for(gpu_items: tuple[tuple[str, Gpu], ...], data_dir: str) -> ThroughputModel:
    path = Path(data_dir)
    gpus = dict(load_extra_gpus(path))
    gpus.update(dict(gpu_items))
    return ThroughputModel().fit(gpus, load_measurements(path), load_workloads(path))


def throughput_model(catalog_gpus: dict[str, Gpu], data_dir: Path | str = DATA_DIR) -> ThroughputModel:
    """The model fitted on the catalog's GPUs plus the measured extra GPUs, computed once per process."""
    return _model_for(tuple(sorted(catalog_gpus.items())), str(data_dir))
