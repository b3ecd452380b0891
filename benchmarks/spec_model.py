"""The spec-sheet regression: which measured GPUs it is fitted on, and each GPU's leave-one-GPU-out error (the GPU
predicted by a model that never saw it). `--data-dir` runs it on another catalog folder, e.g. an older one.

Run: .venv/bin/python -m benchmarks.spec_model [--data-dir DIR] [--as-of YYYY-MM-DD]
"""
from __future__ import annotations

import argparse
import math

from advisor import load_catalog
from advisor.distributions import score_book
from advisor.errors import AdvisorError
from advisor.estimate import EXTRAPOLATION_WIDEN, SpecScoreModel, spec_features
from advisor.vocab import Metric


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir")
    parser.add_argument("--as-of")
    args = parser.parse_args()
    try:
        catalog = load_catalog(args.as_of, args.data_dir)
    except AdvisorError as exc:
        raise SystemExit(f"spec_model: {exc}") from None
    model = score_book(catalog).model
    print(f"catalog as of {catalog.as_of}: fitted on {len(model.fitted_gpus_)} measured NVIDIA GPUs: "
          f"{', '.join(model.fitted_gpus_)}")
    print(f"leave-one-GPU-out error: ±{model.loo_error_pct_:.1f}% (a typical estimate is off by this factor)")
    for use_tf32 in (False, True):
        variant = SpecScoreModel(use_cache=False, use_tf32=use_tf32).fit(catalog.gpus, model.measured_)
        what = "TF32 tensor-core peak where larger (TensorFlow's default on Ampere+)" if use_tf32 else "FP32 TFLOPS"
        used = " (in use)" if use_tf32 == model.use_tf32 else ""
        print(f"  compute input {what}: leave-one-GPU-out error ±{variant.loo_error_pct_:.1f}%{used}")
    outside = [g for g in catalog.gpus if model.extrapolated(g)]
    print(f"extrapolated (no measured score, spec outside the fitted range; error widened x{EXTRAPOLATION_WIDEN}): "
          f"{', '.join(outside) or 'none'}")
    for gpu_id in model.fitted_gpus_:
        others = {k: v for k, v in model.measured_.items() if k[0] != gpu_id}
        held_out = SpecScoreModel(use_cache=False).fit(catalog.gpus, others)
        for metric in Metric:
            measured = model.measured_.get((gpu_id, metric))
            if measured is None:
                continue
            gpu = catalog.gpus[gpu_id]
            predicted = math.exp(held_out._linear(spec_features(gpu, metric, model.use_tf32)))
            print(f"  {gpu_id:10} {metric.label:16} measured {measured:9,.0f}  predicted without it {predicted:9,.0f}  "
                  f"({predicted / measured - 1:+.0%})")


if __name__ == "__main__":
    main()
