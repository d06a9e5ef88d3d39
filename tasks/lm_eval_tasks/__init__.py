"""Task `lm_eval`: any lm-evaluation-harness task, run through bench's backends, cache and results.

    bench eval --tasks lm_eval --task-args lm_eval.tasks=hellaswag|arc_easy --limit 100
    bench eval --tasks lm_eval --task-args lm_eval.tasks=my_task,lm_eval.include_path=./my_tasks

lm-eval defines the task (data, prompts, few-shot, filters, metrics, stderr); bench supplies the
model through `BenchLM` (harness/lm_eval_bridge.py), so the requests are batched with the other
tasks of the run and cached. `run` keeps one record per document with each metric's value and
aggregation; `summarize` applies lm-eval's aggregation and stderr functions to them, so
`bench rescore` and `bench merge` recompute lm-eval's numbers. `--shard i/n` partitions the
documents: every document up to `--limit` is still walked, so few-shot prompts are the
unsharded run's, but only the shard's documents reach the model. Hub datasets need network access: offline, a hub-backed task fails
with one line naming it, and tasks defined on local files (`dataset_path: json`, `data_files`)
run anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.harness.errors import ConfigError, DataError
from bench.harness.requests import RequestKind
from bench.harness.task import Summary, SummaryContext, Task, TaskContext


@dataclass(frozen=True)
class LmEvalConfig:
    tasks: tuple[str, ...] = ()
    include_path: str = ""
    num_fewshot: int | None = None
    bootstrap_iters: int = 1000


class LmEvalTask(Task):
    name = "lm_eval"
    version = "1"
    # 2: metrics recomputed from the per-document records with lm-eval's own aggregation and
    # stderr functions (summarize), instead of copied from lm-eval's results.
    metrics_version = "2"
    config_class = LmEvalConfig
    request_kinds = frozenset({RequestKind.LOGLIKELIHOOD, RequestKind.COMPLETION})
    headline_metric = ""
    in_all = False  # needs --task-args lm_eval.tasks=...; not part of `--tasks all`
    description = "any lm-evaluation-harness task through bench's backends (task-args: lm_eval.tasks=a|b)"

    async def run(self, ctx: TaskContext) -> list[dict[str, Any]]:
        """One record per (lm-eval task, document): each metric's per-document value, with the
        aggregation that turns the values into the metric and whether higher is better."""
        from bench.harness.lm_eval_bridge import run_lm_eval

        config: LmEvalConfig = ctx.config
        if not config.tasks:
            raise ConfigError("task 'lm_eval' needs --task-args lm_eval.tasks=name1|name2 (lm-eval task names)")
        ctx.progress.start(self.name, None)
        return await run_lm_eval(ctx, list(config.tasks), include_path=config.include_path or None,
                                 num_fewshot=config.num_fewshot, bootstrap_iters=config.bootstrap_iters)

    def summarize(self, samples: list[dict[str, Any]], config: LmEvalConfig, ctx: SummaryContext) -> Summary:
        """Each metric = lm-eval's aggregation of the documents' values (mean, perplexity, bleu...),
        its stderr lm-eval's (closed form for means, bootstrap for the others), as lm-eval computes them."""
        from bench.harness.lm_eval_bridge import lm_eval_metrics

        metrics, skipped = lm_eval_metrics(samples, config.bootstrap_iters)
        if not metrics:
            raise DataError("lm-eval produced no metrics that can be recomputed from the sample records")
        versions = samples[0].get("lm_eval_version", {}) if samples else {}
        return Summary(metrics=metrics, extra={"lm_eval_versions": versions, "metrics_not_recomputable": skipped})
