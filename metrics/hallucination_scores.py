"""Aggregate hallucination scores: factuality, faithfulness, and their uncertainty.

Hallucinations Leaderboard (Hong et al. 2024), reused by Huang et al. (Findings of ACL 2025):
every task metric is scaled to [0, 1] and

    factuality   = mean of the factuality tasks' metrics     (unweighted over tasks)
    faithfulness = mean of the faithfulness tasks' metrics

A score's interval is a stratified bootstrap over samples: each replicate resamples every task's
per-sample values with replacement (within the task), recomputes each task mean and averages
them. Replicates of a mean of values in [0, 1] stay in [0, 1], so the percentile interval does
too. No interval when any task has fewer than MIN_INTERVAL_N samples (bench.metrics.intervals).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from bench.metrics.intervals import MIN_INTERVAL_N


def unweighted_score(task_values: Mapping[str, float]) -> float:
    """Mean over tasks of their metric values (nan if there are none or one is missing)."""
    values = list(task_values.values())
    if not values or any(v is None or not math.isfinite(v) for v in values):
        return math.nan
    return float(sum(values) / len(values))


def stratified_bootstrap_score(
    per_task_samples: Sequence[Sequence[float]], seed: int = 0, resamples: int = 2000, level: float = 0.95
) -> tuple[float, float] | None:
    """Percentile interval of mean_t(mean(task t's samples)) by resampling samples within each task.

    None when a task has fewer than MIN_INTERVAL_N samples (or there are no tasks).
    Values must lie in [0, 1].
    """
    if not per_task_samples or any(len(values) < MIN_INTERVAL_N for values in per_task_samples):
        return None
    rng = np.random.default_rng(seed)
    replicate = np.zeros(resamples)
    for values in per_task_samples:
        x = np.asarray(values, dtype=float)
        if np.any(~np.isfinite(x)) or x.min() < 0.0 or x.max() > 1.0:
            raise ValueError("per-sample values must be finite and lie in [0, 1]")
        draws = rng.integers(0, x.size, size=(resamples, x.size))
        replicate += x[draws].mean(axis=1)
    replicate /= len(per_task_samples)
    tail = (1 - level) / 2
    low, high = np.quantile(replicate, [tail, 1 - tail])
    return max(0.0, float(low)), min(1.0, float(high))


def bootstrap_difference(
    a: Sequence[Sequence[float]], b: Sequence[Sequence[float]], seed: int = 0, resamples: int = 2000,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile interval of score(a) - score(b) (two independent stratified bootstraps), in [-1, 1]."""
    if not a or not b or any(len(v) < MIN_INTERVAL_N for v in [*a, *b]):
        return None
    rng = np.random.default_rng(seed)

    def replicates(groups: Sequence[Sequence[float]]) -> np.ndarray:
        total = np.zeros(resamples)
        for values in groups:
            x = np.asarray(values, dtype=float)
            total += x[rng.integers(0, x.size, size=(resamples, x.size))].mean(axis=1)
        return total / len(groups)

    diff = replicates(a) - replicates(b)
    tail = (1 - level) / 2
    low, high = np.quantile(diff, [tail, 1 - tail])
    return max(-1.0, float(low)), min(1.0, float(high))
