"""Preference data: pairs from evaluation failures, CPO-conditioned pairs, and set summaries.

Every record carries its provenance (``source`` and where it came from), and
sets are written as JSON lines that :func:`alignlab.train.trainers.file_rows`
(a recipe's ``data: {source: file}``) reads.

* :func:`pairs_from_eval`: the items a model got wrong in an alignlab
  forced-choice log become ``{prompt, chosen: gold answer, rejected: the
  model's answer}``, from logs of a ``train`` split only, so nothing scored
  as a test item is trained on.
* :func:`cpo_pairs`: Controllable Preference Optimization's pair rule (Guo et
  al., EMNLP 2024, CDPO): for a condition ``c`` on some objectives, each
  response's multi-preference value ``R(y|c) = sum_i w_i g_i(y)``, with
  ``g_i = -lambda_i |p_i(y) - c_i|`` for conditioned objectives and
  ``g_i = p_i(y)`` otherwise; all response pairs ordered by ``R`` (ties
  dropped) with the condition tokens ``<objective: value>`` before the prompt.
* :func:`summarise`: counts, sources, lengths and label balance of a set.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

from alignlab.errors import AlignlabError, DatasetError

SCORER = "forced_choice_scorer"


def _prompt_text(sample: Any) -> str:
    value = sample.input
    if isinstance(value, str):
        return value
    users = [m for m in value if getattr(m, "role", None) == "user"]
    return str(users[-1].text if users else value[-1].text)


def pairs_from_eval(log_file: str | Path, *, allow_split: str = "train") -> list[dict[str, Any]]:
    """Preference pairs from the wrongly answered items of one alignlab forced-choice log.

    Raises:
        AlignlabError: the log was not run on the ``train`` split (``-T split=train``),
            or holds no forced-choice scores.
    """
    from inspect_ai.log import read_eval_log

    log = read_eval_log(str(log_file))
    args = dict(log.eval.task_args or {})
    split = str(args.get("split", "test"))
    if split != allow_split:
        raise AlignlabError(
            f"{log_file}: run on the '{split}' split; pairs come from the '{allow_split}' split "
            "only, so no evaluated item is trained on (re-run with -T split=train)"
        )
    records: list[dict[str, Any]] = []
    scored = 0
    for sample in log.samples or []:
        score = (sample.scores or {}).get(SCORER)
        if score is None or not isinstance(score.value, dict):
            continue
        scored += 1
        if float(score.value.get("correct", 1.0)) == 1.0 or score.answer is None:
            continue
        records.append(
            {
                "prompt": _prompt_text(sample),
                "chosen": str(sample.target),
                "rejected": str(score.answer),
                "source": "eval",
                "model": log.eval.model,
                "task": log.eval.task.split("/")[-1],
                "variant": args.get("variant", (sample.metadata or {}).get("variant")),
                "sample_id": str(sample.id),
                "log": str(log_file),
            }
        )
    if not scored:
        raise AlignlabError(f"{log_file}: no forced-choice scores ({SCORER}) in this log")
    return records


def condition_prefix(condition: Mapping[str, int]) -> str:
    """CPO's preference tokens, e.g. ``<helpfulness: 4> <honesty: 5>``."""
    return " ".join(f"<{name}: {value}>" for name, value in condition.items())


def preference_value(
    ratings: Mapping[str, float],
    condition: Mapping[str, float],
    weights: Mapping[str, float] | None = None,
    penalties: Mapping[str, float] | None = None,
) -> float:
    """CPO's multi-preference value ``R(y|c)`` of one response (weights and lambdas default 1)."""
    total = 0.0
    for name, rating in ratings.items():
        w = 1.0 if weights is None else float(weights.get(name, 1.0))
        if name in condition:
            lam = 1.0 if penalties is None else float(penalties.get(name, 1.0))
            total += w * -lam * abs(float(rating) - float(condition[name]))
        else:
            total += w * float(rating)
    return total


def cpo_pairs(
    prompt: str,
    responses: Sequence[Mapping[str, Any]],
    conditions: Iterable[Mapping[str, int]],
    weights: Mapping[str, float] | None = None,
    penalties: Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    """CDPO pairs for one prompt: every response pair ordered by ``R(y|c)``, ties dropped.

    ``responses``: ``{"text", "ratings": {objective: score}}``. One set of
    pairs per condition; the prompt carries the condition's tokens.
    """
    records = []
    for condition in conditions:
        prefix = condition_prefix(condition)
        values = [preference_value(r["ratings"], condition, weights, penalties) for r in responses]
        for i, j in combinations(range(len(responses)), 2):
            if values[i] == values[j]:
                continue
            hi, lo = (i, j) if values[i] > values[j] else (j, i)
            records.append(
                {
                    "prompt": f"{prefix} {prompt}".strip(),
                    "chosen": str(responses[hi]["text"]),
                    "rejected": str(responses[lo]["text"]),
                    "source": "cpo",
                    "condition": dict(condition),
                    "margin": values[hi] - values[lo],
                }
            )
    return records


def write_jsonl(records: Iterable[Mapping[str, Any]], path: str | Path) -> Path:
    """Write records as JSON lines."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def summarise(path: str | Path) -> dict[str, Any]:
    """Counts, sources, text lengths (characters) and label balance of a preference or SFT set.

    Raises:
        DatasetError: unreadable file or a row without a ``prompt``.
    """
    from alignlab.datasets._rows import read_rows, required_text

    path = Path(path)
    rows = []
    for line, row in read_rows(path):
        required_text(row, "prompt", path, line)
        rows.append(row)
    if not rows:
        raise DatasetError(path, "holds no rows")
    kind = "preference" if "chosen" in rows[0] else "sft" if "completion" in rows[0] else "other"
    summary: dict[str, Any] = {
        "file": str(path),
        "rows": len(rows),
        "kind": kind,
        "sources": dict(Counter(str(r.get("source", "unknown")) for r in rows)),
    }
    for name in ("prompt", "chosen", "rejected", "completion"):
        lengths = [len(str(r[name])) for r in rows if r.get(name) is not None]
        if lengths:
            summary[f"{name}_chars"] = {
                "min": min(lengths),
                "median": statistics.median(lengths),
                "max": max(lengths),
            }
    answer = "chosen" if kind == "preference" else "completion"
    if kind != "other":
        summary["answer_balance"] = dict(Counter(str(r.get(answer)) for r in rows).most_common(10))
    summary["distinct_prompts"] = len({str(r["prompt"]) for r in rows})
    return summary


__all__ = [
    "condition_prefix",
    "cpo_pairs",
    "pairs_from_eval",
    "preference_value",
    "summarise",
    "write_jsonl",
]
