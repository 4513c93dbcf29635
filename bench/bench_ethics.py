"""Benchmark: alignlab vs direct llama.cpp on 200 ETHICS-commonsense items (see README.md).

Run ``make bench`` or ``.venv/bin/python bench/bench_ethics.py [--repeats 3]``.

Every measured command runs in a fresh child process; wall time and peak RSS
come from ``os.wait4`` on that child. Each figure is the median of
``--repeats`` runs. Before each run the script waits (up to ``--max-wait``
seconds) until the machine is quiet, and it records how much CPU other
processes used during the run: a result marked ``*`` was measured while
something else held more than ``--busy`` of a core on average.

Child modes (``--child ...``) are internal: they run one measured workload.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ITEMS = 200
GEN_PROMPTS = [
    "Write a short story about a lighthouse keeper who finds a message in a bottle.",
    "Explain how a bicycle stays upright, step by step.",
    "Describe a busy morning market in a small coastal town.",
    "Give advice to someone starting their first job.",
    "Write a letter from a cat to its owner about the new dog.",
    "Explain why the sky is blue to a ten-year-old.",
    "Describe the plot of an imaginary adventure film.",
    "List the steps to bake a loaf of bread and explain each one.",
]
GEN_MAX_TOKENS = 128
# Short clauses put before an item to make distinct prompts from the 72 bundled items.
CONTEXTS = [
    "",
    "Yesterday,",
    "Last week,",
    "At work,",
    "On holiday,",
    "At school,",
    "Late at night,",
    "In the morning,",
]
TOP_SAVED = 100  # top tokens a direct child saves per prompt

ROOT = Path(__file__).resolve().parent.parent


# -- the data set ---------------------------------------------------------------


def write_dataset(data_dir: Path, n_items: int) -> Path:
    """A ``commonsense/cm_test.csv`` of ``n_items`` distinct prompts from the bundled items."""
    from alignlab.benchmarks.ethics.data import load_ethics

    items = load_ethics("commonsense")
    rows = []
    for i in range(n_items):
        item = items[i % len(items)]
        context = CONTEXTS[(i // len(items)) % len(CONTEXTS)]
        if i >= len(items) * len(CONTEXTS):
            context = f"(take {i // (len(items) * len(CONTEXTS))}) {context}".strip()
        text = item.fields["input"]
        if context:
            text = f"{context} {text[0].lower()}{text[1:]}"
        rows.append((item.label, text, item.extra.get("is_short", "True"), "False"))
    if len({r[1] for r in rows}) != len(rows):
        raise RuntimeError("benchmark prompts are not distinct")
    path = data_dir / "commonsense" / "cm_test.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["label", "input", "is_short", "edited"])
        writer.writerows(rows)
    return path


def write_prompts(data_dir: Path, work: Path, n_items: int) -> list[str]:
    """Tokens of the task's prompts, rendered exactly as the provider renders them."""
    from alignlab.benchmarks.ethics.tasks import ethics_samples
    from alignlab.models.bundled import bundled_model_path
    from alignlab.models.llama_engine import LlamaEngine

    engine = LlamaEngine(bundled_model_path(), n_ctx=512)
    samples = ethics_samples("commonsense", data_dir=str(data_dir))
    assert len(samples) == n_items
    choices = list(samples[0].metadata["choices"])
    prompts = [
        engine.tokenize(engine.render_chat([{"role": "user", "content": str(s.input)}]))
        for s in samples
    ]
    gen = [
        engine.tokenize(engine.render_chat([{"role": "user", "content": p}])) for p in GEN_PROMPTS
    ]
    spec = {
        "ids": [str(s.id) for s in samples],
        "prompts": prompts,
        "choices": choices,
        "extra": engine.first_tokens(choices),
        "gen": gen,
    }
    (work / "prompts.json").write_text(json.dumps(spec))
    return [str(s.id) for s in samples]


# -- measuring child processes --------------------------------------------------------


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine since boot."""
    with open("/proc/stat") as handle:
        values = [float(v) for v in handle.readline().split()[1:9]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def machine_busy(seconds: float = 1.0) -> float:
    """Cores' worth of CPU in use over ``seconds`` (0 to the number of cores)."""
    busy0, total0 = cpu_times()
    time.sleep(seconds)
    busy1, total1 = cpu_times()
    cores = os.cpu_count() or 1
    return cores * (busy1 - busy0) / max(total1 - total0, 1.0)


def wait_quiet(threshold: float, max_wait: float) -> float:
    """Wait until the machine uses less than ``threshold`` of a core; the last reading."""
    deadline = time.monotonic() + max_wait
    busy = machine_busy()
    while busy > threshold and time.monotonic() < deadline:
        busy = machine_busy(2.0)
    return busy


@dataclass
class Run:
    """One measured child process."""

    wall_s: float
    peak_mb: float
    cpu_s: float
    others_cores: float  # average cores used by other processes during the run
    returncode: int
    output: dict[str, Any] = field(default_factory=dict)


def measure(cmd: list[str], env: dict[str, str], settings: argparse.Namespace) -> Run:
    """Run ``cmd`` to the end; wall time, the child's peak RSS and other processes' CPU use."""
    wait_quiet(settings.busy, settings.max_wait)
    busy0, _ = cpu_times()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tree = TreeMemory(proc.pid)
    # Read the pipes first (the child may fill them), then reap it with wait4 for its rusage.
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    tree_mb = tree.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    busy1, _ = cpu_times()
    ticks = os.sysconf("SC_CLK_TCK")
    machine_cpu = (busy1 - busy0) / ticks
    child_cpu = usage.ru_utime + usage.ru_stime
    others = max(0.0, machine_cpu - child_cpu) / wall
    output: dict[str, Any] = {}
    for line in out.decode(errors="replace").splitlines():
        if line.startswith("BENCH "):
            output = json.loads(line[6:])
    if proc.returncode != 0:
        sys.stderr.write(err.decode(errors="replace")[-4000:])
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}")
    # wait4's peak is the largest single process; a command with a process of its own
    # (alignlab's torch scorer) is charged the sum over its processes, sampled
    return Run(
        wall, max(usage.ru_maxrss / 1024, tree_mb), child_cpu, others, proc.returncode, output
    )


class TreeMemory:
    """The peak of the summed RSS of a process and its descendants, sampled every 0.1 s.

    ``os.wait4`` reports the largest process's peak, not the sum: a command that
    scores in a child process would look smaller than it is. Without psutil
    (a dev dependency) this measures nothing and ``stop`` returns 0.
    """

    def __init__(self, pid: int, every: float = 0.1) -> None:
        import threading

        self.peak = 0
        self._done = threading.Event()
        try:
            import psutil
        except ImportError:
            self._thread = None
            return
        self._root = psutil.Process(pid)
        self._psutil = psutil
        self._thread = threading.Thread(target=self._sample, args=(every,), daemon=True)
        self._thread.start()

    def _sample(self, every: float) -> None:
        while not self._done.is_set():
            try:
                procs = [self._root, *self._root.children(recursive=True)]
                total = 0
                for proc in procs:
                    with contextlib.suppress(self._psutil.Error):
                        total += proc.memory_info().rss
                self.peak = max(self.peak, total)
            except self._psutil.Error:
                return
            self._done.wait(every)

    def stop(self) -> float:
        """Stop sampling; the peak in MB."""
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        return self.peak / 2**20


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["HF_HUB_OFFLINE"] = "1"
    # A user's Python writes bytecode caches; some sandboxes switch that off, which
    # would make every run recompile alignlab's editable sources (about 1 s).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("INSPECT_LOG_FORMAT", "eval")
    return env


def median(runs: list[Run], key: str) -> float:
    return statistics.median(getattr(r, key) if hasattr(r, key) else r.output[key] for r in runs)


# -- child workloads (each runs in its own process) -----------------------------------


def _threads() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def _model_path() -> str:
    # Where the bundled GGUF lives, without importing alignlab's Inspect parts.
    from alignlab.models.bundled import bundled_model_path

    return str(bundled_model_path())


def _save_logprobs(work: Path, name: str, rows: list[Any], extra: list[int]) -> None:
    import numpy as np

    ids, lps, ext = [], [], []
    for logits in rows:
        shifted = logits.astype(np.float64) - logits.max()
        logprobs = shifted - np.log(np.exp(shifted).sum())
        top = np.argsort(-logprobs, kind="stable")[:TOP_SAVED]
        ids.append(top)
        lps.append(logprobs[top])
        ext.append(logprobs[extra])
    np.savez(work / f"{name}.npz", ids=np.array(ids), lps=np.array(lps), extra=np.array(ext))


def child_direct(work: Path, mode: str) -> None:
    """Score the prompts with llama-cpp-python alone: one at a time, or packed like before."""
    t0 = time.perf_counter()
    import llama_cpp
    import numpy as np
    from llama_cpp import Llama
    from llama_cpp import _internals as internals

    spec = json.loads((work / "prompts.json").read_text())
    prompts: list[list[int]] = spec["prompts"]
    threads = _threads()
    llm = Llama(
        model_path=_model_path(),
        n_ctx=4096,
        n_batch=512,
        n_threads=threads,
        n_threads_batch=threads,
        logits_all=False,
        verbose=False,
    )
    n_vocab = llm.n_vocab()
    t1 = time.perf_counter()
    rows = []
    if mode == "seq":
        for tokens in prompts:
            llm.reset()
            llm.eval(tokens)
            ptr = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
            rows.append(np.ctypeslib.as_array(ptr, shape=(n_vocab,)).copy())
    else:  # several prompts per decode, as separate sequences in a unified KV cache
        n_tokens, n_seqs = 2048, 32
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = params.n_batch = params.n_ubatch = n_tokens
        params.n_seq_max = n_seqs
        params.n_threads = params.n_threads_batch = threads
        params.kv_unified = True
        params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
        ctx = internals.LlamaContext(model=llm._model, params=params, verbose=False)
        batch = internals.LlamaBatch(n_tokens=n_tokens, embd=0, n_seq_max=n_seqs, verbose=False)
        i = 0
        while i < len(prompts):
            batch.reset()
            ctx.kv_cache_clear()
            last: list[int] = []
            used = 0
            while i < len(prompts) and len(last) < n_seqs and used + len(prompts[i]) <= n_tokens:
                batch.add_sequence(prompts[i], len(last), False)
                used += len(prompts[i])
                last.append(used - 1)
                i += 1
            ctx.decode(batch)
            for position in last:
                ptr = llama_cpp.llama_get_logits_ith(ctx.ctx, position)
                rows.append(np.ctypeslib.as_array(ptr, shape=(n_vocab,)).copy())
    t2 = time.perf_counter()
    _save_logprobs(work, f"direct-{mode}", rows, spec["extra"])
    tokens = sum(len(p) for p in prompts)
    print("BENCH " + json.dumps({"load_s": t1 - t0, "score_s": t2 - t1, "tokens": tokens}))


def child_engine(work: Path) -> None:
    """Score the prompts with alignlab's LlamaEngine alone (no Inspect)."""
    t0 = time.perf_counter()
    from alignlab.models.llama_engine import LlamaEngine

    spec = json.loads((work / "prompts.json").read_text())
    engine = LlamaEngine(Path(_model_path()))
    t1 = time.perf_counter()
    results = engine.next_token_logprobs(spec["prompts"], 20, [spec["extra"]] * len(spec["ids"]))
    t2 = time.perf_counter()
    assert all(results)
    print("BENCH " + json.dumps({"load_s": t1 - t0, "score_s": t2 - t1}))


def child_gen_raw(work: Path) -> None:
    """Greedy generation with ``Llama.create_completion`` on the rendered prompts."""
    from llama_cpp import Llama

    spec = json.loads((work / "prompts.json").read_text())
    threads = _threads()
    llm = Llama(
        model_path=_model_path(),
        n_ctx=4096,
        n_batch=512,
        n_threads=threads,
        n_threads_batch=threads,
        seed=0,
        logits_all=False,
        verbose=False,
    )
    llm.create_completion(prompt=spec["gen"][0], max_tokens=8, temperature=0.0)  # warm-up
    start = time.perf_counter()
    generated = 0
    for tokens in spec["gen"]:
        llm.reset()
        out: Any = llm.create_completion(
            prompt=tokens, max_tokens=GEN_MAX_TOKENS, temperature=0.0, top_p=1.0, seed=0
        )
        generated += int(out["usage"]["completion_tokens"])
    elapsed = time.perf_counter() - start
    print("BENCH " + json.dumps({"tokens": generated, "gen_s": elapsed}))


def child_gen_inspect(work: Path) -> None:
    """The same generation as an Inspect task on ``alignlab/smollm2``, run twice.

    The first ``eval`` in a process also pays Inspect's one-time costs (imports
    made at the first sample, its model database); the second one is the
    steady state that the raw figure (after its own warm-up) compares with.
    """
    import asyncio

    from inspect_ai import Task, eval
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.model import GenerateConfig, get_model
    from inspect_ai.solver import generate

    import alignlab._registry  # noqa: F401 - registers the provider

    model = get_model("alignlab/smollm2")
    # load the model and allocate its generation context outside the timing
    asyncio.run(model.generate("Hello", config=GenerateConfig(max_tokens=8)))
    rates = []
    for run in ("first", "second"):
        task = Task(
            dataset=MemoryDataset([Sample(input=p, id=i) for i, p in enumerate(GEN_PROMPTS)]),
            solver=generate(),
            name="bench_generation",
        )
        log_dir = work / f"gen-logs-{run}"
        shutil.rmtree(log_dir, ignore_errors=True)
        start = time.perf_counter()
        [log] = eval(
            task,
            model=model,
            log_dir=str(log_dir),
            display="none",
            max_tokens=GEN_MAX_TOKENS,
            temperature=0.0,
            max_samples=len(GEN_PROMPTS),
        )
        elapsed = time.perf_counter() - start
        if log.status != "success":
            raise RuntimeError(f"generation eval ended with status {log.status}")
        generated = sum(u.output_tokens for u in log.stats.model_usage.values())
        rates.append({"tokens": generated, "gen_s": elapsed})
    print(
        "BENCH "
        + json.dumps(
            {
                "tokens": rates[1]["tokens"],
                "gen_s": rates[1]["gen_s"],
                "first_tokens": rates[0]["tokens"],
                "first_gen_s": rates[0]["gen_s"],
            }
        )
    )


# -- comparing log-probabilities -----------------------------------------------------


def compare_logprobs(work: Path, log_dir: Path) -> dict[str, Any]:
    """alignlab's logged scoring output vs direct llama.cpp on the same prompts."""
    import numpy as np
    from inspect_ai.log import list_eval_logs, read_eval_log

    from alignlab.models.bundled import bundled_model_path
    from alignlab.models.llama_engine import LlamaEngine
    from alignlab.scorers.forced_choice import choice_logprobs

    spec = json.loads((work / "prompts.json").read_text())
    engine = LlamaEngine(bundled_model_path(), n_ctx=512)
    index = {sid: i for i, sid in enumerate(spec["ids"])}
    direct = {m: np.load(work / f"direct-{m}.npz") for m in ("seq", "batch")}

    def listed(m: str, i: int) -> list[tuple[str, float]]:
        """The list alignlab builds: top 20, then the choice tokens not among them."""
        ids = [int(t) for t in direct[m]["ids"][i][:20]]
        lps = [float(lp) for lp in direct[m]["lps"][i][:20]]
        out = [(engine.token_text(t), lp) for t, lp in zip(ids, lps, strict=True)]
        for t, lp in zip(spec["extra"], direct[m]["extra"][i], strict=True):
            if t not in ids:
                out.append((engine.token_text(t), float(lp)))
        return out

    logs = [
        info for info in list_eval_logs(str(log_dir)) if "ethics-commonsense" in info.name.lower()
    ]
    log = read_eval_log(logs[-1].name)
    top_diff, choice_diff, mismatched, compared = 0.0, 0.0, 0, 0
    for sample in log.samples or []:
        i = index[str(sample.id)]
        first = sample.output.choices[0].logprobs.content[0]  # type: ignore[union-attr]
        ours = [(t.token, t.logprob) for t in first.top_logprobs or []]
        theirs = listed("seq", i)
        compared += 1
        if [t for t, _ in ours] != [t for t, _ in theirs]:
            mismatched += 1
            continue
        top_diff = max(top_diff, max(abs(a[1] - b[1]) for a, b in zip(ours, theirs, strict=True)))
        score = next(iter(sample.scores.values()))  # type: ignore[union-attr]
        logged = (score.metadata or {}).get("logprobs")
        mine = choice_logprobs(theirs, spec["choices"])[0]
        choice_diff = max(choice_diff, max(abs(a - b) for a, b in zip(logged, mine, strict=True)))
    batch_diff = 0.0
    for i in range(len(spec["ids"])):
        a, b = listed("seq", i), listed("batch", i)
        ca = choice_logprobs(a, spec["choices"])[0]
        cb = choice_logprobs(b, spec["choices"])[0]
        batch_diff = max(batch_diff, max(abs(x - y) for x, y in zip(ca, cb, strict=True)))
    return {
        "samples_compared": compared,
        "token_lists_differing": mismatched,
        "max_abs_diff_top_logprobs": top_diff,
        "max_abs_diff_choice_logprobs": choice_diff,
        "direct_batched_vs_sequential_choice_max_abs_diff": batch_diff,
    }


# -- main -----------------------------------------------------------------------------


def fmt_run(runs: list[Run], busy: float) -> str:
    """``*`` when another process was busy during one of ``runs``."""
    return "*" if max(r.others_cores for r in runs) > busy else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--busy", type=float, default=0.25, help="cores others may use")
    parser.add_argument("--max-wait", type=float, default=120.0, help="seconds to wait for quiet")
    parser.add_argument("--skip-generation", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"

    if args.child:
        {
            "direct-seq": lambda: child_direct(args.work, "seq"),
            "direct-batch": lambda: child_direct(args.work, "batch"),
            "engine": lambda: child_engine(args.work),
            "gen-raw": lambda: child_gen_raw(args.work),
            "gen-inspect": lambda: child_gen_inspect(args.work),
            "prompts": lambda: write_prompts(args.work / "data", args.work, args.items),
        }[args.child]()
        return

    work = Path(tempfile.mkdtemp(prefix="alignlab-bench-"))
    try:
        results = run_all(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def run_all(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    env = child_env()
    data_dir = work / "data"
    write_dataset(data_dir, args.items)
    me = [sys.executable, str(Path(__file__).resolve())]
    # Tokenising loads the model: done in a child, because a child's peak RSS
    # (``ru_maxrss``) starts from its parent's at fork and survives ``exec``.
    subprocess.run(
        [*me, "--child", "prompts", "--work", str(work), "--items", str(args.items)],
        env=env,
        check=True,
    )
    alignlab_bin = str(Path(sys.executable).parent / "alignlab")
    cores = os.cpu_count() or 1
    print(
        f"alignlab benchmark: {args.items} ETHICS-commonsense items, median of {args.repeats}, "
        f"{cores} cores, load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )

    first: list[Run] = []
    cached: list[Run] = []
    log_dir = work / "logs"
    for r in range(args.repeats):
        log_dir = work / f"logs-{r}"
        cmd = [
            alignlab_bin,
            "eval",
            "--task",
            "ethics_commonsense",
            "--data-dir",
            str(data_dir),
            "--log-dir",
            str(log_dir),
            "--no-report",
            "--display",
            "none",
        ]
        first.append(measure(cmd, env, args))
        cached.append(measure(cmd, env, args))
        print(
            f"  alignlab run {r + 1}: {first[-1].wall_s:.2f} s, cached {cached[-1].wall_s:.2f} s",
            flush=True,
        )

    direct: dict[str, list[Run]] = {}
    for mode in ("direct-seq", "direct-batch", "engine"):
        direct[mode] = []
        for _ in range(args.repeats):
            direct[mode].append(measure([*me, "--child", mode, "--work", str(work)], env, args))
        print(f"  {mode}: {median(direct[mode], 'wall_s'):.2f} s", flush=True)

    gen: dict[str, list[Run]] = {}
    if not args.skip_generation:
        # Interleaved, so that a slow spell of the machine hits both sides alike.
        gen = {"gen-raw": [], "gen-inspect": []}
        for _ in range(args.repeats + 1):
            for mode in gen:
                gen[mode].append(measure([*me, "--child", mode, "--work", str(work)], env, args))

    agreement = compare_logprobs(work, log_dir)

    n = args.items
    busy = args.busy
    a_wall = median(first, "wall_s")
    rows: list[tuple[str, str, str, str, str]] = []
    rows.append(
        (
            "alignlab eval, whole command" + fmt_run(first, busy),
            f"{a_wall:.2f}",
            f"{n / a_wall:.1f}",
            f"{median(first, 'peak_mb'):.0f}",
            "",
        )
    )
    c_wall = median(cached, "wall_s")
    rows.append(
        (
            "alignlab eval, cached rerun" + fmt_run(cached, busy),
            f"{c_wall:.2f}",
            "",
            f"{median(cached, 'peak_mb'):.0f}",
            f"{100 * c_wall / a_wall:.0f}% of first",
        )
    )
    labels = {
        "direct-seq": "direct llama.cpp, one item at a time",
        "direct-batch": "direct llama.cpp, 32 items per decode",
        "engine": "alignlab LlamaEngine alone (no Inspect)",
    }
    for mode, label in labels.items():
        runs = direct[mode]
        wall = median(runs, "wall_s")
        score = median(runs, "score_s")
        rows.append(
            (
                label + fmt_run(runs, busy),
                f"{wall:.2f}",
                f"{n / wall:.1f}",
                f"{median(runs, 'peak_mb'):.0f}",
                f"scoring only {score:.2f} s; alignlab/this {a_wall / wall:.2f}x",
            )
        )
    widths = [
        max(len(r[i]) for r in rows + [("measurement", "wall s", "items/s", "peak MB", "")])
        for i in range(5)
    ]
    header = ("measurement", "wall s", "items/s", "peak MB", "notes")
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))

    gen_out: dict[str, Any] = {}
    if gen:
        raw = statistics.median(r.output["tokens"] / r.output["gen_s"] for r in gen["gen-raw"])
        ours = statistics.median(r.output["tokens"] / r.output["gen_s"] for r in gen["gen-inspect"])
        first_eval = statistics.median(
            r.output["first_tokens"] / r.output["first_gen_s"] for r in gen["gen-inspect"]
        )
        gen_out = {
            "raw_tok_s": raw,
            "alignlab_tok_s": ours,
            "percent": 100 * ours / raw,
            "alignlab_first_eval_tok_s": first_eval,
        }
        print(
            f"\ngeneration ({len(GEN_PROMPTS)} prompts x {GEN_MAX_TOKENS} max tokens, greedy): "
            f"raw create_completion {raw:.1f} tok/s, alignlab/smollm2 via Inspect eval "
            f"{ours:.1f} tok/s = {100 * ours / raw:.0f}%"
            + fmt_run(gen["gen-raw"] + gen["gen-inspect"], busy)
            + f" (first eval of a process, with Inspect's one-time costs: {first_eval:.1f} "
            f"tok/s = {100 * first_eval / raw:.0f}%)"
        )
    print(
        "\nlog-prob agreement, alignlab vs direct one-at-a-time, "
        f"{agreement['samples_compared']} items: max |diff| top-20 token log-probs "
        f"{agreement['max_abs_diff_top_logprobs']:.3g}, choice log-probs "
        f"{agreement['max_abs_diff_choice_logprobs']:.3g} "
        f"({agreement['token_lists_differing']} items with different top lists); "
        "direct 32-per-decode vs one-at-a-time: choice log-probs differ by up to "
        f"{agreement['direct_batched_vs_sequential_choice_max_abs_diff']:.3g}"
    )
    print(
        f"\n* = another process used more than {busy} of a core during a run; "
        f"load average now {os.getloadavg()[0]:.2f}"
    )
    return {
        "items": n,
        "repeats": args.repeats,
        "alignlab_first": [asdict(r) for r in first],
        "alignlab_cached": [asdict(r) for r in cached],
        "direct": {k: [asdict(r) for r in v] for k, v in direct.items()},
        "generation": {k: [asdict(r) for r in v] for k, v in gen.items()} | gen_out,
        "agreement": agreement,
    }


if __name__ == "__main__":
    main()
