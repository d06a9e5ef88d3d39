"""A multi-turn arithmetic dialogue task used by the core's tests and the batching benchmark.

Each episode is one conversation of `turns` sequential chat turns: the model is asked to add two
numbers, its reply is appended to the history, and the next question follows. Every turn depends
on the previous answer being in the history, so episodes are sequential inside and independent of
each other: exactly the shape of a game played by an LLM player.
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass
from typing import Any

from bench.harness.requests import GenerationParams, Message, RequestKind
from bench.harness.task import Summary, SummaryContext, Task, TaskContext
from bench.metrics.intervals import metric_value, proportion_estimate


@dataclass(frozen=True)
class DialogueConfig:
    episodes: int = 4
    turns: int = 3
    max_tokens: int = 12


class ArithmeticDialogueTask(Task):
    name = "arithmetic_dialogue"
    version = "1"
    config_class = DialogueConfig
    request_kinds = frozenset({RequestKind.CHAT})
    headline_metric = "accuracy"
    description = "multi-turn addition questions in one conversation per episode"

    async def run(self, ctx: TaskContext) -> list[dict[str, Any]]:
        config: DialogueConfig = ctx.config
        episodes = config.episodes if ctx.limit is None else min(config.episodes, ctx.limit)
        chosen = ctx.take_shard(list(range(episodes)), key=str)
        ctx.progress.start(self.name, len(chosen) * config.turns)
        results = await asyncio.gather(*(self._episode(ctx, e, random.Random(ctx.seed * 1000 + e)) for e in chosen))
        return [s for episode in results for s in episode]

    def summarize(self, samples: list[dict[str, Any]], config: DialogueConfig, ctx: SummaryContext) -> Summary:
        correct = sum(int(s["correct"]) for s in samples)
        # Turns of one episode are not independent, but this test task keeps the simple proportion.
        return Summary([metric_value("accuracy", proportion_estimate(correct, len(samples)), "higher", sample_field="correct")])

    async def _episode(self, ctx: TaskContext, episode: int, rng: random.Random) -> list[dict]:
        config: DialogueConfig = ctx.config
        history: list[Message] = []
        samples = []
        for turn in range(config.turns):
            a, b = rng.randint(1, 20), rng.randint(1, 20)
            history.append(Message("user", f"What is {a} + {b}? Answer with the number only."))
            answer = await ctx.model.chat(history, GenerationParams(max_tokens=config.max_tokens))
            history.append(Message("assistant", answer.text))
            numbers = re.findall(r"-?\d+", answer.text)
            samples.append(
                {"id": f"e{episode}/t{turn}", "a": a, "b": b, "reply": answer.text,
                 "correct": float(bool(numbers) and int(numbers[-1]) == a + b)}
            )
            ctx.progress.advance(self.name)
        return samples
