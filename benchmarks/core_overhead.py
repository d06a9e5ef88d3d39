"""Overhead and cache benchmark: bench's client vs raw `model.generate` on the same prompts.

1. raw: the prompts chat-templated, left-padded, `model.generate` in batches of B (no bench code).
2. bench: the same prompts as concurrent `client.chat` calls through the model client (batch B),
   with a fresh request cache.
3. bench again on the same cache (a repeated run).
Prints wall times and ratios: overhead = bench / raw (target <= 1.15x), cache speed-up =
first / repeated (target >= 50x), and whether the texts are identical.

    .venv/bin/python benchmarks/core_overhead.py [--prompts 64] [--batch-size 16] [--max-tokens 32]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import torch

from bench.harness.backends.hf import HFBackend
from bench.harness.cache import RequestCache
from bench.harness.client import ModelClient
from bench.harness.requests import GenerationParams, Message

TOPICS = ["rivers", "prime numbers", "volcanoes", "chess", "bread", "comets", "bees", "bridges"]


def prompts(n: int) -> list[str]:
    return [f"In two sentences, tell me fact number {i} about {TOPICS[i % len(TOPICS)]}." for i in range(n)]


def raw_generate(backend: HFBackend, questions: list[str], batch_size: int, max_tokens: int) -> list[str]:
    tok, model = backend.tokenizer, backend.model
    tok.padding_side = "left"
    texts = []
    for start in range(0, len(questions), batch_size):
        chunk = questions[start : start + batch_size]
        rendered = [tok.apply_chat_template([{"role": "user", "content": q}], tokenize=False, add_generation_prompt=True) for q in chunk]
        enc = tok(rendered, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.inference_mode():
            out = model.generate(**enc, max_new_tokens=max_tokens, do_sample=False, pad_token_id=tok.pad_token_id,
                                 temperature=None, top_p=None, top_k=None)
        texts += tok.batch_decode(out[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    return texts


async def bench_generate(client: ModelClient, questions: list[str], max_tokens: int) -> list[str]:
    params = GenerationParams(max_tokens=max_tokens)
    answers = await asyncio.gather(*(client.chat([Message("user", q)], params) for q in questions))
    return [a.text for a in answers]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=32)
    args = parser.parse_args()
    backend = HFBackend("smollm2")
    questions = prompts(args.prompts)
    raw_generate(backend, questions[:2], 2, 4)  # warm-up

    start = time.perf_counter()
    raw = raw_generate(backend, questions, args.batch_size, args.max_tokens)
    raw_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        cache = RequestCache(Path(tmp) / "cache.sqlite")
        start = time.perf_counter()
        first = asyncio.run(bench_generate(ModelClient(backend, cache, args.batch_size), questions, args.max_tokens))
        bench_s = time.perf_counter() - start
        start = time.perf_counter()
        repeated = asyncio.run(bench_generate(ModelClient(backend, cache, args.batch_size), questions, args.max_tokens))
        repeated_s = time.perf_counter() - start

    same = sum(a.strip() == b.strip() for a, b in zip(raw, first))
    print(f"{args.prompts} chat prompts, batch {args.batch_size}, max_tokens {args.max_tokens}")
    print(f"{'run':24s} {'seconds':>8s}")
    print(f"{'raw model.generate':24s} {raw_s:8.2f}")
    print(f"{'bench client':24s} {bench_s:8.2f}")
    print(f"{'bench client, cached':24s} {repeated_s:8.3f}")
    print(f"overhead bench/raw: {bench_s / raw_s:.3f}x (target <= 1.15x)")
    print(f"cache speed-up first/repeated: {bench_s / repeated_s:.0f}x (target >= 50x), identical: {first == repeated}")
    print(f"texts equal to raw generate: {same}/{len(raw)}")


if __name__ == "__main__":
    main()
