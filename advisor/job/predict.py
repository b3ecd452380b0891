"""A job's time on every catalog GPU, from a time on a GPU the user knows or from a model's arithmetic."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from ..catalog import DATA_DIR
from ..errors import InvalidWorkloadError
from ..vocab import Family, JobKind, JobPrecision, Method
from .memory import (
    BYTES_PER_PARAM,
    DEFAULT_SEQ_LEN,
    memory_needed,
    per_sample_flops,
    training_flops_per_token,
    transformer_intensity,
)
from .models import ModelSpec, find_model, load_models
from .spec import GpuTime, Job, JobEstimate
from .throughput import (
    FAMILY_PROXY,
    HIGH_Q,
    LOW_Q,
    PRECISION_CLASS,
    Speed,
    ThroughputModel,
    _quantile,
    throughput_model,
)

# Lambda's models whose work per sample is known, and how: BERT SQuAD runs 384-token sequences (NVIDIA
# DeepLearningExamples PyTorch/LanguageModeling/BERT, run_squad's max_seq_length 384); ResNet-50 224x224 images.
CALIBRATION_SERIES = "lambda"
CALIBRATION_MODELS = {"bert_base_squad": ("bert-base", 384), "bert_large_squad": ("bert-large", 384),
                      "resnet50": ("resnet-50", None)}


def _combine(*intervals: tuple[float, float]) -> tuple[float, float]:
    """Independent log errors: the p10s and the p90s add in quadrature."""
    lo = -math.sqrt(sum(min(a, 0.0) ** 2 for a, _ in intervals))
    hi = math.sqrt(sum(max(b, 0.0) ** 2 for _, b in intervals))
    return lo, hi


@dataclass(frozen=True)
class Utilisation:
    """How many FLOPs per second a unit of the model's relative speed is, for one family and precision class:
    log_k (natural log) and the p10-p90 of log(true hours / predicted hours) across the calibration rows."""

    log_k: float
    interval: tuple[float, float]
    rows: int
    detail: str


@lru_cache(maxsize=8)
def _utilisations(model: ThroughputModel, data_dir: str) -> dict[tuple[Family, JobPrecision], Utilisation]:
    models = load_models(data_dir)
    values: dict[tuple[Family, JobPrecision], list[float]] = {}
    for m in model.measurements_:
        # Lambda's training runs only: the FLOPs below are a training step's, and the other series (NVIDIA's
        # DeepLearningExamples, inference among them) run other software at other absolute levels.
        if m.model not in CALIBRATION_MODELS or m.kind is not JobKind.TRAINING or not m.series.startswith(
                CALIBRATION_SERIES):
            continue
        spec_id, seq = CALIBRATION_MODELS[m.model]
        spec = models[spec_id]
        if seq:
            flops = training_flops_per_token(spec.params_billion * 1e9, Method.FULL) * seq
        else:
            assert spec.forward_gmacs is not None, f"{spec_id} is priced per sample: data/models.csv gives its GMACs"
            flops = per_sample_flops(spec.forward_gmacs, Method.FULL)
        speed = model.speed(m.gpu_id, m.family, m.precision, intensity=model.intensity_.get(m.group))
        if speed.log_speed is None:
            continue
        values.setdefault((m.family, PRECISION_CLASS[m.precision]), []).append(
            math.log(m.throughput_per_s * flops) - speed.log_speed)
    out = {}
    for key, vals in values.items():
        centre = _quantile(vals, 0.5)
        hours_dev = [centre - v for v in vals]
        out[key] = Utilisation(centre, (_quantile(hours_dev, LOW_Q), _quantile(hours_dev, HIGH_Q)), len(vals),
                               f"{len(vals)} Lambda {key[0].value} rows ({key[1].value})")
    return out


def _model_spec(catalog, job: Job, data_dir: str) -> ModelSpec:
    if job.model is not None:
        return find_model(job.model, data_dir)
    family = job.family or Family.TRANSFORMER
    assert job.params_billion is not None, "called for a job with a model name or params_billion"
    return ModelSpec("custom", f"a {job.params_billion:g}B-parameter model", (), family, job.params_billion,
                     None, None, None, None, None, None, None, "given by the user", "")


def _precision(job: Job) -> JobPrecision:
    if job.precision is not None:
        return job.precision
    return JobPrecision.FP32 if job.by_reference else JobPrecision.FP16


def _interval(model: ThroughputModel, speed: Speed) -> tuple[float, float]:
    return model.interval(speed)


def _gpu_time(gpu_id, hours, interval, speed: Speed, basis: str, fits: bool | None = None) -> GpuTime:
    lo, hi = interval
    return GpuTime(gpu_id, float(hours), float(hours * math.exp(lo)), float(hours * math.exp(hi)), basis,
                   speed.measured, fits is not False, speed.extrapolated, fits)


def _unsupported(gpu_id: str, speed: Speed) -> GpuTime:
    return GpuTime(gpu_id, None, None, None, speed.basis, False, False, False, None)


def estimate_job(catalog, job: Job, data_dir=DATA_DIR) -> JobEstimate:
    """The job's hours on every catalog GPU: median and p10-p90, each with its basis.

    Raises UnknownGpuError (reference GPU), UnknownModelError (model name, with a "did you mean") and
    InvalidWorkloadError (a precision the reference GPU cannot compute in, a model with no FLOP count and no
    reference, tokens for a model priced per sample)."""
    data_dir = str(data_dir)
    model = throughput_model(catalog.gpus, data_dir)
    precision = _precision(job)
    spec = _model_spec(catalog, job, data_dir) if (job.model or job.params_billion) else None
    family = job.family or (spec.family if spec else None) or Family.CNN
    method = job.method or (Method.INFERENCE if job.kind is JobKind.INFERENCE else Method.FULL)
    kind = JobKind.INFERENCE if method is Method.INFERENCE else job.kind
    decoding = family is Family.LLM and kind is JobKind.INFERENCE

    memory, breakdown, memory_note = None, {}, ""
    seq_len = None
    intensity = None
    if spec is not None:
        seq_len = job.seq_len or min(DEFAULT_SEQ_LEN, spec.context_tokens or DEFAULT_SEQ_LEN)
        if spec.forward_gmacs is not None and family is not Family.LLM:
            seq_len = spec.context_tokens
        if spec.hidden and spec.heads and seq_len and FAMILY_PROXY[family] == (Family.TRANSFORMER,):
            # the workload's place between the family's compute- and memory-bound mixes (throughput.INTENSITY)
            intensity = math.log(transformer_intensity(spec.hidden, spec.heads, seq_len, (job.batch or 1) * seq_len))
        mem = memory_needed(spec, method, precision, job.batch or 1, seq_len, kind)
        memory, breakdown, memory_note = round(mem.total_gib, 2), {k: round(v, 3) for k, v in mem.parts_gib.items()}, \
            mem.note
    speeds = {g: model.speed(g, family, precision, bandwidth_bound=decoding and job.by_reference,
                             intensity=intensity) for g in catalog.gpus}
    # Judged on the memory a program can use (a T4 shows about 15 GiB of its 16: data/gpu_memory.csv).
    fits = {g: (None if memory is None else memory <= gpu.usable_memory_gib) for g, gpu in catalog.gpus.items()}

    predictions: dict[str, GpuTime] = {}
    if job.by_reference:
        ref = catalog.gpu(job.reference_gpu)
        ref_speed, ref_hours = speeds[ref.gpu_id], job.reference_hours
        assert ref_hours is not None, "Job.__post_init__: a reference job has both the GPU and the hours"
        if not ref_speed.supported or ref_speed.log_speed is None:  # (unsupported: no log speed)
            raise InvalidWorkloadError("precision", f"{ref_speed.basis}; pick another precision or reference GPU")
        # A reference predicted from its spec sheet errs the other way round: if its speed is overestimated, every
        # other GPU's hours are too. Its held-out interval (for its own hours) is flipped for the others' hours.
        ref_lo, ref_hi = (0.0, 0.0) if ref_speed.measured else _interval(model, ref_speed)
        ref_interval = (-ref_hi, -ref_lo)
        for g, s in speeds.items():
            if not s.supported or s.log_speed is None:
                predictions[g] = _unsupported(g, s)
                continue
            if g == ref.gpu_id:
                predictions[g] = GpuTime(g, job.reference_hours, job.reference_hours, job.reference_hours,
                                         "your measurement", True, fits[g] is not False, False, fits[g])
                continue
            hours = ref_hours * math.exp(ref_speed.log_speed - s.log_speed)
            # The held-out pools were measured on pairs of one GPU from its spec sheet and one anchored GPU: a
            # spec-sheet reference with an anchored target is such a pair (the reference's pool, flipped), not the
            # sum of two pools.
            interval = (ref_interval if s.measured and not ref_speed.measured
                        else _combine(_interval(model, s), ref_interval))
            ref_note = "" if ref_speed.measured else f"; the reference {ref.gpu_id} is itself from its spec sheet"
            predictions[g] = _gpu_time(g, hours, interval, s, f"scaled from {job.reference_hours:g} h on "
                                       f"{ref.gpu_id}: {s.basis}{ref_note}", fits[g])
        derived = (f"{job.reference_hours:g} h of {kind.value} ({family.value}, {precision.value}) on {ref.name}, "
                   f"scaled by the throughput model (Lambda PyTorch measurements, leave-one-GPU-out p10-p90)")
        return JobEstimate(predictions, memory, breakdown, derived, None)

    # A model job: its work in FLOPs, at a utilisation calibrated on Lambda's BERT and ResNet-50 runs.
    assert spec is not None, "Job.__post_init__: a job not by reference names a model or params_billion"
    flops, what = _work(spec, job, method, family, seq_len)
    util_family = Family.CNN if FAMILY_PROXY[family] == (Family.CNN,) else Family.TRANSFORMER
    if family is Family.DIFFUSION:
        raise InvalidWorkloadError("model", f"{spec.name} has no published FLOP count in data/models.csv; time a "
                                            "few steps and give --reference-gpu and --reference-hours")
    util = _utilisations(model, data_dir).get((util_family, PRECISION_CLASS[precision]))
    if util is None:
        raise InvalidWorkloadError("family", f"no calibration rows for {util_family.value} at {precision.value}")
    weight_bytes = spec.params_billion * 1e9 * (0.516 if method is Method.QLORA else BYTES_PER_PARAM[precision])
    for g, s in speeds.items():
        if not s.supported or s.log_speed is None:
            predictions[g] = _unsupported(g, s)
            continue
        hours = flops / math.exp(util.log_k + s.log_speed) / 3600
        basis = s.basis
        if decoding:
            # Token by token, every weight is read once per step of the batch: a floor at full memory bandwidth.
            tokens = job.tokens if job.tokens is not None else _samples(job) * (seq_len or DEFAULT_SEQ_LEN)
            floor = tokens * job.epochs / (job.batch or 1) * weight_bytes / (catalog.gpus[g].memory_bandwidth_gbps
                                                                           * 1e9) / 3600
            if floor > hours:
                hours, basis = floor, "decoding bound by memory bandwidth (reading the weights once per step at " \
                                      "the spec sheet's GB/s: a lower bound)"
        interval = _combine(_interval(model, s), util.interval)
        if fits[g] is False:
            basis += f"; needs {memory:.1f} GiB, a program sees {catalog.gpus[g].usable_memory_gib:g} GiB of this GPU"
        predictions[g] = _gpu_time(g, hours, interval, s, basis, fits[g])
    derived = (f"{what}: {flops:.3g} FLOPs at the utilisation measured on {util.detail}; "
               f"needs {memory:.1f} GiB ({memory_note or 'weights, gradients, optimizer, activations'})"
               if memory is not None else f"{what}: {flops:.3g} FLOPs")
    return JobEstimate(predictions, memory, breakdown, derived, float(flops))


def _samples(job: Job) -> float:
    """The samples of a model job given no tokens (Job.__post_init__ requires one of the two)."""
    assert job.samples is not None, "a model job has tokens or samples"
    return job.samples


def _work(spec: ModelSpec, job: Job, method: Method, family: Family, seq_len: int | None) -> tuple[float, str]:
    """Total FLOPs of the job and a phrase saying how they were counted."""
    label = {Method.FULL: "full training", Method.LORA: "LoRA", Method.QLORA: "QLoRA",
             Method.INFERENCE: "inference"}[method]
    epochs = f" x {job.epochs:g} epochs" if job.epochs != 1 else ""
    if spec.forward_gmacs is not None and family is not Family.LLM:
        if job.samples is None:
            raise InvalidWorkloadError("samples", f"{spec.name} is priced per sample: give samples, not tokens")
        flops = per_sample_flops(spec.forward_gmacs, method) * job.samples * job.epochs
        return flops, f"{spec.name}, {label}, {job.samples:,.0f} samples{epochs} ({spec.forward_gmacs:g} GMACs each)"
    per_token = training_flops_per_token(spec.params_billion * 1e9, method)
    if job.tokens is not None:
        tokens, how = job.tokens, f"{job.tokens:,.0f} tokens"
    else:
        assert seq_len is not None, "estimate_job sets seq_len for a model priced per token"
        tokens, how = _samples(job) * seq_len, f"{job.samples:,.0f} examples x {seq_len} tokens"
    rule = {Method.FULL: "6", Method.LORA: "4", Method.QLORA: "6 (with recomputation)", Method.INFERENCE: "2"}[method]
    return (per_token * tokens * job.epochs,
            f"{spec.name}, {label}, {how}{epochs}: {rule} x {spec.params_billion:g}B params x tokens")
