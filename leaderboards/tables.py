"""The leaderboard's tables: models x comparable task columns, per-task metric tables, history.

A column is one task at one version and one value of each of its comparability keys: results of
different task versions are never mixed in one column (a task whose prompts or scoring changed
gets a new column, labelled "task v2"), nor results whose config differs in a key the task
declares as changing what its numbers mean (`comparability_keys`, e.g. an answer mode: the
column is labelled "task (answer_mode='json')"). A model
is identified by its name; for each column a model's cell comes from its newest run that
finished that task at that version, and every older run stays in the history.

`mean_rank` orders models across columns: in each column with a direction, models are ranked
1 (best) .. k with ties sharing the lowest rank (scipy.stats.rankdata, method "min"), and a
model's mean rank is the mean over the columns it has a value in. Columns with a single model
rank nobody: being first of one says nothing.

Aggregate score columns (`AGGREGATE_SCORES`) sit beside the mean rank: a model's factuality
(faithfulness) score is the unweighted mean of the headline values in [0, 1] of its cells whose
task config says `category = "factuality"` ("faithfulness") -- the hallucination probes'
(Hallucinations Leaderboard) definition, bench.metrics.hallucination_scores.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from bench.harness.schema import MetricValue, TaskResult
from bench.leaderboards.collection import (
    Collection,
    RunEntry,
    SkippedFile,
    model_page_slug,
    shown_interval,
)
from bench.metrics.hallucination_scores import unweighted_score
from scipy.stats import rankdata


@dataclass(frozen=True)
class Column:
    """One comparable column: `task` at `version` with these comparability key values."""

    task: str
    version: str
    comparability: tuple[tuple[str, str], ...]
    label: str
    slug: str
    headline_metric: str | None
    direction: str
    description: str

    def holds(self, entry: TaskResult) -> bool:
        """Whether a task result belongs in this column (same task version and comparability values)."""
        return entry.version == self.version and entry.comparability == self.comparability


@dataclass(frozen=True)
class Cell:
    run: RunEntry
    task: TaskResult
    metric: MetricValue | None  # the headline metric
    rank: int | None = None
    best: bool = False


@dataclass(frozen=True)
class ModelRow:
    model_name: str
    slug: str
    latest_run: RunEntry
    n_runs: int
    cells: dict[str, Cell]  # by column slug
    mean_rank: float | None
    aggregates: dict[str, float] = field(default_factory=dict)  # factuality / faithfulness scores it has


@dataclass(frozen=True)
class Board:
    columns: tuple[Column, ...]
    rows: tuple[ModelRow, ...]
    runs: tuple[RunEntry, ...]  # newest first
    skipped: tuple[SkippedFile, ...]
    aggregate_names: tuple[str, ...] = ()  # the AGGREGATE_SCORES some model has

    def runs_of(self, model_name: str) -> list[RunEntry]:
        return [r for r in self.runs if r.model_name == model_name]

    def history(self, column: Column) -> list[tuple[RunEntry, TaskResult]]:
        """Every run of any model with this task at this version and comparability (failed ones too), newest first."""
        found = []
        for run in self.runs:
            entry = run.tasks.get(column.task)
            if entry is not None and column.holds(entry):
                found.append((run, entry))
        return found

    def metric_names(self, column: Column) -> list[str]:
        """All metric names of a column's latest cells, headline first, then in first-seen order."""
        names: list[str] = [column.headline_metric] if column.headline_metric else []
        for row in self.rows:
            cell = row.cells.get(column.slug)
            if cell:
                names += [m.name for m in cell.task.metrics if m.name not in names]
        return names


def _slug(text: str) -> str:
    """A file-name-safe slug; names that had to be changed get a hash so two never collide."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "task"
    if slug != text:
        slug += "-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return slug


def _columns(runs: tuple[RunEntry, ...]) -> list[Column]:
    keys: dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]] = {}
    newest: dict[tuple[str, str, tuple[tuple[str, str], ...]], TaskResult] = {}
    for run in runs:  # newest first, so the first entry seen per column key is the newest
        for name, entry in run.tasks.items():
            if not entry.ok:
                continue
            key = (name, entry.version, entry.comparability)
            if key not in newest:
                newest[key] = entry
                keys.setdefault(name, []).append((entry.version, entry.comparability))
    columns = []
    for name in sorted(keys):
        versions = {version for version, _ in keys[name]}
        for version, comparability in sorted(keys[name], key=lambda k: (_version_key(k[0]), k[1])):
            entry = newest[(name, version, comparability)]
            headline = entry.headline
            label = f"{name} v{version}" if len(versions) > 1 else name
            split = [f"{k}={v}" for k, v in comparability]
            if split and len([c for v, c in keys[name] if v == version]) > 1:
                label += f" ({', '.join(split)})"
            slug_text = f"{name}-v{version}" + "".join(f"-{k}-{v}" for k, v in comparability)
            columns.append(Column(
                task=name, version=version, comparability=comparability, label=label, slug=_slug(slug_text),
                headline_metric=headline.name if headline else None,
                direction=headline.direction if headline else "none", description=entry.description,
            ))
    return columns


AGGREGATE_SCORES = ("factuality", "faithfulness")


def aggregate_scores(cells: dict[str, Cell]) -> dict[str, float]:
    """{score name: unweighted mean of the headline values of the cells of that task category}."""
    scores = {}
    for name in AGGREGATE_SCORES:
        values = {slug: cell.metric.value for slug, cell in cells.items()
                  if cell.task.config.get("category") == name and cell.metric is not None and cell.metric.has_value
                  and 0.0 <= cell.metric.value <= 1.0}
        if values:
            scores[name] = unweighted_score(values)
    return scores


def _version_key(version: str) -> tuple[Any, ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-]", version))


def _ranks(values: dict[str, float], direction: str) -> dict[str, int]:
    if direction not in ("higher", "lower") or len(values) < 2:
        return {}  # a model alone in a column has no rank worth averaging
    names = list(values)
    scores = np.array([values[n] for n in names])
    ranks = rankdata(-scores if direction == "higher" else scores, method="min")
    return {n: int(r) for n, r in zip(names, ranks)}


def build_board(collection: Collection) -> Board:
    runs = collection.runs
    columns = _columns(runs)
    latest_by_model: dict[str, RunEntry] = {}
    counts: dict[str, int] = {}
    for run in runs:
        latest_by_model.setdefault(run.model_name, run)
        counts[run.model_name] = counts.get(run.model_name, 0) + 1
    raw_cells: dict[str, dict[str, Cell]] = {name: {} for name in latest_by_model}
    for column in columns:
        for run in runs:
            entry = run.tasks.get(column.task)
            if entry is None or not entry.ok or not column.holds(entry):
                continue
            if column.slug not in raw_cells[run.model_name]:
                raw_cells[run.model_name][column.slug] = Cell(run, entry, entry.metric(column.headline_metric))
    rank_lists: dict[str, list[int]] = {name: [] for name in latest_by_model}
    for column in columns:
        values = {}
        for name, cells in raw_cells.items():
            metric = cells[column.slug].metric if column.slug in cells else None
            if metric is not None and metric.has_value:  # a missing (NaN) value is shown, never ranked
                values[name] = metric.value
        ranks = _ranks(values, column.direction)  # type: ignore[arg-type]
        for name, rank in ranks.items():
            old = raw_cells[name][column.slug]
            raw_cells[name][column.slug] = Cell(old.run, old.task, old.metric, rank, rank == 1 and len(ranks) > 1)
            rank_lists[name].append(rank)
    rows = [
        ModelRow(
            model_name=name, slug=model_page_slug(name), latest_run=latest_by_model[name], n_runs=counts[name],
            cells=raw_cells[name], mean_rank=float(np.mean(rank_lists[name])) if rank_lists[name] else None,
            aggregates=aggregate_scores(raw_cells[name]),
        )
        for name in latest_by_model
    ]
    rows.sort(key=lambda r: (r.mean_rank is None, r.mean_rank if r.mean_rank is not None else 0.0, r.model_name))
    present = tuple(name for name in AGGREGATE_SCORES if any(name in row.aggregates for row in rows))
    return Board(tuple(columns), tuple(rows), runs, collection.skipped, present)


# ------------------------------------------------------------------------------ data files


def overview_frame(board: Board) -> pd.DataFrame:
    """One row per model: mean rank, then per column the headline value, its CI and n."""
    records = []
    for row in board.rows:
        record: dict[str, Any] = {"model": row.model_name, "mean_rank": row.mean_rank,
                                  "latest_run": row.latest_run.run_id, "runs": row.n_runs}
        for name in board.aggregate_names:
            record[f"{name} score"] = row.aggregates.get(name)
        for column in board.columns:
            cell = row.cells.get(column.slug)
            metric = cell.metric if cell else None
            interval = shown_interval(metric)
            prefix = f"{column.label}: {column.headline_metric}"
            record[prefix] = metric.value if metric is not None and metric.has_value else None
            record[f"{prefix} ci_low"] = interval[0] if interval else None
            record[f"{prefix} ci_high"] = interval[1] if interval else None
            record[f"{prefix} n"] = metric.n if metric else None
        records.append(record)
    return pd.DataFrame.from_records(records)


def metrics_frame(board: Board) -> pd.DataFrame:
    """Every metric of every run (long format); `latest` marks the values the overview shows."""
    shown = {(row.model_name, slug): cell.run.run_id for row in board.rows for slug, cell in row.cells.items()}
    slugs = {(c.task, c.version, c.comparability): c.slug for c in board.columns}
    records = []
    for run in board.runs:
        for task in run.tasks.values():
            slug = slugs.get((task.name, task.version, task.comparability))
            for metric in task.metrics:
                interval = shown_interval(metric)
                records.append({
                    "model": run.model_name, "run_id": run.run_id, "created_at": run.created_at.isoformat(),
                    "fingerprint": run.model.fingerprint, "backend": run.model.backend,
                    "seed": run.seed, "task": task.name, "task_version": task.version, "metric": metric.name,
                    "headline": metric.name == (task.headline.name if task.headline else None),
                    "direction": metric.direction, "value": metric.value if metric.has_value else None, "n": metric.n, "stderr": metric.stderr,
                    "ci_low": interval[0] if interval else None, "ci_high": interval[1] if interval else None,
                    "ci_level": metric.ci_level,
                    "latest": slug is not None and shown.get((run.model_name, slug)) == run.run_id,
                })
    columns = ["model", "run_id", "created_at", "fingerprint", "backend", "seed", "task", "task_version", "metric",
               "headline", "direction", "value", "n", "stderr", "ci_low", "ci_high", "ci_level", "latest"]
    return pd.DataFrame.from_records(records, columns=columns)


def runs_json(board: Board) -> list[dict[str, Any]]:
    """Each run's identity, provenance and task summaries, for data/runs.json."""
    return [
        {
            "run_id": run.run_id, "created_at": run.created_at.isoformat(), "model": run.model.to_json(),
            "config": run.config.to_json(), "provenance": run.provenance.to_json(),
            "tasks": {
                name: {"version": t.version, "status": t.status, "error": t.error, "headline_metric": t.headline_metric,
                       "metrics": [m.to_json() for m in t.metrics], "n_samples": t.n_samples}
                for name, t in run.tasks.items()
            },
        }
        for run in board.runs
    ]
