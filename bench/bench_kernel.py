"""Benchmark: llama.cpp prompt-evaluation speed for the bundled model, and the time floor it sets.

Run ``.venv/bin/python bench/bench_kernel.py [--other-formats]``.

Scoring a choice item is one prompt evaluation; on CPU its cost is set by how
many tokens a second llama.cpp's matrix kernels get through. This script
measures that rate for the bundled SmolLM2-135M-Instruct (Q4_1 weights) with 1
and 2 threads and batches of 8 to 256 tokens, then works out the least time any
scorer could need for the 200 ETHICS-commonsense prompts of
``bench_ethics.py``: the tokens left to evaluate after reusing each prompt's
shared prefix, divided by the best rate on all cores. With ``--other-formats``
it also converts the model to other weight types in a temporary directory
(lossy for every type but the dequantised ones) to show how much of the cost
is the Q4_1 kernel itself; alignlab never does that conversion.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

BATCHES = (8, 16, 32, 64, 128, 256)
TOKENS_PER_POINT = 2048  # tokens decoded per measured point


def decode_rate(llm: Any, tokens: list[int], threads: int, batch: int, reps: int) -> float:
    """Tokens/s of single-sequence decodes of ``batch`` new tokens (median of ``reps``)."""
    import llama_cpp
    from llama_cpp import _internals as internals

    params = type(llm.context_params).from_buffer_copy(llm.context_params)
    params.n_ctx = params.n_batch = params.n_ubatch = 512
    params.n_seq_max = 1
    params.n_threads = params.n_threads_batch = threads
    params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
    ctx = internals.LlamaContext(model=llm._model, params=params, verbose=False)
    lbatch = internals.LlamaBatch(n_tokens=512, embd=0, n_seq_max=1, verbose=False)
    memory = llama_cpp.llama_get_memory(ctx.ctx)
    calls = max(1, TOKENS_PER_POINT // batch)
    rates = []
    try:
        for _ in range(reps):
            start = time.perf_counter()
            for i in range(calls):
                llama_cpp.llama_memory_clear(memory, True)
                chunk = tokens[(i * batch) % 256 : (i * batch) % 256 + batch]
                lbatch.reset()
                lbatch.set_batch(chunk, 0, False)
                ctx.decode(lbatch)
            rates.append(calls * batch / (time.perf_counter() - start))
    finally:
        lbatch.close()
        ctx.close()
    return statistics.median(rates)


def new_tokens(prompts: list[list[int]], workers: int) -> int:
    """Tokens evaluated when prompts go round-robin to ``workers`` prefix-reusing contexts."""
    cached: list[list[int]] = [[] for _ in range(workers)]
    total = 0
    for i, tokens in enumerate(prompts):
        last = cached[i % workers]
        keep = 0
        limit = min(len(last), len(tokens) - 1)
        while keep < limit and last[keep] == tokens[keep]:
            keep += 1
        total += len(tokens) - keep
        cached[i % workers] = tokens
    return total


def bench_model(path: str, tokens: list[int], reps: int) -> dict[str, float]:
    from llama_cpp import Llama

    llm = Llama(model_path=path, n_ctx=512, n_threads=1, verbose=False)
    out: dict[str, float] = {}
    for threads in (1, 2):
        for batch in BATCHES:
            out[f"{threads}x{batch}"] = decode_rate(llm, tokens, threads, batch, reps)
            print(
                f"  {Path(path).name}: {threads} thread(s), batch {batch}: "
                f"{out[f'{threads}x{batch}']:.0f} tok/s",
                flush=True,
            )
    return out


def convert(source: str, target: Path, ftype: int) -> None:
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.allow_requantize = True
    params.nthread = os.cpu_count() or 1
    if llama_cpp.llama_model_quantize(source.encode(), str(target).encode(), ctypes.byref(params)):
        raise RuntimeError(f"could not convert {source} to {target.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="GGUF file (default: the bundled model)")
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--other-formats", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    import bench_ethics
    from alignlab.models.bundled import bundled_model_path

    path = args.model or str(bundled_model_path())
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory(prefix="alignlab-kernel-") as tmp:
        work = Path(tmp)
        bench_ethics.write_dataset(work / "data", args.items)
        bench_ethics.write_prompts(work / "data", work, args.items)
        spec = json.loads((work / "prompts.json").read_text())
        prompts: list[list[int]] = spec["prompts"]
        filler = [t for p in prompts for t in p][:512]
        print(f"decode rate, {cores} cores, load average {os.getloadavg()[0]:.2f}", flush=True)
        results = {"Q4_1 (bundled)": bench_model(path, filler, args.reps)}
        if args.other_formats:
            import llama_cpp

            for name, ftype in (
                ("Q8_0", llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0),
                ("Q4_0", llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_0),
                ("BF16", llama_cpp.LLAMA_FTYPE_MOSTLY_BF16),
            ):
                target = work / f"{name}.gguf"
                convert(path, target, ftype)
                results[f"{name} (converted, not used)"] = bench_model(
                    str(target), filler, args.reps
                )
                target.unlink()

    whole = sum(len(p) for p in prompts)
    evaluated = new_tokens(prompts, cores)
    print(
        f"\n{len(prompts)} prompts, {whole} tokens; {evaluated} left to evaluate with prefix "
        f"reuse over {cores} contexts ({whole / len(prompts):.1f} and "
        f"{evaluated / len(prompts):.1f} a prompt)\n"
    )
    header = ["weights", *(f"1t b{b}" for b in BATCHES), "2t b32", "floor s"]
    width = max(len(name) for name in results)
    print(f"{header[0]:<{width}}  " + "  ".join(f"{h:>9}" for h in header[1:]))
    floors: dict[str, float] = {}
    for name, rates in results.items():
        # Best plan: one single-thread context a core, or one context using every core.
        best = max(cores * max(rates[f"1x{b}"] for b in BATCHES), rates["2x32"])
        floors[name] = evaluated / best
        row = [f"{rates[f'1x{b}']:.0f}" for b in BATCHES] + [f"{rates['2x32']:.0f}"]
        print(f"{name:<{width}}  " + "  ".join(f"{v:>9}" for v in row) + f"  {floors[name]:>9.1f}")
    print(
        "\nfloor s: the evaluated tokens divided by the best rate on all cores: the least time "
        "any scorer could spend in llama.cpp on these prompts, before loading, imports or "
        "Inspect."
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"rates": results, "floors": floors, "tokens": whole, "evaluated": evaluated}
            )
        )


if __name__ == "__main__":
    main()
