"""Figures of the length-bias plugin (matplotlib, Agg backend, PNG).

- reward vs length with the fitted LOWESS curve, before and after calibration (one reward model);
- per-model overall score before -> after each method, with the gain's mean/max/min (the paper's
  Figure 1 as a plot; `bench calibrate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from bench.harness.derived_cache import cached_figure
from bench.metrics.reward_calibration import LowessCurve


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@cached_figure
def plot_reward_vs_length(
    path: Path,
    lengths: np.ndarray,
    before: np.ndarray,
    curve_before: LowessCurve,
    after: np.ndarray,
    curve_after: LowessCurve,
    title: str,
    feature: str = "characters",
    method: str = "RC-LWR",
) -> None:
    """Two panels: pooled (length, reward) points with their LOWESS curve, raw and calibrated."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
    grid = np.linspace(float(np.min(lengths)), float(np.max(lengths)), 200)
    for ax, rewards, curve, label in ((axes[0], before, curve_before, "raw"), (axes[1], after, curve_after, method)):
        ax.scatter(lengths, rewards, s=6, alpha=0.35, color="tab:blue", linewidths=0)
        ax.plot(grid, curve.evaluate(grid), color="tab:red", linewidth=2, label="LOWESS fit")
        ax.set_title(f"{label} reward")
        ax.set_xlabel(f"response length ({feature})")
        ax.set_ylabel("reward")
        ax.legend(loc="best", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


@dataclass(frozen=True)
class ModelScores:
    name: str
    original: float
    calibrated: dict[str, float]  # method -> overall score


@cached_figure
def plot_scores_before_after(path: Path, models: Sequence[ModelScores], methods: Sequence[str]) -> None:
    """Left: each model's overall score before -> after (one line per model, per method column).
    Right: strip of per-model gains per method with mean (bar) and max/min (whiskers)."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1.4, 1]})
    positions = {m: i + 1 for i, m in enumerate(methods)}
    for model in models:
        for method in methods:
            x = positions[method]
            left.plot([x - 0.35, x + 0.35], [model.original, model.calibrated[method]], color="tab:gray", alpha=0.5, linewidth=1)
            left.scatter([x + 0.35], [model.calibrated[method]], s=10, color="tab:blue")
        left.scatter([positions[m] - 0.35 for m in methods], [model.original] * len(methods), s=10, color="tab:orange")
    left.set_xticks(list(positions.values()), [f"raw -> {m}" for m in methods], rotation=20, fontsize=8)
    left.set_ylabel("RewardBench score")
    left.set_title("score before (orange) -> after (blue), one line per model")
    for method in methods:
        gains = np.array([m.calibrated[method] - m.original for m in models])
        x = positions[method]
        jitter = np.linspace(-0.15, 0.15, len(gains)) if len(gains) > 1 else np.zeros(1)
        right.scatter(x + jitter, gains, s=10, alpha=0.7)
        right.hlines(gains.mean(), x - 0.25, x + 0.25, color="black", linewidth=2)
        right.vlines(x, gains.min(), gains.max(), color="black", linewidth=0.8)
        right.annotate(f"{gains.mean():+.2f}", (x + 0.27, gains.mean()), fontsize=8, va="center")
    right.axhline(0, color="tab:gray", linewidth=0.8, linestyle="--")
    right.set_xticks(list(positions.values()), list(methods), rotation=20, fontsize=8)
    right.set_ylabel("gain (score points)")
    right.set_title("gain per model: mean (bar), min-max (line)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
