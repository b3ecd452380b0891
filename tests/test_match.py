"""One GPU matcher (advisor.catalog.match, Catalog.match_gpu) for the benchmark, the run store and the evidence: a
table of real NVML device strings, each with the catalog GPU it must be."""
from __future__ import annotations

import dataclasses

import pytest

from advisor.bench.device import match_catalog_gpu
from advisor.catalog import load_catalog
from advisor.errors import AdvisorError
from advisor.runs.evidence import match_gpu as evidence_match


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _a10g_or_a10(catalog) -> str:
    return "a10g" if "a10g" in catalog.gpus else "a10"


# (NVML name, memory NVML reports in GiB or None, expected gpu_id; a callable decides from the catalog)
NVML = [
    ("Tesla T4", 15.0, "t4"),  # Colab, Kaggle: NVML shows 15 of the 16 GiB
    ("NVIDIA A10G", 22.0, _a10g_or_a10),  # AWS g5 (Modal, SageMaker); the review's bug: labelled a10, then dropped
    ("NVIDIA L4", 22.5, "l4"),  # Colab's L4
    ("NVIDIA A100-SXM4-40GB", 39.6, "a100-40gb"),  # Colab Pro's A100
    ("NVIDIA A100-SXM4-40GB", None, "a100-40gb"),  # the size in the name decides without NVML's memory
    ("NVIDIA A100-SXM4-80GB", 79.2, "a100-80gb"),  # the 80 GB SXM part
    ("NVIDIA A100 80GB PCIe", 79.2, "a100-80gb-pcie"),  # the PCIe card: the form factor breaks the tie
    ("NVIDIA H100 80GB HBM3", 79.6, "h100"),  # the SXM5 part names no form factor
    ("NVIDIA H100 PCIe", 79.6, "h100-pcie"),  # the PCIe card
    ("NVIDIA RTX PRO 6000 Blackwell Server Edition", 95.0, "rtx-pro-6000"),  # extra words after the model
    ("NVIDIA GeForce RTX 4090", 23.6, "rtx4090"),  # a consumer card (vast.ai)
    ("Tesla P100-PCIE-16GB", 15.9, "p100"),  # Kaggle's former P100
    ("Tesla V100-SXM2-16GB", 15.8, "v100"),  # the SXM2 V100
    ("Tesla V100-PCIE-16GB", 15.8, "v100-pcie"),  # the PCIe V100
    ("Tesla K80", 11.2, "k80"),  # one GK210 die of the board
    ("Quadro P5000", 15.9, "p5000"),  # Paperspace
    ("Quadro RTX 4000", 7.8, "rtx4000"),  # not the RTX A4000
    ("NVIDIA RTX A4000", 15.7, "a4000"),  # not the Quadro RTX 4000
    ("NVIDIA RTX A2000 12GB", 11.8, "a2000"),  # the size in the name is no model token
    ("Quadro RTX 6000", 23.6, "rtx6000"),  # Turing
    ("NVIDIA RTX 6000 Ada Generation", 47.5, None),  # Ada, 48 GB: no catalog GPU (not the 24 GB Quadro)
    ("NVIDIA GeForce RTX 4060 Ti", 15.7, "rtx4060ti"),  # 'Ti' is part of the model
    ("NVIDIA GeForce RTX 2070 SUPER", 7.8, "rtx2070super"),  # 'SUPER' too
    ("NVIDIA GeForce GTX 1080", 7.9, "gtx1080"),  # Pascal consumer
    ("NVIDIA L40S", 44.5, "l40s"),  # not the L4
    ("NVIDIA H200", 139.8, "h200"),  # 141 GB spec
    ("Tesla M10", 7.9, "m10"),  # one GM107 of four
    ("Intel(R) Arc(TM) A770 Graphics", 16.0, "arc-a770"),  # another vendor's spelling
    ("Some Unknown Accelerator 9000", None, None),  # nothing: never a guess
    ("", None, None),  # an empty name
]


@pytest.mark.parametrize("name, memory, expected", NVML)
def test_nvml_names_match_one_catalog_gpu(catalog, name, memory, expected):
    expected = expected(catalog) if callable(expected) else expected
    assert catalog.match_gpu(name, memory) == expected
    # The benchmark and the evidence give the same answer: one rule (the review's bug was two).
    assert match_catalog_gpu(name, memory, catalog.gpus) == expected
    assert evidence_match(catalog, name, memory, None) == expected


def test_matcher_bug_a10g_labelled_and_kept_by_the_evidence(catalog):
    """The review: match_gpu(cat, 'NVIDIA A10G', 22.0, 'a10') returned None, so the advisor's own A10G run was
    dropped from GPU evidence."""
    assert evidence_match(catalog, "NVIDIA A10G", 22.0, "a10") == _a10g_or_a10(catalog)


def test_the_matcher_reads_the_catalogs_data_not_a_list(catalog):
    """A GPU added to the data is matched at once: an A10G row, as another helper adds to data/gpus.csv."""
    a10 = catalog.gpus["a10"]
    gpus = dict(catalog.gpus, a10g=dataclasses.replace(a10, gpu_id="a10g", name="A10G (24 GB)"))
    assert match_catalog_gpu("NVIDIA A10G", 22.0, gpus) == "a10g"
    assert match_catalog_gpu("NVIDIA A10", 22.0, gpus) == "a10"


# Names people type (a CLI flag, a chat answer, POST /job): the same matcher, stricter about extra words, plus a
# shorthand that leaves out a brand word when only one GPU fits.
TYPED = [
    ("t4", "t4"), ("Tesla T4", "t4"), ("A100", "a100-40gb"),
    ("a100 80gb", "a100-80gb"),  # the size tells the parts apart (the old lookup answered the 40 GB part)
    ("3090", "rtx3090"), ("4090 24GB", "rtx4090"), ("rtx 4090", "rtx4090"),
    ("A10G", "a10"), ("NVIDIA GeForce RTX 3090", "rtx3090"),
    ("6000", None),  # an RTX PRO 6000, an RTX 6000 Ada or a Quadro: ambiguous, so no guess
    ("t4 banana", None), ("t4\x1b[2J", None),  # every word must be the GPU's
    ("80gb", None), ("banana", None),
]


@pytest.mark.parametrize("name, expected", TYPED)
def test_typed_gpu_names_use_the_one_matcher(catalog, name, expected):
    if expected is None:
        with pytest.raises(AdvisorError, match="unknown GPU"):
            catalog.gpu(name)
    else:
        assert catalog.gpu(name).gpu_id == expected
