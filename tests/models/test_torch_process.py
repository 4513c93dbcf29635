"""The torch scorer in a child process: the same bits, the pipe's protocol, failures."""

from __future__ import annotations

import io
import os
import pickle
import shutil
import signal
from pathlib import Path

import pytest

pytest.importorskip("torch")

from alignlab.errors import ModelError  # noqa: E402
from alignlab.models.bundled import bundled_model_path  # noqa: E402
from alignlab.models.llama_engine import LlamaEngine  # noqa: E402
from alignlab.models.torch_engine import TorchScorer, check_scorer_file  # noqa: E402
from alignlab.models.torch_process import (  # noqa: E402
    _HEADER,
    ScorerProcess,
    _receive,
    _send,
    get_scorer_process,
    serve,
)

SCENARIOS = [
    "I kept the wallet I found on the bus.",
    "I returned the wallet to its owner.",
    "I lied to the judge about where I was that night.",
    "I fed the neighbour's cat while they were away.",
    "I read my sister's diary while she was at school.",
]


@pytest.fixture(scope="module")
def process(path: Path) -> ScorerProcess:
    scorer = get_scorer_process(path, workers=1)
    yield scorer
    scorer.close()


def test_scores_are_the_in_process_scorers_bits(
    scorer: TorchScorer, process: ScorerProcess, prompts: list[list[int]], text: LlamaEngine
) -> None:
    extra = [text.first_tokens(["yes", "no"])] * len(prompts)
    here = scorer.next_token_logprobs(prompts, 8, extra, prefix=20)
    there = process.next_token_logprobs(prompts, 8, extra, prefix=20)
    assert there == here  # token ids and float log-probs, exactly
    top = [t for t, _ in there[0][:8]]
    assert [t for t, _ in there[0][8:]] == [t for t in dict.fromkeys(extra[0]) if t not in top]


def test_one_process_per_file_and_worker_count(path: Path, process: ScorerProcess) -> None:
    assert get_scorer_process(path, workers=1) is process


def test_bad_requests_are_refused_here(process: ScorerProcess) -> None:
    with pytest.raises(ModelError, match="empty prompt"):
        process.submit_logprobs([], 5)
    with pytest.raises(ModelError, match="longer than the torch scorer's 2048"):
        process.submit_logprobs([1] * 2049, 5)


def test_a_failing_request_is_one_error_and_the_process_goes_on(
    process: ScorerProcess, prompts: list[list[int]]
) -> None:
    bad = process.submit_logprobs([1, 2, 10**9], 3)  # a token id past the vocabulary
    with pytest.raises(ModelError, match="index"):
        bad.result(timeout=60)
    assert len(process.next_token_logprobs(prompts[:2], 3)) == 2


def test_files_it_cannot_read_fail_before_a_process_starts(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="'token_embd.weight' is Q8_0"):
        ScorerProcess(bundled_model_path())  # the shipped Q4_1 file
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="junk.gguf: not a readable GGUF file"):
        ScorerProcess(junk)


def test_a_file_cut_short_is_named(path: Path, tmp_path: Path) -> None:
    short = tmp_path / "short.gguf"
    with open(path, "rb") as src, open(short, "wb") as dst:
        dst.write(src.read(50_000_000))  # the header and the first tensors only
    with pytest.raises(ModelError, match=r"short.gguf: tensor '.*' is cut short"):
        check_scorer_file(short)
    assert check_scorer_file(path).n_layer == 30


def test_a_child_that_dies_fails_what_waits_and_what_comes(
    path: Path, prompts: list[list[int]]
) -> None:
    scorer = ScorerProcess(path, workers=1)
    try:
        assert scorer.next_token_logprobs(prompts[:1], 3)  # up and answering
        os.kill(scorer._proc.pid, signal.SIGKILL)
        scorer._proc.wait(timeout=30)
        for thread in scorer._threads[1:2]:
            thread.join(timeout=30)  # the reader has seen the end
        with pytest.raises(ModelError, match=r"process stopped \(exit code -9\)"):
            scorer.submit_logprobs(prompts[0], 3)
        assert scorer.stopped is not None
    finally:
        scorer.close()


def test_a_child_that_cannot_start_says_why(path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.gguf"
    shutil.copyfile(path, copy)
    scorer = ScorerProcess(copy, workers=1)  # checked here: a good file
    copy.write_bytes(b"gone")  # replaced before the child reads it
    future = scorer.submit_logprobs([1, 2, 3], 3)
    with pytest.raises(ModelError, match="exit code 2.*copy.gguf"):
        future.result(timeout=60)
    scorer.close()


def test_closed_scorer_refuses_requests(path: Path) -> None:
    scorer = ScorerProcess(path, workers=1)
    scorer.close()
    assert scorer._proc.returncode == 0
    with pytest.raises(ModelError, match="was closed"):
        scorer.submit_logprobs([1, 2, 3], 3)


def test_the_pipe_protocol_in_one_process(
    path: Path, scorer: TorchScorer, prompts: list[list[int]]
) -> None:
    inbox = io.BytesIO()
    _send(inbox, [(7, prompts[0], 2, [], 0), (9, [], 2, [], 0)])
    _send(inbox, [(8, prompts[1], 2, [], 0)])
    inbox.seek(0)
    out = io.BytesIO()
    assert serve(path, 2048, 1, inbox, out) == 0
    out.seek(0)
    answers = {}
    while (message := _receive(out)) is not None:
        answers[message[0]] = message
    assert set(answers) == {7, 8, 9}
    assert answers[9][1] is None and "empty prompt" in answers[9][2]
    expected = scorer.next_token_logprobs(prompts[:2], 2)
    assert [answers[7][1], answers[8][1]] == expected


def test_a_cut_message_reads_as_the_end() -> None:
    data = pickle.dumps([1, 2, 3])
    assert _receive(io.BytesIO(_HEADER.pack(len(data)) + data[:-1])) is None
    assert _receive(io.BytesIO(b"\x01")) is None
    assert _receive(io.BytesIO(_HEADER.pack(len(data)) + data)) == [1, 2, 3]


def test_closing_all_lets_the_next_request_start_a_new_process(
    path: Path, scorer: TorchScorer, prompts: list[list[int]]
) -> None:
    from alignlab.models.torch_process import close_scorer_processes

    first = get_scorer_process(path, workers=2)
    assert first.next_token_logprobs(prompts[:1], 3)
    close_scorer_processes()  # without waiting
    assert first.closed and first.stopped is not None
    assert first._proc.wait(timeout=30) == 0  # answered everything, then exited
    second = get_scorer_process(path, workers=2)
    assert second is not first and not second.closed
    assert second.next_token_logprobs(prompts[:1], 3) == scorer.next_token_logprobs(prompts[:1], 3)
    second.close()


def test_the_child_keeps_small_product_caches(path: Path) -> None:
    scorer = ScorerProcess(path, workers=1)
    try:
        environ = Path(f"/proc/{scorer._proc.pid}/environ")
        if not environ.exists():
            pytest.skip("no /proc here")
        seen = dict(item.split("=", 1) for item in environ.read_text().split("\0") if "=" in item)
        for name in ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY"):
            assert seen.get(name) == os.environ.get(name, "16")
    finally:
        scorer.close()
