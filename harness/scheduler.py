"""Runs every task of a run concurrently against one model client, then writes the result document.

`evaluate(config)` is what `bench eval` does:

1. resolve task names and build each task's config (bad input fails here, before any model loads);
2. open the backend and check it can serve every task's request kinds;
3. run all tasks as coroutines on one event loop. They share one `ModelClient`, whose dispatcher
   batches the requests of all of them together (see harness/client.py);
4. write each task's sample records and the validated result document atomically.

A task that raises is recorded as failed (its error in the document) while the others finish;
the run then exits with code 4. Every answered request is already in the persistent cache, so
running the same command again resumes where the run stopped.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import queue
import random
import sys
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import registry
from bench.harness.backends.base import Backend, parse_model_args
from bench.harness.backends.lazy import LazyBackend
from bench.harness.cache import RequestCache, open_request_cache
from bench.harness.client import ModelClient
from bench.harness.config import EvalConfig, build_task_config, check_output_locations
from bench.harness.derived_cache import derived_store, using_derived_store
from bench.harness.embedded_model import bench_cache_dir
from bench.harness.errors import EXIT_TASK, BackendError, BenchError, CapabilityError, ConfigError
from bench.harness.heap import release_free_heap
from bench.harness.progress import Progress
from bench.harness.provenance import environment
from bench.harness.redaction import redact_secrets, redact_text
from bench.harness.results import (
    RESULT_FILENAME,
    json_safe,
    model_slug,
    validate_result,
    write_json_atomic,
    write_jsonl_atomic,
)
from bench.harness.samples import canonical_samples, plot_records, plots_folder, summarize_samples
from bench.harness.schema import (
    SCHEMA_VERSION,
    ModelRecord,
    Provenance,
    ResultDocument,
    RunConfigRecord,
    TaskResult,
)
from bench.harness.summary_cache import cached_summary
from bench.harness.task import Summary, Task, TaskContext

log = logging.getLogger(__name__)


@dataclass
class PlannedTask:
    name: str
    task: Task  # an instance of the registered task class
    config: Any


@dataclass
class TaskRun:
    planned: PlannedTask
    samples: list[dict[str, Any]] | None = None  # canonical records (see harness/samples.py)
    summary: Summary | None = None
    error: str | None = None
    exit_code: int = 0  # the failure's exit code: a BenchError's own (bad data: 2), else 4
    wall_time_s: float = 0.0


@dataclass
class RunOutcome:
    """What `evaluate` produced: the document, where it is, and which tasks failed."""

    document: ResultDocument
    result_path: Path
    failed_tasks: list[str] = field(default_factory=list)
    exit_code: int = 0  # 0, or the exit code of the first failed task


def plan_tasks(config: EvalConfig) -> list[PlannedTask]:
    names = registry.expand_task_names(list(config.tasks))
    unknown_args = set(config.task_args) - set(names)
    if unknown_args:
        raise ConfigError(
            f"--task-args name tasks not in this run: {sorted(unknown_args)}; tasks of the run: {', '.join(names)}"
        )
    planned = []
    for name in names:
        task_class = registry.load_task_class(name)
        task_config = build_task_config(name, task_class.config_class, config.task_args.get(name, {}))
        planned.append(PlannedTask(name, task_class(), task_config))
    check_backend_args(config.backend, config.model_args, config.batch_size)  # exit 2 before any model loads
    check_output_locations(config)
    return planned


def check_backend_args(backend: str, model_args: dict[str, Any], batch_size: int | str) -> Any:
    """Validate `--model-args` and `--batch-size` for `backend` without loading anything.

    Returns the backend's typed args record (see harness/backends/args.py); ConfigError (exit 2)
    names the bad key and the choices.
    """
    if batch_size != "auto" and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise ConfigError(f"--batch-size must be a positive integer or 'auto', got {batch_size!r}")
    backend_class = registry.load_backend_class(backend)
    parse_args = getattr(backend_class, "parse_args", None)
    return parse_args(model_args) if parse_args is not None else dict(model_args)


def open_backend(
    backend: str, model: str, model_args: dict[str, Any], batch_size: int | str, lazy: bool = False
) -> Backend:
    """The backend serving `model`. With `lazy`, a backend that can describe the model without
    loading it is returned as a `LazyBackend` that loads on the first request reaching it."""
    check_backend_args(backend, model_args, batch_size)
    backend_class = registry.load_backend_class(backend)
    kwargs: dict[str, Any] = {}
    if batch_size != "auto":
        kwargs["batch_size"] = batch_size

    def load() -> Backend:
        try:
            return backend_class(model, model_args, **kwargs)  # type: ignore[no-any-return]
        except BenchError:
            raise
        except Exception as exc:  # engines raise all sorts; the user needs one line naming the model
            raise BackendError(
                f"backend {backend!r} could not load model {model!r}: {type(exc).__name__}: {redact_text(str(exc))}"
            ) from exc

    describe = getattr(backend_class, "describe", None)
    if not lazy or describe is None:
        return load()
    try:
        description = describe(model, model_args, kwargs.get("batch_size"))
    except BenchError:
        raise
    except Exception as exc:  # noqa: BLE001 - describing is an optimisation: a real load reports properly
        log.debug("backend %s cannot describe %s without loading it: %s", backend, model, exc)
        description = None
    if description is None:
        return load()
    return LazyBackend(backend_class, description, load)


def check_capabilities(planned: list[PlannedTask], backend: Backend) -> None:
    for p in planned:
        # A task whose request kind depends on its options (a classifier scores, an implicit
        # reward asks log-likelihoods) names the kinds of this configuration.
        needed = p.task.request_kinds_for(p.config, backend.capabilities)
        missing = set(needed) - set(backend.capabilities)
        if missing:
            raise CapabilityError(
                f"task {p.name!r} needs {', '.join(sorted(k.value for k in missing))} requests, which backend "
                f"{backend.name!r} cannot serve for model {backend.info.name!r} (it serves: "
                f"{', '.join(sorted(k.value for k in backend.capabilities))})"
            )
        constraints = p.task.constraint_kinds_for(p.config)
        unserved = set(constraints) - set(backend.constraint_kinds)
        if unserved:
            served = ", ".join(sorted(backend.constraint_kinds)) or "none"
            raise CapabilityError(
                f"task {p.name!r} needs {', '.join(sorted(unserved))} constrained generation, which backend "
                f"{backend.name!r} cannot serve for model {backend.info.name!r} (it serves: {served})"
            )


def task_seed(run_seed: int, task_name: str) -> int:
    """A per-task seed independent of which other tasks share the run."""
    return (run_seed * 1_000_003 + zlib.crc32(task_name.encode())) % (2**31)


class ModelPool:
    """Backends and clients of the run: the model under test plus any a task asks for (e.g. a reference)."""

    def __init__(self, config: EvalConfig, cache: RequestCache | None) -> None:
        self.config, self.cache = config, cache
        self.clients: dict[tuple[str, str, str], ModelClient] = {}

    def open(self, model: str, backend: str | None = None, model_args: dict[str, Any] | str | None = None) -> ModelClient:
        """The client of `model` (opened once per model/backend/args; `model_args` a dict or a
        `k=v,k2=v2` string as on the command line). With a request cache, the model itself loads
        on the first request the cache cannot answer."""
        backend_name = backend or self.config.backend
        args = parse_model_args(model_args) if isinstance(model_args, str) else dict(model_args or {})
        key = (model, backend_name, repr(sorted(args.items())))
        if key not in self.clients:
            instance = open_backend(backend_name, model, args, self.config.batch_size, lazy=self.cache is not None)
            self.clients[key] = ModelClient(instance, self.cache)
        return self.clients[key]

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()
            await client.backend.aclose()


async def _run_task(planned: PlannedTask, ctx: TaskContext) -> TaskRun:
    started = time.perf_counter()
    run = TaskRun(planned)
    try:
        output = await planned.task.run(ctx)
        if isinstance(output, list):
            samples = canonical_samples(output, planned.name)
            # Pure arithmetic on the records; run here so a failure is this task's failure only. A
            # repeat with the same records, config and code takes it from the derived store.
            run.summary = cached_summary(
                planned.task, samples, planned.config, ctx.seed, ctx.artifacts_dir,
                lambda: summarize_samples(planned.task, samples, planned.config, ctx.seed, ctx.artifacts_dir),
            )
            run.samples = samples
        else:
            raise TypeError(f"task {planned.name!r} returned {type(output).__name__}, not a list of sample records")
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # one failing task must not lose the others' work
        # The traceback goes to the run's bench.log (and the terminal with --verbose); the CLI
        # prints the one-line error.
        log.info("task %s failed; traceback:", planned.name, exc_info=True)
        message = str(exc) if isinstance(exc, BenchError) else f"{type(exc).__name__}: {exc}"
        run.error = redact_text(message)  # recorded in the result document: no credentials
        run.exit_code = exc.exit_code if isinstance(exc, BenchError) else EXIT_TASK
    run.wall_time_s = time.perf_counter() - started
    return run


def evaluate(config: EvalConfig, command: str = "", progress: Progress | None = None) -> RunOutcome:
    """Run the configured evaluation and write its result document; see the module docstring.

    Everything logged during the run (a failed task's traceback included) goes to `bench.log` in
    the run folder. Ctrl-C cancels every task, closes the backends and raises KeyboardInterrupt
    once, with asyncio's reports about the cancelled work silenced (answered requests are cached).
    """
    planned = plan_tasks(config)
    progress = progress or Progress(enabled=config.show_progress)
    cache_path = Path(config.cache_path) if config.cache_path else bench_cache_dir() / "requests.sqlite"
    cache = open_request_cache(cache_path, rebuild=config.rebuild_cache) if config.use_cache else None
    started_at = datetime.now(UTC)
    wall_start = time.perf_counter()
    run_id = uuid.uuid4().hex[:8]
    run_dir = Path(config.output_path) / model_slug(config.model) / f"{started_at.strftime('%Y%m%dT%H%M%S')}-{run_id}"
    run_log = _RunLog(run_dir / RUN_LOG_FILENAME)
    pool = ModelPool(config, cache)
    try:
        log.info("run %s: %s", run_id, redact_text(command or " ".join(sys.argv)))
        client = pool.open(config.model, config.backend, config.model_args)
        check_capabilities(planned, client.backend)
        # Plots and classifier scores a repeat would recompute identically come from beside the request cache.
        with using_derived_store(derived_store(cache_path) if cache is not None else None):
            runs = asyncio.run(_run_all(planned, client, pool, config, run_dir, progress))
    finally:
        progress.close()
        if cache is not None:
            cache.close()
        run_log.close()
    document = _build_document(config, client, runs, run_dir, run_id, started_at, time.perf_counter() - wall_start, command)
    validate_result(document)
    result_path = run_dir / RESULT_FILENAME
    write_json_atomic(result_path, document)
    failed = [r for r in runs if r.error is not None]
    return RunOutcome(document, result_path, [r.planned.name for r in failed], failed[0].exit_code if failed else 0)


RUN_LOG_FILENAME = "bench.log"


class _RunLog(logging.FileHandler):
    """Every INFO+ record of the run into `<run folder>/bench.log`, created on the first record."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.setLevel(logging.INFO)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self._root = logging.getLogger()
        self._root_level = self._root.level
        if self._root.getEffectiveLevel() > logging.INFO:
            self._root.setLevel(logging.INFO)
        self._root.addHandler(self)

    def format(self, record: logging.LogRecord) -> str:
        # Libraries log URLs (httpx: every request at INFO) and exceptions may quote them:
        # credentials in a base_url must not reach the file.
        return redact_text(super().format(record))

    def _open(self):  # type: ignore[no-untyped-def]
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    def close(self) -> None:
        self._root.removeHandler(self)
        self._root.setLevel(self._root_level)
        super().close()


async def _run_all(
    planned: list[PlannedTask], client: ModelClient, pool: ModelPool, config: EvalConfig, run_dir: Path, progress: Progress
) -> list[TaskRun]:
    contexts = []
    for p in planned:
        seed = task_seed(config.seed, p.name)
        ctx = TaskContext(
            model=client,
            config=p.config,
            seed=seed,
            limit=config.limit,
            artifacts_dir=plots_folder(run_dir, p.name),
            progress=progress,
            log_samples=config.log_samples,
            rng=random.Random(seed),
            log=logging.getLogger(f"bench.tasks.{p.name}"),
            load_model=pool.open,
            shard=config.shard_part,
            run_seed=config.seed,
        )
        ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
        contexts.append(ctx)

    loop = asyncio.get_running_loop()
    interrupted = False

    def report(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # Cancelled work (Ctrl-C) leaves futures whose CancelledError nobody reads; asyncio would
        # print a traceback for each. They go to the run log instead.
        exc = context.get("exception")
        if interrupted or isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
            log.debug("after interruption: %s", context.get("message"), exc_info=exc)
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(report)
    threads = _BackendThreads()
    loop.set_default_executor(threads)  # what asyncio.to_thread (batches, lazy model loads) runs on
    stats_task = asyncio.create_task(_show_cache_stats(client, progress))
    try:
        return list(await asyncio.gather(*(_run_task(p, c) for p, c in zip(planned, contexts))))
    except asyncio.CancelledError:
        interrupted = True
        threads.abandon()
        log.info("run interrupted: cancelling tasks and closing backends")
        raise
    finally:
        stats_task.cancel()
        s = client.stats
        progress.update_stats(s.requests, s.cache_hits, s.completion_tokens)  # the final figures
        await pool.aclose()


_Call = tuple[concurrent.futures.Future[Any], Any, tuple[Any, ...], dict[str, Any]]


class _BackendThreads(concurrent.futures.ThreadPoolExecutor):  # asyncio accepts only this type
    """The run's worker threads for blocking backend calls (a batch, a model load).

    Workers are reused: a call goes to the most recently idle worker, and a new one starts only
    while every worker is busy (an lm-eval task blocks one while it waits for its answers, so the
    pool is not bounded). Consecutive batches therefore run on one thread (one glibc malloc arena)
    rather than a new thread each. That alone did not lower the main job's peak memory (measured);
    what does is that after each call the worker hands the heap's freed memory back to the OS
    (`heap.release_free_heap`): without that, the run's resident memory ratchets up batch after
    batch to well above what is live.

    The workers are daemon threads so that Ctrl-C need not wait for a batch in flight (minutes for
    a long generation on a CPU): after `abandon()`, shutdown stops the idle workers and returns
    without joining a busy one, and the process exits. The batch's answers are lost, as the
    interruption asked; every answer already returned is in the request cache. Without an
    interruption, shutdown joins them all.
    """

    def __init__(self) -> None:
        super().__init__(thread_name_prefix="bench-backend")  # its own pool stays unused (no threads)
        self._lock = threading.Lock()
        self._inboxes: dict[threading.Thread, queue.SimpleQueue[_Call | None]] = {}  # every live worker's
        self._idle: list[threading.Thread] = []  # a stack: the last worker to finish takes the next call
        self._closed = False
        self._abandoned = False

    @property
    def workers(self) -> int:
        """Worker threads started and not yet stopped."""
        with self._lock:
            return len(self._inboxes)

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new calls after shutdown")
            if self._idle:
                self._inboxes[self._idle.pop()].put((future, fn, args, kwargs))
                return future
            inbox: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
            inbox.put((future, fn, args, kwargs))
            worker = threading.Thread(target=self._work, args=(inbox,), name="bench-backend", daemon=True)
            self._inboxes[worker] = inbox
        worker.start()
        return future

    def _work(self, inbox: queue.SimpleQueue[_Call | None]) -> None:
        me = threading.current_thread()
        try:
            while (call := inbox.get()) is not None:
                future, fn, args, kwargs = call
                del call
                ran, result, failure = future.set_running_or_notify_cancel(), None, None
                if ran:
                    try:
                        result = fn(*args, **kwargs)
                    except BaseException as exc:  # handed to the awaiting coroutine
                        failure = exc
                del fn, args, kwargs  # an idle worker keeps no batch alive
                if ran:
                    release_free_heap()  # what the batch freed, back to the OS (see harness/heap.py)
                with self._lock:  # idle before the answer is handed over: the next batch comes here
                    if not self._closed:
                        self._idle.append(me)
                if ran and not self._abandoned:  # abandoned: its loop may be closed, nobody waits
                    if failure is not None:
                        future.set_exception(failure)
                    else:
                        future.set_result(result)
                del future, result, failure
        finally:
            with self._lock:
                self._inboxes.pop(me, None)

    def abandon(self) -> None:
        self._abandoned = True

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=False)
        with self._lock:
            self._closed = True
            workers, idle = list(self._inboxes.items()), set(self._idle)
            self._idle.clear()
        for _, inbox in workers:
            inbox.put(None)  # its stop sign, taken once its current call (if any) is done
        if wait and not self._abandoned:
            for worker, _ in workers:
                worker.join()
        else:
            for worker, _ in workers:
                if worker in idle:
                    worker.join(timeout=1.0)  # an idle worker stops at once; a busy one is left running


async def _show_cache_stats(client: ModelClient, progress: Progress) -> None:
    """Feed the client's counters to the progress display about once a second."""
    while True:
        s = client.stats
        progress.update_stats(s.requests, s.cache_hits, s.completion_tokens)
        progress.refresh()
        await asyncio.sleep(1.0)


def _build_document(
    config: EvalConfig,
    client: ModelClient,
    runs: list[TaskRun],
    run_dir: Path,
    run_id: str,
    started_at: datetime,
    wall_time_s: float,
    command: str,
) -> ResultDocument:
    """The run's ResultDocument; writes each finished task's samples file (and records its sha256) on the way."""
    tasks: dict[str, TaskResult] = {}
    for run in runs:
        p = run.planned
        output = run.summary
        samples_file = samples_sha256 = None
        if output is not None and run.samples is not None:
            samples_file = f"samples_{p.name}.jsonl"
            samples_sha256 = write_jsonl_atomic(run_dir / samples_file, run.samples)
        tasks[p.name] = TaskResult(
            name=p.name,
            version=str(p.task.version),
            description=p.task.description,
            config=json_safe(dataclasses.asdict(p.config)) if _is_dataclass_instance(p.config) else {},
            comparability_keys=tuple(p.task.comparability_keys),
            headline_metric=p.task.headline_metric or None,
            metrics_version=str(p.task.metrics_version),
            status="ok" if run.error is None else "failed",
            error=run.error,
            metrics=tuple(output.metrics) if output is not None else (),
            samples_file=samples_file,
            samples_sha256=samples_sha256,
            n_samples=len(run.samples) if run.samples is not None else 0,
            plots=plot_records(p.name, output.plots if output else ()),
            extra=json_safe(output.extra) if output is not None else {},
            wall_time_s=round(run.wall_time_s, 3),
        )
    s = client.stats
    env = json_safe(environment())
    known = ("bench_version", "git_revision", "git_dirty", "python", "platform", "hardware", "packages")
    provenance = Provenance(
        bench_version=env["bench_version"],
        git_revision=env.get("git_revision"),
        git_dirty=env.get("git_dirty"),
        python=env["python"],
        platform=env.get("platform"),
        hardware=env.get("hardware") or {},
        packages=env.get("packages") or {},
        seed=config.seed,
        started_at=started_at.isoformat(),
        wall_time_s=round(wall_time_s, 3),
        requests=s.requests,
        cache_hits=s.cache_hits,
        backend_requests=s.backend_requests,
        batches=s.batches,
        backend_seconds=round(s.backend_seconds, 3),
        command=redact_text(command or " ".join(sys.argv)),
        other={k: v for k, v in env.items() if k not in known},
    )
    run_config = redact_secrets(json_safe({**config.to_json(), "batch_size": client.max_batch_size}))
    return ResultDocument(
        schema_version=SCHEMA_VERSION,
        run_id=run_id,
        created_at=datetime.now(UTC).isoformat(),
        model=ModelRecord.from_json(json_safe(dataclasses.asdict(client.info))),
        config=RunConfigRecord.from_json(run_config),
        tasks=tasks,
        provenance=provenance,
    )


def _is_dataclass_instance(value: Any) -> bool:
    """A task's config record (not a dataclass type): what `dataclasses.asdict` accepts."""
    return dataclasses.is_dataclass(value) and not isinstance(value, type)
