"""``alignlab policy test``: a bundle's Rego unit tests and its example conversations.

Rego unit tests follow ``opa test``: every rule named ``test_*`` in a
``*_test.rego`` module passes when it evaluates to true, fails when it is
false or undefined, and errors when evaluation fails.

Example conversations live in the bundle's ``examples.jsonl``, one JSON
object per line: ``name``, ``messages`` (``[{"role", "content"}]``), an
optional ``response`` (the model's answer), ``expect``
(``{"request": ACTION, "response": ACTION}``; either may be left out) and,
for a bundle with grader verdicts, ``grader`` (question name -> the verdict
to assume, ``null`` for unread; the examples never call a model). They
run through the real feature scorers and the compiled bundle, so they test
thresholds and topic examples as well as the rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignlab.policy.bundle import ACTIONS, BundleSource, PolicyError, new_interpreter
from alignlab.policy.guard import Guard

EXAMPLES_FILE = "examples.jsonl"
_TEST_RULE = re.compile(r"^(test_\w+)\s*(?:if\b|\{|:=|=)", re.MULTILINE)


@dataclass(frozen=True)
class TestResult:
    """One test: a Rego rule (named ``package.rule``) or an example conversation."""

    kind: str
    name: str
    location: str
    outcome: str
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome == "PASS"


def rego_tests(root: str | Path) -> list[TestResult]:
    """Run every ``test_*`` rule of the bundle's ``*_test.rego`` modules.

    Raises:
        PolicyError: a module does not compile (file and line in the message).
    """
    from regopy import RegoError

    source = BundleSource.read(root)
    interpreter = new_interpreter(source, with_tests=True)
    results = []
    for name, text in source.tests.items():
        package = source.packages[name]
        rules: dict[str, int] = {}
        for match in _TEST_RULE.finditer(text):
            rules.setdefault(match.group(1), text.count("\n", 0, match.start()) + 1)
        # One query per package (each query compiles the modules): the package document
        # holds the tests that evaluated to true; a failing test is absent from it.
        passed: set[str] | None = None
        try:
            output = interpreter.query(f"x = data.{package}")
            if output.ok() and len(output):
                document = output[0].bindings.get("x")
                if isinstance(document, dict):
                    passed = {k for k, v in document.items() if v is True}
        except RegoError:
            passed = None
        for rule, line in rules.items():
            location = f"{name}:{line}"
            label = f"{package}.{rule}"
            if passed is not None:
                if rule in passed:
                    results.append(TestResult("rego", label, location, "PASS"))
                else:
                    detail = "false or undefined"
                    results.append(TestResult("rego", label, location, "FAIL", detail))
                continue
            results.append(_single_test(interpreter, package, rule, label, location))
    return results


def _single_test(
    interpreter: Any, package: str, rule: str, label: str, location: str
) -> TestResult:
    """One test on its own (used when the package as a whole did not evaluate)."""
    from regopy import RegoError

    try:
        output = interpreter.query(f"x = data.{package}.{rule}")
    except RegoError as ex:
        return TestResult("rego", label, location, "ERROR", str(ex))
    if not output.ok():
        return TestResult("rego", label, location, "ERROR", str(output))
    if len(output) and output[0].bindings.get("x") is True:
        return TestResult("rego", label, location, "PASS")
    return TestResult("rego", label, location, "FAIL", "false or undefined")


def jsonl_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) of each non-blank line of a JSONL file.

    Raises:
        PolicyError: a line that is not JSON (file and line named).
    """
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as ex:
            raise PolicyError(f"invalid JSON: {ex.msg}", str(path), number) from None


def read_examples(path: Path) -> list[dict[str, Any]]:
    """The example conversations of ``examples.jsonl``.

    Raises:
        PolicyError: a line that is not a valid example (file and line named).
    """
    examples = []
    for number, row in jsonl_rows(path):
        messages = row.get("messages") if isinstance(row, dict) else None
        expect = row.get("expect") if isinstance(row, dict) else None
        if not isinstance(messages, list) or not isinstance(expect, dict) or not expect:
            raise PolicyError(
                "an example needs 'messages' (a list) and 'expect'", str(path), number
            )
        bad = {
            k: v for k, v in expect.items() if k not in ("request", "response") or v not in ACTIONS
        }
        if bad:
            raise PolicyError(
                f"'expect' maps request/response to one of {', '.join(ACTIONS)}; got {bad}",
                str(path),
                number,
            )
        if "response" in expect and not isinstance(row.get("response"), str):
            raise PolicyError("'expect' has a response but the example has none", str(path), number)
        row["_line"] = number
        examples.append(row)
    return examples


def example_tests(root: str | Path, guard: Guard | None = None) -> list[TestResult]:
    """Run the bundle's example conversations through the real features and policy."""
    root = Path(root)
    path = root / EXAMPLES_FILE
    if not path.is_file():
        return []
    examples = read_examples(path)
    guard = guard or Guard.load(root)
    results = []
    for example in examples:
        name = str(example.get("name") or f"line {example['_line']}")
        location = f"{EXAMPLES_FILE}:{example['_line']}"
        expect = example["expect"]
        extra = None
        if isinstance(example.get("grader"), dict):  # verdicts a grader would give
            verdicts = example["grader"]
            unread = sorted(k for k, v in verdicts.items() if v is None)
            extra = {"grader": dict(verdicts), "grader_unparsed": unread}
        try:
            request = guard.check_request(example["messages"], extra)
            got = {"request": request.decision.action}
            if "response" in expect:
                response = guard.check_response(
                    example["messages"], example["response"], request.features, extra
                )
                got["response"] = response.decision.action
        except PolicyError as ex:
            results.append(TestResult("example", name, location, "ERROR", str(ex)))
            continue
        wrong = {k: (v, got.get(k)) for k, v in expect.items() if got.get(k) != v}
        detail = "; ".join(f"{k}: expected {e}, got {g}" for k, (e, g) in wrong.items())
        results.append(TestResult("example", name, location, "FAIL" if wrong else "PASS", detail))
    return results


def test_bundle(root: str | Path) -> list[TestResult]:
    """Rego unit tests, then example conversations."""
    return rego_tests(root) + example_tests(root)


test_bundle.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
