"""A Rego policy bundle: a directory of ``.rego`` modules and ``data.json``, compiled once.

A bundle holds two policies, one per stage:

* package ``alignlab.request`` judges what the user sent (the input policy);
* package ``alignlab.response`` judges what the model answered (the output policy).

Each package defines ``decision``, an object ``{"action": A, "reasons": [...]}``
with ``A`` one of ``allow``, ``deny`` (the reasons are shown to the user),
``rewrite`` (the text goes to a rewriter before it is used) and ``escalate``
(the text passes but the audit record is flagged for review). Optional keys:
``redact`` (entity types a rewrite removes) and ``notice`` (text a rewrite
appends). A stage whose package the bundle lacks allows everything.

The input document a policy sees (built by :mod:`alignlab.policy.guard`):
``stage`` ("request" or "response"), ``text`` (the message judged: the last
user message, or the answer), ``messages`` (the conversation as
``{"role", "content"}``), ``features`` (see :mod:`alignlab.policy.features`)
and, at the response stage, ``request_features`` (the features of the last
user message).

Modules whose file name ends in ``_test.rego`` are Rego unit tests (run by
``alignlab policy test``), never compiled into the serving policy.

Two limits of the in-process engine (regopy 1.5, rego-cpp) that
:func:`check_bundle` reports before they bite: ``with input as X`` (replacing
the whole input) crashes the engine, so tests replace fields
(``with input.text as ...``); and a package path segment named ``input``
(``package alignlab.input``) silently breaks ``with input.<field>``, hence the
package names above. Regex flags such as ``(?i)`` are not supported: lower-case
the text with ``lower()`` instead.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from alignlab.errors import AlignlabError

Stage = Literal["request", "response"]
STAGES: tuple[Stage, ...] = ("request", "response")
ACTIONS = ("allow", "deny", "rewrite", "escalate")
PACKAGES: dict[Stage, str] = {"request": "alignlab.request", "response": "alignlab.response"}
DATA_FILE = "data.json"
TEST_SUFFIX = "_test.rego"

_PACKAGE_LINE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)", re.MULTILINE)
_WHOLE_INPUT_WITH = re.compile(r"\bwith\s+input\s+as\b")
_ERROR_LOCATION = re.compile(r"\(error\s+\d+:(?P<file>[^|]*)\|(?P<offset>\d+)\|(?P<length>\d+)")
_ERROR_MESSAGE = re.compile(r"\(errormsg\s+\d+:(?P<message>[^)]*)\)")


class PolicyError(AlignlabError):
    """A policy bundle that cannot be loaded, compiled or evaluated.

    ``path`` and ``line`` (1-based) locate the problem when it is in a file.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        where = "" if path is None else (f"{path}:{line}: " if line else f"{path}: ")
        super().__init__(where + message)
        self.path = path
        self.line = line


@dataclass(frozen=True)
class Decision:
    """What one stage's policy decided about one message."""

    action: str
    reasons: tuple[str, ...] = ()
    redact: tuple[str, ...] = ()
    notice: str = ""

    @classmethod
    def allow(cls) -> Decision:
        return cls("allow")

    @classmethod
    def from_rego(cls, value: object, stage: str) -> Decision:
        """Read a ``decision`` object returned by Rego.

        Raises:
            PolicyError: the value is not an object with a known action.
        """
        if not isinstance(value, Mapping) or value.get("action") not in ACTIONS:
            raise PolicyError(
                f"the {stage} policy returned {value!r} as its decision; it must be an object "
                f"with action one of {', '.join(ACTIONS)}"
            )
        reasons = value.get("reasons") or []
        redact = value.get("redact") or []
        return cls(
            action=str(value["action"]),
            reasons=tuple(sorted(str(r) for r in reasons)),
            redact=tuple(sorted(str(r) for r in redact)),
            notice=str(value.get("notice") or ""),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "reasons": list(self.reasons),
            "redact": list(self.redact),
            "notice": self.notice,
        }


@dataclass(frozen=True)
class BundleSource:
    """The files of a bundle directory, read once."""

    root: Path
    modules: dict[str, str]
    tests: dict[str, str]
    data: dict[str, Any]
    digest: str
    packages: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, root: str | Path) -> BundleSource:
        """Read every ``.rego`` file under ``root`` and its ``data.json``.

        Raises:
            PolicyError: the directory is missing, holds no policy module, or
                ``data.json`` is not a JSON object.
        """
        root = Path(root)
        if not root.is_dir():
            raise PolicyError("no such policy bundle directory", str(root))
        modules: dict[str, str] = {}
        tests: dict[str, str] = {}
        packages: dict[str, str] = {}
        hasher = hashlib.sha256()
        for path in sorted(root.rglob("*.rego")):
            name = path.relative_to(root).as_posix()
            text = path.read_text(encoding="utf-8")
            match = _PACKAGE_LINE.search(text)
            if match is None:
                raise PolicyError("no 'package' line", str(path), 1)
            packages[name] = match.group(1)
            if name.endswith(TEST_SUFFIX):
                tests[name] = text
            else:
                modules[name] = text
                hasher.update(name.encode() + b"\0" + text.encode() + b"\0")
        if not modules:
            raise PolicyError("the bundle holds no .rego policy module", str(root))
        data: dict[str, Any] = {}
        data_path = root / DATA_FILE
        if data_path.is_file():
            raw = data_path.read_text(encoding="utf-8")
            try:
                loaded = json.loads(raw)
            except json.JSONDecodeError as ex:
                raise PolicyError(f"invalid JSON: {ex.msg}", str(data_path), ex.lineno) from None
            if not isinstance(loaded, dict):
                raise PolicyError("must hold a JSON object", str(data_path), 1)
            data = loaded
            hasher.update(b"data.json\0" + raw.encode())
        return cls(root, modules, tests, data, hasher.hexdigest(), packages)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def rego_error(ex: Exception, sources: Mapping[str, str], root: Path) -> PolicyError:
    """Turn a regopy error (an AST dump naming file and byte offset) into a located PolicyError."""
    raw = str(ex)
    location = _ERROR_LOCATION.search(raw)
    message = _ERROR_MESSAGE.search(raw)
    text = message.group("message").strip() if message else raw.strip().splitlines()[0]
    if location is None:
        return PolicyError(f"Rego error: {text}", str(root))
    name = location.group("file")
    offset = int(location.group("offset"))
    source = sources.get(name)
    line = _line_of(source, offset) if source is not None else None
    return PolicyError(f"Rego error: {text}", str(root / name), line)


def _guard_engine_limits(
    sources: Mapping[str, str], packages: Mapping[str, str], root: Path
) -> None:
    """Refuse the two constructs that crash or silently break regopy (see module docstring)."""
    for name, text in sources.items():
        match = _WHOLE_INPUT_WITH.search(text)
        if match is not None:
            raise PolicyError(
                "'with input as' (replacing the whole input) crashes the in-process Rego engine; "
                "replace fields instead: 'with input.text as ...', 'with input.features as ...'",
                str(root / name),
                _line_of(text, match.start()),
            )
        if "input" in packages.get(name, "").split("."):
            raise PolicyError(
                f"package '{packages[name]}' has a path segment named 'input', which breaks "
                "'with input.<field>' in the in-process Rego engine; rename it",
                str(root / name),
                _line_of(text, _PACKAGE_LINE.search(text).start()),  # type: ignore[union-attr]
            )


def new_interpreter(source: BundleSource, with_tests: bool = False) -> Any:
    """A regopy interpreter holding the bundle's modules (and tests) and data.

    Raises:
        PolicyError: a module does not parse; the message names file and line.
    """
    from regopy import Interpreter, RegoError

    interpreter = Interpreter()
    interpreter.strict_built_in_errors = True
    sources = {**source.modules, **(source.tests if with_tests else {})}
    _guard_engine_limits(sources, source.packages, source.root)
    try:
        for name, text in sources.items():
            interpreter.add_module(name, text)
        interpreter.add_data(source.data)
    except RegoError as ex:
        raise rego_error(ex, sources, source.root) from None
    return interpreter


def rego_input(value: Any) -> Any:
    """A ``regopy.Input`` holding ``value``, built with fewer Python-level steps.

    The same value-by-value construction as ``regopy.Input(value)`` (rego-cpp's
    ``regoInput*`` calls), but calling the C functions directly: strings go as
    bytes (no ``create_string_buffer`` per value), object keys' encodings are
    cached, and there is no wrapper function per call. Building the input this
    way was about two thirds of the Rego time in the serve profile. Raises
    ``RegoError`` when rego-cpp refuses a value, ``ValueError`` on a type it
    cannot hold (as regopy does).
    """
    from regopy import Input

    c = _functions()
    out = Input.__new__(Input)
    out._impl = c.new_input()  # freed by Input.__del__, also if building fails
    _add(c, out._impl, value)
    return out


def _functions() -> _CFunctions:
    global _C
    if _C is None:
        from regopy.rego_shared import rego

        _C = _CFunctions(rego)
    return _C


class _CFunctions:
    """rego-cpp's input and output functions, called without releasing the GIL.

    regopy loads the library with ``ctypes.CDLL``, whose calls release and
    retake the GIL; a document is ~50 such calls of well under a microsecond
    each, and under load every retake can wait for another thread's switch
    interval. These functions only build or read small values, so they are
    bound again through ``ctypes.PyDLL`` (same library handle, same
    signatures), which keeps the GIL. The query itself
    (``regoBundleQueryEntrypoint``, ~0.2 ms) stays on regopy's binding and
    releases the GIL while it runs.
    """

    NAMES = {
        "str": "regoInputString",
        "int": "regoInputInt",
        "float": "regoInputFloat",
        "bool": "regoInputBoolean",
        "null": "regoInputNull",
        "item": "regoInputObjectItem",
        "object": "regoInputObject",
        "array": "regoInputArray",
        "set": "regoInputSet",
        "new_input": "regoNewInput",
        "set_input": "regoSetInput",
        "output_ok": "regoOutputOk",
        "output_size": "regoOutputJSONSize",
        "output_json": "regoOutputJSON",
        "free_output": "regoFreeOutput",
    }

    def __init__(self, lib: Any) -> None:
        import ctypes

        keep_gil = ctypes.PyDLL(lib._name, handle=lib._handle)
        for attribute, name in self.NAMES.items():
            released = getattr(lib, name)  # regopy has set the signature on this one
            function = getattr(keep_gil, name)
            function.argtypes, function.restype = released.argtypes, released.restype
            setattr(self, attribute, function)
        self.query = lib.regoBundleQueryEntrypoint  # releases the GIL

    def __getattr__(self, name: str) -> Any:
        # only reached for a name __init__ did not bind: the bound ones are NAMES' keys
        raise AttributeError(f"rego-cpp function '{name}' is not bound (see NAMES)")


_C: _CFunctions | None = None
_KEYS: dict[str, bytes] = {}


def _check(code: int) -> None:
    if code:
        from regopy import RegoError

        raise RegoError("Unable to create input", code)


def _add(c: _CFunctions, handle: int, val: Any) -> None:
    kind = type(val)
    if kind is str:
        code = c.str(handle, val.encode("utf-8"))
    elif val is True or val is False:
        code = c.bool(handle, val)
    elif kind is int:
        code = c.int(handle, val)
    elif kind is float:
        code = c.float(handle, val)
    elif val is None:
        code = c.null(handle)
    elif isinstance(val, Mapping):
        for k, v in val.items():
            if type(k) is str:
                key = _KEYS.get(k)
                if key is None:
                    key = k.encode("utf-8")
                    if len(_KEYS) < 4096:
                        _KEYS[k] = key
                _check(c.str(handle, key))
            else:
                _add(c, handle, k)
            _add(c, handle, v)
            _check(c.item(handle))
        code = c.object(handle, len(val))
    elif kind is list or kind is tuple:
        for x in val:
            _add(c, handle, x)
        code = c.array(handle, len(val))
    elif isinstance(val, (set, frozenset)):
        for x in val:
            _add(c, handle, x)
        code = c.set(handle, len(val))
    elif isinstance(val, str):
        code = c.str(handle, str(val).encode("utf-8"))
    elif isinstance(val, int):
        code = c.int(handle, int(val))
    elif isinstance(val, float):
        code = c.float(handle, float(val))
    elif isinstance(val, Sequence) and not isinstance(val, (bytes, bytearray)):
        items = list(val)
        for x in items:
            _add(c, handle, x)
        code = c.array(handle, len(items))
    else:
        raise ValueError(f"Cannot convert object of type {type(val)} to rego input")
    _check(code)


class PolicyBundle:
    """A compiled bundle: ``decide(stage, document)`` evaluates one stage's policy.

    The bundle is compiled once (regopy ``Interpreter.build`` with one
    entrypoint per stage); each call sets the input and runs the compiled
    plan (rego-cpp's ``regoBundleQueryEntrypoint``, see :meth:`_query`). One
    interpreter per thread, sharing the compiled plan, so concurrent requests
    do not share input state.
    """

    def __init__(self, source: BundleSource) -> None:
        from regopy import RegoError

        self.source = source
        self.digest = source.digest
        self.stages = {
            stage: package
            for stage, package in PACKAGES.items()
            if package in set(source.packages[name] for name in source.modules)
        }
        if not self.stages:
            raise PolicyError(
                f"no module declares package {PACKAGES['request']} or {PACKAGES['response']}",
                str(source.root),
            )
        interpreter = new_interpreter(source)
        self._entrypoints = {s: p.replace(".", "/") + "/decision" for s, p in self.stages.items()}
        self._entry_bytes = {e: e.encode("utf-8") for e in self._entrypoints.values()}
        try:
            self._compiled = interpreter.build(None, list(self._entrypoints.values()))
        except RegoError as ex:
            raise rego_error(ex, source.modules, source.root) from None
        if not self._compiled.ok():
            raise PolicyError("the bundle did not compile", str(source.root))
        self._local = threading.local()
        self._local.interpreter = interpreter

    @classmethod
    def load(cls, root: str | Path) -> PolicyBundle:
        """Read and compile the bundle in ``root``.

        Raises:
            PolicyError: unreadable files, a syntax error (with file and line),
                or no request/response package.
        """
        return cls(BundleSource.read(root))

    @property
    def root(self) -> Path:
        return self.source.root

    @property
    def data(self) -> dict[str, Any]:
        return self.source.data

    def _interpreter(self) -> Any:
        interpreter = getattr(self._local, "interpreter", None)
        if interpreter is None:
            interpreter = new_interpreter(self.source)
            self._local.interpreter = interpreter
        return interpreter

    def decide(self, stage: Stage, document: Mapping[str, Any]) -> Decision:
        """The ``stage`` policy's decision on ``document`` (allow if the bundle lacks the stage).

        Raises:
            PolicyError: the evaluation failed or returned no valid decision
                (callers fail closed on it).
        """
        entrypoint = self._entrypoints.get(stage)
        if entrypoint is None:
            return Decision.allow()
        status, text = self._query(entrypoint, document)
        if status != "ok":
            raise PolicyError(f"evaluating the {stage} policy failed: {text}", str(self.root))
        results = [] if text == "undefined" else json.loads(text)
        if isinstance(results, dict):
            results = [results]
        if not results or not results[0].get("expressions"):
            raise PolicyError(
                f"the {stage} policy's decision is undefined for this input (give 'decision' "
                "a default)",
                str(self.root),
            )
        return Decision.from_rego(results[0]["expressions"][0], stage)

    def _query(self, entrypoint: str, document: Mapping[str, Any]) -> tuple[str, str]:
        """Set ``document`` as the input and run the compiled ``entrypoint``.

        Returns ("ok", the output as JSON text, ``undefined`` when there is no
        result) or ("failed", rego-cpp's error output). What regopy's
        ``set_input`` and ``query_bundle_entrypoint`` plus ``Output`` do, with
        the small calls keeping the GIL (:class:`_CFunctions`).

        Raises:
            PolicyError: rego-cpp refused the input or the query.
        """
        import ctypes

        from regopy import RegoError
        from regopy.rego_shared import rego_get_error

        c = _functions()
        handle = self._interpreter()._impl
        try:
            value = rego_input(document)
            code = c.set_input(handle, value._impl)
            if code:
                raise RegoError(rego_get_error(handle), code)
            output = c.query(handle, self._compiled._impl, self._entry_bytes[entrypoint])
            if not output:
                raise RegoError(rego_get_error(handle))
        except RegoError as ex:
            raise rego_error(ex, self.source.modules, self.source.root) from None
        try:
            ok = bool(c.output_ok(output))
            size = c.output_size(output)
            buffer = ctypes.create_string_buffer(size)
            code = c.output_json(output, buffer, size)
        finally:
            c.free_output(output)
        if code:
            raise PolicyError(f"reading the policy's output failed (rego-cpp code {code})")
        return ("ok" if ok else "failed"), buffer.value.decode("utf-8")


def check_bundle(root: str | Path) -> PolicyBundle:
    """Compile the bundle and its tests; return the compiled bundle.

    Raises:
        PolicyError: the first problem found, with file and line where it has one.
    """
    source = BundleSource.read(root)
    new_interpreter(source, with_tests=True)
    return PolicyBundle(source)
