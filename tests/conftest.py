"""Test-wide settings: never touch the network."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("INSPECT_LOG_FORMAT", "eval")
os.environ.setdefault("INSPECT_DISPLAY", "none")
