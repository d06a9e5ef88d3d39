"""Reading a folder of result documents into typed run records for the leaderboard.

`collect_runs(results_dir)` finds every `result.json` below the folder, validates each with
`bench.harness.results.load_result`, and returns the runs (newest first) plus the files it had
to skip (with the one-line reason), so one broken document does not take the site down.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness.errors import ResultFileError, UsageError
from bench.harness.results import RESULT_FILENAME, load_result, model_slug

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetricEntry:
    name: str
    value: float | None
    direction: str
    n: int
    stderr: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float = 0.95
    description: str = ""

    @property
    def interval(self) -> tuple[float, float] | None:
        """The reported CI, or value +- z * stderr (normal approximation) when only a stderr is given."""
        if self.ci_low is not None and self.ci_high is not None:
            return self.ci_low, self.ci_high
        if self.stderr is not None and self.value is not None:
            from scipy.stats import norm

            half = float(norm.ppf(0.5 + self.ci_level / 2)) * self.stderr
            return self.value - half, self.value + half
        return None


@dataclass(frozen=True)
class PlotEntry:
    name: str
    file: Path  # absolute, checked to lie inside the run folder
    caption: str = ""


@dataclass(frozen=True)
class TaskEntry:
    name: str
    version: str
    status: str
    error: str | None
    headline_metric: str | None
    description: str
    metrics: tuple[MetricEntry, ...]
    plots: tuple[PlotEntry, ...]
    n_samples: int
    wall_time_s: float
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def metric(self, name: str | None) -> MetricEntry | None:
        for m in self.metrics:
            if m.name == name:
                return m
        return None

    @property
    def headline(self) -> MetricEntry | None:
        """The task's headline metric, or its first metric when the document names none."""
        return self.metric(self.headline_metric) or (self.metrics[0] if self.metrics else None)


@dataclass(frozen=True)
class RunEntry:
    """One result document: which model, when, how, and its tasks."""

    run_id: str
    created_at: datetime
    model_name: str
    model: dict[str, Any]
    config: dict[str, Any]
    provenance: dict[str, Any]
    tasks: dict[str, TaskEntry]
    folder: Path

    @property
    def model_key(self) -> str:
        return self.model_name

    @property
    def seed(self) -> int:
        return int(self.provenance.get("seed", self.config.get("seed", 0)))


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


def _plots(entry: dict[str, Any], folder: Path, task: str) -> tuple[PlotEntry, ...]:
    plots = []
    root = folder.resolve()
    for plot in entry.get("plots", []):
        file = (folder / plot["path"]).resolve()
        # A document is input: never let a plot path pull files from outside its run folder into the site.
        if not file.is_relative_to(root):
            log.warning("plot %r of task %r in %s points outside the run folder; left out", plot["path"], task, folder)
            continue
        if not file.is_file():
            log.warning("plot %r of task %r in %s is missing; left out", plot["path"], task, folder)
            continue
        plots.append(PlotEntry(str(plot.get("name") or file.stem), file, str(plot.get("caption") or "")))
    return tuple(plots)


def run_from_document(document: dict[str, Any], folder: Path) -> RunEntry:
    tasks = {}
    for name, entry in document["tasks"].items():
        metrics = tuple(
            MetricEntry(
                name=m["name"], value=m.get("value"), direction=m["direction"], n=int(m.get("n") or 0),
                stderr=m.get("stderr"), ci_low=m.get("ci_low"), ci_high=m.get("ci_high"),
                ci_level=float(m.get("ci_level") or 0.95), description=m.get("description") or "",
            )
            for m in entry["metrics"]
        )
        tasks[name] = TaskEntry(
            name=name, version=str(entry["version"]), status=entry["status"], error=entry.get("error"),
            headline_metric=entry.get("headline_metric"), description=entry.get("description") or "",
            metrics=metrics, plots=_plots(entry, folder, name), n_samples=int(entry.get("n_samples") or 0),
            wall_time_s=float(entry.get("wall_time_s") or 0.0), config=dict(entry.get("config") or {}),
        )
    return RunEntry(
        run_id=document["run_id"], created_at=_parse_time(document["created_at"]),
        model_name=document["model"]["name"], model=dict(document["model"]), config=dict(document["config"]),
        provenance=dict(document["provenance"]), tasks=tasks, folder=folder,
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
            document = load_result(file)
            runs.append(run_from_document(document, file.parent))
        except (ResultFileError, ValueError, KeyError) as exc:
            log.warning("skipping %s: %s", file, exc)
            skipped.append(SkippedFile(file, str(exc)))
    if not runs:
        found = f" ({len(skipped)} invalid: {skipped[0].reason})" if skipped else ""
        raise ResultFileError(f"no valid result documents ({RESULT_FILENAME}) under {str(root)!r}{found}")
    runs.sort(key=lambda r: (r.created_at, r.run_id), reverse=True)
    return Collection(tuple(runs), tuple(skipped))
