"""Tests for advisor.workload: validation messages a person can act on, in the core's own field names."""
import json
import math

import pytest

from advisor.errors import InvalidWorkloadError
from advisor.vocab import Kind, Metric, Need, Predictability
from advisor.workload import BOUNDS, Workload


def test_defaults_are_valid_and_mixed_work_uses_the_ai_score():
    w = Workload()
    assert w.metric is Metric.AI and w.needs == frozenset() and w.kind is Kind.MIXED
    assert Workload(kind="training").metric is Metric.TRAINING


def test_strings_become_vocabulary_members():
    w = Workload(kind="inference", predictability="prefer", needs={"private"}, nice_to_have=["background"])
    assert w.kind is Kind.INFERENCE and w.predictability is Predictability.PREFER
    assert w.needs == {Need.PRIVATE} and w.nice_to_have == {Need.BACKGROUND}


def test_a_need_is_not_also_a_wish():
    assert Workload(needs={"private"}, nice_to_have={"private", "background"}).nice_to_have == {Need.BACKGROUND}


@pytest.mark.parametrize("kwargs, field, text", [
    ({"kind": "gaming"}, "kind", "training, inference, mixed"),  # unknown kind
    ({"gpu_memory_gib": -1}, "gpu_memory_gib", "from 0 to 1,024"),  # negative memory
    ({"gpu_memory_gib": math.nan}, "gpu_memory_gib", "GiB"),  # NaN
    ({"session_hours": 0}, "session_hours", "hours from 0.01"),  # zero-length session
    ({"session_hours": 1e-320}, "session_hours", "hours from 0.01"),  # a denormal is no session (D19)
    ({"gpu_hours_per_month": math.inf}, "gpu_hours_per_month", "GPU hours a month"),  # infinite hours
    ({"notebooks_at_once": 0}, "notebooks_at_once", "from 1 to 64"),  # no notebooks
    ({"notebooks_at_once": 1.5}, "notebooks_at_once", "whole number"),  # half a notebook
    ({"budget_usd_per_month": -5}, "budget_usd_per_month", "from 0"),  # negative budget
    ({"budget_usd_per_month": 99_999_999}, "budget_usd_per_month", "to 1,000,000, got 99,999,999"),  # D19: the real limit
    ({"predictability": "always"}, "predictability", "any, prefer, require"),  # unknown level
    ({"needs": {"gpu"}}, "needs", "selectable-timeout"),  # unknown need
    ({"nice_to_have": {"speed"}}, "nice_to_have", "'speed'"),  # unknown wish
    ({"reference_hours": 2}, "reference_hours", "reference GPU or a reference score"),  # hours without device
    ({"reference_score": 5000}, "reference_hours", "how many hours"),  # device without hours
    ({"reference_hours": 2, "reference_score": 5000, "reference_gpu": "t4"}, "reference_score", "not both"),  # both
    ({"reference_hours": 1, "reference_score": 1e8}, "reference_score", "to 10,000,000"),  # D19: the real limit
    ({"gpu_memory_gib": True}, "gpu_memory_gib", "GiB"),  # a boolean is not a size
    ({"education": "yes"}, "education", "true or false"),  # a string is not a boolean
])
def test_bad_values_name_the_field_and_what_it_accepts(kwargs, field, text):
    with pytest.raises(InvalidWorkloadError) as info:
        Workload(**kwargs)
    assert info.value.field == field
    assert text in str(info.value)


@pytest.mark.parametrize("name", list(BOUNDS))
def test_every_bound_accepts_its_ends_and_refuses_beyond(name):
    bound = BOUNDS[name]
    assert bound.accepts(bound.high) and not bound.accepts(bound.high * 2 + 1)
    assert bound.accepts(bound.low) != bound.low_open
    assert not bound.accepts(math.nan) and not bound.accepts(True)


def test_to_dict_is_json_ready():
    d = Workload(needs={"private", "background"}).to_dict()
    assert d["needs"] == ["background", "private"] and d["kind"] == "mixed"
    assert json.loads(json.dumps(d)) == d


# ---------------------------------------------------------------------------------------------
# One declaration per field (issue 18, item 3): the faces derive their parts from workload.FIELDS.


def test_every_workload_field_is_declared_once_in_order():
    from dataclasses import fields as dc_fields

    from advisor.workload import FIELDS

    assert [f.name for f in dc_fields(Workload)] == [s.name for s in FIELDS]
    for f, spec in zip(dc_fields(Workload), FIELDS):
        default = f.default_factory() if callable(f.default_factory) else f.default
        assert default == spec.default, spec.name


def test_cli_and_api_options_come_from_the_declarations():
    from advisor.api.models import RecommendRequest
    from advisor.cli import build_parser
    from advisor.workload import FIELDS

    parser = build_parser()
    rec = parser._subparsers._group_actions[0].choices["recommend"]
    options = {o for a in rec._actions for o in a.option_strings}
    assert {s.flag for s in FIELDS} <= options
    assert {s.api for s in FIELDS} <= set(RecommendRequest.model_fields)


@pytest.mark.parametrize("budget,free_only,prefer,expected", [
    (None, False, None, "value"),    # no budget: most speed per dollar (free plans first)
    (10.0, False, None, "speed"),    # a budget is money the user is willing to spend
    (0.0, False, None, "value"),     # a $0 budget is no wish to spend
    (10.0, False, "cost", "cost"),   # said outright, it wins
    (10.0, True, None, "value"),     # free only: nothing to spend
])
def test_preference_default(budget, free_only, prefer, expected):
    assert Workload(budget_usd_per_month=budget, free_only=free_only, prefer=prefer).preference == expected


def test_memory_spread_needs_several_gpus():
    with pytest.raises(InvalidWorkloadError, match="memory_spread"):
        Workload(memory_spread=True)
