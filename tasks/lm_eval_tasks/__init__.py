"""Task `lm_eval`: any lm-evaluation-harness task, run through bench's backends, cache and results.

    bench eval --tasks lm_eval --task-args lm_eval.tasks=hellaswag|arc_easy --limit 100
    bench eval --tasks lm_eval --task-args lm_eval.tasks=my_task,lm_eval.include_path=./my_tasks

lm-eval defines the task (data, prompts, few-shot, filters, metrics, stderr); bench supplies the
model through `BenchLM` (harness/lm_eval_bridge.py), so the requests are batched with the other
tasks of the run and cached. Hub datasets need network access: offline, a hub-backed task fails
with one line naming it, and tasks defined on local files (`dataset_path: json`, `data_files`)
run anywhere.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bench.harness.errors import ConfigError, DataError
from bench.harness.requests import RequestKind
from bench.harness.task import MetricValue, Task, TaskContext, TaskOutput


@dataclass(frozen=True)
class LmEvalConfig:
    tasks: tuple[str, ...] = ()
    include_path: str = ""
    num_fewshot: int | None = None
    bootstrap_iters: int = 1000


class LmEvalTask(Task):
    name = "lm_eval"
    version = "1"
    config_class = LmEvalConfig
    request_kinds = frozenset({RequestKind.LOGLIKELIHOOD, RequestKind.COMPLETION})
    headline_metric = ""
    in_all = False  # needs --task-args lm_eval.tasks=...; not part of `--tasks all`
    description = "any lm-evaluation-harness task through bench's backends (task-args: lm_eval.tasks=a|b)"

    async def run(self, ctx: TaskContext) -> TaskOutput:
        from bench.harness.lm_eval_bridge import BenchLM

        config: LmEvalConfig = ctx.config
        if not config.tasks:
            raise ConfigError("task 'lm_eval' needs --task-args lm_eval.tasks=name1|name2 (lm-eval task names)")
        lm = BenchLM(ctx.model, asyncio.get_running_loop())
        ctx.progress.start(self.name, None)
        results = await asyncio.to_thread(_simple_evaluate, lm, config, ctx.limit, ctx.seed)
        return _to_output(results, ctx.log_samples)


def _simple_evaluate(lm: Any, config: LmEvalConfig, limit: int | None, seed: int) -> dict[str, Any]:
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=config.include_path or None)
    try:
        results = simple_evaluate(
            model=lm, tasks=list(config.tasks), num_fewshot=config.num_fewshot, limit=limit, task_manager=manager,
            log_samples=True, bootstrap_iters=config.bootstrap_iters, random_seed=seed, numpy_random_seed=seed,
            torch_random_seed=seed, fewshot_random_seed=seed,
        )
    except Exception as exc:  # lm-eval raises many types for missing tasks and unreachable datasets
        first_line = (str(exc).strip().splitlines() or [""])[0][:300]
        raise DataError(f"lm-eval could not run {list(config.tasks)}: {type(exc).__name__}: {first_line}") from exc
    if results is None:
        raise DataError(f"lm-eval returned no results for {list(config.tasks)}")
    return dict(results)


def _to_output(results: dict[str, Any], log_samples: bool) -> TaskOutput:
    metrics: list[MetricValue] = []
    samples: list[dict[str, Any]] = []
    for task_name, values in results["results"].items():
        n = int(results.get("n-samples", {}).get(task_name, {}).get("effective", 0))
        better = results.get("higher_is_better", {}).get(task_name, {})
        for key, value in values.items():
            if "," not in key or "_stderr," in key or not isinstance(value, (int, float)):
                continue
            metric, filter_name = key.split(",", 1)
            name = f"{task_name}/{metric}" + ("" if filter_name == "none" else f",{filter_name}")
            stderr = values.get(f"{metric}_stderr,{filter_name}")
            direction = {True: "higher", False: "lower"}.get(better.get(metric), "none")
            metrics.append(MetricValue(name, float(value), direction, n,  # type: ignore[arg-type]
                                       stderr=float(stderr) if isinstance(stderr, (int, float)) else None,
                                       sample_field=name, description=f"lm-eval {task_name} {metric} ({filter_name})"))
        for record in results.get("samples", {}).get(task_name, []):
            sample: dict[str, Any] = {"id": f"{task_name}/{record['doc_id']}", "task": task_name, "doc_id": record["doc_id"]}
            for key in values:
                metric = key.split(",", 1)[0]
                if metric in record and isinstance(record[metric], (int, float)):
                    sample[f"{task_name}/{metric}"] = float(record[metric])
            if log_samples:
                sample.update(target=str(record.get("target")), arguments=str(record.get("arguments"))[:4000],
                              responses=str(record.get("filtered_resps"))[:4000])
            samples.append(sample)
    if not metrics:
        raise DataError("lm-eval produced no numeric metrics")
    return TaskOutput(metrics=metrics, samples=samples, extra={"lm_eval_versions": results.get("versions", {})})
