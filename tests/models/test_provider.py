"""The in-process provider on the real bundled model: templating, scoring, usage, determinism."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from inspect_ai.model import ChatMessageUser, GenerateConfig, Model, get_model

from alignlab.errors import ModelError
from alignlab.models.bundled import bundled_model_path, resolve_gguf
from alignlab.models.llama_engine import LlamaEngine, _top_logprobs, get_engine
from alignlab.models.provider import CHOICES_FIELD

PROMPT = "I kept the wallet I found on the bus.\nQuestion: Is this wrong?\nAnswer:"


@pytest.fixture(scope="module")
def engine() -> LlamaEngine:
    return get_engine(bundled_model_path())


@pytest.fixture(scope="module")
def model() -> Model:
    return get_model("alignlab/smollm2", scorer="llama")


def _tokens(engine: LlamaEngine, text: str) -> list[int]:
    return engine.tokenize(engine.render_chat([{"role": "user", "content": text}]))


def test_chat_template_matches_llama_cpp_own(engine: LlamaEngine) -> None:
    messages = [{"role": "user", "content": PROMPT}]
    ours = engine.tokenize(engine.render_chat(messages))
    theirs = engine.llm.create_chat_completion(messages=messages, max_tokens=1, temperature=0)
    assert len(ours) == theirs["usage"]["prompt_tokens"]
    assert engine.render_chat(messages).endswith("<|im_start|>assistant\n")


def test_top_logprobs_form_a_distribution(engine: LlamaEngine) -> None:
    [top] = engine.next_token_logprobs([_tokens(engine, PROMPT)], top_k=50)
    logprobs = [lp for _, lp in top]
    assert logprobs == sorted(logprobs, reverse=True)
    assert 0.5 < float(np.exp(logprobs).sum()) <= 1.0 + 1e-6


def test_extra_tokens_get_their_exact_logprob(engine: LlamaEngine) -> None:
    tokens = _tokens(engine, PROMPT)
    [full] = engine.next_token_logprobs([tokens], top_k=engine.n_vocab)
    exact = dict(full)
    rare = [t for t, _ in full[-3:]]  # three of the least likely tokens
    [top] = engine.next_token_logprobs([tokens], top_k=5, extra_tokens=[rare])
    assert [t for t, _ in top[5:]] == rare
    for token, logprob in top[5:]:
        assert logprob == pytest.approx(exact[token], abs=1e-9)


def test_top_logprobs_helper_by_hand() -> None:
    # logits [0, ln 3] -> probabilities [1/4, 3/4]
    top = _top_logprobs(np.array([0.0, np.log(3.0)]), top_k=1, extra=[0])
    assert top[0][0] == 1 and top[0][1] == pytest.approx(np.log(0.75))
    assert top[1][0] == 0 and top[1][1] == pytest.approx(np.log(0.25))


def test_scoring_request_returns_choice_tokens_and_usage(model: Model, engine: LlamaEngine) -> None:
    config = GenerateConfig(
        max_tokens=1,
        logprobs=True,
        top_logprobs=3,
        extra_body={CHOICES_FIELD: ["unreasonable", "reasonable"]},
    )
    output = asyncio.run(model.generate(PROMPT, config=config))
    first = output.choices[0].logprobs.content[0]  # type: ignore[union-attr]
    listed = [t.token for t in first.top_logprobs or []]
    assert len(listed) > 3
    assert any(t.strip().lower().startswith("reason") for t in listed[3:])
    assert output.usage is not None
    assert output.usage.input_tokens == len(_tokens(engine, PROMPT))
    assert output.usage.output_tokens == 1


def test_generation_is_deterministic_and_counts_tokens(model: Model) -> None:
    config = GenerateConfig(max_tokens=12)
    first = asyncio.run(model.generate("Name a colour.", config=config))
    second = asyncio.run(model.generate("Name a colour.", config=config))
    assert first.completion == second.completion and first.completion
    assert first.usage is not None and 0 < first.usage.output_tokens <= 12


def test_concurrent_scoring_requests_are_batched_consistently(model: Model) -> None:
    prompts = [f"Scenario {i}: I borrowed a pen and returned it.\nIs this wrong?" for i in range(6)]
    config = GenerateConfig(max_tokens=1, logprobs=True, top_logprobs=5)

    async def together() -> list[str]:
        outputs = await asyncio.gather(*(model.generate(p, config=config) for p in prompts))
        return [o.completion for o in outputs]

    async def one_by_one() -> list[str]:
        return [(await model.generate(p, config=config)).completion for p in prompts]

    assert asyncio.run(together()) == asyncio.run(one_by_one())


def test_unknown_gguf_names() -> None:
    with pytest.raises(ModelError, match="Unknown alignlab model"):
        resolve_gguf("not-a-model")
    with pytest.raises(ModelError, match="GGUF file not found"):
        resolve_gguf("/nowhere/model.gguf")


def test_scores_do_not_depend_on_batch_company(engine: LlamaEngine) -> None:
    target = _tokens(engine, PROMPT)
    other = _tokens(engine, "A completely different prompt about cooking pasta at home tonight.")
    [alone] = engine.next_token_logprobs([target], top_k=20)
    _, shared = engine.next_token_logprobs([other, target], top_k=20)
    assert [t for t, _ in alone] == [t for t, _ in shared]
    assert np.allclose([lp for _, lp in alone], [lp for _, lp in shared], atol=1e-4)
    # ... and they agree with a plain one-prompt evaluation in the generation context.
    engine.llm.reset()
    engine.llm.eval(target)
    direct = _top_logprobs(engine._last_logits(engine.llm._ctx.ctx, -1), 20)
    assert np.allclose([lp for _, lp in alone], [lp for _, lp in direct], atol=1e-3)


def test_default_scorer_is_recorded_in_the_model_args() -> None:
    """The bundled model scores in torch when torch is installed, and the log says so."""
    from alignlab.models.provider import default_scorer, torch_scorer_available
    from alignlab.runner import load_model

    expected = "torch" if torch_scorer_available() else "llama"
    assert default_scorer("smollm2", None) == expected
    assert default_scorer("smollm2", "q4_1") == "llama"
    assert default_scorer("/models/other.gguf", None) == "llama"
    loaded = load_model("alignlab/smollm2", None, {})
    assert loaded.model_args["scorer"] == expected
    assert loaded.api.scorer == expected
    assert load_model("alignlab/smollm2", None, {"scorer": "llama"}).api.scorer == "llama"


def test_scorer_option_is_checked() -> None:
    from alignlab.models.provider import choose_scorer

    assert choose_scorer("smollm2", "llama", None) == "llama"
    assert choose_scorer("smollm2", "torch", None) == "torch"
    with pytest.raises(ModelError, match="Unknown scorer 'fast'.*llama, torch"):
        choose_scorer("smollm2", "fast", None)
    with pytest.raises(ModelError, match="bundled model only"):
        choose_scorer("/models/other.gguf", "torch", None)
    with pytest.raises(ModelError, match="needs -M scorer=llama"):
        choose_scorer("smollm2", "torch", "q4_1")
    with pytest.raises(ModelError, match="needs -M scorer=llama"):
        choose_scorer("smollm2", "torch", "bf16")


def test_torch_scorer_agrees_with_llama_cpp(model: Model) -> None:
    """``-M scorer=torch`` (batched torch passes) answers as llama.cpp does, within bf16 drift."""
    pytest.importorskip("torch")
    import threading

    import torch

    threads = torch.get_num_threads()
    torch_model = get_model("alignlab/smollm2", scorer="torch")
    prompts = [
        f"I {act}.\nQuestion: Is this wrong?\nAnswer:"
        for act in (
            "kept the wallet I found on the bus",
            "returned the wallet to its owner",
            "pushed my brother into the pool",
            "helped my neighbour carry her shopping",
            "lied to the judge",
            "paid for my groceries",
        )
    ]
    config = GenerateConfig(
        max_tokens=1, logprobs=True, top_logprobs=5, extra_body={CHOICES_FIELD: ["no", "yes"]}
    )

    def log_odds(m: Model) -> list[float]:
        async def run() -> list[float]:
            outs = await asyncio.gather(*(m.generate(p, config=config) for p in prompts))
            values = []
            for out in outs:
                listed = out.choices[0].logprobs.content[0].top_logprobs  # type: ignore[union-attr]
                lp = {t.token: t.logprob for t in listed or []}
                yes = np.logaddexp.reduce([v for k, v in lp.items() if k.strip().lower() == "yes"])
                no = np.logaddexp.reduce([v for k, v in lp.items() if k.strip().lower() == "no"])
                values.append(float(yes - no))
            return values

        return asyncio.run(run())

    exact, fast = np.array(log_odds(model)), np.array(log_odds(torch_model))
    assert np.abs(exact - fast).max() < 0.3  # measured: 0.04 mean, 0.10 max on 96 items
    assert ((exact > 0) == (fast > 0)).all()
    assert np.array_equal(fast, np.array(log_odds(torch_model)))  # again: the same bits
    from alignlab.models.torch_process import close_scorer_processes

    close_scorer_processes()  # as the runner does when an eval set ends
    assert np.array_equal(fast, np.array(log_odds(torch_model)))  # a new process, same bits
    # the torch workers run one thread each; the rest of the process keeps its threads
    assert torch.get_num_threads() == threads
    # scored in a process of its own: this process runs only the pipe's threads
    assert any(t.name.startswith("alignlab-scorer-") for t in threading.enumerate())

    # scoring alone never loads llama.cpp's weights: text comes from its vocabulary
    from alignlab.models.provider import LlamaCppInProcessAPI

    fresh = LlamaCppInProcessAPI("smollm2", scorer="torch")
    out = asyncio.run(fresh.generate([ChatMessageUser(content=prompts[0])], [], "none", config))
    assert out.choices[0].logprobs is not None
    assert fresh._engine is None and fresh._text is not None and fresh._text.vocab_only


def test_template_head_is_the_prompt_before_the_last_message() -> None:
    """The prefix a torch-scored prompt shares is fixed by its own messages, not its company."""
    pytest.importorskip("torch")
    api = get_model("alignlab/smollm2", scorer="torch").api
    text = api.text_engine
    system = {"role": "system", "content": "Answer briefly."}
    for messages in (
        [{"role": "user", "content": "I kept the wallet.\nIs this wrong?"}],
        [system, {"role": "user", "content": "I returned the wallet."}],
    ):
        tokens = text.tokenize(text.render_chat(messages))
        n = api.template_head(messages, tokens)
        before = text.render_chat([*messages[:-1], {"role": "user", "content": ""}])
        assert text.tokenize(before)[:n] == tokens[:n]
        assert 0 < n < len(tokens) - 2
        # the last message's text starts right after the head
        rest = "".join(text.token_text(t) for t in tokens[n:])
        assert rest.startswith(messages[-1]["content"])
    assert api.template_head([], [1, 2, 3]) == 0
    # one head per earlier conversation, the most recent 256 kept
    for i in range(300):
        turns = [{"role": "user", "content": f"Question {i}"}, {"role": "user", "content": "x"}]
        api.template_head(turns, text.tokenize(text.render_chat(turns)))
    assert len(api._heads) == 256
    assert (((("user", "Question 299"),), "user")) in api._heads
