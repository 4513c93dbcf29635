"""Run suites and tasks with Inspect: model checks up front, then eval sets that resume."""

from __future__ import annotations

import contextlib
import importlib.util
import socket
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from alignlab.benchmarks import TaskSpec, build_task, resolve_suite, route_args
from alignlab.errors import AlignlabError, ModelError, UnknownTaskError
from alignlab.models.bundled import DEFAULT_MODEL, resolve_gguf
from alignlab.runcache import default_log_dir

# Providers that talk to a server, and the environment variable holding its URL.
_SERVER_PROVIDERS = {"openai-api", "ollama", "llama-cpp-python", "vllm", "sglang"}
_DEFAULT_URLS = {
    "ollama": "http://localhost:11434/v1",
    "llama-cpp-python": "http://localhost:8000/v1",
}
# vllm/ without a URL starts a vLLM server of its own (Inspect does), so it has no default.
_URL_ENV = {
    "ollama": "OLLAMA_BASE_URL",
    "llama-cpp-python": "LLAMA_CPP_PYTHON_BASE_URL",
    "vllm": "VLLM_BASE_URL",
}
# The role the bundled tasks ask for a second model by (``judge="grader"``).
GRADER_ROLE = "grader"
# What ``alignlab eval`` runs with neither --suite nor --task.
DEFAULT_SUITE = "quick"
# How a main model points at a running server (role models have no --model-base-url).
_BASE_URL_FIX = "point --model-base-url at a running one"


@dataclass(frozen=True)
class EvalOutcome:
    """What an eval run produced."""

    success: bool
    log_dir: Path
    log_files: list[str]
    # One line per task that was not run, saying why (an inspect_evals task offline).
    skipped: list[str] = field(default_factory=list)


def task_specs(suite: str | None, tasks: list[str] | None) -> list[TaskSpec]:
    """The tasks a command line asks for: a suite, named tasks, or both (the ``quick`` suite
    when neither); a task asked for twice, by the suite and by name, runs once."""
    specs: list[TaskSpec] = []
    if suite:
        specs.extend(resolve_suite(suite).tasks)
    for name in tasks or []:
        # ``alignlab/<task>`` is how Inspect names an alignlab task; here it is ``<task>``.
        spec = TaskSpec(name.removeprefix("alignlab/"))
        if spec not in specs:
            specs.append(spec)
    if not specs:
        specs.extend(resolve_suite(DEFAULT_SUITE).tasks)
    return specs


def is_external(name: str) -> bool:
    """Whether ``name`` is a task of another Inspect package (``inspect_evals/<task>``)."""
    return "/" in name


def build_external_task(spec: TaskSpec, overrides: Mapping[str, Any]) -> tuple[Any, str | None]:
    """Build a task of another Inspect package through Inspect's registry.

    Returns ``(task, None)``, or ``(None, reason)`` when the task cannot be
    built here: offline, a task whose dataset is on the Hugging Face hub fails
    to download it, and that task is skipped with the one-line reason rather
    than ending the run. Of the command line's task arguments the task gets
    those it takes; ``limit`` keeps the first items of its dataset.

    Raises:
        UnknownTaskError: no installed package registers the task.
    """
    from inspect_ai._eval.registry import task_create
    from inspect_ai._util.registry import registry_info, registry_lookup

    from alignlab.models.perf import load_entry_point

    package = spec.name.split("/", 1)[0]
    try:
        load_entry_point(package)
    except Exception as ex:
        raise UnknownTaskError(
            f"Cannot load the Inspect package '{package}' for task '{spec.name}': {ex}"
        ) from None
    factory = registry_lookup("task", spec.name)
    if factory is None:
        raise UnknownTaskError(
            f"Unknown task '{spec.name}': no installed Inspect package '{package}' registers it "
            "(inspect_evals tasks are written inspect_evals/<name>)."
        )
    if overrides.get("intervention"):
        return None, (
            f"{spec.name} skipped: interventions apply to alignlab tasks only "
            "(it has no slot before its answering step)"
        )
    params = set(registry_info(factory).metadata.get("params", []))
    args = {**spec.args, **{k: v for k, v in overrides.items() if k in params}}
    limit = None
    if "limit" not in params:  # alignlab's item limit: the command line's wins over the suite's
        limit = overrides.get("limit", args.pop("limit", None))
    try:
        task = task_create(spec.name, **args)
    except Exception as ex:  # a hub download offline, a missing optional dependency, ...
        first = (str(ex).strip().splitlines() or [""])[0]
        return None, f"{spec.name} skipped: cannot build it ({type(ex).__name__}: {first})"
    if isinstance(limit, int) and limit > 0:
        task.dataset = task.dataset[:limit]
    return task, None


def server_url(model: str, base_url: str | None) -> str | None:
    """The URL a server-backed model string will call, if we can tell."""
    import os

    provider = model.split("/", 1)[0]
    if provider not in _SERVER_PROVIDERS:
        return None
    if base_url:
        return base_url
    env = url_variable(model)
    if provider == "openai-api":
        return os.environ.get(env) if env else None
    return os.environ.get(env or "", _DEFAULT_URLS.get(provider))


def url_variable(model: str) -> str | None:
    """The environment variable that holds a server-backed model's URL, if it has one."""
    provider = model.split("/", 1)[0]
    if provider == "openai-api":
        parts = model.split("/")
        if len(parts) < 3:
            return None
        return f"{parts[1].upper().replace('-', '_')}_BASE_URL"
    return _URL_ENV.get(provider)


def check_server(url: str, timeout: float = 3.0, fix: str = _BASE_URL_FIX) -> None:
    """Fail fast, with one clear message, when nothing listens at ``url``.

    ``fix`` ends the message: a role model has no ``--model-base-url``, so its
    fix is the environment variable its URL came from.
    """
    parsed = urlparse(url)
    host = parsed.hostname or "localhost"
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as ex:
        raise ModelError(
            f"Cannot reach the model server at {url} ({ex.strerror or ex}). Start the server, "
            f"or {fix}. Nothing was run."
        ) from None


def load_model(
    model: str, base_url: str | None, model_args: dict[str, Any], role: str | None = None
) -> Any:
    """Resolve and check a model string; returns an Inspect ``Model``.

    With ``role``, the model is bound to that Inspect model role: every message
    names the role, since the same string may also be the model under test.
    """
    try:
        return _load_model(model, base_url, model_args, role)
    except ModelError as ex:
        if role is None:
            raise
        raise ModelError(f"Model role '{role}': {ex}") from None


def _load_model(
    model: str, base_url: str | None, model_args: dict[str, Any], role: str | None
) -> Any:
    from inspect_ai.model import get_model

    from alignlab.models.hf_provider import route

    model = route(model)  # hf/<checkpoint> runs in alignlab's transformers provider
    if "," in (base_url or ""):  # several endpoints of one model: spread samples over them
        return _load_pool(model, base_url or "", model_args)
    if model.startswith("alignlab/"):
        from alignlab.models.provider import default_scorer

        weights = model_args.get("weights")
        weights = None if weights is None else str(weights)
        name = model.split("/", 1)[1]
        resolve_gguf(name, weights)
        # the engine that scores is part of what a log records about its model
        model_args.setdefault("scorer", default_scorer(name, weights))
    url = server_url(model, base_url)
    if url:
        check_server(url, fix=_server_fix(model, role))
    elif model.startswith("vllm/") and importlib.util.find_spec("vllm") is None:
        # Inspect would start a vLLM server at the first sample, and fail every sample.
        raise ModelError(
            "vllm/ models need a vLLM server: set VLLM_BASE_URL (or --model-base-url) to a "
            "running one, or install vllm (`pip install vllm`, on a GPU machine) so that Inspect "
            "starts one. Nothing was run."
        )
    try:
        return get_model(model, base_url=base_url, **model_args)
    except ModelError:
        raise
    except Exception as ex:
        raise ModelError(
            f"Cannot use model '{model}': {plain_message(ex)} Run `alignlab models` for the "
            "model strings alignlab understands."
        ) from None


def _load_pool(model: str, base_url: str, model_args: dict[str, Any]) -> Any:
    """Each endpoint checked as one is, then the pool over them (:mod:`alignlab.models.pool`)."""
    from inspect_ai.model import get_model

    from alignlab.models.pool import route as pool_route
    from alignlab.models.pool import split_urls

    for url in split_urls(base_url):
        check_server(url)
    pooled, _ = pool_route(model, base_url, model_args)
    return get_model(pooled, **model_args)


def plain_message(ex: BaseException) -> str:
    """An Inspect error as one plain sentence: Rich markup read (not shown), blank lines and
    Inspect's ``ERROR:`` prefix dropped, ending in exactly one full stop."""
    from rich.errors import MarkupError
    from rich.text import Text

    text = str(ex)
    with contextlib.suppress(MarkupError):
        text = Text.from_markup(text).plain
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    text = " ".join(lines).removeprefix("ERROR:").strip()
    return text.rstrip(".") + "."


def _server_fix(model: str, role: str | None) -> str:
    """How to point a model at a running server: ``--model-base-url`` is the main model's only."""
    if role is None:
        return _BASE_URL_FIX
    env = url_variable(model)
    return f"set {env} to a running one" if env else "give the role a reachable model"


def load_role_models(model_roles: Mapping[str, str]) -> dict[str, Any]:
    """Check and resolve each ``--model-role`` model, as ``--model`` is checked.

    Role models take no model args and no base URL: ``-M`` and
    ``--model-base-url`` are the model under test's.
    """
    return {role: load_model(model, None, {}, role=role) for role, model in model_roles.items()}


def unbound_grader_warning(
    specs: list[TaskSpec], overrides: Mapping[str, Any], model_roles: Mapping[str, str]
) -> str | None:
    """A warning when tasks run with ``judge="grader"`` while no grader is bound.

    They do not fail: Inspect hands them the model under test as the grader,
    which is rarely what was meant. Only the ``judge`` task argument is read
    (suite or command line), the one way the bundled tasks ask for a grader.
    """
    if GRADER_ROLE in model_roles:
        return None
    names = [s.name for s in specs if _judge_of(s, overrides) == GRADER_ROLE]
    if not names:
        return None
    return (
        f"{', '.join(dict.fromkeys(names))} run with judge={GRADER_ROLE} but no {GRADER_ROLE} "
        f"model is bound, so the model under test grades itself; bind one with "
        f"--model-role {GRADER_ROLE}=MODEL."
    )


def _judge_of(spec: TaskSpec, overrides: Mapping[str, Any]) -> Any:
    """The ``judge`` a task runs with: the command line's reaches only tasks that take one."""
    from alignlab.benchmarks import all_tasks
    from alignlab.benchmarks._args import task_hints

    factory = all_tasks().get(spec.name)
    takes = factory is None or "judge" in task_hints(factory)
    return {**spec.args, **(overrides if takes else {})}.get("judge")


def _warn(message: str) -> None:
    """Where warnings go for API callers that pass no ``warn`` (the CLI prints its own)."""
    warnings.warn(message, stacklevel=3)


def _index(files: list[str], warn: Callable[[str], None]) -> None:
    """Register the finished runs in the run index; a failure is a warning, not a failed run.

    ``ALIGNLAB_INDEX_URL=off`` turns the index off.
    """
    import os

    from alignlab.store.db import URL_ENV

    if os.environ.get(URL_ENV, "").strip().lower() == "off":
        return
    from alignlab.report.index import index_log_files

    try:
        indexed = index_log_files(files)
    except AlignlabError as ex:
        warn(f"run index not updated: {ex}")
        return
    for line in indexed.warnings:
        warn(f"run index: {line}")


def _run_on_cluster(
    address: str,
    common: dict[str, Any],
    specs: list[TaskSpec],
    log_dir: Path,
    warn: Callable[[str], None],
) -> EvalOutcome:
    from alignlab.cluster import run_on_ray

    log_dir.mkdir(parents=True, exist_ok=True)
    success, files, skipped = run_on_ray(address, specs, common, log_dir, warn)
    _index(files, warn)
    return EvalOutcome(success=success, log_dir=log_dir, log_files=files, skipped=skipped)


def _progress(tasks: int) -> contextlib.AbstractContextManager[Any]:
    """The compact progress view over ``tasks`` tasks (none when ``tasks`` is 0)."""
    if not tasks:
        return contextlib.nullcontext()
    from alignlab.progress import live_progress

    return live_progress(tasks)


def _eval_set(tasks: list[Any], **kwargs: Any) -> tuple[bool, list[Any]]:
    from inspect_ai import eval_set

    return eval_set(tasks, **kwargs)


def run_eval(
    *,
    model: str | None = None,
    suite: str | None = None,
    tasks: list[str] | None = None,
    log_dir: str | Path | None = None,
    limit: int | None = None,
    seed: int | None = None,
    task_args: dict[str, Any] | None = None,
    model_args: dict[str, Any] | None = None,
    base_url: str | None = None,
    max_samples: int | None = None,
    display: str | None = None,
    model_roles: Mapping[str, str] | None = None,
    warn: Callable[[str], None] | None = None,
    cluster: str | None = None,
) -> EvalOutcome:
    """Run tasks as an Inspect eval set in ``log_dir``.

    Re-running the same call after an interruption finishes the set: finished
    tasks are not run again and finished samples of an interrupted task are
    reused from its log. ``model_roles`` binds Inspect model roles (``grader``)
    to model strings; Inspect counts them in a task's identity, so a different
    grader is a different task, not a finished one. ``warn`` receives
    warnings about the request (a ``judge=grader`` task with no grader bound,
    an inspect_evals task skipped because it cannot be built offline);
    without it they go to :func:`warnings.warn`. Tasks named
    ``<package>/<task>`` (``inspect_evals/<task>``) are built through
    Inspect's registry (:func:`build_external_task`). ``cluster`` (a Ray
    address, ``auto`` or ``local``) runs each task as a Ray task instead
    (:mod:`alignlab.cluster`).
    """
    if cluster:
        return _run_on_cluster(
            cluster,
            dict(
                model=model,
                limit=limit,
                seed=seed,
                task_args=task_args,
                model_args=model_args,
                base_url=base_url,
                max_samples=max_samples,
                model_roles=model_roles,
            ),
            task_specs(suite, tasks),
            Path(log_dir or default_log_dir(suite)),
            warn or _warn,
        )
    from inspect_ai._util.error import PrerequisiteError

    from alignlab.models.perf import (
        eval_set_defaults,
        log_compression_threads,
        preload_entry_points,
    )

    model = model or DEFAULT_MODEL
    specs = task_specs(suite, tasks)
    overrides = dict(task_args or {})
    if limit is not None:
        overrides["limit"] = limit
    if seed is not None:
        overrides["seed"] = seed
    built: list[Any] = []
    skipped: list[str] = []
    internal = [spec for spec in specs if not is_external(spec.name)]
    shares = iter(route_args(internal, overrides, refuse_unused=len(internal) == len(specs)))
    for spec in specs:
        if not is_external(spec.name):
            built.append(build_task(spec, next(shares)))
            continue
        task, reason = build_external_task(spec, overrides)
        if reason is not None:
            skipped.append(reason)
            (warn or _warn)(reason)
        else:
            built.append(task)
    if not built:
        raise AlignlabError("Nothing to run: " + "; ".join(skipped))
    log_path = Path(log_dir or default_log_dir(suite))
    log_path.mkdir(parents=True, exist_ok=True)
    preload_entry_points({spec.name.split("/", 1)[0] for spec in specs if is_external(spec.name)})
    log_compression_threads()
    resolved = load_model(model, base_url, dict(model_args or {}))
    roles = load_role_models(model_roles or {})
    warning = unbound_grader_warning(specs, overrides, model_roles or {})
    if warning:
        (warn or _warn)(warning)
    # No --display: alignlab's one-line view (alignlab.progress) instead of Inspect's panels.
    compact = display is None
    kwargs: dict[str, Any] = eval_set_defaults(compact)
    if seed is not None:
        kwargs["seed"] = seed
    try:
        with _progress(len(built) if compact else 0):
            success, logs = _eval_set(
                built,
                log_dir=str(log_path),
                # Several commands may share a log directory (and a report).
                log_dir_allow_dirty=True,
                model=resolved,
                model_roles=roles or None,
                retry_attempts=1,
                retry_wait=1,
                max_samples=max_samples or 64,
                max_tasks=1,
                display="none" if compact else display,
                **kwargs,
            )
    except PrerequisiteError as ex:
        raise AlignlabError(plain_message(ex)) from None
    finally:
        # nothing scores after the set: the torch scorer's process exits while the
        # index and the report are written (a later eval starts a new one); a run that
        # started none has not imported the module, and need not
        if "alignlab.models.torch_process" in sys.modules:
            sys.modules["alignlab.models.torch_process"].close_scorer_processes()
    _index([log.location for log in logs], warn or _warn)
    return EvalOutcome(
        success=success,
        log_dir=log_path,
        log_files=[log.location for log in logs],
        skipped=skipped,
    )
