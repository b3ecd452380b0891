"""The public names: every package's __all__ is complete, sorted and importable (as httpx's
tests/test_exported_members.py checks)."""
import importlib

import pytest

PACKAGES = ["advisor", "advisor.catalog", "advisor.chat", "advisor.bench", "advisor.recommend"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_every_name_exists(name):
    module = importlib.import_module(name)
    exported = module.__all__
    assert exported == sorted(exported)
    for item in exported:
        assert hasattr(module, item), f"{name}.{item}"


def test_the_facade_exports_what_the_readme_uses():
    import advisor

    assert {"load_catalog", "Workload", "recommend", "Recommendation", "AdvisorError"} <= set(advisor.__all__)
