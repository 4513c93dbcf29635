"""Policy-as-code: Rego bundles (regopy, in-process), message features, decisions and tests.

* :mod:`alignlab.policy.bundle`: a bundle directory compiled once; ``decide``
  per message; decisions allow / deny / rewrite / escalate.
* :mod:`alignlab.policy.features`: toxicity, PII and topic similarity,
  computed once per message and cached.
* :mod:`alignlab.policy.guard`: a bundle around a model (what the ``guard``
  intervention and ``alignlab serve`` use).
* :mod:`alignlab.policy.testing`: ``alignlab policy test`` (Rego unit tests and
  example conversations) and ``alignlab policy check``.

Two bundles ship with alignlab: ``general`` (a general assistant, 20 rules)
and ``medical`` (a medical-advice scope policy after ArGen's case study).
Anywhere a bundle directory is asked for, these names work too.
"""

from __future__ import annotations

from pathlib import Path

BUNDLES_DIR = Path(__file__).parent / "bundles"


def bundled_names() -> list[str]:
    """The names of the bundles shipped with alignlab."""
    return sorted(
        p.name for p in BUNDLES_DIR.iterdir() if p.is_dir() and not p.name.startswith("_")
    )


def resolve_bundle(name_or_path: str | Path) -> Path:
    """A bundle directory: an existing path as given, else a bundled bundle's name."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    bundled = BUNDLES_DIR / str(name_or_path)
    if bundled.is_dir():
        return bundled
    return path  # BundleSource.read names the missing directory


__all__ = ["BUNDLES_DIR", "bundled_names", "resolve_bundle"]
