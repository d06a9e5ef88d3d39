"""Plain-text tables of a result document for the terminal.

`format_result_table(document)` is the short table `bench eval` prints: per task its headline
metric and a few key figures (`KEY_FIGURES` metrics that have a direction), then how many more
the task reported. `format_result_table(document, full=True)` is `bench show`: every metric,
every failed task's error, and the run's provenance.

Uncertainty cells never invent a number: a reported interval prints as `[low, high]`, a standard
error as `± se`; a metric with neither prints "n too small" when its n is below the minimum for
any interval (metrics/intervals.py) and "–" otherwise. A missing value (NaN/null) prints
"missing".
"""

from __future__ import annotations

from bench.harness.schema import MetricValue, ResultDocument, TaskResult
from bench.metrics.intervals import MIN_INTERVAL_N

KEY_FIGURES = 3  # metrics shown per task after the headline in the `bench eval` table

_ARROWS = {"higher": "↑", "lower": "↓", "none": " "}


def _number(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}"


def uncertainty_cell(metric: MetricValue) -> str:
    """The metric's interval as text; see the module docstring for what is shown when there is none."""
    interval = metric.interval
    if interval is not None:
        return f"[{_number(interval[0])}, {_number(interval[1])}]"
    if metric.stderr is not None:
        return f"± {_number(metric.stderr)}"
    return "n too small" if metric.n < MIN_INTERVAL_N else "–"


def key_metrics(task: TaskResult, limit: int = KEY_FIGURES) -> list[MetricValue]:
    """The headline, then up to `limit` further metrics that have a direction (report order)."""
    headline = task.headline
    chosen = [headline] if headline else []
    for metric in task.metrics:
        if len(chosen) > limit:
            break
        if metric is not headline and metric.direction != "none":
            chosen.append(metric)
    return chosen


def _metric_row(task: TaskResult, metric: MetricValue, first: bool) -> tuple[str, ...]:
    return (
        task.name if first else "",
        task.version if first else "",
        metric.name + (" *" if metric.name == task.headline_metric else ""),
        _ARROWS.get(metric.direction, " "),
        _number(metric.value) if metric.has_value else "missing",
        uncertainty_cell(metric) if metric.has_value else "–",
        str(metric.n),
    )


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return lines


def format_result_table(document: ResultDocument, full: bool = False) -> str:
    """The result as a table: the short `bench eval` summary, or everything (`full`, for `bench show`)."""
    rows: list[tuple[str, ...]] = [("task", "version", "metric", "", "value", "95% CI / stderr", "n")]
    hidden = 0
    for task in document.tasks.values():
        if not task.ok:
            error = task.error or ""
            rows.append((task.name, task.version, "FAILED", "", "-", error if full else error[:60], "-"))
            continue
        shown = list(task.metrics) if full else key_metrics(task)
        hidden += len(task.metrics) - len(shown)
        rows += [_metric_row(task, metric, i == 0) for i, metric in enumerate(shown)]
        if not shown:
            rows.append((task.name, task.version, "(no metrics)", "", "", "", ""))
    model = document.model
    out = [f"model {model.name} ({model.backend}, {model.fingerprint[:23]})", *_table(rows)]
    out.append("* headline metric")
    if hidden:
        out.append(f"{hidden} more metrics in the result document: bench show RESULT.json")
    if full:
        p = document.provenance
        out.append("")
        out.append(
            f"run {document.run_id} at {p.started_at}: seed {p.seed}, {p.wall_time_s} s, "
            f"{p.requests} requests ({p.cache_hits} cached), bench {p.bench_version} "
            f"git {str(p.git_revision)[:12]}"
        )
    return "\n".join(out)
