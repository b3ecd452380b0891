"""Tests for advisor.job: the FLOP and memory arithmetic against published figures, the throughput model's
calibration, the CLI and API faces, and bad input."""
from __future__ import annotations

import json
import math

import pytest

from advisor import load_catalog
from advisor.cli import run
from advisor.errors import InvalidWorkloadError, UnknownGpuError, UnknownModelError
from advisor.job import Job, estimate_job, find_model
from advisor.job.memory import GIB, memory_needed, per_sample_flops, training_flops_per_token
from advisor.job.throughput import ThroughputModel, peak_tflops, throughput_model
from advisor.vocab import Family, JobKind, JobPrecision, Method


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


# --- arithmetic against published figures -------------------------------------------------------------------------

def test_training_flops_follow_6pd():
    # EleutherAI "Transformer Math 101": C ~= 6PD. GPT-3 175B on 300B tokens is 3.14e23 FLOPs (Brown et al. 2020,
    # arXiv:2005.14165, Table D.1: 3.14E+23); 6PD gives 3.15e23.
    flops = training_flops_per_token(175e9, Method.FULL) * 300e9
    assert flops == pytest.approx(3.14e23, rel=0.01)


@pytest.mark.parametrize("method, factor", [
    (Method.INFERENCE, 2),  # forward only: 2 FLOPs per parameter per token (Kaplan et al. 2020, section 2.1)
    (Method.LORA, 4),       # no weight gradients for frozen weights (LoRA, Hu et al. 2021, section 4.2)
    (Method.QLORA, 6),      # as LoRA, plus the recomputed forward of gradient checkpointing (QLoRA, section 4)
])
def test_flops_per_method(method, factor):
    assert training_flops_per_token(1e9, method) == factor * 1e9


def test_resnet50_training_flops_per_image():
    # torchvision: 4.09 GFLOPS (multiply-adds) per 224x224 image; training = 3 x forward, 2 FLOPs a multiply-add.
    assert per_sample_flops(find_model("resnet-50").forward_gmacs, Method.FULL) == pytest.approx(24.54e9)


def test_full_finetuning_memory_is_16_bytes_per_parameter():
    # ZeRO (arXiv:1910.02054, section 3.1): mixed-precision Adam holds 16 bytes per parameter, so a 7.5B model
    # needs 120 GB before activations ("a model with 7.5B parameters ... 120 GB").
    spec = find_model("llama-2-7b")
    mem = memory_needed(spec, Method.FULL, JobPrecision.BF16, 1, 512)
    states = sum(v for k, v in mem.parts_gib.items() if k in ("weights", "gradients", "optimizer"))
    assert states * GIB == pytest.approx(16 * spec.params_billion * 1e9)


def test_qlora_memory_matches_the_paper():
    # QLoRA (arXiv:2305.14314), abstract: finetuning a 65B model falls from ">780GB of GPU memory to <48GB".
    from advisor.job.models import ModelSpec

    llama65 = ModelSpec("llama-65b", "LLaMA 65B", (), Family.LLM, 65.2, 80, 8192, 64, 64, 32000, 2048, None, "", "")
    qlora = memory_needed(llama65, Method.QLORA, JobPrecision.BF16, 1, 512).total_gib * GIB / 1e9
    full = memory_needed(llama65, Method.FULL, JobPrecision.BF16, 1, 512).total_gib * GIB / 1e9
    assert 30 < qlora < 48
    assert full > 780


def test_inference_memory_adds_20_percent():
    # accelerate's estimate-memory docs: loading only; "for inference ... add up to an additional 20%".
    spec = find_model("llama-3-8b")
    mem = memory_needed(spec, Method.INFERENCE, JobPrecision.FP16, 1, None, JobKind.INFERENCE)
    assert mem.parts_gib["weights"] * GIB == pytest.approx(2 * 8.03e9)
    assert mem.total_gib == pytest.approx(1.2 * mem.parts_gib["weights"])


def test_lora_adapter_count_for_llama_3_8b():
    # Rank 16 on q, k, v, o, gate, up and down of Llama 3 8B is 41.9M parameters (PEFT's print_trainable_parameters
    # for this setup reports 41,943,040); the MLP width is derived from the parameter count, so allow 10%.
    from advisor.job.memory import lora_params

    assert lora_params(find_model("llama 3 8b")) == pytest.approx(41.94e6, rel=0.10)


# --- the throughput model ------------------------------------------------------------------------------------------

def test_precision_support_follows_the_spec_sheet(catalog):
    t4, a100 = catalog.gpus["t4"], catalog.gpus["a100-40gb"]
    assert peak_tflops(t4, JobPrecision.BF16) is None and peak_tflops(t4, JobPrecision.FP8) is None
    assert peak_tflops(t4, JobPrecision.FP16) == 65
    assert peak_tflops(a100, JobPrecision.FP32) == 156  # TF32 allowed, as in Lambda's NGC runs
    assert peak_tflops(a100, JobPrecision.FP32, fp32_uses_tf32=False) == pytest.approx(19.49)


def test_fit_is_deterministic_and_calibrated(catalog):
    a = ThroughputModel().fit(*_inputs(catalog))
    b = ThroughputModel().fit(*_inputs(catalog))
    assert a.shape_.mix == b.shape_.mix and a.pools_ == b.pools_
    assert len(a.fitted_gpus_) >= 15
    # The p10-p90 interval of the held-out errors brackets zero and is not degenerate, for every kind and family.
    for lo, hi, _ in a.pools_.values():
        assert lo < 0 < hi
    # Each family's time shares (tensor math, CUDA-core math, memory traffic) are a mix: non-negative, summing to 1.
    for shares in a.shape_.mix.values():
        assert min(shares) >= 0 and sum(shares) == pytest.approx(1)


def test_the_calibration_is_cached_on_disk_and_a_bad_cache_is_refitted(catalog, tmp_path, monkeypatch):
    # The leave-one-GPU-out calibration takes seconds; its pools are cached under a hash of the rows, spec sheets and
    # settings, so `advisor job` starts in a fraction of a second the second time. A cache that is not what the code
    # writes (E18's class) is refitted, never raised.
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path))
    fresh = ThroughputModel(use_cache=False).fit(*_inputs(catalog))
    first = ThroughputModel().fit(*_inputs(catalog))
    (cached,) = tmp_path.glob("job-pools-*.json")
    again = ThroughputModel().fit(*_inputs(catalog))
    assert again._loo is None  # read from the cache: no refit
    assert first.pools_ == again.pools_ == fresh.pools_
    for junk in ("null", "[1, 2]", '{"key": "other"}', json.dumps({"key": cached.stem.split("-")[-1],
                                                                   "pools": [["spec", None, 1e300, -1, 3]]})):
        cached.write_text(junk)
        healed = ThroughputModel().fit(*_inputs(catalog))
        assert healed.pools_ == fresh.pools_


@pytest.mark.parametrize("n, lo_rank, hi_rank", [
    (9, 1, 9),     # (n+1) x 0.9 = 9: the largest of nine scores bounds p90
    (10, 1, 10),   # ceil(11 x 0.9) = 10: with ten scores the p90 bound is the largest, not the 9th
    (100, 10, 91),  # floor(101 x 0.1) = 10, ceil(101 x 0.9) = 91
])
def test_conformal_bounds_use_the_finite_sample_rank(n, lo_rank, hi_rank):
    from advisor.job.throughput import conformal_bounds

    scores = [float(i) for i in range(1, n + 1)]  # the k-th smallest is k
    assert conformal_bounds(scores) == (lo_rank, hi_rank)


@pytest.mark.parametrize("n", [9, 10, 100])
def test_hierarchical_bounds_with_one_score_per_group_are_the_plain_conformal_ones(n):
    from advisor.job.throughput import conformal_bounds, hierarchical_conformal_bounds

    scores = [float(i) for i in range(1, n + 1)]
    assert hierarchical_conformal_bounds({str(i): [v] for i, v in enumerate(scores)}) == conformal_bounds(scores)


def test_hierarchical_bounds_weigh_a_group_not_its_number_of_scores():
    # 20 GPUs with one small error each and one GPU with 1,000 large errors: as one pool the large errors are
    # nearly every score and set both bounds; by group they are one GPU in 21, beyond the p90 bound.
    from advisor.job.throughput import conformal_bounds, hierarchical_conformal_bounds

    groups = {f"g{i}": [0.01 * i] for i in range(20)} | {"big": [5.0] * 1000}
    assert conformal_bounds([v for vals in groups.values() for v in vals]) == (5.0, 5.0)
    lo, hi = hierarchical_conformal_bounds(groups)
    assert lo == 0.01 and hi == 0.19
    # too few groups for a finite p90 (k + 1 < 10): unbounded, and _pools falls back to the flat pool
    assert hierarchical_conformal_bounds({str(i): [float(i)] for i in range(5)}) == (-math.inf, math.inf)


def test_nested_interval_covers_held_out_gpus(catalog):
    # Each GPU's interval from the other GPUs' errors only: on the GPUs it never saw, p10-p90 covers about 80%.
    model = throughput_model(catalog.gpus)
    covered = total = 0
    for g in model.fitted_gpus_:
        pools = ThroughputModel._pools(model.loo_errors_, exclude_gpu=g)
        for e in model.loo_errors_:
            if e["gpu"] == g and e["pool"] == "spec":
                lo, hi, _ = pools[("spec", e["family"])]
                covered += lo <= -e["error"] <= hi
                total += 1
    assert total > 1000 and 0.75 <= covered / total <= 0.88


def test_no_held_out_gpu_leaks_into_its_prediction(catalog):
    # Changing a held-out GPU's own measurements must not change the errors of its spec-pool predictions
    # except through the true value: the error shifts by exactly the change.
    from dataclasses import replace

    gpus, measurements = _inputs(catalog)
    base = ThroughputModel().fit(gpus, measurements)
    bumped = tuple(replace(m, throughput_per_s=m.throughput_per_s * 2) if m.gpu_id == "a10" else m
                   for m in measurements)
    moved = ThroughputModel().fit(gpus, bumped)
    key = lambda e: (e["gpu"], e["ref"], e["series"], e["model"], str(e["precision"]), e["pool"])  # noqa: E731
    before = {key(e): e["error"] for e in base.loo_errors_ if e["gpu"] == "a10" and e["pool"] != "measured"}
    after = {key(e): e["error"] for e in moved.loo_errors_ if e["gpu"] == "a10" and e["pool"] != "measured"}
    assert before and before.keys() == after.keys()
    for k, err in before.items():
        assert after[k] == pytest.approx(err + math.log(2))


def test_artefact_row_is_kept_but_not_fitted():
    # data/README.md's artefact rule: the RTX 5000's Transformer-XL large FP16 row @ 000bc82 (slower than its FP32 on
    # a Turing GPU) stays in the file, marked unverified, and the fit skips it.
    import csv

    from advisor.catalog import DATA_DIR
    from advisor.job.throughput import load_measurements

    rows = [r for r in csv.DictReader(open(DATA_DIR / "job_throughput.csv", encoding="utf-8"))
            if r["gpu_id"] == "rtx5000" and r["model"] == "transformerxllarge" and r["precision"] == "fp16"]
    assert [r["status"] for r in rows] == ["unverified"]
    assert not [m for m in load_measurements() if m.gpu_id == "rtx5000" and m.model == "transformerxllarge"
                and m.precision is JobPrecision.FP16]


def test_deeplearningexamples_rows_are_series_of_one_readme_and_kind():
    # data/README.md: each dle-... series is one README's training or inference tables at one commit, so its rows
    # compare only with each other; every row cites that README at that commit.
    import re

    from advisor.job.throughput import load_measurements

    rows = [m for m in load_measurements() if m.series.startswith("dle")]
    assert {m.gpu_id for m in rows} >= {"t4", "v100", "a100-40gb", "a100-80gb", "a30"}
    for series in {m.series for m in rows}:
        members = [m for m in rows if m.series == series]
        commit = series.rsplit("@", 1)[1]
        assert {m.kind.value for m in members} == {series.split("@")[0].rsplit("-", 1)[1]}
        assert len({m.source for m in members}) == 1
        assert re.fullmatch(rf"NVIDIA/DeepLearningExamples \S+/README\.md @ {commit}", members[0].source)


def test_utilisation_rests_on_lambdas_training_rows_only(catalog):
    # Regression (jobacc2): once NVIDIA's rows joined the fit, Triton's BERT-large *inference* rows were priced at a
    # training step's FLOPs in the utilisation ("76 Lambda transformer rows" instead of 72).
    from advisor.catalog import DATA_DIR
    from advisor.job.predict import CALIBRATION_MODELS, _utilisations

    model = throughput_model(catalog.gpus)
    assert any(m.model in CALIBRATION_MODELS and m.kind is JobKind.INFERENCE for m in model.measurements_)
    counted = sum(u.rows for u in _utilisations(model, str(DATA_DIR)).values())
    lambda_training = [m for m in model.measurements_ if m.model in CALIBRATION_MODELS and m.kind is JobKind.TRAINING
                       and m.series.startswith("lambda")]
    assert counted == len(lambda_training)


def test_batch_size_is_a_condition_of_the_run_not_of_the_gpu(catalog):
    # Lambda runs each GPU at the largest batch its memory holds: the fit takes a per-family slope on log batch out of
    # the shape, and the benchmark's pairs carry each run's batch term (zero where a run publishes no batch size);
    # a fit with the covariate off learns no slope.
    import dataclasses

    gpus, measurements = _inputs(catalog)
    model = throughput_model(catalog.gpus)
    slopes = model.fit_.batch_slope
    assert set(slopes) == {Family.CNN, Family.TRANSFORMER, Family.RNN}
    assert all(0.0 <= v < 1.0 for v in slopes.values())
    m = next(r for r, _ in model.rows_ if r.family is Family.TRANSFORMER and r.batch_size)
    assert model.fit_.batch_term(m, dataclasses.replace(m, batch_size=m.batch_size / 2)) == pytest.approx(
        slopes[Family.TRANSFORMER] * math.log(2))
    assert model.fit_.batch_term(m, dataclasses.replace(m, batch_size=None)) == 0.0
    bare = ThroughputModel(batch=False).fit(gpus, measurements)
    assert bare.fit_.batch_slope == {}


def _inputs(catalog):
    from advisor.job.throughput import load_extra_gpus, load_measurements

    gpus = dict(load_extra_gpus())
    gpus.update(catalog.gpus)
    return gpus, load_measurements()


def test_faster_gpu_is_predicted_faster(catalog):
    model = throughput_model(catalog.gpus)
    for family in (Family.CNN, Family.TRANSFORMER):
        h100 = model.speed("h100", family, JobPrecision.FP16).log_speed
        t4 = model.speed("t4", family, JobPrecision.FP16).log_speed
        assert h100 > t4 + math.log(3)


def test_reference_job_on_every_gpu(catalog):
    est = estimate_job(catalog, Job(reference_gpu="t4", reference_hours=3, family="transformer", precision="fp16"))
    assert set(est.predictions) == set(catalog.gpus)
    t4 = est.predictions["t4"]
    assert t4.hours == t4.low == t4.high == 3
    for p in est.predictions.values():
        if p.supported and p.hours is not None:
            assert p.low <= p.hours <= p.high
    assert est.predictions["v100"].measured and not est.predictions["l4"].measured
    assert "no measured transformer point for this GPU; from its spec sheet" in est.predictions["l4"].basis
    assert est.predictions["k80"].extrapolated


def test_spec_sheet_reference_takes_its_own_flipped_interval(catalog):
    # The held-out pools are errors of one GPU predicted from its spec sheet against an anchored one. With the T4
    # (no Lambda row) as the reference, an anchored target's error is the T4's error with the sign turned: a T4
    # predicted too fast makes the H100's hours too long. So the H100's p10-p90 is the T4's, flipped, not a sum.
    model = throughput_model(catalog.gpus)
    lo, hi = model.interval(model.speed("t4", Family.CNN, JobPrecision.FP16))
    est = estimate_job(catalog, Job(reference_gpu="t4", reference_hours=3, family="cnn", precision="fp16"))
    h100 = est.predictions["h100"]
    assert h100.measured
    assert h100.low == pytest.approx(h100.hours * math.exp(-hi))
    assert h100.high == pytest.approx(h100.hours * math.exp(-lo))


def test_unsupported_precision_is_marked(catalog):
    est = estimate_job(catalog, Job(model="llama 3 8b", method="qlora", samples=1000, precision="bf16"))
    assert not est.predictions["t4"].supported and est.predictions["t4"].hours is None
    assert est.predictions["a100-40gb"].supported and est.predictions["a100-40gb"].hours > 0
    with pytest.raises(InvalidWorkloadError, match="T4 cannot compute in FP8"):
        estimate_job(catalog, Job(reference_gpu="t4", reference_hours=1, precision="fp8"))


def test_memory_too_big_is_marked(catalog):
    est = estimate_job(catalog, Job(model="llama-3-8b", method="full", tokens=1e6, batch=4))
    assert est.memory_gib > 80
    assert est.predictions["t4"].fits_memory is False and not est.predictions["t4"].supported
    assert "needs" in est.predictions["t4"].basis


def test_more_tokens_take_longer(catalog):
    small = estimate_job(catalog, Job(model="gpt2", tokens=1e8)).predictions["a10"].hours
    large = estimate_job(catalog, Job(model="gpt2", tokens=1e9)).predictions["a10"].hours
    assert large == pytest.approx(10 * small)


# --- bad input ------------------------------------------------------------------------------------------------------

def test_unknown_model_says_did_you_mean():
    with pytest.raises(UnknownModelError, match=r"did you mean Llama 3 8B"):
        find_model("lama 3 8b")


@pytest.mark.parametrize("fields, field", [
    ({"model": "gpt2", "tokens": -5}, "tokens"),                      # negative tokens
    ({"model": "gpt2", "tokens": float("nan")}, "tokens"),             # not a number
    ({"model": "gpt2"}, "tokens"),                                    # no amount of work
    ({"model": "gpt2", "tokens": 1, "samples": 1}, "tokens"),         # both
    ({"reference_gpu": "t4"}, "reference_hours"),                     # half a reference
    ({}, "model"),                                                    # nothing
    ({"model": "gpt2", "tokens": 1, "precision": "fp64"}, "precision"),  # unknown precision
    ({"model": "gpt2", "tokens": 1, "batch": 2.5}, "batch"),          # fractional batch
])
def test_bad_job_fields(fields, field):
    with pytest.raises(InvalidWorkloadError) as info:
        Job(**fields)
    assert info.value.field == field


def test_unknown_reference_gpu(catalog):
    with pytest.raises(UnknownGpuError, match="did you mean t4"):
        estimate_job(catalog, Job(reference_gpu="t5", reference_hours=1))


# --- faces ----------------------------------------------------------------------------------------------------------

def test_cli_json(capsys):
    assert run(["job", "--reference-gpu", "t4", "--reference-hours", "2.9", "--workload", "training",
                "--precision", "fp16", "--family", "cnn", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    first = {p["gpu_id"]: p for p in out["predictions"]}
    assert first["t4"]["hours"] == 2.9 and {"hours", "low", "high", "basis"} <= set(first["a100-40gb"])
    assert "memory_gib" in out


def test_cli_model_table(capsys):
    assert run(["job", "--model", "llama 3 8b", "--method", "qlora", "--samples", "20000", "--batch", "4",
                "--precision", "bf16"]) == 0
    text = capsys.readouterr().out
    assert "Llama 3 8B, QLoRA, 20,000 examples x 512 tokens" in text and "GPU memory needed" in text


@pytest.mark.parametrize("argv, message", [
    (["job", "--model", "lama 3 8b", "--samples", "5"], "did you mean Llama 3 8B"),
    (["job", "--model", "gpt2", "--tokens", "-5"], "--tokens: must be above 0"),
    (["job", "--reference-gpu", "t4", "--reference-hours", "1", "--precision", "bf16"], "cannot compute in BF16"),
])
def test_cli_errors_are_one_line(capsys, argv, message):
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_api_job(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVISOR_RUNS_DB", str(tmp_path / "runs.sqlite"))
    from probe_helpers import client

    api = client()
    ok = api.post("/job", json={"model": "mistral 7b", "method": "lora", "tokens": 1e7, "precision": "fp16"})
    assert ok.status_code == 200 and len(ok.json()["predictions"]) > 10 and ok.json()["memory_gib"] > 14
    assert api.post("/job", json={"model": "mistrel", "tokens": 1}).status_code == 422  # a request field: 422
    bad = api.post("/job", json={"model": "gpt2", "tokens": -1})
    assert bad.status_code == 422 and "tokens" in bad.json()["error"]
    assert api.post("/job", json={"reference_gpu": "t4", "reference_hours": 1, "precision": "bf16"}).status_code == 422
    assert api.post("/job", json={"model": "gpt2", "tokens": 1, "extra": 1}).status_code == 422


# --- arithmetic intensity (the workload's place between the compute- and memory-bound mixes) ----------------------

def test_transformer_intensity_by_hand():
    from advisor.job.memory import transformer_intensity

    # BERT large at 384 tokens, batch 16 (NVIDIA's Triton run): FLOPs 24 h^2 + 4 c h = 26,738,688 per layer and
    # token (Narayanan et al. 2021, section 5.1); bytes 34 h + 5 a c (Korthikanti et al. 2022, section 4.1) plus
    # 24 h^2 / 6,144 tokens of weights = 69,632: 384 FLOPs per byte.
    assert transformer_intensity(1024, 16, 384, 16 * 384) == pytest.approx(384.0)
    # without a batch the weights are not counted; a wider model is more intense; a larger step reads weights less
    assert transformer_intensity(1024, 16, 384, None) > transformer_intensity(1024, 16, 384, 16 * 384)
    assert transformer_intensity(1024, 16, 384, 6144) > transformer_intensity(288, 12, 384, 6144)


def test_every_workload_row_names_measured_groups(catalog):
    # regression guard: a row of data/job_workloads.csv whose series prefix or model matches no measurement would
    # silently leave that workload on its family's mix
    from advisor.job.throughput import load_workloads

    gpus, measurements = _inputs(catalog)
    model = ThroughputModel().fit(gpus, measurements)
    for prefix, name in load_workloads():
        assert any(g[0].startswith(prefix) and g[1] == name for g in model.intensity_), (prefix, name)


def test_intensity_basis_says_where_it_came_from(catalog):
    model = throughput_model(catalog.gpus)
    with_it = model.speed("t4", Family.TRANSFORMER, JobPrecision.FP16, intensity=math.log(300.0))
    without = model.speed("t4", Family.TRANSFORMER, JobPrecision.FP16)
    assert "arithmetic intensity (300 FLOPs per byte)" in with_it.basis
    assert "no architecture for its arithmetic intensity" in without.basis
    # a CNN has no intensity figure: its basis says nothing of one
    assert "intensity" not in model.speed("t4", Family.CNN, JobPrecision.FP16).basis


def test_a_rate_beyond_the_measured_gpus_flags_an_extrapolation(catalog):
    # Every rate the roofline divides by bounds the extrapolation flag, not the peak and bandwidth alone: the same
    # GPU with a power limit below every measured GPU's (or a CUDA-core rate above all of them) is extrapolated.
    from dataclasses import replace

    from advisor.job.throughput import _outside

    model = throughput_model(catalog.gpus)
    a10 = model.gpus_["a10"]
    assert not _outside(model.fit_, a10, JobPrecision.FP16)
    assert _outside(model.fit_, replace(a10, tensor=replace(a10.tensor, power_w=10.0)), JobPrecision.FP16)
    assert _outside(model.fit_, replace(a10, fp32_tflops=1000.0), JobPrecision.FP16)


def test_an_anchor_on_inference_runs_alone_says_so(catalog):
    # The T4 is measured only in NVIDIA's inference tables: a training job anchored there must say what it rests on.
    model = throughput_model(catalog.gpus)
    t4 = model.speed("t4", Family.CNN, JobPrecision.FP16)
    a100 = model.speed("a100-40gb", Family.CNN, JobPrecision.FP16)
    assert t4.measured and "(inference runs only)" in t4.basis
    assert a100.measured and "runs only" not in a100.basis
