"""``alignlab serve`` refuses unsafe options before loading anything; keys are stored hashed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alignlab.cli import app
from alignlab.serve.app import RateLimiter, read_key_file


def test_non_loopback_host_needs_api_keys() -> None:
    result = CliRunner().invoke(app, ["serve", "--policy", "general", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "--api-keys" in result.output


def test_hash_key_prints_the_stored_form_and_key_files_are_checked(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--policy", "general", "--hash-key", "sk-abc"])
    assert result.exit_code == 0
    digest = result.output.strip()
    assert digest == hashlib.sha256(b"sk-abc").hexdigest()
    keys = tmp_path / "keys"
    keys.write_text(f"# team keys\nteam-a:{digest}\n")
    assert read_key_file(str(keys)) == {digest: "team-a"}
    keys.write_text("team-a:sk-abc\n")  # a raw key, not its hash
    result = CliRunner().invoke(
        app, ["serve", "--policy", "general", "--host", "0.0.0.0", "--api-keys", str(keys)]
    )
    assert result.exit_code == 2 and "line 1" in result.output


def test_rate_limiter_bucket() -> None:
    limiter = RateLimiter(per_minute=2)
    assert limiter.allow("a") and limiter.allow("a")
    assert not limiter.allow("a")
    assert limiter.allow("b")  # per client


def test_workers_must_be_positive() -> None:
    result = CliRunner().invoke(app, ["serve", "--policy", "general", "--workers", "0"])
    assert result.exit_code == 2
    assert "--workers must be at least 1" in result.output


def test_a_worker_process_builds_its_app_from_the_parents_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from fastapi.testclient import TestClient
    from proxy_servers import write_serve_bundle

    from alignlab.serve import cli

    options = {
        "policy": str(write_serve_bundle(tmp_path / "bundle")),
        "model": "stub",
        "upstream": "http://127.0.0.1:9/v1",
        "upstream_key_env": None,
        "db": f"sqlite:///{tmp_path / 'audit.sqlite'}",
        "keys": {},
        "max_body_kb": 256,
        "rate": 6000,
        "feature_timeout": 5.0,
        "store_text": False,
        "log_text": False,
        "grader_model": None,
    }
    monkeypatch.setenv(cli._OPTIONS_ENV, json.dumps(options))
    with TestClient(cli.app_from_environment()) as client:
        assert client.get("/v1/models").json()["data"][0]["id"] == "stub"
