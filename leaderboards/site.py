"""Rendering the static leaderboard site: HTML pages, charts, copied task plots and data files.

    SITE_DIR/
        index.html                 overview: models x task columns (headline metric, CI, arrows)
        task-<column>.html         one per task version: every metric, charts, task plots, history
        model-<model>.html         one per model: shown results, every run with its provenance
        charts/*.svg               matplotlib charts (plots.py)
        artifacts/...              the tasks' own plots, copied from the run folders
        data/overview.csv, metrics.csv, runs.json, leaderboard.json
        .bench-leaderboard         marker: this folder may be rebuilt

Everything is relative links inside one folder, CSS and JS are inline, so the site works from
file:// with no network. Jinja2 autoescapes every value from a result document; the one inline
script and style are allowed by their sha256 in the page's Content-Security-Policy, so even an
injected <script> element would not run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from bench.harness.errors import UsageError
from bench.harness.provenance import bench_version
from bench.harness.results import json_safe, write_bytes_atomic, write_json_atomic
from bench.leaderboards.collection import collect_runs, shown_interval
from bench.leaderboards.plots import metric_chart
from bench.leaderboards.tables import Board, Column, build_board, metrics_frame, overview_frame, runs_json
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

log = logging.getLogger(__name__)

MARKER = ".bench-leaderboard"
GENERATED = ("charts", "artifacts", "data")


@dataclass(frozen=True)
class SiteSummary:
    site_dir: Path
    pages: int
    models: int
    columns: int
    runs: int
    skipped: int


def number(value: Any, digits: int = 4) -> str:
    """Compact display of a metric value: 4 significant digits, scientific when tiny or huge."""
    if value is None:
        return "–"
    value = float(value)
    if value != value:  # NaN
        return "–"
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:.{digits}g}"


def sort_key(value: Any) -> str:
    if value is None or float(value) != float(value):  # missing or NaN: sorts as empty
        return ""
    return repr(float(value))


def anchor(text: str) -> str:
    return "run-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", str(text)).strip("-") or "x")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bench.leaderboards", "templates"),
        autoescape=True,  # every page is HTML: escape every value, always
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=number, sortkey=sort_key, anchor=anchor, interval=shown_interval,
        date=lambda d: d.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        task_page=lambda slug: f"task-{slug}.html", model_page=lambda slug: f"model-{slug}.html",
    )
    return env


def _static(name: str) -> str:
    return resources.files("bench.leaderboards").joinpath(f"static/{name}").read_text()


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def check_site_dir(site_dir: Path, results_dir: Path) -> None:
    """UsageError (exit 2) unless `site_dir` can become the site: checked before any document is read.

    It must be a folder or not exist yet; writable (or creatable in its nearest existing parent);
    not the results folder or one above it; empty or a previous leaderboard (its marker file).
    """
    if site_dir.exists() and not site_dir.is_dir():
        raise UsageError(f"site folder {str(site_dir)!r} exists and is not a folder")
    if site_dir.resolve() == results_dir.resolve() or results_dir.resolve().is_relative_to(site_dir.resolve()):
        raise UsageError(f"site folder {str(site_dir)!r} would contain the results folder; choose another one")
    existing = site_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"site folder {str(site_dir)!r} cannot be created: {str(existing)!r} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"site folder {str(site_dir)!r} is not writable ({str(existing)!r}: permission denied)")
    if site_dir.is_dir() and any(site_dir.iterdir()) and not (site_dir / MARKER).exists():
        raise UsageError(
            f"site folder {str(site_dir)!r} is not empty and not a bench leaderboard; choose an empty or new folder"
        )


def _prepare_site_dir(site_dir: Path, results_dir: Path) -> None:
    check_site_dir(site_dir, results_dir)
    try:
        site_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"site folder {str(site_dir)!r} cannot be created: {exc.strerror or exc}") from exc
    for name in GENERATED:
        shutil.rmtree(site_dir / name, ignore_errors=True)
    for page in site_dir.glob("*.html"):
        page.unlink()
    (site_dir / MARKER).write_text("generated by `bench leaderboard`; rebuilt in place\n")


def _copy_artifacts(board: Board, column: Column, site_dir: Path) -> list[tuple[str, list[dict[str, str]]]]:
    """Copy the task's own plots of the shown runs into artifacts/; return (model, figures) for the page."""
    groups = []
    for row in board.rows:
        cell = row.cells.get(column.slug)
        if not cell or not cell.run.task_plots(column.task):
            continue
        figures = []
        for number_, plot in enumerate(cell.run.task_plots(column.task)):
            relative = Path("artifacts") / row.slug / column.slug / f"{number_:02d}-{_safe_name(plot.file.name)}"
            (site_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(plot.file, site_dir / relative)
            figures.append({"path": relative.as_posix(), "name": plot.name, "caption": plot.caption})
        groups.append((row.model_name, figures))
    return groups


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[-80:] or "plot"


def _best_values(board: Board, column: Column, metric_names: list[str]) -> dict[tuple[str, str], bool]:
    best: dict[tuple[str, str], bool] = {}
    for name in metric_names:
        values = []
        for row in board.rows:
            cell = row.cells.get(column.slug)
            metric = cell.task.metric(name) if cell else None
            if metric is not None and metric.has_value and metric.direction in ("higher", "lower"):
                values.append((row.model_name, metric.value, metric.direction))
        if len(values) < 2:
            continue
        pick = max if values[0][2] == "higher" else min
        top = pick(v[1] for v in values)
        for model, value, _ in values:
            best[(model, name)] = value == top
    return best


def build_site(results_dir: str | Path, site_dir: str | Path, title: str = "bench leaderboard") -> SiteSummary:
    """Read every result document under `results_dir` and write the static site into `site_dir`."""
    results, site = Path(results_dir), Path(site_dir)
    check_site_dir(site, results)  # a bad -o fails before any document is read
    board = build_board(collect_runs(results))
    _prepare_site_dir(site, results)
    env = _environment()
    css, js = _static("site.css"), _static("sortable.js")
    csp = (
        "default-src 'none'; img-src 'self' file: data:; "
        f"style-src {_csp_hash(css)}; script-src {_csp_hash(js)}; base-uri 'none'; form-action 'none'"
    )
    common = {
        "site_title": title, "css": Markup(css), "js": Markup(js), "csp": csp, "bench_version": bench_version(),
        "built_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "n_runs": len(board.runs),
    }

    def write_page(name: str, template: str, **context: Any) -> None:
        html = env.get_template(template).render(**common, **context)
        write_bytes_atomic(site / name, html.encode())

    headline_charts = []
    for column in board.columns:
        metric_names = board.metric_names(column)
        charts = []
        for index, name in enumerate(metric_names):
            relative = f"charts/{column.slug}-{index:02d}.svg"
            if metric_chart(board, column, name, site / relative):
                chart = {"path": relative, "alt": f"{column.label}: {name} per model",
                         "caption": f"{name} per model, newest run each, with its 95% interval where reported",
                         "page": f"task-{column.slug}.html"}
                charts.append(chart)
                if name == column.headline_metric:
                    headline_charts.append(chart)
        rows = [(row, row.cells[column.slug]) for row in board.rows if column.slug in row.cells]
        directions: dict[str, str] = {}
        descriptions: dict[str, str] = {}
        for _, cell in rows:
            for metric in cell.task.metrics:
                directions.setdefault(metric.name, metric.direction)
                if metric.description:
                    descriptions.setdefault(metric.name, metric.description)
        shown = {(row.model_name, cell.run.run_id) for row, cell in rows}
        slugs = {row.model_name: row.slug for row in board.rows}
        history = [(run, entry, (run.model_name, run.run_id) in shown, slugs[run.model_name])
                   for run, entry in board.history(column)]
        newest_config = dict(history[0][1].config) if history else {}
        write_page(
            f"task-{column.slug}.html", "task.html", column=column, metric_names=metric_names, rows=rows,
            directions=directions, descriptions=descriptions, best=_best_values(board, column, metric_names),
            charts=charts, artifacts=_copy_artifacts(board, column, site), history=history,
            other_versions=[c for c in board.columns if c.task == column.task and c.version != column.version],
            config_json=json.dumps(json_safe(newest_config), indent=2, sort_keys=True),
        )
    for row in board.rows:
        ranked = {c.slug: sum(1 for r in board.rows if r.cells.get(c.slug) and r.cells[c.slug].rank is not None)
                  for c in board.columns}
        write_page(f"model-{row.slug}.html", "model.html", row=row, runs=board.runs_of(row.model_name),
                   columns=board.columns, ranked=ranked)
    column_counts = {c.slug: sum(1 for r in board.rows if c.slug in r.cells) for c in board.columns}
    write_page("index.html", "index.html", board=board, headline_charts=headline_charts, column_counts=column_counts)

    data = site / "data"
    write_bytes_atomic(data / "overview.csv", overview_frame(board).to_csv(index=False).encode())
    write_bytes_atomic(data / "metrics.csv", metrics_frame(board).to_csv(index=False).encode())
    write_json_atomic(data / "runs.json", runs_json(board))
    write_json_atomic(data / "leaderboard.json", {
        "columns": [c.__dict__ for c in board.columns],
        "models": [
            {"model": row.model_name, "mean_rank": row.mean_rank, "aggregates": row.aggregates,
             "latest_run": row.latest_run.run_id,
             "cells": {slug: {"run_id": cell.run.run_id, "metric": cell.metric.to_json() if cell.metric else None,
                              "rank": cell.rank} for slug, cell in row.cells.items()}}
            for row in board.rows
        ],
        "skipped": [{"path": str(s.path), "reason": s.reason} for s in board.skipped],
    })
    pages = 1 + len(board.columns) + len(board.rows)
    log.info("leaderboard: %d pages in %s", pages, site)
    return SiteSummary(site, pages, len(board.rows), len(board.columns), len(board.runs), len(board.skipped))
