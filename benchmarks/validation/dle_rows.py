"""Transcribe the job_throughput.csv rows of NVIDIA's DeepLearningExamples READMEs (the `dle-...` series).

How the rows of data/job_throughput.csv were made (data/README.md): from a git mirror of
github.com/NVIDIA/DeepLearningExamples, each README below at the commit that last changed it: the 1-GPU row of each
training table, and the inference tables at the largest batch every GPU of the README published at a precision
(TensorRT, XLA and TorchScript variants left out; Triton's PyTorch-backend tables at their largest batch). DGX-2 tables
are left out (V100 SXM3 at 350 W). Numbers are copied as published.

Run: python benchmarks/validation/dle_rows.py MIRROR_GIT_DIR > rows.csv; the output is the `dle-...` rows of
data/job_throughput.csv line for line (checked 2026-12-05 against the mirror at 729963d), but for the second batch
(Tacotron 2, Jasper, TensorFlow BERT), which dle_rows2.py transcribes.
"""
from __future__ import annotations

import csv
import re
import subprocess
import sys

PT_CONFIGS = "PyTorch/Classification/ConvNets/configs.yml"
# README, model id (Lambda's where the model is the same), family, framework, kinds, inference variant words,
# training batch sizes by (GPU, precision) where the table has no batch column (from PT_CONFIGS at the same commit).
CURATED = [
    ("PyTorch/Classification/ConvNets/resnet50v1.5/README.md", "resnet50", "cnn", "pytorch", ("training", "inference"),
     (), {("a100-80gb", "fp32"): 256, ("a100-80gb", "fp16"): 256, ("v100", "fp32"): 112, ("v100", "fp16"): 256,
          ("v100-32gb", "fp32"): 112, ("v100-32gb", "fp16"): 256}),
    ("PyTorch/Classification/ConvNets/resnext101-32x4d/README.md", "resnext101_32x4d", "cnn", "pytorch",
     ("training", "inference"), (),
     {("a100-80gb", "fp32"): 128, ("a100-80gb", "fp16"): 128, ("v100", "fp32"): 64, ("v100", "fp16"): 128,
      ("v100-32gb", "fp32"): 64, ("v100-32gb", "fp16"): 128}),
    ("PyTorch/Classification/ConvNets/se-resnext101-32x4d/README.md", "se_resnext101_32x4d", "cnn", "pytorch",
     ("training", "inference"), (),
     {("a100-80gb", "fp32"): 128, ("a100-80gb", "fp16"): 128, ("v100", "fp32"): 64, ("v100", "fp16"): 112,
      ("v100-32gb", "fp32"): 64, ("v100-32gb", "fp16"): 112}),
    ("TensorFlow/Classification/ConvNets/resnet50v1.5/README.md", "resnet50", "cnn", "tensorflow",
     ("training", "inference"), (), {}),
    ("TensorFlow/Classification/ConvNets/resnext101-32x4d/README.md", "resnext101_32x4d", "cnn", "tensorflow",
     ("training", "inference"), (), {}),
    ("TensorFlow/Classification/ConvNets/se-resnext101-32x4d/README.md", "se_resnext101_32x4d", "cnn", "tensorflow",
     ("training", "inference"), (), {}),
    ("PyTorch/LanguageModeling/Transformer-XL/README.md", "transformerxlbase", "transformer", "pytorch",
     ("inference",), ("Base model", "pure Python"), {}),
    ("PyTorch/LanguageModeling/Transformer-XL/README.md", "transformerxllarge", "transformer", "pytorch",
     ("inference",), ("Large model", "pure Python"), {}),
    ("TensorFlow/LanguageModeling/Transformer-XL/README.md", "transformerxlbase", "transformer", "tensorflow",
     ("inference",), ("Base model",), {}),
]
TRITON = [("PyTorch/LanguageModeling/BERT/triton/large/README.md", "bert_large_squad"),
          ("PyTorch/LanguageModeling/BERT/triton/dist4l/README.md", "bert_dist4l_squad"),
          ("PyTorch/LanguageModeling/BERT/triton/dist6l/README.md", "bert_dist6l_squad")]
TRAIN_NOTE = ("1-GPU row of the README's training performance table for this GPU, column '{col}'; images/s or tokens/s "
              "as published; TF32 on A100 and FP32 on V100 are this file's fp32, AMP its fp16{batch}")
INFER_NOTE = ("inference performance table '{sub}', batch size {b} (the largest batch every GPU of the README "
              "published at this precision); throughput as published")
TRITON_NOTE = ("Triton offline table '{head}' (PyTorch backend, TorchScript, FP16, sequence length 384), the largest "
               "batch ({b}) at concurrency 1, inferences/s as published")


def git(mirror: str, *args: str) -> str:
    return subprocess.run(["git", "-C", mirror, *args], capture_output=True, text=True, check=True).stdout


def platform_gpu(heading: str) -> str | None:
    """The gpu_id of a table's platform heading (None: DGX-2 and platforms not kept)."""
    h = heading.replace("G)", "GB)").replace("G ", "GB ")
    if "DGX-2" in h:
        return None
    for pattern, gpu in (("A30", "a30"), ("A100 80", "a100-80gb"), ("A100 40", "a100-40gb"), ("V100 32", "v100-32gb"),
                         ("V100 16", "v100"), (r"DGX-1\)", "v100"), ("T4", "t4")):
        if re.search(pattern, h):
            return gpu
    return None


def cells(line: str) -> list[str]:
    return [c.strip().strip("*").strip() for c in line.strip().strip("|").split("|")]


def table_at(lines: list[str], i: int) -> tuple[list[str], list[list[str]], int] | None:
    """The header cells, the rows and the line after a Markdown table whose header is line `i`; None when no table
    starts there (a '|' line followed by its separator row)."""
    separator = r"\s*\|[\s:|-]+\|?\s*$"
    if not (lines[i].strip().startswith("|") and i + 1 < len(lines) and re.match(separator, lines[i + 1])):
        return None
    rows, j = [], i + 2
    while j < len(lines) and lines[j].strip().startswith("|"):
        rows.append(cells(lines[j]))
        j += 1
    return cells(lines[i]), rows, j


def number(text: str) -> str | None:
    m = re.search(r"([0-9][0-9,]*\.?[0-9]*)", text)
    return m.group(1).replace(",", "") if m else None


def tables(text: str):
    """(platform heading, sub-heading, header cells, rows) of every Markdown table under a performance heading."""
    lines = text.splitlines()
    head = sub = model_h = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            t = line.lstrip("#").strip()
            if re.match(r"(Training|Inference) performance:", t):
                head, sub, model_h = t, "", ""
            elif re.match(r"(Training|Inference) performance results|Release|Training accuracy|Training time", t):
                head = sub = ""
            elif line.startswith("######") and not re.search(r"latency|throughput", t, re.I):
                model_h, sub = t, ""
            else:
                sub = t
        elif re.match(r"\s*\*\*.*\*\*\s*$", line) or re.match(r"\s*(FP16|FP32|TF32)\s*$", line):
            sub = line.strip().strip("*")
        elif (table := table_at(lines, i)) is not None:
            header, rows, i = table
            yield head, f"{model_h} / {sub}" if model_h else sub, header, rows
            continue
        i += 1


def precision_of(text: str) -> str | None:
    t = text.lower()
    if "int8" in t or "tensorrt" in t or "trt" in t:
        return None
    if "tf32" in t or "fp32" in t:
        return "fp32"
    if "mixed" in t or "amp" in t or "fp16" in t:
        return "fp16"
    return None


def batch_of(cell: str, precision: str) -> str | None:
    words = "FP32|TF32|TF" if precision == "fp32" else "AMP|mixed precision|FP16"
    m = re.search(rf"(\d+)\s*\(({words})\)", cell, re.I)
    if m:
        return m.group(1)
    return number(cell) if re.fullmatch(r"\s*\d+\s*", cell) else None


def extract(text: str):
    """The README's 1-GPU training rows and its inference throughputs by (GPU, precision, variant) and batch."""
    train, infer = [], {}
    for head, sub, header, rows in tables(text):
        gpu = platform_gpu(head) if head else None
        if gpu is None:
            continue
        if head.startswith("Training"):
            if not re.match(r"GPUs?|#GPUs|Number of GPUs", header[0], re.I):
                continue
            bcol = next((k for k, c in enumerate(header) if "batch" in c.lower()), None)
            for r in (r for r in rows if r[0].strip() == "1"):
                for k, col in enumerate(header):
                    p = precision_of(col)
                    if "hroughput" not in col or "speedup" in col.lower() or k >= len(r) or p is None:
                        continue
                    b = batch_of(r[bcol], p) if bcol is not None and bcol < len(r) else None
                    if number(r[k]):
                        train.append((gpu, p, number(r[k]), b, col))
        else:
            p = precision_of(sub)
            if p is None or "xla" in sub.lower():
                continue
            tcol = next((k for k, c in enumerate(header) if "hroughput" in c or c == "Sentences/sec"), None)
            bcol = next((k for k, c in enumerate(header) if "batch" in c.lower()), None)
            if tcol is None or bcol is None:
                continue
            variant = re.sub(r"(?i)\b(fp32|tf32|fp16|amp|mixed precision)\b[,]?", "", sub)
            variant = re.sub(r"(?i)inference latency|\s+", " ", variant).strip(" ,/")
            for r in rows:
                if max(tcol, bcol) < len(r) and number(r[bcol]) and number(r[tcol]):
                    infer.setdefault((gpu, p, variant), {})[int(float(number(r[bcol])))] = (number(r[tcol]), sub)
    return train, infer


def common_inference(infer: dict):
    """Each (precision, variant)'s rows at the largest batch that every GPU published."""
    for p in ("fp32", "fp16"):
        for variant in sorted({v for (_, q, v) in infer if q == p}):
            by_gpu = {g: d for (g, q, v), d in infer.items() if q == p and v == variant}
            common = set.intersection(*(set(d) for d in by_gpu.values())) if len(by_gpu) >= 2 else set()
            if common:
                b = max(common)
                for g, d in by_gpu.items():
                    yield g, p, d[b][0], b, d[b][1]


def triton_rows(text: str, backend: str = "PyTorch with FP16"):
    lines, current = text.splitlines(), None
    for i, line in enumerate(lines):
        if line.startswith("#### Offline: "):
            heading = line[len("#### Offline: "):].strip()
            current = heading if heading.endswith(backend) else None
        elif current and "Inferences/Second" in line and (table := table_at(lines, i)) is not None:
            header, rows, _ = table
            b, t = header.index("Batch"), header.index("Inferences/Second")
            best = max(rows, key=lambda r: float(r[b]))
            yield current, best[b], best[t]
            current = None


def main(mirror: str) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    for path, model, family, framework, kinds, variant, batches in CURATED:
        commit, date = git(mirror, "log", "-1", "--format=%h %cs", "HEAD", "--", path).split()
        commit = commit[:7]
        slug = path.split("/")[-2].lower()
        source = f"NVIDIA/DeepLearningExamples {path} @ {commit}"
        train, infer = extract(git(mirror, "show", f"HEAD:{path}"))
        if "training" in kinds:
            for gpu, p, value, b, col in train:
                note = ("; batch size from the same commit's " + PT_CONFIGS) if (gpu, p) in batches \
                    else "; batch size per GPU from the table"
                out.writerow([f"dle-{framework}-{slug}-training@{commit}", gpu, model, family, "training", p, value,
                              b or batches.get((gpu, p), ""), source, date, "official",
                              TRAIN_NOTE.format(col=col, batch=note), ""])
        if "inference" in kinds:
            for gpu, p, value, b, sub in common_inference(infer):
                if all(v in sub for v in variant) and "TorchScript" not in sub:
                    out.writerow([f"dle-{framework}-{slug}-inference@{commit}", gpu, model, family, "inference", p,
                                  value, b, source, date, "official", INFER_NOTE.format(sub=sub, b=b), ""])
    for path, model in TRITON:
        commit, date = git(mirror, "log", "-1", "--format=%h %cs", "HEAD", "--", path).split()
        commit = commit[:7]
        slug = path.split("/")[-2].lower()
        for heading, b, value in triton_rows(git(mirror, "show", f"HEAD:{path}")):
            out.writerow([f"dle-triton-bert-{slug}-inference@{commit}", platform_gpu(heading), model, "transformer",
                          "inference", "fp16", value, b, f"NVIDIA/DeepLearningExamples {path} @ {commit}", date,
                          "official", TRITON_NOTE.format(head=heading, b=b), ""])


if __name__ == "__main__":
    main(sys.argv[1])
