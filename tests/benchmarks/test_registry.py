"""Families register themselves: discovery, suites assembled from parts, clear errors."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import alignlab.benchmarks as benchmarks
from alignlab.benchmarks import TaskSpec, build_task, resolve_suite
from alignlab.errors import UnknownTaskError

FAMILY = '''
from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample

from alignlab.benchmarks import Benchmark, SuitePart, TaskSpec


@task
def {name}_task(n: int = 1) -> Task:
    """A {name} task."""
    return Task(dataset=MemoryDataset([Sample(input="x", target="y")] * n))


BENCHMARK = Benchmark(
    name="{name}",
    title="{name} family",
    tasks={{"{task}": {name}_task}},
    suites={{"zz_shared": SuitePart("{name} part", (TaskSpec("{task}", {{"n": {order}}}),))}},
    order={order},
)
'''


@pytest.fixture
def families(tmp_path: Path) -> Iterator[Path]:
    """An extra folder on ``alignlab.benchmarks.__path__`` to drop family packages into."""
    benchmarks.__path__.append(str(tmp_path))
    benchmarks.benchmarks.cache_clear()
    yield tmp_path
    benchmarks.__path__.remove(str(tmp_path))
    benchmarks.benchmarks.cache_clear()
    for name in [m for m in sys.modules if m.startswith("alignlab.benchmarks.zz")]:
        del sys.modules[name]


def _family(root: Path, name: str, task: str, order: int, body: str | None = None) -> None:
    (root / name).mkdir()
    text = body if body is not None else FAMILY.format(name=name, task=task, order=order)
    (root / name / "__init__.py").write_text(textwrap.dedent(text))


def test_a_new_folder_is_a_new_family_and_suites_join_in_order(families: Path) -> None:
    _family(families, "zzb", "zzb_task", order=900)
    _family(families, "zza", "zza_task", order=901)
    names = [b.name for b in benchmarks.benchmarks()]
    assert names.index("zzb") < names.index("zza")  # by order, not by name
    assert {"zza_task", "zzb_task"} <= set(benchmarks.all_tasks())
    suite = resolve_suite("zz_shared")
    assert [t.name for t in suite.tasks] == ["zzb_task", "zza_task"]
    assert suite.description == "zzb part; zza part"
    assert benchmarks.family_of_task("zza_task").name == "zza"  # type: ignore[union-attr]
    assert len(build_task(TaskSpec("zza_task"), {"n": 3}).dataset) == 3


def test_two_families_registering_one_task_name_is_refused(families: Path) -> None:
    _family(families, "zzc", "zz_same", order=900)
    _family(families, "zzd", "zz_same", order=901)
    with pytest.raises(RuntimeError, match="zz_same.*zzc and zzd"):
        benchmarks.benchmarks()


def test_a_package_without_benchmark_is_refused(families: Path) -> None:
    _family(families, "zze", "", order=0, body="X = 1\n")
    with pytest.raises(RuntimeError, match="zze defines no BENCHMARK"):
        benchmarks.benchmarks()


def test_unknown_suite_task_family_and_bad_arguments_name_what_exists() -> None:
    with pytest.raises(UnknownTaskError, match="Unknown suite 'nope'.*quick"):
        resolve_suite("nope")
    with pytest.raises(UnknownTaskError, match="Unknown task 'nope'.*ethics_commonsense"):
        build_task(TaskSpec("nope"))
    with pytest.raises(UnknownTaskError, match="Unknown benchmark family 'nope'"):
        benchmarks.family("nope")
    with pytest.raises(UnknownTaskError, match="Bad arguments for task 'ethics_commonsense'"):
        build_task(TaskSpec("ethics_commonsense"), {"no_such_option": 1})


def test_every_suite_names_registered_tasks_only() -> None:
    tasks = benchmarks.all_tasks()
    for suite in benchmarks.suites().values():
        assert suite.tasks, suite.name
        assert all(t.name in tasks or "/" in t.name for t in suite.tasks), suite.name
