"""Reading a folder of result documents into typed run records for the leaderboard.

`collect_runs(results_dir)` finds every `result.json` below the folder, reads each as a typed
`ResultDocument` (`bench.harness.results.read_result`), and returns the runs (newest first) plus
the files it had to skip (with the one-line reason), so one broken document does not take the
site down. Metrics and tasks are the document's own records (MetricValue, TaskResult); a metric
without a value (NaN/null) is shown as missing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.harness.errors import ResultFileError, UsageError
from bench.harness.results import RESULT_FILENAME, model_slug, read_result
from bench.harness.schema import (
    MetricValue,
    ModelRecord,
    Provenance,
    ResultDocument,
    RunConfigRecord,
    TaskResult,
)

log = logging.getLogger(__name__)


def shown_interval(metric: MetricValue | None) -> tuple[float, float] | None:
    """The interval a page shows: the reported CI, else value +- z * stderr (normal approximation), else None.

    Nothing is shown for a metric without a value or without any uncertainty (n too small).
    """
    if metric is None or not metric.has_value:
        return None
    if metric.interval is not None:
        return metric.interval
    if metric.stderr is not None:
        from scipy.stats import norm

        half = float(norm.ppf(0.5 + metric.ci_level / 2)) * metric.stderr
        return metric.value - half, metric.value + half
    return None


@dataclass(frozen=True)
class PlotEntry:
    name: str
    file: Path  # absolute, checked to lie inside the run folder
    caption: str = ""


@dataclass(frozen=True)
class RunEntry:
    """One result document, where it lives, and its tasks' plot files (checked to lie in the run folder)."""

    document: ResultDocument
    created_at: datetime
    folder: Path
    plots: Mapping[str, tuple[PlotEntry, ...]] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return self.document.run_id

    @property
    def model_name(self) -> str:
        return self.document.model.name

    @property
    def model(self) -> ModelRecord:
        return self.document.model

    @property
    def config(self) -> RunConfigRecord:
        return self.document.config

    @property
    def provenance(self) -> Provenance:
        return self.document.provenance

    @property
    def tasks(self) -> Mapping[str, TaskResult]:
        return self.document.tasks

    @property
    def seed(self) -> int:
        return self.provenance.seed

    def task_plots(self, task: str) -> tuple[PlotEntry, ...]:
        return self.plots.get(task, ())


@dataclass(frozen=True)
class SkippedFile:
    path: Path
    reason: str


@dataclass(frozen=True)
class Collection:
    runs: tuple[RunEntry, ...]  # newest first
    skipped: tuple[SkippedFile, ...]


def model_page_slug(model_name: str) -> str:
    """A file name for a model's page: readable, and unique even when two names slug alike."""
    digest = hashlib.sha256(model_name.encode()).hexdigest()[:8]
    return f"{model_slug(model_name)[:60]}-{digest}"


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _plots(entry: TaskResult, folder: Path) -> tuple[PlotEntry, ...]:
    plots = []
    root = folder.resolve()
    for plot in entry.plots:
        file = (folder / plot.path).resolve()
        # A document is input: never let a plot path pull files from outside its run folder into the site.
        if not file.is_relative_to(root):
            log.warning("plot %r of task %r in %s points outside the run folder; left out", plot.path, entry.name, folder)
            continue
        if not file.is_file():
            log.warning("plot %r of task %r in %s is missing; left out", plot.path, entry.name, folder)
            continue
        plots.append(PlotEntry(plot.name or file.stem, file, plot.caption))
    return tuple(plots)


def run_from_document(document: ResultDocument, folder: Path) -> RunEntry:
    return RunEntry(
        document=document, created_at=_parse_time(document.created_at), folder=folder,
        plots={name: _plots(entry, folder) for name, entry in document.tasks.items()},
    )


def collect_runs(results_dir: str | Path) -> Collection:
    """Every valid result document below `results_dir`, newest first, and the files skipped.

    Raises UsageError when the folder does not exist, ResultFileError when it holds no valid document.
    """
    root = Path(results_dir)
    if not root.is_dir():
        raise UsageError(f"results folder {str(root)!r} does not exist or is not a folder")
    runs: list[RunEntry] = []
    skipped: list[SkippedFile] = []
    for file in sorted(root.rglob(RESULT_FILENAME)):
        try:
            runs.append(run_from_document(read_result(file), file.parent))
        except (ResultFileError, ValueError, KeyError, TypeError) as exc:
            log.warning("skipping %s: %s", file, exc)
            skipped.append(SkippedFile(file, str(exc)))
    if not runs:
        found = f" ({len(skipped)} invalid: {skipped[0].reason})" if skipped else ""
        raise ResultFileError(f"no valid result documents ({RESULT_FILENAME}) under {str(root)!r}{found}")
    runs.sort(key=lambda r: (r.created_at, r.run_id), reverse=True)
    return Collection(tuple(runs), tuple(skipped))
