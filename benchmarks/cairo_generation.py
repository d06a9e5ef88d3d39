"""CAIRO generation + scoring: the BOLD valid gender prompts on the embedded model through bench vs a
plain batched transformers `generate` loop (the authors' loop: left padding, batch 16,
do_sample with top-k 50 and temperature 1, 25 new tokens), both scored by the same toxicity
classifier. Same model, same machine, no request cache, torch and transformers imported before
any clock starts (each path still loads its model: load time is included). `--repeats N` runs the
sides interleaved (plain, bench-hf[, bench-vllm]) N times and prints each side's median and range
and the ratio of medians (target for bench-hf: >= 1.0x). `--backend vllm` adds the vLLM backend
through bench (dtype float32 like the other two; reported, no target; its engine start is
included and also printed alone).

Threads: every side runs with `--threads` torch intra-op threads (default 1). On a loaded machine,
two OpenMP threads in the main thread (the plain loop) were 10-20x slower than one (each parallel
region waits until both threads are scheduled), while bench's backend thread was not slowed:
the 5.8x measured before this option came from that, not from bench.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/cairo_generation.py [--prompts 616] [--batch-size 16] [--backend hf|vllm] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable

from bench.harness.backends.hf import HFBackend
from bench.harness.client import ModelClient
from bench.harness.embedded_model import embedded_model_dir
from bench.harness.requests import GenerationParams
from bench.tasks.cairo.prompts import ORIGINAL, load_group
from bench.tasks.cairo.toxicity import ToxicityScorer, make_scorer

MAX_TOKENS, TOP_K, TEMPERATURE = 25, 50, 1.0
ENGINE_START: list[float] = []  # seconds from VLLMBackend() to the first answer, per run
LOADS: dict[str, list[float]] = {"plain": [], "hf": []}  # seconds to load the model (tokenizer included), per run


def through_bench(backend: object, prompts: list[str], batch_size: int, started: float | None = None) -> list[str]:
    """Every prompt through bench's client; with `started`, one request first (it starts a lazy
    engine) and its time since `started` goes to ENGINE_START. One event loop for both."""

    async def main() -> list[str]:
        client = ModelClient(backend, max_batch_size=batch_size)  # type: ignore[arg-type]
        try:
            if started is not None:
                await client.complete(prompts[0], GenerationParams(max_tokens=1, temperature=TEMPERATURE, top_k=TOP_K, seed=0))
                ENGINE_START.append(time.perf_counter() - started)
            params = [GenerationParams(max_tokens=MAX_TOKENS, temperature=TEMPERATURE, top_k=TOP_K, seed=1) for _ in prompts]
            answers = await asyncio.gather(*(client.complete(p, q) for p, q in zip(prompts, params, strict=True)))
            return [p + a.text for p, a in zip(prompts, answers, strict=True)]
        finally:
            await client.aclose()

    return asyncio.run(main())


def plain_loop(prompts: list[str], batch_size: int) -> list[str]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    start = time.perf_counter()
    path = embedded_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(path, padding_side="left")
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    LOADS["plain"].append(time.perf_counter() - start)
    torch.manual_seed(1)
    out: list[str] = []
    with torch.no_grad():
        for start in range(0, len(prompts), batch_size):
            inputs = tokenizer(prompts[start : start + batch_size], return_tensors="pt", padding=True)
            generated = model.generate(**inputs, do_sample=True, top_k=TOP_K, temperature=TEMPERATURE,
                                       max_new_tokens=MAX_TOKENS, pad_token_id=tokenizer.pad_token_id)
            out += tokenizer.batch_decode(generated, skip_special_tokens=True)
    return out


def bench_hf(prompts: list[str], batch_size: int) -> list[str]:
    start = time.perf_counter()
    backend = HFBackend("smollm2", batch_size=batch_size)
    LOADS["hf"].append(time.perf_counter() - start)
    try:
        return through_bench(backend, prompts, batch_size)
    finally:
        backend.close()


def bench_vllm(prompts: list[str], batch_size: int) -> list[str]:
    from bench.harness.backends.vllm import VLLMBackend

    start = time.perf_counter()
    engine = VLLMBackend("smollm2", {"dtype": "float32", "kv_cache_gb": 1})
    try:
        return through_bench(engine, prompts, batch_size, started=start)
    finally:
        engine.close()


def timed(side: Callable[[list[str], int], list[str]], prompts: list[str], batch_size: int, scorer: ToxicityScorer) -> tuple[float, float]:
    """Seconds for generation + scoring, and the mean toxicity."""
    start = time.perf_counter()
    scores = scorer.score(side(prompts, batch_size))
    return time.perf_counter() - start, sum(scores) / len(scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=616)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--backend", choices=["hf", "vllm"], default="hf")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads for every side (see the docstring)")
    args = parser.parse_args()
    prompts = [p for p in load_group("bold", "valid", "gender", paraphrases=False).sets[ORIGINAL] if p][: args.prompts]
    scorer = make_scorer("profanity_check")
    import torch  # every path then starts with torch and transformers imported
    import transformers  # noqa: F401

    torch.set_num_threads(args.threads)

    sides: dict[str, Callable[[list[str], int], list[str]]] = {
        "plain transformers generate loop": plain_loop, "bench (hf backend, client)": bench_hf,
    }
    if args.backend == "vllm":
        sides["bench (vllm backend, client)"] = bench_vllm
    times: dict[str, list[float]] = {name: [] for name in sides}
    toxicity: dict[str, list[float]] = {name: [] for name in sides}
    load_before = os.getloadavg()[0]
    for _ in range(args.repeats):
        for name, side in sides.items():
            seconds, mean_tox = timed(side, prompts, args.batch_size, scorer)
            times[name].append(seconds)
            toxicity[name].append(mean_tox)
    n = len(prompts)
    print(f"{n} BOLD valid gender prompts, {MAX_TOKENS} new tokens, top-k {TOP_K}, T {TEMPERATURE}, batch {args.batch_size}, "
          f"{args.repeats} interleaved runs per side (model load included), {args.threads} torch thread(s); load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}")
    plain = statistics.median(times["plain transformers generate loop"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:34s} median {median:7.1f} s (range {min(values):.1f}-{max(values):.1f})  {n / median:6.2f} prompts/s  "
              f"mean toxicity {statistics.mean(toxicity[name]):.3f}  ratio plain/this {plain / median:.2f}x")
    for side, values in LOADS.items():
        if values:
            print(f"  model load ({side}) median {statistics.median(values):.1f} s (range {min(values):.1f}-{max(values):.1f})")
    if ENGINE_START:
        print(f"  vLLM engine start (+1 request) median {statistics.median(ENGINE_START):.1f} s (range {min(ENGINE_START):.1f}-{max(ENGINE_START):.1f})")
    print("  target: bench (hf) >= 1.0x the plain loop; vLLM reported only")


if __name__ == "__main__":
    main()
