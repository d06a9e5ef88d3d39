"""UNO answer modes: LLM decisions per second on the embedded model, free vs constrained vs choose.

Same model (the embedded SmolLM2-135M-Instruct on the hf backend), same 16 games (seeds) played
concurrently against the random policy, greedy decoding, no request cache; each mode gets a fresh
model client and an empty prefix store. Games are capped at `--max-turns` turns so a run is short.

- free: plain generation of the JSON answer (the paper's protocol), `--max-tokens` tokens at most,
  `--max-retries` correction turns, then the recorded random fallback;
- constrained: generation under the answer's JSON schema (free text <= `--thoughts-max-chars`);
- choose: every legal answer scored by log-likelihood, the most likely played (no generation).

The modes run interleaved (free, constrained, choose, free, ...) `--runs` times; the table gives
the median and range of decisions/s and of CPU seconds per decision (process time: every thread),
and the fallback rate of each mode (identical across runs: greedy decoding). The load average
before and after is printed; compare figures only from one machine and one load.

    .venv/bin/python benchmarks/uno_answer_modes.py [--games 16] [--max-turns 8] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import time

import torch
from bench.arenas.uno.answer_modes import ANSWER_MODES, FRAME_TOKENS
from bench.arenas.uno.llm_player import LLMDecision, LLMPlayer
from bench.arenas.uno.match import play_game
from bench.arenas.uno.players import RandomPlayer
from bench.arenas.uno.rules import UnoRules
from bench.harness.backends.hf import HFBackend
from bench.harness.choosing import choose
from bench.harness.client import ModelClient


async def play(backend: HFBackend, mode: str, args: argparse.Namespace) -> list[LLMDecision]:
    client = ModelClient(backend, max_batch_size=args.games)
    max_tokens = args.max_tokens if mode == "free" else max(args.max_tokens, args.thoughts_max_chars + FRAME_TOKENS)
    player = LLMPlayer(
        client, max_tokens=max_tokens, max_retries=args.max_retries, history_window=args.history_window,
        answer_mode=mode, chooser=functools.partial(choose, client) if mode == "choose" else None,
        thoughts_max_chars=args.thoughts_max_chars, keep_conversations=False,
    )
    rules = UnoRules(max_turns=args.max_turns)
    games = await asyncio.gather(
        *(play_game(rules, seed, [player, RandomPlayer()], first_player=seed % 2) for seed in range(args.games))
    )
    await client.aclose()
    return [point.decision for game in games for point in game.decisions]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=16)
    parser.add_argument("--max-turns", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--max-retries", type=int, default=2)
    parser.add_argument("--thoughts-max-chars", type=int, default=80)
    parser.add_argument("--history-window", type=int, default=20)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; torch threads {torch.get_num_threads()}")
    backend = HFBackend("smollm2")
    rates: dict[str, list[float]] = {m: [] for m in ANSWER_MODES}
    cpu: dict[str, list[float]] = {m: [] for m in ANSWER_MODES}
    counts: dict[str, tuple[int, int]] = {}
    for _ in range(args.runs):
        for mode in ANSWER_MODES:
            if backend.prefix_store is not None:
                backend.prefix_store.clear()
            wall, process = time.perf_counter(), time.process_time()
            decisions = asyncio.run(play(backend, mode, args))
            wall, process = time.perf_counter() - wall, time.process_time() - process
            rates[mode].append(len(decisions) / wall)
            cpu[mode].append(process / len(decisions))
            counts[mode] = (len(decisions), sum(d.fallback for d in decisions))
            print(f"  run {len(rates[mode])} {mode:<12} {len(decisions):>4} decisions  {wall:7.1f} s wall  "
                  f"{process:7.1f} s CPU", flush=True)
    print(f"{args.games} concurrent games, max {args.max_turns} turns, {args.runs} interleaved runs per mode")
    print(f"{'mode':<12} {'decisions':>9} {'decisions/s median [range]':>30} {'CPU s/decision median [range]':>32} "
          f"{'fallback rate':>13}")
    for mode in ANSWER_MODES:
        n, fallbacks = counts[mode]
        r, c = rates[mode], cpu[mode]
        print(f"{mode:<12} {n:>9} {statistics.median(r):>12.3f} [{min(r):.3f}-{max(r):.3f}]{'':>3} "
              f"{statistics.median(c):>14.2f} [{min(c):.2f}-{max(c):.2f}]{'':>3} {fallbacks / n:>13.1%}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
