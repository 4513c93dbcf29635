"""Policy bundles: compile, decide, locate errors, and run Rego unit tests (no feature models)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alignlab.policy import bundled_names, resolve_bundle
from alignlab.policy.bundle import Decision, PolicyBundle, PolicyError, check_bundle
from alignlab.policy.guard import rewrite
from alignlab.policy.testing import read_examples, rego_tests

REQUEST = """package alignlab.request

import rego.v1

deny contains "too toxic" if input.features.toxicity >= data.limit

escalate contains "mentions a refund" if contains(input.features.lower, "refund")

decision := {"action": "deny", "reasons": deny} if {
	count(deny) > 0
} else := {"action": "escalate", "reasons": escalate} if {
	count(escalate) > 0
} else := {"action": "allow", "reasons": []}
"""

TESTS = """package alignlab.request_test

import rego.v1

test_toxic_denied if {
	d := data.alignlab.request.decision with input.features as {"toxicity": 0.9, "lower": ""}
	d.action == "deny"
}

test_wrong_expectation if {
	d := data.alignlab.request.decision with input.features as {"toxicity": 0.1, "lower": ""}
	d.action == "deny"
}
"""


def write_bundle(root: Path, request: str = REQUEST, tests: str | None = TESTS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "request.rego").write_text(request)
    (root / "data.json").write_text(json.dumps({"limit": 0.5}))
    if tests is not None:
        (root / "request_test.rego").write_text(tests)
    return root


def test_decide_reads_each_action(tmp_path: Path) -> None:
    bundle = PolicyBundle.load(write_bundle(tmp_path / "b"))
    assert bundle.stages == {"request": "alignlab.request"}
    denied = bundle.decide("request", {"features": {"toxicity": 0.7, "lower": ""}})
    assert denied == Decision("deny", ("too toxic",))
    flagged = bundle.decide("request", {"features": {"toxicity": 0.1, "lower": "a refund?"}})
    assert flagged.action == "escalate"
    assert (
        bundle.decide("request", {"features": {"toxicity": 0.1, "lower": "hi"}}).action == "allow"
    )
    # No response package: the response stage allows.
    assert bundle.decide("response", {"features": {}}) == Decision.allow()


def test_digest_changes_with_data_not_with_tests(tmp_path: Path) -> None:
    root = write_bundle(tmp_path / "b")
    first = PolicyBundle.load(root).digest
    (root / "request_test.rego").write_text(TESTS + "\n# a comment\n")
    assert PolicyBundle.load(root).digest == first
    (root / "data.json").write_text(json.dumps({"limit": 0.6}))
    assert PolicyBundle.load(root).digest != first


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = REQUEST.replace("input.features.toxicity >= data.limit", "input.features.toxicity >=")
    with pytest.raises(PolicyError) as caught:
        check_bundle(write_bundle(tmp_path / "b", request=bad, tests=None))
    assert caught.value.path is not None and caught.value.path.endswith("request.rego")
    assert caught.value.line == 5
    assert "request.rego:5" in str(caught.value)


def test_syntax_error_in_a_test_module_is_found_by_check(tmp_path: Path) -> None:
    root = write_bundle(
        tmp_path / "b",
        tests=TESTS.replace('d.action == "deny"\n}\n\ntest_w', "d.action ==\n}\n\ntest_w"),
    )
    PolicyBundle.load(root)  # the serving policy itself compiles
    with pytest.raises(PolicyError) as caught:
        check_bundle(root)
    assert caught.value.path is not None and caught.value.path.endswith("request_test.rego")
    assert caught.value.line == 7


def test_whole_input_replacement_is_refused_before_it_crashes_the_engine(tmp_path: Path) -> None:
    tests = TESTS.replace("with input.features as", "with input as")
    with pytest.raises(PolicyError, match="with input as") as caught:
        check_bundle(write_bundle(tmp_path / "b", tests=tests))
    assert caught.value.line == 6


def test_undefined_decision_is_an_error_not_an_allow(tmp_path: Path) -> None:
    request = 'package alignlab.request\n\ndecision := {"action": "allow"} if input.ok\n'
    bundle = PolicyBundle.load(write_bundle(tmp_path / "b", request=request, tests=None))
    with pytest.raises(PolicyError, match="undefined"):
        bundle.decide("request", {"ok": False})


def test_unknown_action_is_an_error(tmp_path: Path) -> None:
    request = 'package alignlab.request\n\ndecision := {"action": "maybe"}\n'
    bundle = PolicyBundle.load(write_bundle(tmp_path / "b", request=request, tests=None))
    with pytest.raises(PolicyError, match="maybe"):
        bundle.decide("request", {})


def test_rego_tests_pass_and_fail_as_opa_test_does(tmp_path: Path) -> None:
    results = {r.name.rsplit(".", 1)[1]: r for r in rego_tests(write_bundle(tmp_path / "b"))}
    assert results["test_toxic_denied"].outcome == "PASS"
    assert results["test_wrong_expectation"].outcome == "FAIL"
    assert results["test_wrong_expectation"].location == "request_test.rego:10"


@pytest.mark.parametrize("name", ["general", "medical"])
def test_bundled_rego_unit_tests_pass(name: str) -> None:
    results = rego_tests(resolve_bundle(name))
    assert len(results) >= 4
    assert [r for r in results if not r.passed] == []


def test_general_bundle_has_twenty_rules() -> None:
    root = resolve_bundle("general")
    text = "".join(p.read_text() for p in root.glob("*.rego") if not p.name.endswith("_test.rego"))
    assert sum(line.startswith("# R") for line in text.splitlines()) == 20
    assert set(bundled_names()) >= {"general", "medical"}


def test_examples_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "examples.jsonl"
    good = {"messages": [{"role": "user", "content": "hi"}], "expect": {"request": "allow"}}
    path.write_text(
        json.dumps(good) + "\n" + json.dumps({**good, "expect": {"request": "block"}}) + "\n"
    )
    with pytest.raises(PolicyError) as caught:
        read_examples(path)
    assert caught.value.line == 2


def test_rewrite_redacts_named_types_and_appends_notice() -> None:
    text = "Mail jo@example.com or call 212-555-0199."
    features = {
        "pii": [
            {"type": "EMAIL_ADDRESS", "start": 5, "end": 19},
            {"type": "PHONE_NUMBER", "start": 28, "end": 40},
        ]
    }
    decision = Decision("rewrite", ("pii",), redact=("PHONE_NUMBER",), notice="Be careful.")
    assert (
        rewrite(text, decision, features)
        == "Mail jo@example.com or call <PHONE_NUMBER>.\n\nBe careful."
    )


def test_policy_cli_check_and_test(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from alignlab.cli import app

    runner = CliRunner()
    root = write_bundle(tmp_path / "b")
    result = runner.invoke(app, ["policy", "test", str(root), "-v"])
    assert result.exit_code == 1  # one test fails on purpose
    assert "PASS  rego    alignlab.request_test.test_toxic_denied" in result.output
    assert "FAIL  rego    alignlab.request_test.test_wrong_expectation" in result.output
    assert "1/2 passed" in result.output
    (root / "request_test.rego").write_text(TESTS.split("test_wrong_expectation")[0])
    assert runner.invoke(app, ["policy", "test", str(root)]).exit_code == 0
    assert runner.invoke(app, ["policy", "check", str(root)]).exit_code == 0
    (root / "request.rego").write_text(REQUEST.replace("data.limit", ""))
    result = runner.invoke(app, ["policy", "check", str(root)])
    assert result.exit_code == 2
    assert "request.rego:5: Rego error" in result.output


def test_rego_input_matches_regopy_input() -> None:
    """The direct-ctypes input builder hands rego the same value as regopy.Input."""
    from regopy import Input, Interpreter

    from alignlab.policy.bundle import rego_input

    document = {
        "stage": "request",
        "text": "naïve café — 日本語 \U0001f600",
        "messages": [{"role": "user", "content": "hi"}, {"role": "system", "content": ""}],
        "features": {"toxicity": 0.25, "length": 12, "pii": [], "flag": True, "none": None},
        "tuple": (1, 2.5, "x"),
        "nested": {"a": {"b": [False, {"c": -3}]}},
        "": "empty key",
    }
    answers = []
    for build in (Input, rego_input):
        rego = Interpreter()
        rego.set_input(build(document))
        answers.append(str(rego.query("x = input")))
    assert answers[0] == answers[1]
    assert "日本語 \U0001f600" in answers[1]
    with pytest.raises(ValueError, match="Cannot convert"):
        rego_input({"bad": object()})


def test_decide_reads_the_output_as_regopy_does_and_fails_closed_on_errors(
    tmp_path: Path,
) -> None:
    """decide() queries rego-cpp directly; regopy's own Output must read the same decision."""
    from regopy import Input

    request = (
        "package alignlab.request\n\nimport rego.v1\n\n"
        'decision := {"action": "deny", "reasons": [sprintf("n=%d", [to_number(input.text)])]}'
        ' if {\n\tinput.text != "ok"\n} else := {"action": "allow", "reasons": []}\n'
    )
    bundle = PolicyBundle.load(write_bundle(tmp_path / "b", request=request, tests=None))
    for text in ("ok", "42", "7"):
        document = {"text": text}
        interpreter = bundle._interpreter()
        interpreter.set_input(Input(document))
        reference = interpreter.query_bundle_entrypoint(
            bundle._compiled, bundle._entrypoints["request"]
        )
        expected = Decision.from_rego(reference[0].expressions[0], "request")
        assert bundle.decide("request", document) == expected
    assert bundle.decide("request", {"text": "42"}).reasons == ("n=42",)
    # A built-in error (strict) is an evaluation failure: PolicyError, never an allow ...
    with pytest.raises(PolicyError, match="evaluating the request policy failed"):
        bundle.decide("request", {"text": "not a number"})
    # ... and the interpreter still answers the next input.
    assert bundle.decide("request", {"text": "ok"}).action == "allow"
