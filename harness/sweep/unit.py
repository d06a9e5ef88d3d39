"""One unit of a sweep, as it runs inside a Ray worker: `bench eval` of one model on one task shard.

`run_unit` builds the same `EvalConfig` that `bench eval --model ... --tasks T --shard i/n` would,
evaluates it with the scheduler into a local scratch folder, and uploads the run folder to the
sweep's store (harness/sweep/store.py). Its requests go through the node's request cache
(`<cache_dir>/requests-<node id>.sqlite`, shared by every worker of the node; sqlite's WAL mode
lets them write concurrently), so a unit Ray re-runs after its worker died answers what the dead
attempt already computed from the cache and only computes the rest.

This module imports no Ray at import time: the runner wraps `run_unit` in `ray.remote`.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness.config import EvalConfig
from bench.harness.errors import EXIT_BACKEND, BenchError
from bench.harness.sweep.config import SweepConfig, Unit
from bench.harness.sweep.store import ResultStore

__all__ = ["UnitBackendFailed", "UnitFailed", "UnitResult", "eval_config", "run_unit"]


class UnitFailed(BenchError):
    """A unit's task failed (its error recorded in the unit's result document); not retried."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def __reduce__(self) -> Any:  # Ray pickles exceptions back to the driver
        return (type(self), (str(self), self.exit_code))


class UnitBackendFailed(UnitFailed):
    """The unit's backend failed (exit 3: a server or engine down): Ray retries these."""


@dataclass(frozen=True)
class UnitResult:
    key: str
    location: str  # where the unit's run folder is in the store
    skipped: bool  # already complete in the store (a resumed sweep)
    wall_time_s: float = 0.0
    requests: int = 0
    cache_hits: int = 0
    node: str = ""
    pid: int = 0


def eval_config(sweep: SweepConfig, unit: Unit, output_path: str, cache_path: str | None) -> EvalConfig:
    """The `bench eval` configuration of `unit` (validated like the command line's)."""
    return EvalConfig(
        tasks=(unit.task.name,),
        model=unit.model.model,
        backend=unit.model.backend,
        model_args=dict(unit.model.model_args),
        task_args={unit.task.name: dict(unit.task.task_args)} if unit.task.task_args else {},
        limit=sweep.limit,
        seed=sweep.seed,
        batch_size=sweep.batch_size,
        output_path=output_path,
        cache_path=cache_path,
        show_progress=False,
        shard=unit.shard_spec,
    )


def node_cache_path(cache_dir: str, node_id: str) -> str:
    """The node's request cache: one file per node, shared by the node's workers."""
    from bench.harness.embedded_model import bench_cache_dir

    folder = Path(cache_dir).expanduser() if cache_dir else bench_cache_dir() / "sweep"
    return str(folder / f"requests-{node_id[:16] or socket.gethostname()}.sqlite")


def run_unit(sweep: SweepConfig, unit: Unit, node_id: str = "", progress: Any = None) -> UnitResult:
    """Evaluate `unit` and store its run folder; UnitFailed when its task failed.

    `progress` is the sweep's progress actor (or None): told when the attempt starts, with this
    process's id, so the driver's view shows running units (and a test can kill one).
    """
    from bench.harness.scheduler import evaluate

    store = ResultStore(sweep.output)
    relative = f"units/{unit.key}"
    if store.has_result(relative):
        return UnitResult(unit.key, store.path(relative), skipped=True, node=node_id, pid=os.getpid())
    if progress is not None:
        _report_start(progress, unit.key, node_id)
    scratch = Path(tempfile.mkdtemp(prefix="bench-sweep-unit-"))
    try:
        config = eval_config(sweep, unit, str(scratch), node_cache_path(sweep.cache_dir, node_id))
        started = time.perf_counter()
        outcome = evaluate(config, command=f"bench sweep (unit {unit.key})")
        if outcome.failed_tasks:
            error = outcome.document.tasks[unit.task.name].error
            failure = UnitBackendFailed if outcome.exit_code == EXIT_BACKEND else UnitFailed
            raise failure(f"unit {unit.key}: task {unit.task.name!r} failed: {error}", outcome.exit_code)
        location = store.put_run(outcome.result_path.parent, relative)
        p = outcome.document.provenance
        return UnitResult(
            unit.key, location, skipped=False, wall_time_s=round(time.perf_counter() - started, 3),
            requests=p.requests, cache_hits=p.cache_hits, node=node_id, pid=os.getpid(),
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _report_start(progress: Any, key: str, node_id: str) -> None:
    """Tell the driver's progress actor that this attempt started, and wait (at most 10 s) until the
    report is delivered, so the driver sees the attempt while it runs: an unawaited call from a fresh
    worker can arrive seconds later, after a short unit has finished. The unit runs regardless."""
    import ray

    try:
        ray.get(progress.started.remote(key, os.getpid(), node_id), timeout=10)
    except Exception:  # noqa: BLE001 - the report only feeds the progress view; never fail the unit for it
        pass
