"""Figures of the UNO tasks (matplotlib, Agg backend, PNG): win rate with 95% CIs per
setting and opponent, and the ODHR@K curve over K with the random-choice level."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from bench.harness.derived_cache import cached_figure
from bench.metrics.intervals import Estimate


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@cached_figure
def plot_win_rates(
    path: Path, cells: dict[tuple[str, str], Estimate], chance: dict[str, float], title: str
) -> None:
    """Grouped bars (settings on x, one bar per opponent) with Wilson 95% error bars (none where
    the cell has too few games for an interval); dashed lines at 1 / number of players."""
    plt = _pyplot()
    settings = list(dict.fromkeys(s for s, _ in cells))
    opponents = list(dict.fromkeys(o for _, o in cells))
    width = 0.8 / len(opponents)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for j, opponent in enumerate(opponents):
        xs, ys, lows, highs = [], [], [], []
        for i, setting in enumerate(settings):
            est = cells.get((setting, opponent))
            if est is None:
                continue
            xs.append(i + (j - (len(opponents) - 1) / 2) * width)
            ys.append(est.value)
            interval = est.interval
            lows.append(0.0 if interval is None else est.value - interval.low)
            highs.append(0.0 if interval is None else interval.high - est.value)
        ax.bar(xs, ys, width, yerr=[lows, highs], capsize=4, label=f"vs {opponent}")
    for i, setting in enumerate(settings):
        ax.hlines(chance[setting], i - 0.45, i + 0.45, colors="grey", linestyles="dashed")
    ax.set_xticks(range(len(settings)), settings)
    ax.set_ylim(0, 1)
    ax.set_ylabel("win rate (95% CI); dashed: 1 / players")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


@cached_figure
def plot_odhr_curve(
    path: Path, ks: Sequence[int], odhr: Sequence[float], chance: Sequence[float], title: str
) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(ks, odhr, marker="o", label="model")
    ax.plot(ks, chance, marker=".", linestyle="dashed", color="grey", label="uniform random choice")
    ax.set_xlabel("K")
    ax.set_ylabel("ODHR@K")
    ax.set_ylim(0, 1.02)
    ax.set_xticks(np.asarray(ks))
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
