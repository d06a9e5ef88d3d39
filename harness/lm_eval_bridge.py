"""lm-eval's model interface on top of bench's model client.

`BenchLM` implements lm-evaluation-harness's `lm_eval.api.model.LM` (loglikelihood,
loglikelihood_rolling, generate_until) by turning each lm-eval `Instance` into a bench request
and awaiting the run's `ModelClient` on the event loop that owns it. So every lm-eval task runs
through bench's backends (hf, vllm, openai), request cache and batching — its requests share
batches with the other tasks of the same run — while lm-eval does what it already does well:
task definitions, few-shot sampling, filters, metrics and their standard errors.

lm-eval calls the model synchronously; `BenchLM` is therefore used from a worker thread
(`asyncio.to_thread`) and hands each call's requests to the loop with
`asyncio.run_coroutine_threadsafe`.

Sharding (`answered`): lm-eval draws few-shot demonstrations from one random stream in document
order, so a shard must walk every document to build the same prompts as the unsharded run. With
`answered(task_name, doc_id)` given, only those documents' requests reach the model; the others get
a placeholder answer (log-likelihood 0.0, empty text) whose records the caller drops.
`observe(instance, request, answer)` sees every answered request (the hallucination probes use
it to count prompts over the context length and to re-ask prompts for the batching check).

The tokenisation convention (trailing context whitespace moves into the continuation, the
pair encoded together) is lm-eval's own, applied by bench's backends, so log-likelihoods equal
lm-eval's HFLM on the same model (tested within 1e-4).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import importlib.util
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from bench.harness.client import ModelClient
from bench.harness.errors import ConfigError, DataError
from bench.harness.requests import CompletionRequest, GenerationParams, LoglikelihoodRequest, Request
from bench.harness.results import json_safe
from bench.harness.task import MetricValue, TaskContext
from lm_eval.api.model import LM

Answered = Callable[[str, int], bool]
Observer = Callable[[Any, Request, Any], None]
_PLACEHOLDER = SimpleNamespace(logprob=0.0, is_greedy=False, text="")


class BenchLM(LM):
    def __init__(self, client: ModelClient, loop: asyncio.AbstractEventLoop, default_max_tokens: int = 256,
                 answered: Answered | None = None, observe: Observer | None = None) -> None:
        super().__init__()
        self.client, self.loop, self.default_max_tokens = client, loop, default_max_tokens
        self.answered, self.observe = answered, observe

    def _answer(self, instances: list[Any], requests: list[Request]) -> list[Any]:
        """The answers in order; requests of documents outside `answered` get the placeholder."""
        asked = [i for i, instance in enumerate(instances) if self._asked(instance)]
        answers: list[Any] = [_PLACEHOLDER] * len(requests)
        if asked:
            got = asyncio.run_coroutine_threadsafe(self.client.gather([requests[i] for i in asked]), self.loop).result()
            for i, answer in zip(asked, got):
                answers[i] = answer
                if self.observe is not None:
                    self.observe(instances[i], requests[i], answer)
        return answers

    def _asked(self, instance: Any) -> bool:
        if self.answered is None:
            return True
        return self.answered(str(getattr(instance, "task_name", "")), int(getattr(instance, "doc_id", -1)))

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        asked = [LoglikelihoodRequest(context, continuation) for context, continuation in (r.args for r in requests)]
        return [(a.logprob, a.is_greedy) for a in self._answer(requests, list(asked))]

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        """Whole-string log-likelihood conditioned on the prefix token; strings must fit the context window."""
        asked = [LoglikelihoodRequest("", text) for (text,) in (r.args for r in requests)]
        return [a.logprob for a in self._answer(requests, list(asked))]

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        batch: list[Request] = []
        for context, gen_kwargs in (r.args for r in requests):
            kwargs = dict(gen_kwargs or {})
            until = kwargs.get("until") or []
            until = [until] if isinstance(until, str) else list(until)
            do_sample = bool(kwargs.get("do_sample", False))
            params = GenerationParams(
                max_tokens=int(kwargs.get("max_gen_toks", self.default_max_tokens)),
                temperature=float(kwargs.get("temperature", 1.0 if do_sample else 0.0)) if do_sample else 0.0,
                top_p=float(kwargs.get("top_p", 1.0)),
                stop=tuple(until),
            )
            batch.append(CompletionRequest(context, params))
        return [a.text for a in self._answer(requests, batch)]


# ---- running lm-eval tasks through BenchLM: shared by the lm_eval task and the hallucination probes ----

async def settle_imports(ctx: TaskContext) -> None:
    """Finish the imports that are not safe to race with lm-eval's work in another thread.

    - datasets' fingerprinting reads transformers' attributes whenever `transformers` is in
      `sys.modules`, and fails on a half-imported module ("transformers has no attribute
      PreTrainedTokenizerBase") while another thread imports it: the hf backend's loader
      (harness/transformers_import.py), or another probe's lm-eval thread building a task whose
      utils import it (cnn_dailymail's import bert_score, which imports transformers). So
      transformers is imported here, once, before any lm-eval thread starts (off the event loop):
      bench's masked import on hf, the plain package elsewhere (its top level only, ~0.4 s).
    - datasets' thread_map (tqdm.contrib.concurrent.ensure_lock) deletes a tqdm class lock it had to
      create when it finishes, under another thread's bar ("'tqdm' object has no attribute '_lock'");
      a lock that exists beforehand is restored, not deleted.
    """
    from tqdm import tqdm

    tqdm.get_lock()
    if ctx.model.info.backend == "hf":
        from bench.harness.transformers_import import import_transformers

        await asyncio.to_thread(import_transformers)
    elif importlib.util.find_spec("transformers") is not None:
        await asyncio.to_thread(importlib.import_module, "transformers")


async def run_lm_eval(ctx: TaskContext, specs: list[Any], *, include_path: str | None = None,
                      num_fewshot: int | None = None, bootstrap_iters: int = 0,
                      observe: Any = None, targets: bool = False) -> list[dict[str, Any]]:
    """Run lm-eval task `specs` (names or inline config dicts) through bench's model; the records.

    The first `ctx.limit` documents of each task are walked in order (so few-shot prompts are the
    unsharded run's); under `--shard` only this shard's documents are sent to the model and kept.
    `observe(instance, request, answer)` sees every answered request (BenchLM). With `targets`, each
    record keeps its document's target as lm-eval logs it (field "gold"; e.g. for a majority baseline)."""
    loop = asyncio.get_running_loop()

    def evaluate() -> tuple[dict[str, Any], dict[str, set[int]] | None]:
        manager = _task_manager(include_path, specs)
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

    await settle_imports(ctx)
    results, selection = await asyncio.to_thread(evaluate)
    records = _records(results, ctx.log_samples, targets)
    if selection is not None:
        records = [r for r in records if r["doc_id"] in selection.get(r["task"], ())]
    return records


def _task_manager(include_path: str | None, specs: list[Any]) -> Any:
    """lm-eval's TaskManager for `specs`. Indexing lm-eval's ~15,000 built-in task files costs ~5 s of CPU
    (a minute of wall time on a loaded machine), so it is skipped when every named task is an inline
    config or is defined under `include_path` (e.g. tasks/hallucination/lm_eval_yaml)."""
    from lm_eval.tasks import TaskManager

    names = [s for s in specs if not isinstance(s, dict)]
    if include_path is not None and names:
        local = TaskManager(include_path=include_path, include_defaults=False)
        if all(name in local.all_tasks for name in names):
            return local
    return TaskManager(include_path=include_path, include_defaults=bool(names))


def lm_eval_metrics(samples: list[dict[str, Any]], bootstrap_iters: int,
                    own_interval: Callable[[str], bool] | None = None) -> tuple[list[MetricValue], list[str]]:
    """(metrics recomputed from the records with lm-eval's aggregation and stderr, names that cannot be).

    lm-eval's stderr (a bootstrap of `bootstrap_iters` resamples for some aggregations) is not computed
    for the metrics `own_interval(name)` marks: the caller gives those its own interval."""
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
        skip = iters <= 0 or (own_interval is not None and own_interval(name))
        stderr_fn = None if skip else stderr_for_metric(agg, iters)
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

    _skip_environment_report_in_bridge_calls()
    # Few-shot demos are drawn with the run's seed (default 1234, lm-eval's own fewshot_random_seed), not
    # the per-task seed: so a task's prompts are the ones `lm_eval` / `simple_evaluate` build by default.
    seed = ctx.seed
    _BRIDGE_CALL.active = True
    try:
        results = simple_evaluate(
            model=lm, tasks=tasks, num_fewshot=num_fewshot, limit=ctx.limit, task_manager=TaskManager(include_defaults=False),
            log_samples=True, bootstrap_iters=bootstrap_iters, random_seed=seed, numpy_random_seed=seed,
            torch_random_seed=seed, fewshot_random_seed=ctx.run_seed,
        )
    finally:
        _BRIDGE_CALL.active = False
    if results is None:
        raise DataError("lm-eval returned no results")
    return dict(results)


# Set in the thread that runs the bridge's simple_evaluate call (see _skip_environment_report_in_bridge_calls).
_BRIDGE_CALL = threading.local()


@functools.cache
def _skip_environment_report_in_bridge_calls() -> None:
    """Make lm-eval skip its environment report in the bridge's own calls (installed once per process).

    `simple_evaluate` ends by adding to its results `git rev-parse HEAD` and torch's collect_env
    report (about fifteen subprocesses, `pip list` among them: 0.3-0.5 s of CPU each time). bench
    reads none of it (it records its own provenance) and calls simple_evaluate once per bridged task
    (18 times in the hallucination suite, in threads beside the model's work), so the two helpers
    are wrapped: a call from a thread inside `_simple_evaluate` leaves the fields empty; any other
    caller in the process gets lm-eval's report as before. Nothing is wrapped in an lm-eval version
    that has no such helpers.
    """
    import lm_eval.evaluator as evaluator

    def skipped_in_bridge(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return None if getattr(_BRIDGE_CALL, "active", False) else original(*args, **kwargs)

        return wrapper

    for name in ("add_env_info", "get_git_commit_hash"):
        original = getattr(evaluator, name, None)
        if callable(original):
            setattr(evaluator, name, skipped_in_bridge(original))


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


def _records(results: dict[str, Any], log_samples: bool, targets: bool = False) -> list[dict[str, Any]]:
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
            if targets:
                record["gold"] = json_safe(entry.get("target"))
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
