"""Sample records between `Task.run` and `Task.summarize`: their canonical form and order.

A task's metrics are a pure function of its sample records. The scheduler, `bench rescore` and
`bench merge` all hand `summarize` the records in the same form — exactly what the samples file
holds (strict JSON: tuples are lists, NaN is null) and sorted by id — so the three give equal
numbers for equal records, whatever order the task's coroutines finished in or however the run
was sharded.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bench.harness.results import json_safe
from bench.harness.schema import PlotRecord
from bench.harness.task import Plot, Summary, SummaryContext, Task

PLOTS_FOLDER = "plots"  # a run's plots live in <run folder>/plots/<task>/


def plots_folder(run_dir: Path, task_name: str) -> Path:
    """Where a task's plots go in a run folder (the `artifacts_dir` its run and summarize write to)."""
    return run_dir / PLOTS_FOLDER / task_name


def plot_records(task_name: str, plots: Iterable[Plot]) -> tuple[PlotRecord, ...]:
    """A task's plots as result-document records, their paths relative to the run folder."""
    return tuple(PlotRecord(p.name, f"{PLOTS_FOLDER}/{task_name}/{p.path}", p.caption) for p in plots)


def sample_order_key(record: Mapping[str, Any]) -> str:
    """The canonical position of a record: its id as canonical JSON."""
    return json.dumps(record["id"], sort_keys=True, ensure_ascii=False)


def canonical_samples(records: Iterable[Mapping[str, Any]], task_name: str = "task") -> list[dict[str, Any]]:
    """Records as they are written to disk, sorted by id; ValueError when ids are missing or repeated."""
    out = [json.loads(json.dumps(json_safe(dict(r)), ensure_ascii=False, allow_nan=False)) for r in records]
    ids = [sample_order_key(r) if "id" in r and r["id"] is not None else None for r in out]
    if any(i is None for i in ids) or len(set(ids)) != len(ids):
        raise ValueError(f"task {task_name!r} produced sample records without unique 'id' fields")
    return sorted(out, key=sample_order_key)


def summarize_samples(task: Task, samples: list[dict[str, Any]], config: Any, seed: int, artifacts_dir: Path) -> Summary:
    """`task.summarize` on canonical records, with its plots written under `artifacts_dir`."""
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    ctx = SummaryContext(seed=seed, artifacts_dir=artifacts_dir, log=logging.getLogger(f"bench.tasks.{task.name}"))
    summary = task.summarize(samples, config, ctx)
    if not isinstance(summary, Summary):
        raise TypeError(f"task {task.name!r} summarize returned {type(summary).__name__}, not Summary")
    return summary
