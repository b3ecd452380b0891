"""The machine a run measures: GPU detection through NVML (the `pynvml` module from nvidia-ml-py), matching a
detected GPU to the catalog, and the host's fingerprint (CPU model, family, flags, cores)."""
from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

# CPU flags that change TensorFlow's speed on the CPU (its oneDNN kernels pick AVX2, AVX-512, VNNI, BF16 or AMX
# code paths), so two CPUs with one name can be told apart. Reported when the CPU has them.
SPEED_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "amx_tile",
               "amx_bf16", "amx_int8", "neon", "asimd", "sve")


@dataclass(frozen=True)
class NvmlGpu:
    """A GPU as NVML reports it. memory_gib: total memory, GiB."""

    index: int
    name: str
    memory_gib: float
    driver_version: str | None
    cuda_version: str | None


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def detect_gpus(nvml=None) -> tuple[list[NvmlGpu], str | None]:
    """GPUs NVML sees, and None, or [] and why none was found (no driver, no library). Never raises.

    nvml: the pynvml module (tests pass a stand-in where no GPU exists).
    """
    if nvml is None:
        try:
            import pynvml as nvml
        except ImportError:
            return [], "nvidia-ml-py is not installed (pip install nvidia-ml-py)"
    try:
        nvml.nvmlInit()
    except Exception as exc:  # NVMLError_LibraryNotFound, _DriverNotLoaded, ...: no usable NVIDIA GPU here
        return [], f"NVML found no NVIDIA driver ({_text(exc) or type(exc).__name__})"
    try:
        try:
            driver = _text(nvml.nvmlSystemGetDriverVersion())
        except Exception:  # noqa: BLE001 - optional detail
            driver = None
        try:
            cuda = nvml.nvmlSystemGetCudaDriverVersion_v2()
            cuda_text = f"{cuda // 1000}.{(cuda % 1000) // 10}"
        except Exception:  # noqa: BLE001 - optional detail
            cuda_text = None
        gpus = []
        for i in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(i)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle).total / 1024 ** 3
            gpus.append(NvmlGpu(i, _text(nvml.nvmlDeviceGetName(handle)), round(memory, 2), driver, cuda_text))
        return gpus, None if gpus else "NVML is loaded but reports no GPU"
    except Exception as exc:  # noqa: BLE001 - report, do not crash the benchmark
        return [], f"NVML error: {_text(exc) or type(exc).__name__}"
    finally:
        try:
            nvml.nvmlShutdown()
        except Exception:  # noqa: BLE001
            pass


def match_catalog_gpu(name: str, memory_gib: float | None, gpus: dict) -> str | None:
    """The catalog gpu_id for an NVML name like 'Tesla T4' or 'NVIDIA A100-SXM4-40GB' (advisor.catalog.match, the
    rule the run store and the evidence use too); None when nothing matches. gpus: the catalog's GPUs by id."""
    from ..catalog.match import match_gpu

    return match_gpu(gpus.values(), name, memory_gib)


def _cpuinfo(path: Path = Path("/proc/cpuinfo")) -> dict[str, str]:
    """The first processor's fields from /proc/cpuinfo ({} where there is none, as on macOS)."""
    try:
        text = path.read_text()
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip().lower(), value.strip())
    return fields


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def machine_fingerprint(tensorflow_version: str | None = None, cpuinfo: Path = Path("/proc/cpuinfo")) -> dict:
    """What sets this host's speed besides its GPU: CPU model name, vendor, family and model numbers, the
    speed-relevant flags it has, the CPUs this process may use, and the TensorFlow version. Never raises."""
    info = _cpuinfo(cpuinfo)
    flags = set((info.get("flags") or info.get("features") or "").split())
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return {
        "cpu_model": (info.get("model name") or platform.processor() or platform.machine() or "unknown")[:200],
        "cpu_vendor": info.get("vendor_id"),
        "cpu_family": _int_or_none(info.get("cpu family")),
        "cpu_model_number": _int_or_none(info.get("model")),
        "cpu_flags": [f for f in SPEED_FLAGS if f in flags],
        "cpu_count": cpus,
        "tensorflow_version": tensorflow_version,
    }
