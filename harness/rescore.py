"""`bench rescore RESULT_DIR [-o OUT]`: recompute a finished run's metrics from its sample records.

A task's metrics are a pure function of its sample records and config (`Task.summarize`, see
harness/task.py), so after a fix to a metric the numbers of a finished run can be recomputed with
the installed task code without loading the model:

1. read the result document and, for every task that finished, its samples file (its sha256 must
   equal the document's `samples_sha256`: a file edited after the run is refused);
2. refuse the whole rescore, with one line, when a task's `version` differs from the installed
   task's (its prompts, data or scoring inputs changed: the records are not comparable);
3. rebuild the task's config from the document and call `summarize` on the records in their
   canonical form and order (harness/samples.py) with the task's seed, so bootstrap intervals are
   the ones a fresh run with the same records would give;
4. write the new document atomically with each task's new `metrics_version` and a `rescored`
   stamp in the provenance (when, bench version and git revision, each task's previous
   metrics_version).

In place (no `-o`) the previous document is kept beside the new one as
`result.before-rescore-<UTC time>.json`. With `-o OUT` the run folder is left untouched and OUT
gets the new result.json, a copy of the samples files and the regenerated plots.

`summarize_entry` is shared with `bench merge` (harness/merge.py): both turn records into a
TaskResult the same way the scheduler does.
"""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import registry
from bench.harness.config import build_task_config
from bench.harness.errors import BenchError, ConfigError, UsageError
from bench.harness.results import (
    RESULT_FILENAME,
    json_safe,
    read_result,
    read_samples,
    result_path,
    samples_path,
    validate_result,
    write_json_atomic,
)
from bench.harness.samples import canonical_samples, plot_records, plots_folder, summarize_samples
from bench.harness.schema import TaskResult
from bench.harness.task import Task

__all__ = ["RescoreError", "RescoreOutcome", "load_task_for", "register", "rescore", "summarize_entry", "task_records"]


class RescoreError(UsageError):
    """A run that cannot be rescored (or merged): changed task version, missing samples, failed summarize."""


@dataclass(frozen=True)
class RescoreOutcome:
    """Where the new document went, where the previous one was kept, and each task's metrics versions."""

    result_path: Path
    previous_path: Path | None
    metrics_versions: dict[str, tuple[str | None, str]]  # task -> (previous, new)


def load_task_for(entry: TaskResult, where: str) -> tuple[Task, Any]:
    """The installed task of a document's task entry and its config rebuilt from the document.

    RescoreError when the task is not installed or cannot load (the registry refuses one without
    `summarize`), its `version` changed since the run, or the recorded config no longer fits the
    task's config class.
    """
    try:
        task_class = registry.load_task_class(entry.name)
    except BenchError as exc:
        raise RescoreError(f"{where}: {exc}") from None
    if str(task_class.version) != entry.version:
        raise RescoreError(
            f"{where}: task {entry.name!r} is version {task_class.version} now but the run recorded version "
            f"{entry.version}: its prompts, data or scoring changed and the records are not comparable; run it again"
        )
    try:
        config = build_task_config(entry.name, task_class.config_class, dict(entry.config))
    except ConfigError as exc:
        raise RescoreError(f"{where}: the recorded config of task {entry.name!r} no longer fits the task: {exc}") from None
    return task_class(), config


def summarize_entry(
    entry: TaskResult, task: Task, config: Any, records: list[dict[str, Any]], seed: int, run_dir: Path, where: str
) -> TaskResult:
    """`entry` with metrics, plots, extra and metrics_version recomputed from `records` by `task.summarize`.

    Plots are written under `run_dir/plots/<task>/` as the scheduler writes them. A summarize that
    raises is a RescoreError naming the task (its traceback goes to the log).
    """
    samples = canonical_samples(records, entry.name)
    try:
        summary = summarize_samples(task, samples, config, seed, plots_folder(run_dir, entry.name))
    except Exception as exc:  # a metric bug must be one line naming the task, not a traceback
        raise RescoreError(f"{where}: summarize of task {entry.name!r} failed: {type(exc).__name__}: {exc}") from exc
    return dataclasses.replace(
        entry,
        metrics=tuple(summary.metrics),
        plots=plot_records(entry.name, summary.plots),
        extra=json_safe(summary.extra),
        n_samples=len(samples),
        metrics_version=str(task.metrics_version),
    )


def task_records(run_dir: Path, entry: TaskResult, where: str) -> list[dict[str, Any]]:
    """The records of a finished task, sha256-checked; RescoreError when the run kept none."""
    records = read_samples(run_dir, entry, label=where)
    if records is None:
        raise RescoreError(
            f"{where}: task {entry.name!r} has no verifiable samples file (samples_file or samples_sha256 missing)"
        )
    return list(records.values())


def rescore(result_dir: str | Path, output: str | Path | None = None) -> RescoreOutcome:
    """Recompute every finished task's metrics of the run at `result_dir`; see the module docstring."""
    from bench.harness.provenance import bench_version, git_revision
    from bench.harness.scheduler import task_seed

    source = result_path(result_dir)
    run_dir = source.parent
    if output is not None and Path(output).resolve() == run_dir.resolve():
        output = None  # -o naming the run folder itself is a rescore in place
    where = f"run {str(run_dir)!r}"
    document = read_result(source)
    planned = {
        name: load_task_for(entry, where) for name, entry in document.tasks.items() if entry.ok
    }  # every refusal before anything is written
    records = {name: task_records(run_dir, document.tasks[name], where) for name in planned}

    target_dir = run_dir if output is None else Path(output)
    if output is not None:
        _check_output_folder(target_dir)
    tasks: dict[str, TaskResult] = {}
    versions: dict[str, tuple[str | None, str]] = {}
    for name, entry in document.tasks.items():
        if name not in planned:
            tasks[name] = entry  # a failed task has no records to summarize: kept as it was
            continue
        task, config = planned[name]
        seed = task_seed(document.config.seed, name)
        tasks[name] = summarize_entry(entry, task, config, records[name], seed, target_dir, where)
        versions[name] = (entry.metrics_version, str(task.metrics_version))
        if output is not None:
            file = samples_path(run_dir, entry)
            assert file is not None and entry.samples_file is not None  # task_records checked both
            (target_dir / entry.samples_file).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target_dir / entry.samples_file)

    revision, dirty = git_revision()
    now = datetime.now(UTC)
    previous_path = None if output is not None else run_dir / f"result.before-rescore-{now.strftime('%Y%m%dT%H%M%S%fZ')}.json"
    stamp = {
        "at": now.isoformat(),
        "bench_version": bench_version(),
        "git_revision": revision,
        "git_dirty": dirty,
        "from": str(source) if output is not None else previous_path.name if previous_path else None,
        "tasks": {name: {"previous_metrics_version": old, "metrics_version": new} for name, (old, new) in versions.items()},
    }
    provenance = dataclasses.replace(document.provenance, other={**document.provenance.other, "rescored": stamp})
    new_document = dataclasses.replace(document, tasks=tasks, provenance=provenance)
    data = json_safe(new_document)
    validate_result(data)
    if previous_path is not None:
        shutil.copyfile(source, previous_path)  # the run's own document, byte for byte
    target = target_dir / RESULT_FILENAME
    write_json_atomic(target, data)
    return RescoreOutcome(target, previous_path, versions)


def _check_output_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise RescoreError(f"-o {str(folder)!r} is a file; give a folder for the rescored run")
    if (folder / RESULT_FILENAME).exists():
        raise RescoreError(f"-o {str(folder)!r} already holds a result.json; choose an empty folder")
    folder.mkdir(parents=True, exist_ok=True)


def register(subparsers: Any) -> None:
    """`bench rescore` (entry point in the `bench.commands` group)."""
    parser = subparsers.add_parser(
        "rescore",
        help="recompute a finished run's metrics from its sample records with the installed task code (no model)",
        description="Recompute metrics, plots and tables of a finished run from its samples files (sha256-checked) "
        "with the installed tasks' summarize; refuses a task whose version changed. Writes the run's result.json "
        "in place (keeping the previous one beside it) or a new run folder with -o.",
    )
    parser.add_argument("result", help="the run folder (or its result.json)")
    parser.add_argument("-o", "--output", help="write the rescored run to this folder instead of in place")
    parser.set_defaults(func=cmd_rescore)


def cmd_rescore(args: Any) -> int:
    from bench.harness.summary import format_result_table

    outcome = rescore(args.result, args.output)
    print(format_result_table(read_result(outcome.result_path)))
    for name, (old, new) in sorted(outcome.metrics_versions.items()):
        print(f"{name}: metrics_version {old or '(none)'} -> {new}")
    if outcome.previous_path is not None:
        print(f"previous document kept: {outcome.previous_path}")
    print(f"result: {outcome.result_path}")
    return 0
