"""Batched play benchmark: LLM decisions/s with 16 concurrent UNO games vs one game at a time.

Same model (the embedded SmolLM2-135M-Instruct on the hf backend), same games (seeds), greedy
decoding, no cache. "batched": all games are coroutines gathered at once, so the model client
cuts one batch from the decisions every waiting game has made (max batch = number of games).
"sequential": the first `--sequential-games` of the same games, one after another, batch size 1
(a rate, so a subset is a fair sample and keeps the run short). Games are capped at
`--max-turns` turns (rules.max_turns) so both modes finish quickly. Target: >= 8x on 2 CPU cores.

On a CPU, prefill is compute-bound and costs the same per token at any batch size; batching only
amortises the decode steps. Each UNO decision brings a few hundred fresh prompt tokens (state,
history window, hand) after the shared system prompt, so the reachable speed-up is bounded by
that prefill; the run prints how many prompt tokens the prefix cache reused.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/uno_batched_play.py [--games 16] [--max-tokens 24]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench.arenas.uno.llm_player import LLMPlayer
from bench.arenas.uno.match import GameResult, play_game
from bench.arenas.uno.players import RandomPlayer
from bench.arenas.uno.rules import UnoRules
from bench.harness.backends.hf import HFBackend
from bench.harness.client import ModelClient


async def play(backend: HFBackend, seeds: list[int], concurrent: bool, args: argparse.Namespace) -> list[GameResult]:
    client = ModelClient(backend, max_batch_size=len(seeds) if concurrent else 1)
    player = LLMPlayer(client, max_tokens=args.max_tokens, max_retries=0, history_window=args.history_window)
    rules = UnoRules(max_turns=args.max_turns)

    def game(seed: int):  # type: ignore[no-untyped-def]
        return play_game(rules, seed, [player, RandomPlayer()], first_player=seed % 2)

    if concurrent:
        return list(await asyncio.gather(*(game(s) for s in seeds)))
    return [await game(s) for s in seeds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=16)
    parser.add_argument("--sequential-games", type=int, default=4)
    parser.add_argument("--max-turns", type=int, default=30)
    parser.add_argument("--max-tokens", type=int, default=24)
    parser.add_argument("--history-window", type=int, default=8)
    args = parser.parse_args()
    backend = HFBackend("smollm2")
    seeds = list(range(args.games))
    asyncio.run(play(backend, [1000], True, args))  # warm-up

    results = {}
    for mode, concurrent, chosen in (("batched", True, seeds), ("sequential", False, seeds[: args.sequential_games])):
        if backend.prefix_store is not None:
            backend.prefix_store.clear()
        start = time.perf_counter()
        games = asyncio.run(play(backend, chosen, concurrent, args))
        seconds = time.perf_counter() - start
        decisions = sum(len(g.decisions) for g in games)
        results[mode] = decisions / seconds
        reuse = ""
        if backend.prefix_store is not None:
            store = backend.prefix_store
            reuse = f"  prompt tokens reused/prefilled {store.reused_tokens:,}/{store.prefilled_tokens:,}"
            store.reused_tokens = store.prefilled_tokens = 0
        print(f"{mode:<10} {len(chosen):>3} games  {decisions:>4} decisions  {seconds:7.1f} s  "
              f"{decisions / seconds:7.2f} decisions/s{reuse}")
    print(f"speed-up: {results['batched'] / results['sequential']:.1f}x (target >= 8x with 16 games)")


if __name__ == "__main__":
    main()
