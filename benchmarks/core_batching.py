"""Batching benchmark: N concurrent multi-turn episodes through the model client vs one request at a time.

Each episode is a conversation of T sequential chat turns (the shape of an LLM playing a game).
"batched": all episodes run concurrently and the client gathers each turn of every episode into
one batch. "sequential": the same episodes, one request at a time. Same model, same run, no
cache. Prints decisions/s for both and the ratio (target >= 8x with 16 episodes on 2 CPU cores).

    .venv/bin/python benchmarks/core_batching.py [--episodes 16] [--turns 8] [--max-tokens 16]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench.harness.backends.hf import HFBackend
from bench.harness.client import ModelClient
from bench.harness.requests import GenerationParams, Message


async def episode(client: ModelClient, index: int, turns: int, params: GenerationParams) -> list[str]:
    history = [Message("user", f"Let's play a number game. Say a number between {index} and {index + 10}.")]
    replies = []
    for turn in range(turns):
        answer = await client.chat(history, params)
        replies.append(answer.text)
        history += [Message("assistant", answer.text), Message("user", f"Turn {turn + 1}: now say a bigger number.")]
    return replies


async def run_batched(backend: HFBackend, episodes: int, turns: int, params: GenerationParams) -> list[list[str]]:
    client = ModelClient(backend, max_batch_size=episodes)
    return list(await asyncio.gather(*(episode(client, i, turns, params) for i in range(episodes))))


async def run_sequential(backend: HFBackend, episodes: int, turns: int, params: GenerationParams) -> list[list[str]]:
    client = ModelClient(backend, max_batch_size=1)
    return [await episode(client, i, turns, params) for i in range(episodes)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=16)
    parser.add_argument("--turns", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=16)
    args = parser.parse_args()
    backend = HFBackend("smollm2")
    params = GenerationParams(max_tokens=args.max_tokens)
    decisions = args.episodes * args.turns
    asyncio.run(run_batched(backend, 2, 1, params))  # warm-up

    if backend.prefix_store is not None:
        backend.prefix_store.clear()
    start = time.perf_counter()
    batched = asyncio.run(run_batched(backend, args.episodes, args.turns, params))
    batched_s = time.perf_counter() - start
    if backend.prefix_store is not None:  # each mode starts without the other's reusable prefixes
        backend.prefix_store.clear()
    start = time.perf_counter()
    sequential = asyncio.run(run_sequential(backend, args.episodes, args.turns, params))
    sequential_s = time.perf_counter() - start

    print(f"{args.episodes} episodes x {args.turns} turns = {decisions} chat decisions, max_tokens={args.max_tokens}")
    print(f"{'mode':12s} {'seconds':>8s} {'decisions/s':>12s}")
    print(f"{'sequential':12s} {sequential_s:8.1f} {decisions / sequential_s:12.2f}")
    print(f"{'batched':12s} {batched_s:8.1f} {decisions / batched_s:12.2f}")
    print(f"ratio batched/sequential: {sequential_s / batched_s:.2f}x (target >= 8x)")
    print(f"identical transcripts: {batched == sequential}")


if __name__ == "__main__":
    main()
