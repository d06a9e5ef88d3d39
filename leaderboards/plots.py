"""Leaderboard figures: one dot-and-interval chart per (task column, metric) across models.

Each chart shows every model's latest value with its interval (the reported CI, or +-z*stderr),
best model on top, the direction in the axis label. Written as SVG (matplotlib, Agg backend)
with a fixed hash salt and no date, so rebuilding the site from the same results gives the same
files. Text is XML-escaped by matplotlib, and the page embeds the SVG through <img>, where no
script inside an SVG can run.
"""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from bench.leaderboards.collection import shown_interval  # noqa: E402
from bench.leaderboards.tables import Board, Column  # noqa: E402

log = logging.getLogger(__name__)

_DIRECTION_TEXT = {"higher": "higher is better →", "lower": "← lower is better", "none": ""}


def _short(name: str, limit: int = 38) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def metric_chart(board: Board, column: Column, metric_name: str, target: Path) -> bool:
    """Write the chart of `metric_name` in `column` to `target` (SVG); False when no model has a value."""
    points = []
    direction = "none"
    for row in board.rows:
        cell = row.cells.get(column.slug)
        metric = cell.task.metric(metric_name) if cell else None
        if metric is None or not metric.has_value:  # missing (NaN): no point to draw
            continue
        direction = metric.direction
        points.append((row.model_name, metric.value, shown_interval(metric)))
    if not points:
        return False
    # y index 0 is the bottom of the axis: sort so that the best model ends up on top.
    points.sort(key=lambda p: p[1], reverse=direction == "lower")
    with plt.rc_context({"svg.hashsalt": "bench-leaderboard", "svg.fonttype": "none", "font.size": 9}):
        fig, ax = plt.subplots(figsize=(6.4, 0.9 + 0.32 * len(points)))
        ys = range(len(points))
        values = [p[1] for p in points]
        low = [p[1] - p[2][0] if p[2] else 0.0 for p in points]
        high = [p[2][1] - p[1] if p[2] else 0.0 for p in points]
        ax.errorbar(values, ys, xerr=[low, high], fmt="o", color="#1f5fa8", ecolor="#7aa6d6", capsize=3, lw=1.5)
        ax.set_yticks(list(ys), [_short(p[0]) for p in points])
        ax.set_xlabel(f"{metric_name}  {_DIRECTION_TEXT.get(direction, '')}".strip())
        ax.set_title(f"{column.label}: {metric_name} (95% CI where reported)", loc="left", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        target.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(target, format="svg", metadata={"Date": None})
        plt.close(fig)
    return True
