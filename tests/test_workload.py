"""Tests for advisor.workload: validation messages a person can act on."""
import math

import pytest

from advisor.errors import InvalidWorkloadError
from advisor.workload import Workload


def test_defaults_are_valid_and_mixed_work_uses_the_ai_score():
    w = Workload()
    assert w.metric == "ai" and w.needs == frozenset()
    assert Workload(kind="training").metric == "training"


@pytest.mark.parametrize("kwargs, field, text", [
    ({"kind": "gaming"}, "workload", "training, inference, mixed"),  # unknown kind
    ({"gpu_memory_gib": -1}, "gpu_mem_gb", "between 0 and 1024"),  # negative memory
    ({"gpu_memory_gib": math.nan}, "gpu_mem_gb", "GiB"),  # NaN
    ({"session_hours": 0}, "session_hours", "hours between"),  # zero-length session
    ({"gpu_hours_per_month": math.inf}, "gpu_hours_per_month", "hours per month"),  # infinite hours
    ({"notebooks_at_once": 0}, "concurrent", "1 to 64"),  # no notebooks
    ({"notebooks_at_once": 1.5}, "concurrent", "whole number"),  # half a notebook
    ({"budget_usd_per_month": -5}, "budget_usd", "0 or more"),  # negative budget
    ({"predictability": "always"}, "predictability", "any, prefer, require"),  # unknown level
    ({"needs": {"gpu"}}, "needs", "selectable-timeout"),  # unknown need
    ({"reference_hours": 2}, "reference_hours", "reference GPU or a reference score"),  # hours without device
    ({"reference_score": 5000}, "reference_hours", "how many hours"),  # device without hours
    ({"reference_hours": 2, "reference_score": 5000, "reference_gpu": "t4"}, "reference_score", "not both"),  # both
    ({"gpu_memory_gib": True}, "gpu_mem_gb", "GiB"),  # a boolean is not a size
])
def test_bad_values_name_the_field_and_what_it_accepts(kwargs, field, text):
    with pytest.raises(InvalidWorkloadError) as info:
        Workload(**kwargs)
    assert info.value.field == field
    assert text in str(info.value)


def test_to_dict_is_json_ready():
    import json

    d = Workload(needs={"private", "background"}).to_dict()
    assert d["needs"] == ["background", "private"]
    json.dumps(d)
