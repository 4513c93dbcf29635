"""Batched next-token scoring of a Llama GGUF model in torch, the same for a prompt in any company.

Why it exists (bench/README.md, issue 9): a choice task needs one next-token
distribution per prompt, and on a CPU that cost is the weight products.
llama.cpp evaluates one prompt per decode and streams every weight from memory
again for each small block of a prompt's tokens, about 84 ms of CPU for an
ETHICS item on one core here; oneDNN's blocked bfloat16 products run at the
core's peak on a batch of prompts, about 50 ms an item. Batching is only worth
having if a prompt's score does not depend on which prompts happened to share
its batch, so this engine is built to make that hold bit for bit:

* every weight product runs on the batch's tokens packed end to end (no
  padding). oneDNN's bfloat16 product gives each row the same bits whatever the
  number of rows or the row's place among them (one thread; tested), and every
  other step between the products (RMS norm, rotary embedding, SiLU, the
  residual stream) works row by row;
* attention runs prompt by prompt, over exactly that prompt's keys, so no
  padding or neighbour enters its sums;
* a prompt may name a prefix (the provider names the chat template and
  system turn that precede the last message) whose keys and values are
  evaluated once and reused by every prompt that starts with it. Where a
  prompt is split changes its attention sums' shapes, and the bundled model
  amplifies such rounding differences (up to a few tenths of a nat), so the
  split is a property of the prompt alone, never of its batch: a prompt scored
  with the same prefix gets the same bits in any company.

The test suite checks the outcome directly: a prompt scored alone, in batches
of other sizes and companies, and split after other prefixes gives identical
log-probs.

Numerics. Weights are the bfloat16 re-encoding alignlab already serves to
llama.cpp (:func:`alignlab.models.bundled.bundled_weights`), read from the same
GGUF file (no conversion, no transformers). Each product takes bfloat16 inputs
and accumulates in float32, as ggml does for BF16 weights, but torch rounds its
output to bfloat16 where ggml keeps float32; the residual stream, norms,
rotary embedding and attention stay in float32, and the logits that are read
are recomputed in float64 from the final hidden state (bfloat16 logits would be
rounded to about 0.06 at the magnitudes seen). bench/README.md records how far the log-odds sit
from the exact float32 weights against llama.cpp's BF16.

Only what the scoring path needs is here: ``llama``-architecture GGUF files
with BF16 weight matrices, next-token log-probs. Generation stays in llama.cpp.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alignlab.errors import ModelError
from alignlab.models.workers import start_workers

# A worker holding some requests gathers more until none has come for _GATHER_GAP_S,
# or for _GATHER_MAX_S in all.
_GATHER_GAP_S = 0.010
_GATHER_MAX_S = 0.050
# Tokens of its own each prompt keeps after its prefix.
_MIN_OWN = 2
# Prefixes whose keys and values a worker keeps.
_PREFIX_CACHE = 8
# Largest logits of a row recomputed exactly (see TorchScorer._log_softmax).
_EXACT_HEAD = 256
# Prompts a pass: 16 ETHICS prompts cost no more CPU an item than 32 (bench/README.md,
# issue 9) and keep about 55 MB less in activations over two workers.
DEFAULT_MAX_ROWS = 16
# Longest prompt scored here; the provider scores longer ones in llama.cpp.
DEFAULT_MAX_TOKENS = 2048


@dataclass(frozen=True)
class _Job:
    tokens: list[int]
    prefix: int
    top_k: int
    extra: list[int]
    future: Future[list[tuple[int, float]]]


@dataclass(frozen=True)
class Shape:
    """A Llama model's dimensions, from its GGUF metadata."""

    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int
    head_dim: int
    eps: float
    rope_base: float


@dataclass(frozen=True)
class _Layer:
    attn_norm: Any
    qkv: Any  # [q rows; k rows; v rows, n_embd]
    attn_out: Any
    ffn_norm: Any
    gate_up: Any  # [gate rows; up rows, n_embd]
    down: Any


class PromptScorer:
    """What a torch scorer offers its callers, run in this process or in a child one.

    Subclasses set ``path`` and ``max_tokens`` and queue prompts in :meth:`submit_logprobs`.
    """

    path: Path
    max_tokens: int

    def submit_logprobs(
        self, tokens: list[int], top_k: int, extra: list[int] | None = None, prefix: int = 0
    ) -> Future[list[tuple[int, float]]]:
        raise NotImplementedError

    def _check_prompt(self, tokens: list[int]) -> None:
        if not tokens:
            raise ModelError(f"{self.path.name}: an empty prompt cannot be scored")
        if len(tokens) > self.max_tokens:
            raise ModelError(
                f"a prompt of {len(tokens)} tokens is longer than the torch scorer's "
                f"{self.max_tokens}"
            )

    def next_token_logprobs(
        self,
        prompts: list[list[int]],
        top_k: int,
        extra_tokens: list[list[int]] | None = None,
        prefix: int = 0,
    ) -> list[list[tuple[int, float]]]:
        """Score several prompts (as :meth:`LlamaEngine.next_token_logprobs` does)."""
        wanted = extra_tokens or [[] for _ in prompts]
        futures = [
            self.submit_logprobs(t, top_k, e, prefix) for t, e in zip(prompts, wanted, strict=True)
        ]
        return [f.result() for f in futures]


class TorchScorer(PromptScorer):
    """Next-token log-probs of one GGUF Llama model with BF16 weights, scored in batches.

    Args:
        path: a GGUF file of architecture ``llama`` whose weight matrices are BF16
            (alignlab's re-encoding of the bundled model is one).
        workers: threads scoring side by side, each on one torch thread (default:
            one a core). OpenMP keeps a thread count per thread, so the rest of
            the process keeps torch's own.
        max_rows: most prompts in one pass.
        max_tokens: longest prompt this engine scores.
    """

    def __init__(
        self,
        path: Path,
        *,
        workers: int | None = None,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> None:
        try:
            import torch
        except ImportError as ex:
            raise ModelError(
                f"the torch scorer needs torch ({ex}): pip install 'alignlab[hf]'"
            ) from None
        self.path = Path(path)
        self.torch = torch
        self.shape, tensors = _checked(self.path)
        shape = self.shape
        with open(self.path, "rb") as f:
            loader = _Loader(self.path, f, tensors, torch)
            self.embed = loader.matrices(["token_embd.weight"])
            self.output = (
                loader.matrices(["output.weight"]) if "output.weight" in tensors else self.embed
            )
            self.layers = [
                _Layer(
                    attn_norm=loader.vector(f"blk.{i}.attn_norm.weight"),
                    qkv=loader.matrices([f"blk.{i}.attn_{n}.weight" for n in ("q", "k", "v")]),
                    attn_out=loader.matrices([f"blk.{i}.attn_output.weight"]),
                    ffn_norm=loader.vector(f"blk.{i}.ffn_norm.weight"),
                    gate_up=loader.matrices([f"blk.{i}.ffn_gate.weight", f"blk.{i}.ffn_up.weight"]),
                    down=loader.matrices([f"blk.{i}.ffn_down.weight"]),
                )
                for i in range(shape.n_layer)
            ]
            self.out_norm = loader.vector("output_norm.weight")
        self.n_vocab = int(self.output.shape[0])
        self.max_rows = max(1, int(max_rows))
        self.max_tokens = int(max_tokens)
        # rotary tables by position, computed once: an element-wise pass over a batch's
        # positions would round a position's angle differently with the batch's length
        half = self.shape.head_dim // 2
        inv_freq = 1.0 / (
            self.shape.rope_base
            ** (torch.arange(half, dtype=torch.float64) * 2 / self.shape.head_dim)
        )
        angles = torch.arange(self.max_tokens, dtype=torch.float64)[:, None] * inv_freq[None, :]
        self._rot = torch.complex(angles.cos().float(), angles.sin().float())[:, None, :]
        from alignlab.models.llama_engine import default_threads

        self.workers = max(1, int(workers or default_threads()))
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._prefixes = threading.local()

    # -- requests ------------------------------------------------------------

    def submit_logprobs(
        self, tokens: list[int], top_k: int, extra: list[int] | None = None, prefix: int = 0
    ) -> Future[list[tuple[int, float]]]:
        """Queue one prompt: the future gives its ``top_k`` next tokens, then ``extra`` ones.

        ``prefix``: leading tokens to evaluate once and share with other prompts
        that start with them (cut back to leave the prompt two tokens of its own).
        """
        self._check_prompt(tokens)
        self._start()
        future: Future[list[tuple[int, float]]] = Future()
        self._jobs.put(_Job(list(tokens), prefix, top_k, list(extra or []), future))
        return future

    # -- workers -------------------------------------------------------------

    def _start(self) -> None:
        if self._threads:
            return
        with self._lock:
            if self._threads:
                return
            self._threads = start_workers(self._work, self.workers, "alignlab-torch", self._jobs)

    def _work(self) -> None:
        self.torch.set_num_threads(1)
        while True:
            job = self._jobs.get()
            if job is None:
                return
            jobs = [job]
            # Fill the batch while requests keep coming: one thread, 128 ETHICS
            # prompts, CPU an item at batches of 1 / 4 / 8 / 16-64: 100 / 62 / 58 /
            # 53-55 ms (bench/README.md, issue 9).
            deadline = time.monotonic() + _GATHER_MAX_S
            stop = False
            while len(jobs) < self.max_rows:
                wait = min(_GATHER_GAP_S, deadline - time.monotonic())
                try:
                    more = self._jobs.get(timeout=max(0.0, wait))
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                jobs.append(more)
            live = [j for j in jobs if j.future.set_running_or_notify_cancel()]
            if live:
                self._run(live)
            if stop:
                return

    def _run(self, jobs: list[_Job]) -> None:
        try:
            rows = self.logprobs(
                [j.tokens for j in jobs], [j.prefix for j in jobs], [j.extra for j in jobs]
            )
        except BaseException as ex:  # handed to every caller of this batch
            for job in jobs:
                job.future.set_exception(ex)
            return
        for job, row in zip(jobs, rows, strict=True):
            try:
                job.future.set_result(_top(row, job.top_k, job.extra))
            except BaseException as ex:
                job.future.set_exception(ex)

    # -- the model -----------------------------------------------------------

    def logprobs(
        self,
        prompts: list[list[int]],
        prefixes: list[int] | None = None,
        extra: list[list[int]] | None = None,
    ) -> Any:
        """Next-token log-softmax after each prompt: a float32 ``[prompts, vocab]`` tensor.

        ``prefixes[i]``: leading tokens of prompt ``i`` evaluated as a shared,
        cached prefix (0: none; cut back to leave two tokens of its own).
        ``extra[i]``: tokens whose log-probs after prompt ``i`` must be exact
        whatever their rank (the largest ones always are; see :meth:`_log_softmax`).
        """
        torch = self.torch
        n = len(prompts)
        cuts = [_cut(len(p), k) for p, k in zip(prompts, prefixes or [0] * n, strict=True)]
        with torch.inference_mode():
            kvs = [
                self._prefix_kv(p[:k]) if k else None for p, k in zip(prompts, cuts, strict=True)
            ]
            h = self._forward([p[k:] for p, k in zip(prompts, cuts, strict=True)], cuts, kvs)
            return self._log_softmax(h, extra or [[] for _ in prompts])

    def _prefix_kv(self, prefix: list[int]) -> list[tuple[Any, Any]]:
        """Keys and values of ``prefix`` alone (a worker keeps the last few)."""
        cache: dict[tuple[int, ...], list[tuple[Any, Any]]] | None = getattr(
            self._prefixes, "value", None
        )
        if cache is None:
            cache = self._prefixes.value = {}
        key = tuple(prefix)
        kv = cache.pop(key, None)
        if kv is None:
            kv = []
            self._forward([prefix], [0], [None], keep_kv=kv)
            while len(cache) >= _PREFIX_CACHE:
                cache.pop(next(iter(cache)))
        cache[key] = kv  # most recent last
        return kv

    def _forward(
        self,
        rows: list[list[int]],
        starts: list[int],
        prefix_kv: list[list[tuple[Any, Any]] | None],
        keep_kv: list[tuple[Any, Any]] | None = None,
    ) -> Any:
        """The final (normed) hidden state at each row's last position, ``[rows, n_embd]``.

        Row ``i`` continues ``starts[i]`` tokens whose keys and values are ``prefix_kv[i]``.
        """
        torch = self.torch
        s = self.shape
        lens = [len(r) for r in rows]
        total = sum(lens)
        bounds = np.concatenate([[0], np.cumsum(lens)]).tolist()
        ids = torch.tensor([t for r in rows for t in r], dtype=torch.long)
        pos = torch.tensor([a + j for a, k in zip(starts, lens, strict=True) for j in range(k)])
        rot = self._rot[pos]
        hd, nq, nkv = s.head_dim, s.n_head * s.head_dim, s.n_head_kv * s.head_dim
        group = s.n_head // s.n_head_kv
        scale = hd**-0.5
        # rows of the same prefix and length share their attention products
        groups: dict[tuple[int, int, int], list[int]] = {}
        for i, (a, k) in enumerate(zip(starts, lens, strict=True)):
            groups.setdefault((id(prefix_kv[i]), a, k), []).append(i)
        # one additive causal mask per group, for all its rows and heads: query j of a row
        # that continues a prefix of a tokens sees keys 0 .. a + j
        masks = {}
        for key, members in groups.items():
            _, a, k = key
            allowed = torch.ones(k, a + k, dtype=torch.bool).tril(diagonal=a)
            mask = torch.zeros(k, a + k).masked_fill_(~allowed, float("-inf"))
            masks[key] = mask.repeat(len(members) * s.n_head_kv, group, 1)
        bf16 = torch.bfloat16
        ends = torch.tensor(bounds[1:], dtype=torch.long) - 1
        x = self.embed[ids].float()
        last = len(self.layers) - 1
        for index, layer in enumerate(self.layers):
            h = _rms(x, layer.attn_norm, s.eps)
            if index == last and keep_kv is None:
                # Only each row's last position is read: the last layer needs every
                # token's keys and values, and its queries, attention output and MLP at
                # the last positions alone (about 3% of the products).
                kv = _mm(h, layer.qkv[nq:])
                q = _rope(_mm(h[ends], layer.qkv[:nq]).reshape(-1, s.n_head, hd), rot[ends])
                k = _rope(kv[:, :nkv].reshape(total, s.n_head_kv, hd), rot).transpose(0, 1)
                v = kv[:, nkv:].reshape(total, s.n_head_kv, hd).transpose(0, 1)
                att = torch.empty(len(rows), s.n_head, hd)
                for key, members in groups.items():
                    _, a0, n = key
                    kg, vg = self._keys(k, v, prefix_kv[members[0]], index, members, bounds)
                    qg = q[members].reshape(-1, group, hd)  # [rows x kv heads, group, hd]
                    kg, vg = kg.reshape(-1, a0 + n, hd), vg.reshape(-1, a0 + n, hd)
                    scores = torch.bmm(qg, kg.transpose(1, 2)).mul_(scale)
                    out = torch.bmm(torch.softmax(scores, dim=-1), vg)
                    att[members] = out.view(len(members), s.n_head, hd)
                x = x[ends] + _mm(att.view(len(rows), nq), layer.attn_out)
            else:
                qkv = _mm(h, layer.qkv)
                q = _rope(qkv[:, :nq].reshape(total, s.n_head, hd), rot).transpose(0, 1)
                k = _rope(qkv[:, nq : nq + nkv].reshape(total, s.n_head_kv, hd), rot)
                v = qkv[:, nq + nkv :].reshape(total, s.n_head_kv, hd)
                k, v = k.transpose(0, 1), v.transpose(0, 1)  # [heads, tokens, head_dim]
                if keep_kv is not None:
                    keep_kv.append((k, v))
                att = torch.empty(total, s.n_head, hd)
                for key, members in groups.items():
                    _, a0, n = key
                    spans = [(bounds[i], bounds[i + 1]) for i in members]
                    kg, vg = self._keys(k, v, prefix_kv[members[0]], index, members, bounds)
                    qg = torch.stack([q[:, a:b] for a, b in spans])  # [rows, heads, n, hd]
                    # grouped-query attention: each key-value head with its query heads
                    qg = qg.reshape(-1, group * n, hd)
                    kg, vg = kg.reshape(-1, a0 + n, hd), vg.reshape(-1, a0 + n, hd)
                    scores = torch.baddbmm(masks[key], qg, kg.transpose(1, 2), alpha=scale)
                    out = torch.bmm(torch.softmax(scores, dim=-1), vg)
                    out = out.view(len(members), s.n_head, n, hd).transpose(1, 2)
                    for j, (a, b) in enumerate(spans):
                        att[a:b] = out[j]
                x += _mm(att.view(total, nq), layer.attn_out)
            gate, up = _mm(_rms(x, layer.ffn_norm, s.eps), layer.gate_up).chunk(2, dim=-1)
            x += _mm(torch.nn.functional.silu(gate).mul_(up).to(bf16), layer.down)
        if keep_kv is not None:
            return None
        return _rms(x, self.out_norm, s.eps)

    def _keys(
        self,
        k: Any,
        v: Any,
        known: list[tuple[Any, Any]] | None,
        index: int,
        members: list[int],
        bounds: list[int],
    ) -> tuple[Any, Any]:
        """The keys and values the rows ``members`` attend to in layer ``index``:
        their prefix's, then their own, ``[rows, kv heads, keys, head_dim]``."""
        torch = self.torch
        kg = torch.stack([k[:, bounds[i] : bounds[i + 1]] for i in members])
        vg = torch.stack([v[:, bounds[i] : bounds[i + 1]] for i in members])
        if known is not None:
            pk, pv = known[index]
            m = len(members)
            kg = torch.cat([pk.expand(m, -1, -1, -1), kg], dim=2)
            vg = torch.cat([pv.expand(m, -1, -1, -1), vg], dim=2)
        return kg, vg

    def _log_softmax(self, h: Any, extra: list[list[int]]) -> Any:
        """Next-token log-softmax rows from final hidden states ``h`` (``[rows, n_embd]``).

        All logits come from one bfloat16 product (row-exact, but its outputs are
        rounded to bfloat16: about 0.06 at the magnitudes seen). The logits that
        are read, the ``_EXACT_HEAD`` largest and each row's ``extra`` tokens, are
        recomputed in float64, row by row; they dominate
        the normaliser too. A float32 product over the whole vocabulary would be
        exact enough but not row-exact (MKL's sgemm sums a row differently with
        the number of rows).
        """
        torch = self.torch
        w = self.output
        logits = torch.nn.functional.linear(h.to(torch.bfloat16), w).double()
        head = logits.topk(min(_EXACT_HEAD, self.n_vocab), dim=-1).indices
        h64 = h.double()
        for i, wanted in enumerate(extra):
            idx = head[i]
            if wanted:
                idx = torch.unique(torch.cat([idx, torch.tensor(wanted, dtype=torch.long)]))
            logits[i, idx] = w[idx].double() @ h64[i]
        return torch.log_softmax(logits, dim=-1).float()


@dataclass(frozen=True)
class TensorInfo:
    """Where one tensor lies in a GGUF file."""

    name: str
    type: int  # ggml type: 0 F32, 30 BF16, ...
    shape: tuple[int, ...]  # ggml order: shape[0] is the row length
    offset: int  # from the start of the file


_GGML_F32, _GGML_BF16 = 0, 30
_GGML_NAMES = {_GGML_F32: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 8: "Q8_0", _GGML_BF16: "BF16"}
# GGUF metadata value types: fixed sizes (struct codes) of the scalar ones
_SCALARS = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
_STRING, _ARRAY = 8, 9


def read_gguf_header(path: Path) -> tuple[dict[str, Any], dict[str, TensorInfo]]:
    """A GGUF file's scalar metadata and its tensor table (arrays, such as the vocabulary, skipped).

    gguf-py's ``GGUFReader`` decodes every array (about 3 s for the bundled
    model's 49,152-token vocabulary and merges); this reads only what the
    scorer needs, in tens of milliseconds.
    """
    import mmap
    import struct

    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return _parse_header(path, buf, struct)
    except (OSError, ValueError, struct.error) as ex:
        raise ModelError(f"{path}: not a readable GGUF file ({ex})") from None


def _parse_header(
    path: Path, buf: Any, struct: Any
) -> tuple[dict[str, Any], dict[str, TensorInfo]]:
    if buf[:4] != b"GGUF":
        raise ValueError("no GGUF magic number")
    version, n_tensors, n_kv = struct.unpack_from("<IQQ", buf, 4)
    if version < 2:
        raise ValueError(f"GGUF version {version} is not supported")
    at = 24

    def string() -> str:
        nonlocal at
        (n,) = struct.unpack_from("<Q", buf, at)
        text = bytes(buf[at + 8 : at + 8 + n]).decode("utf-8", errors="replace")
        at += 8 + n
        return text

    def skip(kind: int, count: int) -> None:
        nonlocal at
        if kind in _SCALARS:
            at += struct.calcsize("<" + _SCALARS[kind]) * count
        elif kind == _STRING:
            for _ in range(count):
                (n,) = struct.unpack_from("<Q", buf, at)
                at += 8 + n
        elif kind == _ARRAY:
            for _ in range(count):
                inner, n = struct.unpack_from("<IQ", buf, at)
                at += 12
                skip(inner, n)
        else:
            raise ValueError(f"unknown GGUF value type {kind}")

    fields: dict[str, Any] = {}
    for _ in range(n_kv):
        key = string()
        (kind,) = struct.unpack_from("<I", buf, at)
        at += 4
        if kind in _SCALARS:
            code = "<" + _SCALARS[kind]
            (fields[key],) = struct.unpack_from(code, buf, at)
            at += struct.calcsize(code)
        elif kind == _STRING:
            fields[key] = string()
        elif kind == _ARRAY:
            inner, n = struct.unpack_from("<IQ", buf, at)
            at += 12
            skip(inner, n)
        else:
            raise ValueError(f"unknown GGUF value type {kind} for '{key}'")
    infos: list[tuple[str, int, tuple[int, ...], int]] = []
    for _ in range(n_tensors):
        name = string()
        (dims,) = struct.unpack_from("<I", buf, at)
        shape = struct.unpack_from(f"<{dims}Q", buf, at + 4)
        kind, offset = struct.unpack_from("<IQ", buf, at + 4 + 8 * dims)
        at += 4 + 8 * dims + 12
        infos.append((name, kind, tuple(int(d) for d in shape), offset))
    align = int(fields.get("general.alignment", 32))
    start = (at + align - 1) // align * align
    tensors = {n: TensorInfo(n, k, s, start + o) for n, k, s, o in infos}
    return fields, tensors


def _shape(path: Path, fields: dict[str, Any]) -> Shape:
    def field(key: str) -> Any:
        if key not in fields:
            raise ModelError(f"{path}: GGUF field '{key}' is missing")
        return fields[key]

    arch = field("general.architecture")
    if arch != "llama":
        raise ModelError(f"{path}: the torch scorer runs llama models, not '{arch}'")
    n_embd = int(field("llama.embedding_length"))
    n_head = int(field("llama.attention.head_count"))
    return Shape(
        n_layer=int(field("llama.block_count")),
        n_embd=n_embd,
        n_head=n_head,
        n_head_kv=int(field("llama.attention.head_count_kv")),
        head_dim=n_embd // n_head,
        eps=float(field("llama.attention.layer_norm_rms_epsilon")),
        rope_base=float(field("llama.rope.freq_base")),
    )


def check_scorer_file(path: Path) -> Shape:
    """Whether the torch scorer can read ``path``, from its header alone (no torch, milliseconds).

    Checks the architecture and dimensions, and that every tensor the scorer
    reads is there, of its type (BF16 weight matrices, F32 norms) and inside
    the file. Returns the model's dimensions.

    Raises:
        ModelError: one line naming the file and what is wrong with it.
    """
    return _checked(Path(path))[0]


def _checked(path: Path) -> tuple[Shape, dict[str, TensorInfo]]:
    fields, tensors = read_gguf_header(path)
    shape = _shape(path, fields)
    matrices = ["token_embd.weight", "output.weight"]
    vectors = ["output_norm.weight"]
    for i in range(shape.n_layer):
        matrices += [
            f"blk.{i}.{n}.weight"
            for n in ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")
        ]
        vectors += [f"blk.{i}.attn_norm.weight", f"blk.{i}.ffn_norm.weight"]
    size = path.stat().st_size
    for name in matrices + vectors:
        t = tensors.get(name)
        if t is None:
            if name == "output.weight":  # tied to the embedding
                continue
            raise ModelError(f"{path}: tensor '{name}' is missing")
        kind = _GGML_NAMES.get(t.type, f"type {t.type}")
        if name in vectors and t.type != _GGML_F32:
            raise ModelError(f"{path}: tensor '{name}' is {kind}, not F32")
        if name in matrices and (t.type != _GGML_BF16 or len(t.shape) != 2):
            raise ModelError(
                f"{path}: tensor '{name}' is {kind}; the torch scorer reads BF16 weight matrices"
            )
        width = 4 if t.type == _GGML_F32 else 2
        if t.offset + width * int(np.prod(t.shape)) > size:
            raise ModelError(f"{path}: tensor '{name}' is cut short")
    return shape, tensors


class _Loader:
    """Reads a GGUF file's tensors into torch tensors (plain reads: no second copy mapped)."""

    def __init__(self, path: Path, f: Any, tensors: dict[str, TensorInfo], torch: Any) -> None:
        self.path, self.f, self.tensors, self.torch = path, f, tensors, torch

    def _tensor(self, name: str) -> TensorInfo:
        t = self.tensors.get(name)
        if t is None:
            raise ModelError(f"{self.path}: tensor '{name}' is missing")
        return t

    def _read(self, t: TensorInfo, out: Any) -> None:
        self.f.seek(t.offset)
        view = memoryview(out).cast("B")
        if self.f.readinto(view) != view.nbytes:
            raise ModelError(f"{self.path}: tensor '{t.name}' is cut short")

    def matrices(self, names: list[str]) -> Any:
        """BF16 matrices stacked by rows into one ``[out rows, in]`` bfloat16 tensor."""
        torch = self.torch
        found = [self._tensor(n) for n in names]
        width = found[0].shape[0]
        if any(t.shape[0] != width for t in found):
            raise ModelError(f"{self.path}: tensors {names} differ in width")
        rows = [t.shape[1] for t in found]
        out = torch.empty((sum(rows), width), dtype=torch.bfloat16)
        raw = out.view(torch.int16).numpy()
        at = 0
        for t, n in zip(found, rows, strict=True):
            self._read(t, raw[at : at + n])
            at += n
        return out

    def vector(self, name: str) -> Any:
        t = self._tensor(name)
        out = np.empty(int(np.prod(t.shape)), dtype=np.float32)
        self._read(t, out)
        return self.torch.from_numpy(out)


def _mm(x: Any, w: Any) -> Any:
    """``x @ w.T`` as ggml does it for BF16 weights: bfloat16 inputs, float32 accumulation."""
    import torch

    return torch.nn.functional.linear(x.to(torch.bfloat16), w).float()


def _rms(x: Any, weight: Any, eps: float) -> Any:
    import torch

    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def _rope(x: Any, rot: Any) -> Any:
    """llama.cpp's "normal" rotary embedding: consecutive pairs (0,1), (2,3), ... rotate.

    ``rot``: ``cos + i sin`` of each token's angles. GGUF conversion permutes the
    query and key rows of a Llama checkpoint so that this pairing reproduces the
    checkpoint's rotate-half.
    """
    import torch

    pairs = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2))
    return torch.view_as_real(pairs * rot).flatten(-2)


def _cut(length: int, prefix: int) -> int:
    """A prompt's prefix split: ``prefix`` cut back to leave ``_MIN_OWN`` tokens of its own."""
    cut = min(max(int(prefix), 0), length - _MIN_OWN)
    return cut if cut > 0 else 0


def _top(values: Any, top_k: int, extra: list[int]) -> list[tuple[int, float]]:
    """The ``top_k`` entries of a log-softmax row, most likely first, then ``extra`` ones."""
    k = max(1, min(top_k, int(values.shape[-1])))
    best = values.topk(k)
    listed = [int(t) for t in best.indices]
    seen = set(listed)
    listed += [t for t in dict.fromkeys(extra) if t not in seen]
    return [(t, float(values[t])) for t in listed]
