"""A per-GPU throughput model by kind of work, fitted on published training throughputs and calibrated
leave-one-GPU-out.

Every measured row is (GPU, model, precision, samples per second) from data/job_throughput.csv (Lambda's PyTorch
benchmark). The model is log-linear with one intercept per (source, model, precision) group:

    log(throughput) = intercept[group] + b1 * log(peak TFLOPS at the precision) + b2 * log(memory GB/s)

so only ratios between GPUs are learnt, which is what a job's time on another GPU needs. Each measured GPU keeps its
own residual per family (cnn, transformer, rnn): a GPU with a measured point for a family is anchored on it; one
without is predicted from its spec sheet alone. The p10-p90 interval is split-conformal: the 10th and 90th
percentiles of the leave-one-GPU-out errors (each GPU predicted by a fit that never saw it, from every other GPU that
measured the same model), kept apart for GPUs predicted from the spec sheet, GPUs with a measured point, and GPUs
whose spec lies outside the measured range (extrapolated).

The fit is plain Python (a few hundred rows and two coefficients), so the CLI's hot path imports neither numpy nor
scikit-learn; it is computed once per process and data folder.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..catalog import DATA_DIR, Gpu
from ..catalog.records import Provenance, TensorSpecs
from ..errors import CatalogError
from ..vocab import Confidence, Family, JobKind, JobPrecision

MEASUREMENTS_FILE = "job_throughput.csv"
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
# A pool of calibration errors smaller than this borrows the spec-sheet pool, widened by this factor.
MIN_POOL = 30
WIDEN = 1.5
# Whether the FP32 rows use the TF32 tensor-core peak where the GPU has one. Lambda's NGC containers allow TF32 by
# default; the leave-one-GPU-out median error with it is lower (README, "Your job on every GPU").
FP32_USES_TF32 = True
# The series the model is fitted on. data/job_throughput.csv also holds AI Benchmark's per-sub-test times
# (TensorFlow 1.14 to 2.18, small batches, six GPUs); fitting on them too made the held-out error worse (median 15.8%
# to 18.9%, interval coverage 79.8% to 77.1%: `python -m benchmarks.bench_job --series all`), so they stay out.
FIT_SERIES = ("lambda",)


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


def features(gpu: Gpu, precision: JobPrecision, names: tuple[str, ...] | None = None) -> tuple[float, ...] | None:
    """The model's inputs (logs): peak at the precision, memory bandwidth (GB/s), and optionally memory (GiB) and
    power limit (W). None when the GPU cannot compute in the precision."""
    peak = peak_tflops(gpu, precision)
    if peak is None:
        return None
    values = {"peak": peak, "bandwidth": gpu.memory_bandwidth_gbps, "memory": gpu.memory_gib,
              "power": gpu.tensor.power_w or 250.0}
    return tuple(math.log(values[n]) for n in (names or FEATURES))


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

    @property
    def group(self) -> tuple[str, str, str]:
        return self.series, self.model, str(self.precision)


def _read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return [(i, row) for i, row in enumerate(csv.DictReader(fh), start=2)]
    except OSError as exc:
        raise CatalogError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None


def _number(name: str, line: int, row: dict, column: str, required: bool = True) -> float | None:
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
                               row["as_of"].strip(), kind))
    return tuple(out)


def load_extra_gpus(data_dir: Path = DATA_DIR) -> dict[str, Gpu]:
    """Spec sheets of measured GPUs that no plan offers (job_gpus.csv), as catalog Gpu records."""
    import datetime as dt

    name = EXTRA_GPUS_FILE
    gpus = {}
    for line, row in _read_csv(data_dir / name):
        num = lambda c, req=True, line=line, row=row: _number(name, line, row, c, req)  # noqa: E731
        tensor = TensorSpecs(num("tensor_fp16_tflops", False), num("tensor_tf32_tflops", False),
                             num("tensor_bf16_tflops", False), num("int8_tops", False), num("fp8_tflops", False),
                             num("power_w", False), row["source"])
        prov = Provenance(row["source"], dt.date.fromisoformat(row["as_of"]), Confidence(row["confidence"]),
                          row.get("note") or "", file=name, line=line)
        gpus[row["gpu_id"]] = Gpu(row["gpu_id"], row["name"], row["vendor"], num("memory_gib"), num("fp32_tflops"),
                                  num("fp16_tflops", False), num("memory_bandwidth_gbps"), prov, tensor=tensor)
    return gpus


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
    return [m[i][n] / m[i][i] for i in range(n)]


def _quantile(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return 0.0
    pos = q * (len(s) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


@dataclass
class _Fit:
    coef: list[float]
    # (gpu, family, precision class) -> mean residual, and row counts, per model so one model can be left out
    residual_rows: dict[tuple[str, Family, JobPrecision], list[tuple[str, float]]]
    ranges: dict[JobPrecision, list[tuple[float, float]]]


def _fit(rows: list[tuple[Measurement, tuple[float, float], float]], alpha: float = RIDGE_ALPHA) -> _Fit:
    """Least squares with one intercept per group (the within estimator: demean y and x inside each group)."""
    groups: dict[tuple, list[int]] = {}
    for i, (m, _, _) in enumerate(rows):
        groups.setdefault(m.group, []).append(i)
    k = len(rows[0][1])
    xtx = [[alpha if i == j else 0.0 for j in range(k)] for i in range(k)]
    xty = [0.0] * k
    centred = {}
    for idx in groups.values():
        mx = [sum(rows[i][1][j] for i in idx) / len(idx) for j in range(k)]
        my = sum(rows[i][2] for i in idx) / len(idx)
        for i in idx:
            dx = [rows[i][1][j] - mx[j] for j in range(k)]
            dy = rows[i][2] - my
            centred[i] = (dx, dy)
            for a in range(k):
                xty[a] += dx[a] * dy
                for b in range(k):
                    xtx[a][b] += dx[a] * dx[b]
    coef = _solve(xtx, xty)
    residual_rows: dict[tuple, list[tuple[str, float]]] = {}
    ranges: dict[JobPrecision, list[tuple[float, float]]] = {}
    for i, (m, x, _) in enumerate(rows):
        dx, dy = centred[i]
        res = dy - sum(c * v for c, v in zip(coef, dx))
        residual_rows.setdefault((m.gpu_id, m.family, m.precision), []).append((m.model, res))
        ranges.setdefault(m.precision, []).append(_raw(x))
    return _Fit(coef, residual_rows, ranges)


def _raw(x: tuple[float, ...]) -> tuple[float, ...]:
    """Undo design(): the block that is not all zeros (sum of the blocks)."""
    k = len(FEATURES)
    return tuple(sum(x[b * k + j] for b in range(len(x) // k)) for j in range(k))


def _residual(fit: _Fit, gpu_id: str, family: Family, precision: JobPrecision,
              leave_out_model: str | None = None) -> tuple[float, int] | None:
    """A GPU's mean residual for a family (at the precision class, else any measured precision), leaving one
    model out; None when the GPU has no such point."""
    cls = PRECISION_CLASS[precision]
    for precisions in ((cls,), MEASURED_PRECISIONS):
        vals = [r for p in precisions for model, r in fit.residual_rows.get((gpu_id, family, p), [])
                if model != leave_out_model]
        if vals:
            return sum(vals) / len(vals), len(vals)
    return None


def _outside(fit: _Fit, x: tuple[float, float], precision: JobPrecision) -> bool:
    seen = fit.ranges.get(PRECISION_CLASS[precision]) or []
    if not seen:
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


@dataclass(eq=False)  # hashed by identity: caches key on the fitted model
class ThroughputModel:
    """Fitted relative-speed model with its leave-one-GPU-out calibration. scikit-learn's contract: __init__ stores
    parameters, fit returns self, learned attributes end in _ (coef_, loo_errors_, pools_)."""

    alpha: float = RIDGE_ALPHA
    series: tuple[str, ...] = FIT_SERIES
    gpus_: dict[str, Gpu] = field(default_factory=dict)
    measurements_: tuple[Measurement, ...] = ()

    def fit(self, gpus: dict[str, Gpu], measurements: tuple[Measurement, ...]) -> ThroughputModel:
        self.gpus_ = dict(gpus)
        self.measurements_ = tuple(m for m in measurements if m.gpu_id in gpus and m.precision in MEASURED_PRECISIONS
                                   and m.series.startswith(self.series))
        # Several rows of one GPU in one group (Lambda's four H100 SXM5 vendors) count once: their mean log.
        merged: dict[tuple, list[Measurement]] = {}
        for m in self.measurements_:
            merged.setdefault((m.group, m.gpu_id), []).append(m)
        self.rows_ = []
        for (_, gpu_id), ms in sorted(merged.items()):
            x = features(gpus[gpu_id], ms[0].precision)
            if x is None or ms[0].family not in FITTED_FAMILIES:
                continue
            self.rows_.append((ms[0], design(x, ms[0].family), sum(math.log(m.throughput_per_s) for m in ms) / len(ms)))
        self.fitted_gpus_ = sorted({m.gpu_id for m, _, _ in self.rows_})
        self.fit_ = _fit(self.rows_, self.alpha)
        self.coef_ = self.fit_.coef
        self.loo_errors_ = self._loo_errors()
        self.pools_ = self._pools(self.loo_errors_)
        return self

    def _loo_errors(self) -> list[dict]:
        """Every held-out pair: GPU g predicted from GPU r on a model both measured, by a fit that never saw g
        (the spec pool), and g predicted with its own residual from its other models (the measured pool).
        error = log(predicted hours / true hours)."""
        by_group: dict[tuple, dict[str, tuple[float, tuple[float, float], Measurement]]] = {}
        for m, x, y in self.rows_:
            by_group.setdefault(m.group, {})[m.gpu_id] = (y, x, m)
        out = []
        for g in self.fitted_gpus_:
            fit = _fit([row for row in self.rows_ if row[0].gpu_id != g], self.alpha)
            for members in by_group.values():
                if g not in members:
                    continue
                y_g, x_g, m = members[g]
                outside = _outside(fit, _raw(x_g), m.precision)
                for r, (y_r, x_r, _) in members.items():
                    if r == g:
                        continue
                    res_r = _residual(fit, r, m.family, m.precision, leave_out_model=m.model)
                    res_g_full = _residual(self.fit_, g, m.family, m.precision, leave_out_model=m.model)
                    slope = sum(c * (a - b) for c, a, b in zip(fit.coef, x_g, x_r))
                    pred = slope - (res_r[0] if res_r else 0.0)  # predicted log(speed_g / speed_r)
                    true = y_g - y_r
                    # hours_g = hours_r * speed_r / speed_g: log(pred hours / true hours) = true - pred
                    out.append({"gpu": g, "ref": r, "model": m.model, "family": m.family, "precision": m.precision,
                                "series": m.series, "pool": "extrapolated" if outside else "spec",
                                "error": true - pred})
                    if res_g_full is not None:
                        full_slope = sum(c * (a - b) for c, a, b in zip(self.coef_, x_g, x_r))
                        res_r_full = _residual(self.fit_, r, m.family, m.precision, leave_out_model=m.model)
                        pred_m = full_slope + res_g_full[0] - (res_r_full[0] if res_r_full else 0.0)
                        out.append({"gpu": g, "ref": r, "model": m.model, "family": m.family,
                                    "precision": m.precision, "series": m.series, "pool": "measured",
                                    "error": true - pred_m})
        return out

    @staticmethod
    def _pools(errors: list[dict], exclude_gpu: str | None = None) -> dict[str, tuple[float, float, int]]:
        """p10 and p90 of log(true hours / predicted hours) per pool."""
        pools: dict[str, list[float]] = {}
        for e in errors:
            if e["gpu"] != exclude_gpu and e["ref"] != exclude_gpu:
                pools.setdefault(e["pool"], []).append(-e["error"])
        spec = pools.get("spec", []) + pools.get("extrapolated", [])
        out = {}
        for name in ("spec", "measured", "extrapolated"):
            vals = pools.get(name, [])
            if len(vals) >= MIN_POOL:
                out[name] = (_quantile(vals, LOW_Q), _quantile(vals, HIGH_Q), len(vals))
            else:
                lo, hi = _quantile(spec, LOW_Q), _quantile(spec, HIGH_Q)
                out[name] = (lo * WIDEN, hi * WIDEN, len(vals))
        return out

    def speed(self, gpu_id: str, family: Family, precision: JobPrecision, bandwidth_bound: bool = False) -> Speed:
        """A GPU's relative speed for the work; bandwidth_bound scales by memory bandwidth alone (token-by-token LLM
        decoding reads every weight once per token)."""
        gpu = self.gpus_[gpu_id]
        x = features(gpu, precision)
        if x is None:
            return Speed(gpu_id, None, False, False, False,
                         f"{gpu.name} cannot compute in {precision.label} (its spec sheet lists no such units)")
        if bandwidth_bound:
            return Speed(gpu_id, math.log(gpu.memory_bandwidth_gbps), False, False, True,
                         "token-by-token decoding is bound by memory bandwidth: scaled by the spec sheet's GB/s; "
                         "no measured decoding point, so the interval is the widest held-out one", calibrated=False)
        parts = []  # (log speed, residual or None) per family standing in for this one
        for f in FAMILY_PROXY[family]:
            linear = sum(c * v for c, v in zip(self.coef_, design(x, f)))
            parts.append((linear, _residual(self.fit_, gpu_id, f, precision)))
        extrapolated = _outside(self.fit_, x, precision)
        measured = all(r is not None for _, r in parts)
        log_speed = sum(lin + (r[0] if measured else 0.0) for lin, r in parts) / len(parts)
        names = "/".join(f.value for f in FAMILY_PROXY[family])
        borrowed = "" if FAMILY_PROXY[family] == (family,) else f" (no {family.value} model is measured; from {names})"
        if measured:
            n = sum(r[1] for _, r in parts)
            return Speed(gpu_id, log_speed, True, extrapolated, True,
                         f"anchored on {n} measured {names} point(s) of this GPU{borrowed}", n)
        basis = f"no measured {family.value} point for this GPU; from its spec sheet{borrowed}"
        if extrapolated:
            basis += " (extrapolated: its spec lies outside the measured GPUs' range)"
        return Speed(gpu_id, log_speed, False, extrapolated, True, basis)

    def interval(self, speed: Speed) -> tuple[float, float]:
        """p10 and p90 of log(true hours / predicted hours) for a prediction of this kind."""
        if speed.measured:
            return self.pools_["measured"][:2]
        if speed.extrapolated or speed.log_speed is None or not speed.calibrated:
            lo, hi, _ = self.pools_["extrapolated"]
            s_lo, s_hi, _ = self.pools_["spec"]
            return min(lo, s_lo), max(hi, s_hi)
        return self.pools_["spec"][:2]


@lru_cache(maxsize=4)
def _model_for(gpu_items: tuple[tuple[str, Gpu], ...], data_dir: str) -> ThroughputModel:
    path = Path(data_dir)
    gpus = dict(load_extra_gpus(path))
    gpus.update(dict(gpu_items))
    return ThroughputModel().fit(gpus, load_measurements(path))


def throughput_model(catalog_gpus: dict[str, Gpu], data_dir: Path | str = DATA_DIR) -> ThroughputModel:
    """The model fitted on the catalog's GPUs plus the measured extra GPUs, computed once per process."""
    return _model_for(tuple(sorted(catalog_gpus.items())), str(data_dir))
