"""Matching a device name (as NVML reports it: 'Tesla T4', 'NVIDIA A100-SXM4-40GB', 'NVIDIA A10G') to a catalog
GPU: the one rule the benchmark, the run store and the evidence share (Catalog.match_gpu).

It works from the catalog's own names, never from a list in code, so a GPU added to data/gpus.csv is matched as
soon as it is there:

1. Names are reduced to model tokens (records.gpu_name_key's noise words and memory sizes dropped, a catalog name's
   remark in parentheses too: 'Tesla K80 (one GK210 die)' is 'k80').
2. A catalog GPU is a candidate when each of its tokens is in the device's name: exactly, or as the device's token
   with one variant letter more ('a10g' is an 'a10' when the catalog has no A10G: the cloud's A10G is an A10
   part, and the catalog files Modal's A10G under a10), or when the whole keys are equal ('RTX4090' and
   'RTX 4090'). A GPU whose memory is more than MEMORY_TOLERANCE off the device's is no candidate.
3. The most specific candidates win (most tokens, then most exact tokens); among them the nearest memory, then the
   same form factor (PCIe, SXM), then the shortest id (the base model).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from .records import gpu_name_key

# NVML reports a little less memory than the spec sheet (a T4 shows about 15 GiB of 16); a GPU with twice or half
# the memory is another model (an RTX 6000 Ada has 48 GB, a Quadro RTX 6000 24 GB).
MEMORY_TOLERANCE = 0.3
_NOISE = {"nvidia", "tesla", "quadro", "geforce", "amd", "radeon", "intel", "gpu", "graphics", "hbm", "hbm2",
          "hbm2e", "hbm3", "hbm3e", "gddr6", "gddr6x", "the", "with", "and", "mb", "gb"}
_FORM = re.compile(r"^(pcie|sxm\d?|nvl|mig)$")
_MEMORY = re.compile(r"(\d+(?:\.\d+)?)\s*gb\b", re.IGNORECASE)


def _tokens(name: str, remark: bool = True) -> tuple[tuple[str, ...], frozenset[str]]:
    """(model tokens, form-factor tokens) of a name (memory sizes already cut); remark=False also drops a
    parenthesised remark."""
    text = str(name).lower()
    if not remark:
        text = re.sub(r"\([^)]*\)", " ", text)
    model, form = [], set()
    for word in re.split(r"[^a-z0-9]+", text):
        if not word or word in _NOISE or re.fullmatch(r"\d+(gb|g|mb)", word):
            continue
        if _FORM.match(word):
            form.add(re.sub(r"\d", "", word))  # SXM4 and SXM5 are both SXM
        else:
            model.append(word)
    return tuple(model), frozenset(form)


def _memory_of(name: str) -> float | None:
    found = _MEMORY.findall(name)
    return float(found[-1]) if found else None


def _strip_sizes(name: str) -> str:
    return _MEMORY.sub(" ", str(name))


@lru_cache(maxsize=16)
def _index(gpus: tuple[tuple[str, str, float | None], ...]):
    out = []
    for gpu_id, name, memory in gpus:
        tokens, form = _tokens(_strip_sizes(name), remark=False)
        out.append((gpu_id, frozenset(tokens), form, memory, gpu_name_key(re.sub(r"\([^)]*\)", " ", name)),
                    gpu_name_key(gpu_id)))
    return tuple(out)


def _token_match(token: str, device: frozenset[str]) -> int:
    """2: the device has this token; 1: it has it with one variant letter more ('a10' in 'a10g'); 0: no."""
    if token in device:
        return 2
    if token[-1:].isdigit() and any(len(d) == len(token) + 1 and d.startswith(token) and d[-1].isalpha()
                                    for d in device):
        return 1
    return 0


def match_gpu(gpus: Iterable, name: str, memory_gib: float | None = None) -> str | None:
    """The gpu_id of the catalog GPU (records.Gpu: gpu_id, name, memory_gib) that a device name names, or None.
    memory_gib: the device's memory (default: a size in the name, as in 'A100-SXM4-40GB'). See the module
    docstring for the rule."""
    if not name or not str(name).strip():
        return None
    index = _index(tuple((g.gpu_id, g.name, g.memory_gib) for g in gpus))
    memory = memory_gib if memory_gib is not None else _memory_of(str(name))
    tokens, form = _tokens(_strip_sizes(str(name)))
    device = frozenset(tokens)
    key = gpu_name_key(_strip_sizes(str(name)))
    ranked = []
    for gpu_id, cat_tokens, cat_form, cat_memory, cat_key, id_key in index:
        if cat_tokens and all(_token_match(t, device) for t in cat_tokens):
            exact = sum(_token_match(t, device) == 2 for t in cat_tokens)
            specificity = (len(cat_tokens), exact)
        elif key and key in (cat_key, id_key):
            specificity = (len(cat_tokens), len(cat_tokens))
        else:
            continue
        if memory and cat_memory and abs(cat_memory - memory) > MEMORY_TOLERANCE * cat_memory:
            continue
        distance = abs(cat_memory - memory) if memory and cat_memory else 0.0
        ranked.append(((-specificity[0], -specificity[1], distance, cat_form != form, len(gpu_id), gpu_id), gpu_id))
    if not ranked:
        return None
    return min(ranked)[1]


def match_shorthand(gpus: Iterable, name: str) -> str | None:
    """The gpu_id a person's shorthand names when it leaves out only a brand word ('3090' for the RTX 3090,
    '4090' for the RTX 4090), or None when no GPU or several GPUs fit ('6000' is an RTX PRO 6000 or an RTX 6000
    Ada). Only for what people type: a device name from NVML always carries its brand."""
    said, _ = _tokens(_strip_sizes(str(name)))
    if not said or not any(any(c.isdigit() for c in t) for t in said):
        return None
    memory = _memory_of(str(name))
    found = set()
    for gpu_id, cat_tokens, _form, cat_memory, _key, _id_key in _index(
            tuple((g.gpu_id, g.name, g.memory_gib) for g in gpus)):
        missing = cat_tokens - set(said)
        if set(said) <= cat_tokens and missing and all(t.isalpha() for t in missing):
            if memory and cat_memory and abs(cat_memory - memory) > MEMORY_TOLERANCE * cat_memory:
                continue
            found.add(gpu_id)
    return found.pop() if len(found) == 1 else None


def match_typed(gpus: Iterable, name: str) -> str | None:
    """The gpu_id a name a person typed names (a CLI flag, a chat answer): match_gpu's rule, but every word of
    the name must be a word of that GPU's name ('t4 banana' names nothing), else the shorthand rule."""
    gpus = tuple(gpus)
    gpu_id = match_gpu(gpus, name)
    if gpu_id is not None:
        said, _ = _tokens(_strip_sizes(str(name)))
        cat_tokens = next(t for g, t, *_ in _index(tuple((g.gpu_id, g.name, g.memory_gib) for g in gpus))
                          if g == gpu_id)
        if all(t in cat_tokens or t[:-1] in cat_tokens for t in said):
            return gpu_id
    return match_shorthand(gpus, name)
