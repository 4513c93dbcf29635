"""The bundled bundles' example conversations, through the real feature scorers (MiniLM topics)."""

from __future__ import annotations

import pytest

from alignlab.policy import resolve_bundle
from alignlab.policy.testing import example_tests


@pytest.mark.slow
@pytest.mark.parametrize("name", ["general", "medical"])
def test_bundled_examples_get_their_expected_decisions(name: str) -> None:
    results = example_tests(resolve_bundle(name))
    assert len(results) >= 5
    assert [(r.name, r.detail) for r in results if not r.passed] == []
