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

import asyncio
from dataclasses import dataclass
from typing import Any

from bench.harness.errors import ConfigError, DataError
from bench.harness.requests import RequestKind
from bench.harness.results import json_safe
from bench.harness.task import MetricValue, Summary, SummaryContext, Task, TaskContext


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
        config: LmEvalConfig = ctx.config
        if not config.tasks:
            raise ConfigError("task 'lm_eval' needs --task-args lm_eval.tasks=name1|name2 (lm-eval task names)")
        ctx.progress.start(self.name, None)
        return await run_lm_eval(ctx, list(config.tasks), include_path=config.include_path or None,
                                 num_fewshot=config.num_fewshot, bootstrap_iters=config.bootstrap_iters)

    def summarize(self, samples: list[dict[str, Any]], config: LmEvalConfig, ctx: SummaryContext) -> Summary:
        """Each metric = lm-eval's aggregation of the documents' values (mean, perplexity, bleu...),
        its stderr lm-eval's (closed form for means, bootstrap for the others), as lm-eval computes them."""
        metrics, skipped = lm_eval_metrics(samples, config.bootstrap_iters)
        if not metrics:
            raise DataError("lm-eval produced no metrics that can be recomputed from the sample records")
        versions = samples[0].get("lm_eval_version", {}) if samples else {}
        return Summary(metrics=metrics, extra={"lm_eval_versions": versions, "metrics_not_recomputable": skipped})


async def run_lm_eval(ctx: TaskContext, specs: list[Any], *, include_path: str | None = None,
                      num_fewshot: int | None = None, bootstrap_iters: int = 0,
                      observe: Any = None) -> list[dict[str, Any]]:
    """Run lm-eval task `specs` (names or inline config dicts) through bench's model; the records.

    The first `ctx.limit` documents of each task are walked in order (so few-shot prompts are the
    unsharded run's); under `--shard` only this shard's documents are sent to the model and kept.
    `observe(instance, request, answer)` sees every answered request (BenchLM)."""
    from bench.harness.lm_eval_bridge import BenchLM

    loop = asyncio.get_running_loop()

    def evaluate() -> tuple[dict[str, Any], dict[str, set[int]] | None]:
        from lm_eval.tasks import TaskManager

        manager = TaskManager(include_path=include_path,
                              include_defaults=not all(isinstance(s, dict) for s in specs))
        try:
            tasks = list(manager.load(specs)["tasks"].items())
            selection = _shard_selection(tasks, num_fewshot, ctx) if ctx.shard is not None else None
            answered = None if selection is None else (lambda task, doc: doc in selection.get(task, ()))
            lm = BenchLM(ctx.model, loop, answered=answered, observe=observe)
            return _simple_evaluate(lm, [task for _, task in tasks], num_fewshot, bootstrap_iters, ctx), selection
        except ConfigError:
            raise
        except Exception as exc:  # lm-eval raises many types for missing tasks and unreachable datasets
            names = [s if isinstance(s, str) else s.get("task") for s in specs]
            first_line = (str(exc).strip().splitlines() or [""])[0][:300]
            raise DataError(f"lm-eval could not run {names}: {type(exc).__name__}: {first_line}") from exc

    results, selection = await asyncio.to_thread(evaluate)
    records = _records(results, ctx.log_samples)
    if selection is not None:
        records = [r for r in records if r["doc_id"] in selection.get(r["task"], ())]
    return records


def lm_eval_metrics(samples: list[dict[str, Any]], bootstrap_iters: int) -> tuple[list[MetricValue], list[str]]:
    """(metrics recomputed from the records with lm-eval's aggregation and stderr, names that cannot be)."""
    import lm_eval.api.metrics  # noqa: F401 - registers the aggregations
    from lm_eval.api.metrics import stderr_for_metric
    from lm_eval.api.registry import get_aggregation

    metrics: list[MetricValue] = []
    skipped: list[str] = []
    described: dict[str, tuple[str | None, bool | None]] = {}
    for record in samples:
        for name, (aggregation, higher) in record["aggregation"].items():
            described.setdefault(name, (aggregation, higher))
    for name, (aggregation, higher) in sorted(described.items()):
        if aggregation is None:
            skipped.append(name)  # a custom aggregation function lm-eval cannot name
            continue
        values = [r[name] for r in samples if name in r]
        agg = get_aggregation(aggregation)
        value = agg(values)
        task_name, metric = name.split("/", 1)
        iters = min(bootstrap_iters, 100) if metric.split(",")[0] in ("bleu", "chrf", "chrf++", "ter") else bootstrap_iters
        stderr_fn = stderr_for_metric(agg, iters) if iters > 0 else None
        stderr = stderr_fn(values) if stderr_fn is not None and len(values) > 1 else None
        direction = {True: "higher", False: "lower"}.get(higher, "none")  # type: ignore[arg-type]
        numeric = all(isinstance(v, (int, float)) for v in values)
        metrics.append(MetricValue(
            name, float(value), direction, len(values),  # type: ignore[arg-type]
            stderr=float(stderr) if isinstance(stderr, (int, float)) else None,
            sample_field=name if aggregation == "mean" and numeric else None,
            description=f"lm-eval {task_name} {metric} ({aggregation} over documents)",
        ))
    return metrics, skipped


def _simple_evaluate(lm: Any, tasks: list[Any], num_fewshot: int | None, bootstrap_iters: int,
                     ctx: TaskContext) -> dict[str, Any]:
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    seed = ctx.seed
    results = simple_evaluate(
        model=lm, tasks=tasks, num_fewshot=num_fewshot, limit=ctx.limit, task_manager=TaskManager(include_defaults=False),
        log_samples=True, bootstrap_iters=bootstrap_iters, random_seed=seed, numpy_random_seed=seed,
        torch_random_seed=seed, fewshot_random_seed=seed,
    )
    if results is None:
        raise DataError("lm-eval returned no results")
    return dict(results)


def _shard_selection(tasks: list[tuple[str, Any]], num_fewshot: int | None, ctx: TaskContext) -> dict[str, set[int]]:
    """This shard's document indices of every lm-eval task (the first `limit` documents, partitioned).

    Every document up to `limit` is still walked by lm-eval (its few-shot sampler draws
    demonstrations from one random stream in document order); only these are sent to the model.
    """
    selection: dict[str, set[int]] = {}
    for name, task in tasks:
        count = len(list(task.eval_docs))
        indices = list(range(count if ctx.limit is None else min(ctx.limit, count)))
        selection[name] = set(ctx.take_shard(indices, key=lambda i, name=name: f"{name}/{i}"))  # type: ignore[misc]
    return selection


def _aggregation_name(entry: Any, metric: str) -> str | None:
    """The registered name of a metric's aggregation (from the task's metric_list, else lm-eval's default)."""
    import lm_eval.api.metrics  # noqa: F401 - registers the aggregations
    from lm_eval.api.registry import AGGREGATION_REGISTRY, get_metric_aggregation

    named = entry.get("aggregation") if isinstance(entry, dict) else None
    if isinstance(named, str) and named in AGGREGATION_REGISTRY:
        return named
    if named is not None:
        return None  # a custom function
    try:
        function = get_metric_aggregation(metric)
    except KeyError:
        function = None
    if function is None:
        return "mean"  # lm-eval's own fallback for a metric without an aggregation ("Using mean")
    return next((name for name in AGGREGATION_REGISTRY if AGGREGATION_REGISTRY.get(name) is function), None)


def _records(results: dict[str, Any], log_samples: bool) -> list[dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    for task_name, logged in results.get("samples", {}).items():
        config = results.get("configs", {}).get(task_name, {})
        metric_list = {e.get("metric"): e for e in config.get("metric_list") or [] if isinstance(e, dict)}
        better = results.get("higher_is_better", {}).get(task_name, {})
        version = results.get("versions", {}).get(task_name)
        for entry in logged:
            key = f"{task_name}/{entry['doc_id']}"
            record = records.setdefault(key, {
                "id": key, "task": task_name, "doc_id": entry["doc_id"], "aggregation": {},
                "lm_eval_version": {task_name: version},
            })
            filter_name = entry.get("filter", "none")
            for metric in entry.get("metrics", []):
                if metric not in entry:
                    continue
                name = f"{task_name}/{metric}" + ("" if filter_name == "none" else f",{filter_name}")
                record[name] = json_safe(entry[metric])
                record["aggregation"][name] = (_aggregation_name(metric_list.get(metric), metric), better.get(metric))
            if log_samples:
                record.update(target=str(entry.get("target")), arguments=str(entry.get("arguments"))[:4000],
                              responses=str(entry.get("filtered_resps"))[:4000])
    if not records:
        raise DataError("lm-eval logged no per-document results")
    return list(records.values())
