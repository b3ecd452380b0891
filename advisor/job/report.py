"""A job estimate as a text table (the CLI's face; JSON is JobEstimate.to_dict())."""
from __future__ import annotations

from .spec import JobEstimate


def _hours(h: float | None) -> str:
    if h is None:
        return "-"
    return f"{h * 60:.0f} min" if h < 1 else f"{h:.1f} h"


def job_table(catalog, estimate: JobEstimate) -> str:
    """One line per catalog GPU, fastest first; GPUs that cannot run the job last."""
    lines = [estimate.derived, ""]
    if estimate.memory_gib is not None:
        parts = ", ".join(f"{k} {v:.1f}" for k, v in estimate.memory_breakdown.items())
        lines += [f"GPU memory needed: {estimate.memory_gib:.1f} GiB ({parts})", ""]
    lines.append(f"{'GPU':34} {'hours (median)':>14}  {'p10-p90':>19}  basis")
    rows = sorted(estimate.predictions.values(),
                  key=lambda p: (not p.supported, p.hours if p.hours is not None else float("inf")))
    for p in rows:
        name = catalog.gpus[p.gpu_id].name[:34]
        span = f"{_hours(p.low)} - {_hours(p.high)}" if p.hours is not None else ""
        lines.append(f"{name:34} {_hours(p.hours):>14}  {span:>19}  {p.basis}")
    lines += ["", "Estimates: hours are the median, p10-p90 from leave-one-GPU-out calibration on Lambda's and "
              "NVIDIA's published throughputs (README, \"Your job on every GPU\")."]
    return "\n".join(lines)
