"""The smallest complete task: multiple-choice capitals scored by log-likelihood.

docs/architecture.md walks through this file; tests/harness/test_example_task.py runs it on the
fake backend through the real CLI. Copy it to start a plugin: keep the class attributes, replace
the data, the request coroutine and the metric.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bench.harness.requests import RequestKind
from bench.harness.task import Summary, SummaryContext, Task, TaskContext
from bench.metrics.intervals import metric_value, proportion_estimate

# A real task ships its data in its folder with a SOURCE note (licence, sha256); six inline rows
# keep the example readable.
QUESTIONS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("France", ("Paris", "Lyon", "Nice"), 0),
    ("Japan", ("Osaka", "Tokyo", "Kyoto"), 1),
    ("Kenya", ("Mombasa", "Kisumu", "Nairobi"), 2),
    ("Canada", ("Ottawa", "Toronto", "Montreal"), 0),
    ("Peru", ("Cusco", "Lima", "Arequipa"), 1),
    ("Italy", ("Milan", "Naples", "Rome"), 2),
)


@dataclass(frozen=True)
class CapitalsConfig:
    """The task's knobs, set with `--task-args example_capitals.prompt_prefix=...`; all have defaults."""

    prompt_prefix: str = "The capital of"


class ExampleCapitalsTask(Task):
    # The class header (checked when the class is defined; see bench.harness.task.Task).
    name = "example_capitals"
    version = "1"  # bump when data, prompts or scoring change: the gate compares equal versions only
    config_class = CapitalsConfig
    request_kinds = frozenset({RequestKind.LOGLIKELIHOOD})
    headline_metric = "accuracy"
    description = "pick a country's capital among three by log-likelihood (example task)"
    metrics_version = "1"  # bump when summarize's arithmetic changes (`bench rescore` stamps it)

    async def run(self, ctx: TaskContext) -> list[dict[str, Any]]:
        """Ask the model; return one sample record per question (everything the metric needs)."""
        config: CapitalsConfig = ctx.config
        rows = QUESTIONS if ctx.limit is None else QUESTIONS[: ctx.limit]
        # `--shard i/n`: this run's part of the questions, after the limit, keyed by a stable id.
        rows = ctx.take_shard(rows, key=lambda row: row[0])
        ctx.progress.start(self.name, len(rows))
        # One coroutine per question, all awaited together: the model client batches their requests.
        return list(await asyncio.gather(*(self._question(ctx, config, i, row) for i, row in enumerate(rows))))

    def summarize(self, samples: list[dict[str, Any]], config: CapitalsConfig, ctx: SummaryContext) -> Summary:
        """Accuracy = mean of `correct` over the records, with a Wilson interval (none for n < 5).

        A pure function of the records as written to the samples file: `bench rescore` and
        `bench merge` call it on the records alone.
        """
        correct = sum(s["correct"] for s in samples)
        accuracy = metric_value("accuracy", proportion_estimate(correct, len(samples)), "higher", sample_field="correct")
        return Summary(metrics=[accuracy])

    async def _question(
        self, ctx: TaskContext, config: CapitalsConfig, index: int, row: tuple[str, tuple[str, ...], int]
    ) -> dict[str, Any]:
        country, choices, gold = row
        context = f"{config.prompt_prefix} {country} is"
        answers = await asyncio.gather(*(ctx.model.loglikelihood(context, f" {c}") for c in choices))
        picked = max(range(len(choices)), key=lambda i: answers[i].logprob)
        ctx.progress.advance(self.name)
        # Every sample record has a unique "id"; `correct` is the field the accuracy averages.
        return {"id": country, "picked": choices[picked], "gold": choices[gold], "correct": float(picked == gold)}
