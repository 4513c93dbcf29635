"""Test-wide settings: never touch the network; no state carried between tests."""

import os
import sys
import tempfile
from collections.abc import Iterator

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("INSPECT_LOG_FORMAT", "eval")
os.environ.setdefault("INSPECT_DISPLAY", "none")
# The run index (alignlab.store) is off for the tests' runs (tests of the index turn it on with
# their own database); anything else alignlab keeps goes to a throw-away folder, not ~/.alignlab.
os.environ.setdefault("ALIGNLAB_HOME", tempfile.mkdtemp(prefix="alignlab-home-"))
os.environ.setdefault("ALIGNLAB_INDEX_URL", "off")


def _clear_content_free_cache() -> None:
    # Keyed by model name: mock models share names across tests ("mockllm/model").
    # Only when a test loaded the scorer; importing it here would load Inspect for every test.
    fc = sys.modules.get("alignlab.scorers.forced_choice")
    if fc is not None:
        fc._content_free_cache.clear()
        fc._content_free_locks.clear()


@pytest.fixture(autouse=True)
def _fresh_content_free_cache() -> Iterator[None]:
    """Each test computes its own content-free calibration prompt's scores."""
    _clear_content_free_cache()
    yield
    _clear_content_free_cache()
