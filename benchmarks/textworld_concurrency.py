"""TextWorld concurrency benchmark: steps/s with 16 concurrent episodes vs one episode at a time.

Same games (the first --games L1 test-split cooking games, generated offline into the games
cache as the tasks do), same agent (the plain agent, `LLMPolicy` as `textworld_tips_*` build it,
in each --modes choice mode: `loglikelihood` ranks the admissible commands, per-token mean;
`constrained` decodes under a choice grammar over them; `free` generates a command), same model
(the embedded SmolLM2-135M-Instruct on the hf backend, or vLLM with `--backend vllm`), same
episode code (`run_episode`), `--max-steps` commands per episode. No request cache: each run gets
a fresh `ModelClient(backend, cache=None)` with the backend's batch size on both sides, and the hf
prefix KV store (or vLLM's prefix cache) is emptied before every run, so no run reuses another's
work (within a run, each episode's step reuses the KV of the prompt prefix its previous step
computed, on both sides).

    concurrent  all episodes are coroutines gathered at once (what the tasks do): every step's
                requests from every episode meet in the client's batches
    sequential  the same episodes one after another (one step's candidates still go as one
                batch: `choose` gathers them); `--sequential-games N` plays only the first N
                (steps/s is a rate, so a subset keeps the run short)

Why the ratio stays near 1x on a CPU (numbers in tasks/textworld/README.md, "Speed"): a batch
amortises what a forward costs whatever its size (reading the weights, Python and kernel
launches), which dominates only when a forward has few new tokens per row (a decode step). Every
step of every mode first prefills its prompt's new part — the new observation, the inventory,
the admissible commands, and in `loglikelihood` mode the candidates too: a few hundred tokens per
step even with the previous step's prefix reused (the run prints them) — and prefill is
compute-bound: on this CPU it costs the same CPU time per token at any batch size
(`--forward-costs` prints the model's forward time by rows x new tokens). The commands the agent
decodes (`constrained`, `free`) are a few tokens, so the part that batching speeds up is a small
share of a step. The CPU seconds per step, equal on both sides, show it whatever the load.

Runs alternate between the sides (--runs each per mode, the order flipped every run) after one
warm-up episode; prints steps, wall and CPU seconds (this process and its children: vLLM's engine
core) per run, the work per step (hf: scoring forwards and tokens, generation prompt tokens
prefilled and reused; vllm: scored prompt tokens served from its prefix cache), per mode the
median and range of steps/s and of CPU seconds per step per side and both ratios (goal >= 8x on
this CPU with hf), whether both sides played the same commands, and the load average.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/textworld_concurrency.py [--backend hf|vllm]
        [--modes loglikelihood,constrained,free] [--games 16] [--sequential-games N]
        [--max-steps 5] [--runs 3] [--block-size 32 (vllm)]
    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/textworld_concurrency.py --forward-costs
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import time
from dataclasses import dataclass
from typing import Any

import psutil
from bench.arenas.textworld.agents import CHOICE_MODES, AgentSettings, ChoiceMode, LLMPolicy
from bench.arenas.textworld.episode import Episode, run_episode
from bench.arenas.textworld.games import GameInfo, default_games_dir, ensure_games, game_set
from bench.harness.choosing import choose
from bench.harness.client import ModelClient


@dataclass(frozen=True)
class Run:
    side: str
    mode: ChoiceMode
    steps: int
    wall_s: float
    cpu_s: float
    commands: dict[str, tuple[str, ...]]  # game path -> the commands sent
    work: str  # the model work per step (describe_work)

    @property
    def steps_per_s(self) -> float:
        return self.steps / self.wall_s

    @property
    def cpu_per_step(self) -> float:
        return self.cpu_s / self.steps


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its live children (vLLM's engine core)."""
    me = psutil.Process()
    total = 0.0
    for proc in [me, *me.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def open_backend(name: str, block_size: int = 0) -> Any:
    if name == "hf":
        from bench.harness.backends.hf import HFBackend

        return HFBackend("smollm2")
    from bench.harness.backends.vllm import VLLMBackend

    return VLLMBackend("smollm2", {"dtype": "float32", "kv_cache_gb": 1, **({"block_size": block_size} if block_size else {})})


async def forget_prefixes(backend: Any) -> None:
    """Empty the backend's prefix KV cache so a run reuses nothing from the one before."""
    store = getattr(backend, "prefix_store", None)
    if store is not None:
        store.clear()
    engine = getattr(backend, "_engine", None)
    if engine is not None and hasattr(engine, "reset_prefix_cache"):
        await engine.reset_prefix_cache()


async def play(backend: Any, games: list[GameInfo], concurrent: bool, max_steps: int, mode: ChoiceMode) -> list[Episode]:
    """The plain agent on `games`, built as the tasks build it (tasks/textworld/task.py _Session)."""
    client = ModelClient(backend, cache=None)
    chooser = functools.partial(choose, client, normalize="mean")
    settings = AgentSettings(choice_mode=mode)

    def episode(game: GameInfo):  # type: ignore[no-untyped-def]
        return run_episode(game.path, LLMPolicy(client, chooser, settings), max_steps)  # type: ignore[arg-type]

    try:
        if concurrent:
            return list(await asyncio.gather(*(episode(g) for g in games)))
        return [await episode(g) for g in games]
    finally:
        await client.aclose()


def work_counters(backend: Any) -> tuple[int, ...]:
    """hf: (scorer forwards, scorer tokens run, prompt tokens prefilled, prompt tokens reused) so far;
    vllm: (prompt tokens of scored requests served from the prefix cache, requests run again)."""
    scorer, store = getattr(backend, "loglikelihood_scorer", None), getattr(backend, "prefix_store", None)
    if scorer is not None and store is not None:
        return scorer.forwards, scorer.tokens_run, store.prefilled_tokens, store.reused_tokens
    return getattr(backend, "loglikelihood_cached_tokens", 0), getattr(backend, "loglikelihood_cache_reruns", 0)


def describe_work(before: tuple[int, ...], after: tuple[int, ...], steps: int) -> str:
    d = [(a - b) / steps for a, b in zip(after, before)]
    if len(d) == 4:
        return (f"  per step: scoring {d[0]:.1f} forwards / {d[1]:,.0f} tokens; "
                f"generation prompts {d[2]:,.0f} tokens prefilled, {d[3]:,.0f} reused")  # fmt: skip
    return f"  per step: {d[0]:,.0f} scored prompt tokens from the prefix cache, {d[1]:.2f} reruns"


async def timed(backend: Any, side: str, games: list[GameInfo], max_steps: int, mode: ChoiceMode) -> Run:
    await forget_prefixes(backend)
    before = work_counters(backend)
    start, cpu_start = time.perf_counter(), cpu_seconds()
    episodes = await play(backend, games, side == "concurrent", max_steps, mode)
    wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    commands = {e.game_path: tuple(t.command for t in e.transitions) for e in episodes}
    steps = sum(e.steps for e in episodes)
    return Run(side, mode, steps, wall, cpu, commands, describe_work(before, work_counters(backend), steps))


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f} [{min(values):.2f}-{max(values):.2f}]"


async def measure(args: argparse.Namespace, games: list[GameInfo], modes: list[ChoiceMode]) -> list[Run]:
    backend = open_backend(args.backend, args.block_size)
    try:
        await play(backend, games[:1], True, 2, "loglikelihood")  # warm-up: load the model, first batch
        runs: list[Run] = []
        for mode in modes:
            for i in range(args.runs):
                for side in ("concurrent", "sequential") if i % 2 == 0 else ("sequential", "concurrent"):
                    chosen = games if side == "concurrent" else games[: args.sequential_games or len(games)]
                    run = await timed(backend, side, chosen, args.max_steps, mode)
                    runs.append(run)
                    print(f"{mode:<13} run {i + 1} {side:<10} {run.steps:>4} steps  wall {run.wall_s:7.1f} s  cpu {run.cpu_s:7.1f} s  "
                          f"{run.steps_per_s:6.2f} steps/s  load {os.getloadavg()[0]:.2f}{run.work}", flush=True)  # fmt: skip
        return runs
    finally:
        if hasattr(backend, "aclose"):
            await backend.aclose()


FORWARD_SHAPES = ((1, 1), (16, 1), (1, 16), (16, 16), (1, 256), (4, 256))  # (rows, new tokens per row)


def forward_costs(shapes: tuple[tuple[int, int], ...] = FORWARD_SHAPES, prefix: int = 400) -> None:
    """What a batch can amortise on this CPU: the embedded model's forward time (wall and CPU, median
    of 3) for `rows` rows of `new` tokens each on top of a `prefix`-token KV cache per row (a
    decode step is new=1; prefilling a step's prompt delta is new ~ 100-400). Per-token cost that
    falls with rows x new means per-forward overhead (weight reads, Python) that batching shares;
    a flat per-token cost means compute-bound work that 16 episodes only queue."""
    import torch
    from bench.harness.backends.hf import HFBackend
    from transformers import DynamicCache

    model = HFBackend("smollm2").model
    print(f"forward cost, SmolLM2-135M fp32, {torch.get_num_threads()} threads, KV prefix {prefix} tokens per row, "
          f"median of 3 (load {os.getloadavg()[0]:.2f})")  # fmt: skip
    generator = torch.Generator().manual_seed(0)
    for rows, new in shapes:
        ids = torch.randint(100, 20000, (rows, prefix + new), generator=generator)
        walls, cpus = [], []
        with torch.inference_mode():
            cache = DynamicCache()
            model(input_ids=ids[:, :prefix], past_key_values=cache, use_cache=True)
            for _ in range(3):
                if cache.get_seq_length() > prefix:
                    cache.crop(-new)  # back to the prefix
                start, cpu_start = time.perf_counter(), time.process_time()
                model(input_ids=ids[:, prefix:], past_key_values=cache, use_cache=True, logits_to_keep=1)
                walls.append(time.perf_counter() - start)
                cpus.append(time.process_time() - cpu_start)
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(f"  rows {rows:>3} x new tokens {new:>4}: wall {wall * 1000:8.1f} ms, cpu {cpu * 1000:8.1f} ms per forward;"
              f" cpu {cpu * 1000 / (rows * new):7.2f} ms per token  (load {os.getloadavg()[0]:.2f})", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("hf", "vllm"), default="hf")
    parser.add_argument("--modes", default="loglikelihood,constrained,free",
                        help=f"comma-separated agent choice modes ({', '.join(CHOICE_MODES)})")
    parser.add_argument("--games", type=int, default=16, help="L1 test games = concurrent episodes")
    parser.add_argument("--sequential-games", type=int, default=0,
                        help="play only the first N games one at a time (a rate: a subset keeps the run short; 0 = all)")
    parser.add_argument("--max-steps", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3, help="runs per side and mode (>= 3 for a median and range)")
    parser.add_argument("--block-size", type=int, default=0, help="vllm: KV block size (0 = vLLM's default, 128 on CPU)")
    parser.add_argument("--forward-costs", action="store_true",
                        help="only print the hf model's forward cost by rows x new tokens (why a batch pays or not)")
    args = parser.parse_args()
    if args.forward_costs:
        forward_costs()
        return
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in CHOICE_MODES]
    if unknown or not modes:
        parser.error(f"--modes: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(CHOICE_MODES)}")
    games = ensure_games(game_set([1], "test", args.games, 1), default_games_dir())
    load_before = os.getloadavg()
    print(f"backend {args.backend}, {args.games} L1 games ({args.sequential_games or args.games} one at a time), "
          f"max_steps {args.max_steps}, plain agent, modes {', '.join(modes)}, {args.runs} runs per side and mode, "
          f"{os.cpu_count()} CPUs, load {load_before[0]:.2f}")  # fmt: skip
    runs = asyncio.run(measure(args, games, modes))  # type: ignore[arg-type]
    load_after = os.getloadavg()
    for mode in modes:
        rates: dict[str, list[float]] = {}
        cpu: dict[str, list[float]] = {}
        for side in ("concurrent", "sequential"):
            mine = [r for r in runs if r.side == side and r.mode == mode]
            rates[side], cpu[side] = [r.steps_per_s for r in mine], [r.cpu_per_step for r in mine]
            print(f"{mode:<13} {side:<10} steps/s {summary(rates[side])}  wall s {summary([r.wall_s for r in mine])}  "
                  f"cpu s per step {summary(cpu[side])}")  # fmt: skip
        ratio = statistics.median(rates["concurrent"]) / statistics.median(rates["sequential"])
        cpu_ratio = statistics.median(cpu["sequential"]) / statistics.median(cpu["concurrent"])
        print(f"{mode:<13} speed-up concurrent/sequential: {ratio:.2f}x steps/s (ratio of medians; goal >= 8x with hf), "
              f"{cpu_ratio:.2f}x CPU seconds per step")  # fmt: skip
    played: dict[tuple[str, str], set[tuple[str, ...]]] = {}
    for run in runs:
        for game, commands in run.commands.items():
            played.setdefault((run.mode, game), set()).add(commands)
    differ = sum(len(v) > 1 for v in played.values())
    print(f"commands played per game and mode: {'identical in every run and side' if not differ else f'{differ} differ'}")
    print(f"load average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
          f"after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
