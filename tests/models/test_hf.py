"""hf/<checkpoint> on CPU, offline: a tiny Llama built in the test, never a hub download."""

from __future__ import annotations

import asyncio
import math
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("transformers")
pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).parent))

import tiny_hf  # noqa: E402

from alignlab.errors import ModelError  # noqa: E402
from alignlab.models.hf_engine import HFEngine  # noqa: E402
from alignlab.models.hf_provider import choice_entries, route  # noqa: E402

PROMPTS = [
    "I kept the wallet I found on the bus.",
    "I returned it.",
    "I told my friend the truth about the broken vase even though it cost me the job.",
    "I took the last cookie.",
    "Question: Is this wrong?",
    "I helped an old man cross the road, then I went home and slept for a long time.",
    "I lied.",
    "I found a dog and kept it although its owner had put up posters all over town.",
    "I paid.",
    "I shouted at the waiter because the soup was cold.",
]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_hf.build(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="module")
def engine(checkpoint: Path) -> HFEngine:
    return HFEngine(str(checkpoint), batch_size=4)


def _tokens(engine: HFEngine, text: str) -> list[int]:
    return engine.tokenize(engine.render_chat([{"role": "user", "content": text}]))


def _reference(engine: HFEngine, tokens: list[int]) -> list[float]:
    """Next-token log-probs after ``tokens`` from one plain, unpadded forward pass."""
    torch = engine.torch
    with torch.inference_mode():
        logits = engine.model(input_ids=torch.tensor([tokens])).logits[0, -1]
    return [float(x) for x in torch.log_softmax(logits.float(), dim=-1)]


def test_route_sends_hf_to_alignlab_provider() -> None:
    assert route("hf/./ckpt") == "alignlab-hf/./ckpt"
    assert route("alignlab/smollm2") == "alignlab/smollm2"
    assert route("openai-api/local/x") == "openai-api/local/x"


def test_batched_logprobs_equal_unbatched(engine: HFEngine) -> None:
    prompts = [_tokens(engine, p) for p in PROMPTS]
    assert len({len(p) for p in prompts}) > 3  # padding is exercised
    words = ["no", "yes", "unreasonable"]
    extra, sequences = engine.answer_forms(words)
    assert extra and sequences  # single-token and multi-token answers both present
    batched = engine.score(prompts, top_k=10, words=words)
    for tokens, result in zip(prompts, batched, strict=True):
        reference = _reference(engine, tokens)
        ranked = sorted(range(len(reference)), key=lambda t: -reference[t])[:10]
        assert [t for t, _ in result.top[:10]] == ranked
        for token, logprob in result.top:
            assert logprob == pytest.approx(reference[token], abs=1e-4)
        for (text, ids), (text2, logprob) in zip(sequences, result.sequences, strict=True):
            assert text == text2
            expected = reference[ids[0]]
            for k in range(1, len(ids)):
                expected += _reference(engine, tokens + ids[:k])[ids[k]]
            assert logprob == pytest.approx(expected, abs=1e-3)


def test_parallel_workers_score_as_one(checkpoint: Path) -> None:
    """Two workers on one torch thread each (the CPU default) give one worker's scores."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    one = HFEngine(str(checkpoint), batch_size=2, workers=1, n_threads=1)
    two = HFEngine(str(checkpoint), batch_size=2)
    assert (two.workers, two.n_threads) == (max(1, len(__import__("os").sched_getaffinity(0))), 1)
    prompts = [_tokens(one, p) for p in PROMPTS]
    a = one.score(prompts, top_k=5, words=["no", "yes"])
    b = two.score(prompts, top_k=5, words=["no", "yes"])
    for x, y in zip(a, b, strict=True):
        assert [t for t, _ in x.top] == [t for t, _ in y.top]
        assert [lp for _, lp in x.top] == pytest.approx([lp for _, lp in y.top], abs=1e-4)
    assert torch.get_num_threads() == threads  # set in the worker threads only


@pytest.mark.parametrize("reuse", [True, False])
def test_batch_size_does_not_change_scores(checkpoint: Path, reuse: bool) -> None:
    one = HFEngine(str(checkpoint), batch_size=1, reuse_prefix=False)
    many = HFEngine(str(checkpoint), batch_size=16, reuse_prefix=reuse)
    prompts = [_tokens(one, p) for p in PROMPTS]
    a = one.score(prompts, top_k=5, words=["no", "yes", "unreasonable"])
    b = many.score(prompts, top_k=5, words=["no", "yes", "unreasonable"])
    assert many._reuse_prefix is reuse  # the shared-prefix path ran without falling back
    assert (many._prefix_cache is not None) is reuse
    for x, y in zip(a, b, strict=True):
        assert [t for t, _ in x.top] == [t for t, _ in y.top]
        assert [lp for _, lp in x.top] == pytest.approx([lp for _, lp in y.top], abs=1e-4)
        assert [lp for _, lp in x.sequences] == pytest.approx(
            [lp for _, lp in y.sequences], abs=1e-3
        )


def test_scorer_reads_exact_multi_token_answers(engine: HFEngine) -> None:
    from alignlab.scorers.forced_choice import choice_logprobs

    choices = ["reasonable", "unreasonable"]
    extra, sequences = engine.answer_forms(choices)
    [result] = engine.score([_tokens(engine, PROMPTS[0])], top_k=20, words=choices)
    entries = choice_entries(result, engine.token_text, choices)
    values, floored = choice_logprobs(entries, choices)
    assert floored == [False, False]
    exact = [lp for _, lp in result.sequences]
    assert values[1] == pytest.approx(
        max(exact) + math.log(sum(math.exp(x - max(exact)) for x in exact))
    )
    # the single-token answer is read as the llama.cpp provider reads it: its forms' tokens
    listed = dict(result.top)
    assert all(t in listed for t in extra)


def test_greedy_generation_is_deterministic(checkpoint: Path) -> None:
    from inspect_ai.model import ChatMessageUser, GenerateConfig, get_model

    model = get_model(f"alignlab-hf/{checkpoint}")
    config = GenerateConfig(temperature=0.0, max_tokens=6)
    first = asyncio.run(model.generate([ChatMessageUser(content=PROMPTS[0])], config=config))
    second = asyncio.run(model.generate([ChatMessageUser(content=PROMPTS[0])], config=config))
    assert first.completion == second.completion
    assert first.usage is not None and first.usage.output_tokens > 0


def test_missing_checkpoint_fails_fast_with_one_line(tmp_path: Path) -> None:
    from alignlab.runner import load_model, run_eval

    start = time.perf_counter()
    with pytest.raises(ModelError) as missing:
        load_model(f"hf/{tmp_path / 'nope'}", None, {})
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError) as empty:
        run_eval(
            model=f"hf/{tmp_path / 'empty'}",
            tasks=["ethics_commonsense"],
            limit=2,
            log_dir=tmp_path / "logs",
        )
    assert time.perf_counter() - start < 10
    assert "does not exist" in str(missing.value) and "\n" not in str(missing.value)
    assert "config.json" in str(empty.value) and "\n" not in str(empty.value)


def test_broken_checkpoint_fails_at_load_not_per_sample(tmp_path: Path) -> None:
    from alignlab.runner import load_model

    (tmp_path / "config.json").write_text('{"model_type": "llama"}')
    with pytest.raises(ModelError, match="could not load") as broken:
        load_model(f"hf/{tmp_path}", None, {})
    assert "\n" not in str(broken.value)


@pytest.mark.parametrize("scoring", ["logprob", "generate"])
def test_eval_end_to_end(checkpoint: Path, tmp_path: Path, scoring: str) -> None:
    from mock_runs import run_commonsense

    log = run_commonsense(f"hf/{checkpoint}", tmp_path, scoring)
    assert log.status == "success"
    assert log.eval.model == f"alignlab-hf/{checkpoint}"
    assert log.samples and len(log.samples) == 4
    for sample in log.samples:
        assert sample.error is None
        [score] = sample.scores.values()
        assert score.metadata["method"] == scoring
