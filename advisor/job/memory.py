"""The arithmetic of a model job: its floating-point work and the GPU memory it needs, each with its source.

Work (FLOPs):
- training a transformer: 6 x parameters x tokens (EleutherAI "Transformer Math 101", C = 6PD; Kaplan et al. 2020,
  arXiv:2001.08361, section 2.1): 2PD forward, 4PD backward (2PD for activation gradients, 2PD for weight gradients).
- inference: 2 x parameters x tokens (the forward pass alone, same sources).
- LoRA: the frozen weights need no weight gradients, so the backward pass costs 2PD, not 4PD: 4PD in all (Hu et al.,
  LoRA, arXiv:2106.09685, section 4.2: no gradients or optimizer states for the frozen parameters). QLoRA trains with
  gradient checkpointing (Dettmers et al., QLoRA, arXiv:2305.14314, section 4, and its reference code), which runs the
  forward pass twice: 6PD; the dequantisation of the 4-bit weights is extra work this count leaves out.
- a model priced per sample (CNN, ViT): forward = 2 x multiply-adds per sample; training = 3 x forward.

Memory (GiB = 2^30 bytes):
- full training with Adam in mixed precision: 16 bytes per parameter, 2 for 16-bit weights, 2 for 16-bit gradients
  and 12 for the FP32 master weights, momentum and variance (Rajbhandari et al., ZeRO, arXiv:1910.02054, section 3.1:
  "16 Psi bytes"); in FP32: 4 + 4 + 8 = 16 as well. HF accelerate's estimate-memory reports the same rule as "4x the
  model size" for training with Adam.
- LoRA: frozen 16-bit weights (2 bytes per parameter) plus adapters trained in full (16 bytes per adapter
  parameter); adapters of rank 16 on every linear layer of every block.
- QLoRA: weights in 4-bit NormalFloat with double quantisation, 4.127 bits per parameter (QLoRA, section 3: the
  quantisation constants cost 0.127 bits per parameter after double quantisation), plus the adapters as for LoRA.
- activations: per layer s*b*h*(34 + 5*a*s/h) bytes in 16 bits without recomputation (Korthikanti et al.,
  arXiv:2205.05198, section 4.1); with gradient checkpointing (QLoRA) 2*s*b*h bytes per layer are kept plus one
  layer's full activations. FP32 doubles them. The output logits add s*b*vocab*4 bytes (FP32 for the loss).
- inference: weights at the precision's bytes per parameter, the KV cache 2 x layers x kv_heads x head_dim x
  sequence x batch x 2 bytes, plus 20% (accelerate's model size estimator docs: "When performing inference you can
  expect to add up to an additional 20%").
"""
from __future__ import annotations

from dataclasses import dataclass

from ..vocab import JobKind, JobPrecision, Method
from .models import ModelSpec

GIB = 2 ** 30
LORA_RANK = 16
ADAM_MIXED_BYTES = 16.0   # ZeRO, section 3.1
WEIGHTS_16BIT_BYTES = 2.0
NF4_DOUBLE_QUANT_BYTES = 4.127 / 8  # QLoRA, section 3
INFERENCE_OVERHEAD = 0.20  # accelerate, model size estimator docs
BYTES_PER_PARAM = {JobPrecision.FP32: 4.0, JobPrecision.TF32: 4.0, JobPrecision.FP16: 2.0, JobPrecision.BF16: 2.0,
                   JobPrecision.INT8: 1.0, JobPrecision.FP8: 1.0}
# Default tokens per example when a transformer job gives samples without a sequence length.
DEFAULT_SEQ_LEN = 512


def training_flops_per_token(params: float, method: Method) -> float:
    """FLOPs per token of training or inference for a transformer of `params` parameters (see the module doc)."""
    return {Method.FULL: 6.0, Method.LORA: 4.0, Method.QLORA: 6.0, Method.INFERENCE: 2.0}[method] * params


def per_sample_flops(forward_gmacs: float, method: Method) -> float:
    """FLOPs per sample of a model priced per sample (2 FLOPs per multiply-add; training = 3 x forward)."""
    forward = 2.0 * forward_gmacs * 1e9
    return forward if method is Method.INFERENCE else 3.0 * forward


def lora_params(spec: ModelSpec, rank: int = LORA_RANK) -> float:
    """Adapter parameters of rank `rank` on the seven linear layers of every block (q, k, v, o, gate, up, down).
    The MLP width is derived from the parameter count: per block, params = attention + 3 x hidden x mlp."""
    if not (spec.layers and spec.hidden and spec.heads):
        return 0.005 * spec.params_billion * 1e9  # no architecture given: about 0.5% of the weights
    h = spec.hidden
    kv = h * (spec.kv_heads or spec.heads) // spec.heads
    embed = (spec.vocab or 0) * h
    per_block = (spec.params_billion * 1e9 - embed) / spec.layers
    attention = 2 * h * h + 2 * h * kv
    mlp = max((per_block - attention) / (3 * h), h)
    per_layer = (h + h) + (h + kv) * 2 + (h + h) + 3 * (h + mlp)
    return float(rank * per_layer * spec.layers)


@dataclass(frozen=True)
class MemoryEstimate:
    """GPU memory a job needs, GiB, by part (weights, gradients, optimizer, adapters, activations, kv_cache,
    overhead), and the assumptions in words."""

    parts_gib: dict[str, float]
    note: str

    @property
    def total_gib(self) -> float:
        return float(sum(self.parts_gib.values()))


def memory_needed(spec: ModelSpec, method: Method, precision: JobPrecision, batch: int, seq_len: int | None,
                  kind: JobKind = JobKind.TRAINING) -> MemoryEstimate:
    """The memory a job on `spec` needs (see the module doc for every rule and its source)."""
    p = spec.params_billion * 1e9
    parts: dict[str, float] = {}
    notes = []
    if method is Method.INFERENCE or kind is JobKind.INFERENCE:
        parts["weights"] = p * BYTES_PER_PARAM[precision] / GIB
        if spec.layers and spec.hidden and spec.heads and seq_len:
            head_dim = spec.hidden / spec.heads
            parts["kv_cache"] = 2 * spec.layers * (spec.kv_heads or spec.heads) * head_dim * seq_len * batch * 2 / GIB
        parts["overhead"] = INFERENCE_OVERHEAD * sum(parts.values())
        return MemoryEstimate({k: float(v) for k, v in parts.items()}, "inference: weights, KV cache, +20%")
    act_bytes = 2.0 if BYTES_PER_PARAM[precision] <= 2 else 4.0
    checkpointing = method is Method.QLORA
    if method is Method.FULL:
        parts["weights"] = p * (4.0 if act_bytes == 4.0 else 2.0) / GIB
        parts["gradients"] = p * (4.0 if act_bytes == 4.0 else 2.0) / GIB
        parts["optimizer"] = p * (8.0 if act_bytes == 4.0 else 12.0) / GIB
    else:
        adapters = lora_params(spec)
        parts["weights"] = p * (NF4_DOUBLE_QUANT_BYTES if method is Method.QLORA else WEIGHTS_16BIT_BYTES) / GIB
        parts["adapters"] = adapters * ADAM_MIXED_BYTES / GIB
        notes.append(f"rank-{LORA_RANK} adapters on every linear layer ({adapters / 1e6:.0f}M parameters)")
    if spec.layers and spec.hidden and spec.heads and seq_len:
        s, b, h, a, n = seq_len, batch, spec.hidden, spec.heads, spec.layers
        full_layer = s * b * h * (34 + 5 * a * s / h) * act_bytes / 2
        if checkpointing:
            parts["activations"] = (n * 2 * s * b * h * act_bytes / 2 + full_layer) / GIB
            notes.append("gradient checkpointing")
        else:
            parts["activations"] = n * full_layer / GIB
        if spec.vocab:
            # The output logits, kept in FP32 for the loss: s*b*vocab*4 bytes (with a 128k vocabulary, often more
            # than a layer's activations).
            parts["logits"] = s * b * spec.vocab * 4 / GIB
    else:
        notes.append("activations not counted (no architecture in the table)")
    return MemoryEstimate({k: float(v) for k, v in parts.items()}, "; ".join(notes))


def transformer_intensity(hidden: float, heads: float, context_tokens: float, tokens_per_step: float | None) -> float:
    """Arithmetic intensity (FLOPs per byte of memory traffic) of one transformer layer's forward pass per token, a
    roofline quantity read from the architecture alone (MLP width 4 x hidden, as in every measured model):
    - FLOPs: 24 h^2 for the four attention projections and the MLP (2 FLOPs per multiply-add over 12 h^2 weights)
      plus 4 c h for the attention scores and their weighted sum over c context positions: one forward pass of
      Narayanan et al. 2021, arXiv:2104.04473, section 5.1 (24 B s h^2 + 4 B s^2 h per layer; their 96 B s l h^2
      (1 + s / 6h + ...) counts four such passes);
    - bytes: the activations a layer writes per token in 16 bits, 34 h + 5 a c (Korthikanti et al., arXiv:2205.05198,
      section 4.1, with the attention over c positions), plus the layer's 16-bit weights, 24 h^2 bytes, read once per
      step of `tokens_per_step` tokens (not counted when the batch is unknown)."""
    h, a, c = hidden, heads, context_tokens
    weights = 24.0 * h * h / tokens_per_step if tokens_per_step else 0.0
    return (24.0 * h * h + 4.0 * c * h) / (34.0 * h + 5.0 * a * c + weights)
