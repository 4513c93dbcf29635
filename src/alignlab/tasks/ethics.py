"""Transitional: the ETHICS tasks moved to :mod:`alignlab.benchmarks.ethics.tasks`."""

from alignlab.benchmarks.ethics.tasks import (  # noqa: F401
    ethics_commonsense,
    ethics_deontology,
    ethics_justice,
    ethics_utilitarianism,
    ethics_virtue,
)
