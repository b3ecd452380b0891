"""Transcribe the second batch of `dle-...` rows of data/job_throughput.csv (READMEs whose tables dle_rows.py's generic
parser does not read): PyTorch Tacotron 2 + WaveGlow, PyTorch Jasper, TensorFlow BERT.

Same rules as dle_rows.py: each README at the commit that last changed it, 1-GPU rows only, numbers copied as
published (never derived from latencies), DGX-2 tables left out (V100 SXM3 at 350 W), TF32 on A100 is this file's
fp32, AMP / mixed precision its fp16. Where a table has several batch sizes per GPU, the largest batch that every
GPU of the series publishes at that precision. Per README:

- Tacotron 2 / WaveGlow training: the 1-GPU row of each model's training table (A100 40 GB, V100 16 GB), batch per
  GPU from the table's batch column (per precision where the table gives one per precision).
- Tacotron 2 + WaveGlow inference: the end-to-end text-to-speech tables (A100 40 GB, V100 16 GB, T4), audio samples
  per second at batch 4 (batch 1 and 4 published), input length 128; WN channels 256 and 512 are two models.
- Jasper training: the 1-GPU rows on A100 80 GB and V100 32 GB (fp32 batch 32, fp16 batch 64: the largest each pair
  publishes); the V100 16 GB table publishes only batch 16, which no other GPU does, so it is left out. Jasper's
  inference tables give latencies only, so none.
- TensorFlow BERT inference: the SQuAD v1.1 fine-tuning inference tables (V100 16 GB, V100 32 GB on DGX-1, A100
  40 GB, T4), batch 8 (1-8 published on every GPU), base and large at sequence length 128 and 384; the A100's tf32
  rows (not its fp32 rows) are this file's fp32.
- TensorFlow BERT training: the 1-GPU rows of the pre-training tables (BERT large, sequence length 128 and 512) and
  of the SQuAD v1.1 fine-tuning tables (BERT large, run_squad.sh's sequence length 384), on V100 16 GB, V100 32 GB
  and A100 40 GB; batch per GPU from the table's 'Batch size / GPU: mixed precision, FP32' column.
- TensorFlow GNMT (@ 9de48bc) left out, as data/README.md already decided: its A100 and T4 tables (beam width x batch,
  tokens/s) come from different containers (20.06 and 19.07), the V100 table is by sequence length with no beam width,
  and the T4 publishes no FP32 throughput.

Run: python -m benchmarks.validation.dle_rows2 MIRROR_GIT_DIR > rows.csv; the output is the rows of these series in
data/job_throughput.csv line for line (checked 2026-12-05 against the mirror at 729963d). Tacotron 2's A100
training tables name no container ("[framework-container-name]"); its V100 tables and every inference table are
PyTorch 20.06.
"""
from __future__ import annotations

import csv
import re
import sys

from benchmarks.validation.dle_rows import git, number, platform_gpu, table_at

TACOTRON = "PyTorch/SpeechSynthesis/Tacotron2/README.md"
JASPER = "PyTorch/SpeechRecognition/Jasper/README.md"
TF_BERT = "TensorFlow/LanguageModeling/BERT/README.md"


def table_after(lines: list[str], start: int) -> tuple[list[str], list[list[str]], int]:
    """The header and rows of the first Markdown table at or after line `start`, and the line after it."""
    return next(table for i in range(start, len(lines)) if (table := table_at(lines, i)) is not None)


def headings(lines: list[str], pattern: str):
    for i, line in enumerate(lines):
        if line.startswith("#") and re.search(pattern, line):
            yield i, line.lstrip("#").strip()


def per_precision_batch(cell: str, precision: str) -> str:
    """'104@FP16, 48@FP32' -> the precision's batch; a plain number is every precision's."""
    words = ("FP32", "TF32") if precision == "fp32" else ("FP16", "AMP")
    for part in cell.split(","):
        m = re.match(r"\s*(\d+)\s*@\s*(\w+)", part)
        if m and m.group(2).upper() in words:
            return m.group(1)
    if re.fullmatch(r"\s*\d+\s*", cell):
        return cell.strip()
    raise ValueError(f"no {precision} batch in {cell!r}")


def tacotron(mirror: str, commit: str, date: str, out) -> None:
    lines = git(mirror, "show", f"HEAD:{TACOTRON}").splitlines()
    source = f"NVIDIA/DeepLearningExamples {TACOTRON} @ {commit}"
    for i, head in headings(lines, r"Training performance: "):
        gpu = platform_gpu(head)
        if gpu is None:
            continue
        pos = i
        for model, family, unit in (("tacotron2", "rnn", "mel-spectrograms/s"), ("waveglow", "cnn", "audio samples/s")):
            header, rows, pos = table_after(lines, pos)
            row = next(r for r in rows if r[0] == "1")
            for k, col in enumerate(header):
                if not col.startswith("Number of") or col == "Number of GPUs":
                    continue
                p = "fp16" if "mixed precision" in col else "fp32"
                b = per_precision_batch(row[1], p)
                note = (f"1-GPU row of the README's {model} training table under '{head}', column '{col}' "
                        f"({unit}); batch per GPU from the table ('{row[1]}'); TF32 on A100 and FP32 on V100 are "
                        "this file's fp32, AMP its fp16")
                out.writerow([f"dle-pytorch-tacotron2-training@{commit}", gpu, model, family, "training", p,
                              number(row[k]), b, source, date, "official", note, ""])
    batch = "4"
    for i, head in headings(lines, r"Inference performance: "):
        gpu = platform_gpu(head)
        if gpu is None:
            continue
        header, rows, _ = table_after(lines, i)
        t = header.index("Throughput (samples/sec)")
        for channels in ("256", "512"):
            for prec in ("FP16", "FP32"):
                row = next(r for r in rows if r[0] == batch and r[2] == prec and r[3] == channels)
                p = "fp16" if prec == "FP16" else "fp32"
                note = (f"end-to-end Tacotron 2 + WaveGlow inference table '{head}', row batch size {batch}, input "
                        f"length 128, precision {prec}, "
                        f"WN channels {channels}; column 'Throughput (samples/sec)', generated audio samples/s; batch "
                        f"{batch} is the largest every GPU of the README published (1 and 4)")
                out.writerow([f"dle-pytorch-tacotron2-inference@{commit}", gpu, f"tacotron2_waveglow{channels}",
                              "rnn", "inference", p, number(row[t]), batch, source, date, "official", note, ""])


def jasper(mirror: str, commit: str, date: str, out) -> None:
    lines = git(mirror, "show", f"HEAD:{JASPER}").splitlines()
    source = f"NVIDIA/DeepLearningExamples {JASPER} @ {commit}"
    keep = {("a100-80gb", "fp32"): "32", ("a100-80gb", "fp16"): "64",
            ("v100-32gb", "fp32"): "32", ("v100-32gb", "fp16"): "64"}
    for i, head in headings(lines, r"Training performance: "):
        gpu = platform_gpu(head)
        if gpu not in ("a100-80gb", "v100-32gb"):
            continue
        header, rows, _ = table_after(lines, i)
        for k, col in enumerate(header):
            if not col.startswith("Throughput - ") or "speedup" in col:
                continue
            p = "fp16" if "mixed precision" in col else "fp32"
            b = keep[(gpu, p)]
            row = next(r for r in rows if r[0] == b and r[1] == "1")
            note = (f"1-GPU row of the README's training table '{head}', batch size / GPU {b}, column '{col}' "
                    f"(sequences/s); batch {b} is the largest both GPUs of the series publish at this precision "
                    "(the V100 16 GB table, batch 16 only, left out); TF32 on A100 and FP32 on V100 are this file's "
                    "fp32, AMP its fp16")
            out.writerow([f"dle-pytorch-jasper-training@{commit}", gpu, "jasper", "cnn", "training", p,
                          number(row[k]), b, source, date, "official", note, ""])


def tf_bert(mirror: str, commit: str, date: str, out) -> None:
    lines = git(mirror, "show", f"HEAD:{TF_BERT}").splitlines()
    source = f"NVIDIA/DeepLearningExamples {TF_BERT} @ {commit}"
    # training: the 1-GPU rows of the single-node pre-training and the SQuAD fine-tuning tables
    for i, head in headings(lines, r"^#####\s+Training performance: "):
        gpu = platform_gpu(head)
        if gpu is None:
            continue
        end = next(j for j in range(i + 1, len(lines)) if re.match(r"#####\s", lines[j]))
        for j, sub in headings(lines[:end], r"^######\s+(Pre-training training performance: single-node|Fine-tuning "
                                                    r"training performance for SQuAD)"):
            if j < i:
                continue
            header, rows, _ = table_after(lines, j)
            bcol = next(k for k, c in enumerate(header) if c.startswith("Batch size / GPU"))
            scol = next((k for k, c in enumerate(header) if c == "Sequence Length"), None)
            for row in (r for r in rows if r[0] == "1"):
                seq = row[scol] if scol is not None else "384"
                model = "bert_large_squad" if scol is None else f"bert_large_pretrain{seq}"
                amp_b, full_b = (x.strip() for x in row[bcol].split(","))
                for k, col in enumerate(header):
                    if not col.startswith("Throughput - "):
                        continue
                    p = "fp16" if "mixed precision" in col else "fp32"
                    b = amp_b if p == "fp16" else full_b
                    what = ("pre-training (LAMB), sequence length " + seq) if scol is not None else \
                        "SQuAD v1.1 fine-tuning (sequence length 384, run_squad.sh)"
                    note = (f"BERT large {what}: 1-GPU row of the table '{sub}', column '{col}' (sentences/s); "
                            f"batch per GPU from the table's '{header[bcol]}' column ('{row[bcol]}'); TF32 on A100 "
                            "and FP32 on V100 are this file's fp32, AMP its fp16")
                    out.writerow([f"dle-tensorflow-bert-training@{commit}", gpu, model, "transformer", "training",
                                  p, number(row[k]), b, source, date, "official", note, ""])
    # inference: SQuAD fine-tuning inference at batch 8
    batch = "8"
    for i, head in headings(lines, r"^#####\s+Inference performance: "):
        gpu = platform_gpu(head.replace("Tesla T4 (1x T4 16GB)", "T4"))
        if gpu is None:
            continue
        header, rows, _ = table_after(lines, i)
        t = header.index("Throughput-Average(sent/sec)")
        for size in ("base", "large"):
            for seq in ("128", "384"):
                for p, prec in (("fp16", "fp16"), ("fp32", "tf32" if gpu.startswith("a100") else "fp32")):
                    row = [r for r in rows if r[:4] == [size, seq, batch, prec]]
                    assert len(row) == 1, (gpu, size, seq, prec, row)
                    model = f"bert_{size}_squad" if seq == "384" else f"bert_{size}_squad128"
                    note = (f"SQuAD v1.1 fine-tuning inference table '{head}', row model {size}, sequence length "
                            f"{seq}, batch size {batch}, precision {prec}; column 'Throughput-Average(sent/sec)', "
                            f"sentences/s; batch {batch} is the largest every GPU of the README published (1-8)")
                    out.writerow([f"dle-tensorflow-bert-inference@{commit}", gpu, model, "transformer",
                                  "inference", p, number(row[0][t]), batch, source, date, "official", note, ""])


def main(mirror: str) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    for path, fn in ((TACOTRON, tacotron), (JASPER, jasper), (TF_BERT, tf_bert)):
        commit, date = git(mirror, "log", "-1", "--format=%h %cs", "HEAD", "--", path).split()
        fn(mirror, commit[:7], date, out)


if __name__ == "__main__":
    main(sys.argv[1])
