"""Runs a sweep's units as Ray tasks, shows progress, then merges and (optionally) builds the leaderboard.

    run_sweep(config, ray_address=None)            # a local Ray instance, started and stopped here
    run_sweep(config, ray_address="auto")          # the running cluster this machine belongs to
    run_sweep(config, ray_address="ray://head:10001")

1. Plan: every (model, task) is checked as `bench eval` checks it (task names, task options,
   backend arguments) before Ray starts, so a typo costs nothing.
2. Submit: one Ray task per unit (harness/sweep/unit.py) with the resources its backend implies
   (harness/sweep/config.py `unit_resources`). `max_retries` makes Ray run a unit again when its
   worker process dies (killed, out of memory, node lost); a backend or cache failure (BackendError,
   CacheError) is retried the same way. The retry resumes from the node's request cache.
3. Watch: `ray.wait` with a short timeout, so the progress view (harness/sweep/progress.py) and
   Ctrl-C stay responsive; workers report each attempt's start to a small actor. `timeout_s`
   bounds the whole sweep: past it, the units still running are cancelled and reported as failed.
4. Merge: every (model, task) whose shards all finished is merged (`bench merge`, harness/merge.py)
   into `merged/<model>/<task>/`; an unsharded unit is copied there. With `leaderboard`, the site
   is built from `merged/` through the `bench leaderboard` command.

Ray is an optional extra: `import_ray()` turns its absence into one line (exit 2).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness.errors import EXIT_TASK, BackendError, BenchError, CacheError, UsageError
from bench.harness.sweep.config import SweepConfig, Unit, describe, unit_resources
from bench.harness.sweep.progress import SweepProgress
from bench.harness.sweep.store import ResultStore
from bench.harness.sweep.unit import UnitBackendFailed, UnitResult, eval_config, run_unit

__all__ = ["RayMissingError", "SweepOutcome", "import_ray", "merge_results", "plan_sweep", "run_sweep"]

RAY_EXTRA = "pip install 'bench-harness[ray]'"
POLL_S = 0.25


class RayMissingError(UsageError):
    """`bench sweep` without the ray extra installed."""


@dataclass
class SweepOutcome:
    results: dict[str, UnitResult] = field(default_factory=dict)  # unit key -> result
    failures: dict[str, str] = field(default_factory=dict)  # unit key -> one-line error
    merged: dict[str, str] = field(default_factory=dict)  # "<model>/<task>" -> merged run folder
    leaderboard: str | None = None
    progress: SweepProgress | None = None
    ray_start_s: float = 0.0  # seconds ray.init took (0 when Ray was already running)

    @property
    def exit_code(self) -> int:
        return EXIT_TASK if self.failures else 0


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayMissingError(f"bench sweep needs Ray, an optional extra: {RAY_EXTRA}") from None
    return ray


def plan_sweep(sweep: SweepConfig) -> list[Unit]:
    """The units, each (model, task) checked like `bench eval` checks it; ConfigError before Ray starts."""
    from bench.harness.scheduler import plan_tasks

    for model in sweep.models:
        for task in sweep.tasks:
            plan_tasks(eval_config(sweep, Unit(model, task, None, 1), output_path=sweep_scratch(), cache_path=None))
    return sweep.units()


def absolute_paths(sweep: SweepConfig) -> SweepConfig:
    """Local `output` and `cache_dir` made absolute: Ray workers do not share the driver's working folder."""
    output = sweep.output if "://" in sweep.output else str(Path(sweep.output).expanduser().resolve())
    cache_dir = str(Path(sweep.cache_dir).expanduser().resolve()) if sweep.cache_dir else ""
    return dataclasses.replace(sweep, output=output, cache_dir=cache_dir)


def sweep_scratch() -> str:
    return tempfile.gettempdir()


class _StartReports:
    """A Ray actor: workers report each attempt's start; the driver drains the reports."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, str]] = []

    def started(self, key: str, pid: int, node: str) -> None:
        self.events.append((key, pid, node))

    def drain(self) -> list[tuple[str, int, str]]:
        events, self.events = self.events, []
        return events


def _remote_unit(sweep: SweepConfig, unit: Unit, reports: Any) -> UnitResult:
    import ray

    return run_unit(sweep, unit, ray.get_runtime_context().get_node_id(), reports)


def run_sweep(
    sweep: SweepConfig,
    ray_address: str | None = None,
    leaderboard: str | None = None,
    num_cpus: int | None = None,
    timeout_s: float | None = None,
    on_start: Callable[[str, int, str], None] | None = None,
    show_progress: bool = True,
) -> SweepOutcome:
    """Run every unit of `sweep` on Ray; see the module docstring. `on_start(key, pid, node)` is
    called in the driver for each attempt that starts (the progress view's feed; tests use it)."""
    ray = import_ray()
    sweep = absolute_paths(sweep)
    units = plan_sweep(sweep)
    store = ResultStore(sweep.output)
    store.put_text("sweep.json", json.dumps(describe(sweep), indent=2, default=str) + "\n")
    outcome = SweepOutcome()
    started_here = not ray.is_initialized()
    if started_here:
        began = time.perf_counter()
        init: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "WARNING"}
        if ray_address:
            init["address"] = ray_address
        else:
            init.update(num_cpus=num_cpus, object_store_memory=128 * 2**20)
        ray.init(**init)
        outcome.ray_start_s = time.perf_counter() - began
    try:
        progress = SweepProgress([u.key for u in units], time.monotonic(), enabled=show_progress)
        outcome.progress = progress
        _execute(ray, sweep, units, progress, outcome, timeout_s, on_start)
        merge_results(sweep, units, store, outcome, progress)
        if leaderboard and outcome.merged:
            outcome.leaderboard = _build_leaderboard(store, leaderboard)
    finally:
        if started_here:
            ray.shutdown()
    return outcome


def _execute(
    ray: Any, sweep: SweepConfig, units: list[Unit], progress: SweepProgress, outcome: SweepOutcome,
    timeout_s: float | None, on_start: Callable[[str, int, str], None] | None,
) -> None:
    reports = ray.remote(num_cpus=0)(_StartReports).remote()
    remote = ray.remote(_remote_unit)
    futures: dict[Any, Unit] = {}
    for unit in units:
        options = {**unit_resources(unit.model), "max_retries": sweep.max_retries, "retry_exceptions": [BackendError, CacheError, UnitBackendFailed]}
        futures[remote.options(**options).remote(sweep, unit, reports)] = unit
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    pending = list(futures)
    try:
        while pending:
            ready, pending = ray.wait(pending, num_returns=len(pending), timeout=POLL_S)
            starts = ray.get(reports.drain.remote(), timeout=60)
            for ref in ready:  # finishes first: the units they free are the ones the starts below took
                unit = futures[ref]
                try:
                    result: UnitResult = ray.get(ref, timeout=60)
                except Exception as exc:  # noqa: BLE001 - Ray wraps the unit's error or its worker's death
                    error = _one_line(exc)
                    outcome.failures[unit.key] = error
                    progress.failed(unit.key, time.monotonic(), error)
                    continue
                outcome.results[unit.key] = result
                progress.done(unit.key, time.monotonic(), result.wall_time_s, result.cache_hits, result.requests, result.skipped)
            for key, pid, node in starts:  # a unit that started and finished within one poll stays done
                progress.started(key, pid, node, time.monotonic())
                if on_start is not None:
                    on_start(key, pid, node)
            if deadline is not None and time.monotonic() > deadline and pending:
                for ref in pending:
                    ray.cancel(ref, force=True)
                    key = futures[ref].key
                    outcome.failures[key] = f"cancelled: the sweep's timeout of {timeout_s:g} s passed"
                    progress.failed(key, time.monotonic(), outcome.failures[key])
                pending = []
    except KeyboardInterrupt:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise


def _one_line(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None)  # RayTaskError carries the unit's own exception
    if isinstance(cause, BaseException):
        exc = cause
    if isinstance(exc, BenchError):
        return str(exc).splitlines()[0]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}"[:300]


def merge_results(sweep: SweepConfig, units: list[Unit], store: ResultStore, outcome: SweepOutcome, progress: SweepProgress) -> None:
    from bench.harness.merge import merge

    groups: dict[str, list[Unit]] = {}
    for unit in units:
        groups.setdefault(f"{unit.model.label}/{unit.task.name}", []).append(unit)
    for group, members in groups.items():
        if any(m.key not in outcome.results for m in members):
            progress.note(time.monotonic(), f"{group}: not merged (a unit failed)")
            continue
        relative = f"merged/{group}"
        with tempfile.TemporaryDirectory(prefix="bench-sweep-merge-") as scratch:
            folders = [store.fetch_run(f"units/{m.key}", Path(scratch) / str(i)) for i, m in enumerate(members)]
            merged_local = Path(scratch) / "merged"
            if sweep.shards == 1:
                shutil.copytree(folders[0], merged_local)
            else:
                try:
                    merge([str(f) for f in folders], merged_local)
                except BenchError as exc:
                    outcome.failures[group] = f"merge failed: {exc}"
                    progress.note(time.monotonic(), f"{group}: merge failed: {exc}")
                    continue
            outcome.merged[group] = store.put_run(merged_local, relative)
        progress.note(time.monotonic(), f"{group}: merged into {outcome.merged[group]}")


def _build_leaderboard(store: ResultStore, site_dir: str) -> str:
    """The site from `merged/`, through the `bench leaderboard` command (the core never imports plugins)."""
    from bench.harness.cli import main

    root = store.local_root()
    with tempfile.TemporaryDirectory(prefix="bench-sweep-site-") as scratch:
        merged = Path(store.path("merged")) if root is not None else store.fetch_run("merged", Path(scratch) / "merged")
        code = main(["leaderboard", str(merged), "-o", site_dir])
    if code != 0:
        raise UsageError(f"the leaderboard could not be built into {site_dir!r} (exit {code}); the merged results are kept")
    return site_dir
