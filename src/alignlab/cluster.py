"""Evaluation past one machine: each task of a run as one Ray task, on a Ray cluster.

``alignlab eval --cluster ADDRESS`` hands every task of the run to Ray, which
places them on the cluster's workers (Ray schedules; alignlab only submits):

* ``ray://HOST:10001``: a remote cluster through Ray Client;
* ``auto``: the cluster this machine belongs to (``ray start --head`` /
  ``ray start --address=HEAD:6379``), or the Ray this process already started;
* ``local``: a Ray started for this run on this machine, stopped after it.

Every worker runs :func:`alignlab.runner.run_eval` for its task into its own
folder ``LOG_DIR/ray/<n>-<task>`` (so a re-run resumes each task where it
stopped), which must be storage every node sees (NFS, a mounted bucket) on a
multi-node cluster; workers need alignlab installed, in the same version.
The driver then registers the logs in the run index, once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from alignlab.errors import AlignlabError

# Environment the workers run with: the index is written once, by the driver.
_WORKER_ENV = ("HF_HUB_OFFLINE", "INSPECT_LOG_FORMAT", "ALIGNLAB_HOME", "PYTHONPATH")


class ClusterError(AlignlabError):
    """The Ray cluster cannot be reached or used."""


def connect(address: str) -> bool:
    """Connect to (or, for ``local``, start) Ray; True when this call started it.

    Raises:
        ClusterError: Ray is not installed, or nothing answers at ``address``.
    """
    try:
        import ray
    except ImportError:
        raise ClusterError(
            "--cluster needs Ray: pip install 'alignlab[ray]' (or `pip install ray`)."
        ) from None
    if ray.is_initialized():
        return False
    try:
        if address == "local":
            ray.init(include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, log_to_driver=False)
    except Exception as ex:
        first = (str(ex).strip().splitlines() or [""])[0]
        raise ClusterError(
            f"Cannot connect to the Ray cluster at '{address}' ({type(ex).__name__}: {first}). "
            "Start one with `ray start --head`, pass its ray://HOST:10001 address, or use "
            "--cluster local. Nothing was run."
        ) from None
    return address == "local"


def run_on_ray(
    address: str,
    specs: list[Any],
    common: Mapping[str, Any],
    log_dir: Path,
    warn: Callable[[str], None],
) -> tuple[bool, list[str], list[str]]:
    """Run each task spec as one Ray task; ``(success, log files, skipped)`` over all of them.

    ``common`` holds :func:`alignlab.runner.run_eval`'s keyword arguments shared
    by every task (model, limit, seed, model args, roles, ...); ``task_args``
    in it win over a spec's own arguments, as on one machine.

    Raises:
        ClusterError: Ray cannot be reached.
        AlignlabError: a task failed with a user-facing error (its message).
    """
    import ray

    started = connect(address)
    try:
        env = {k: os.environ[k] for k in _WORKER_ENV if k in os.environ}
        env["ALIGNLAB_INDEX_URL"] = "off"
        remote = ray.remote(num_cpus=1, max_retries=0)(_run_task).options(
            runtime_env={"env_vars": env}
        )
        refs = [
            remote.remote(
                spec.name,
                {**spec.args, **dict(common.get("task_args") or {})},
                {k: v for k, v in common.items() if k != "task_args"},
                str(log_dir / "ray" / f"{i:02d}-{_slug(spec.name)}"),
            )
            for i, spec in enumerate(specs)
        ]
        success = True
        files: list[str] = []
        skipped: list[str] = []
        for ref in refs:
            try:
                ok, logs, skip, warnings = ray.get(ref)
            except ray.exceptions.RayTaskError as ex:
                cause = getattr(ex, "cause", None)
                if isinstance(cause, AlignlabError):
                    raise type(cause)(str(cause)) from None
                raise
            success = success and ok
            files.extend(logs)
            skipped.extend(skip)
            for line in warnings:
                warn(line)
        return success, files, skipped
    finally:
        if started:
            ray.shutdown()


def _run_task(
    name: str, task_args: dict[str, Any], common: dict[str, Any], log_dir: str
) -> tuple[bool, list[str], list[str], list[str]]:
    """One task on a Ray worker: :func:`alignlab.runner.run_eval` into its own folder."""
    from alignlab.runner import run_eval

    warnings: list[str] = []
    outcome = run_eval(
        tasks=[name],
        task_args=task_args,
        log_dir=log_dir,
        display="none",
        warn=warnings.append,
        **common,
    )
    return outcome.success, outcome.log_files, outcome.skipped, warnings


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")
