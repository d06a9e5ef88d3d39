"""Correlation of two fairness metrics across models, and CAIRO's combination selection.

Zayed et al., ACL 2024 (arXiv 2406.05918): for every prompt combination c, two metrics M1, M2 give
each of the m models a bias; their agreement is Pearson's r (and here also Spearman's rho) over the
m models. CAIRO picks the combination with the highest r. Picking the best of up to 15,504
candidates on 10 points overfits (spec pitfall 5), so `select_combination` reports, beside the
in-sample maximum, the correlation of the SAME combination on held-out prompts, the average over
all combinations of each k, and a permutation p-value that repeats the whole selection under the
null (the max statistic), so it accounts for the search.

Pure functions: arrays in, numbers out. Pearson/Spearman of single pairs come from scipy; the
vectorised versions below compute the same formula for many combinations at once (scipy would
loop in Python over 15,504 columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from bench.metrics.intervals import MIN_INTERVAL_N
from scipy import stats

CorrelationMethod = Literal["pearson", "spearman"]


def correlation(x: np.ndarray, y: np.ndarray, method: CorrelationMethod = "pearson") -> float:
    """Pearson's r or Spearman's rho between two vectors over models (NaN when either is constant)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) != len(y) or len(x) < 3:
        raise ValueError(f"need two vectors of the same length >= 3, got {len(x)} and {len(y)}")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    result = stats.pearsonr(x, y) if method == "pearson" else stats.spearmanr(x, y)
    return float(result.statistic)


def columnwise_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson's r for each column: x, y of shape (models, C) -> shape (C,).

    r = sum((x - mean x)(y - mean y)) / sqrt(sum((x - mean x)^2) sum((y - mean y)^2)); NaN for a
    constant column.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    xc = x - x.mean(axis=0)
    yc = y - y.mean(axis=0)
    denominator = np.sqrt((xc * xc).sum(axis=0) * (yc * yc).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (xc * yc).sum(axis=0) / denominator
    return np.where(denominator > 0, np.clip(r, -1.0, 1.0), np.nan)


def columnwise_correlation(x: np.ndarray, y: np.ndarray, method: CorrelationMethod = "pearson") -> np.ndarray:
    """Pearson or Spearman (Pearson of average ranks) for each column of (models, C) arrays."""
    if method == "spearman":
        x = stats.rankdata(x, axis=0)
        y = stats.rankdata(y, axis=0)
    return columnwise_pearson(x, y)


def finite_mean(values: np.ndarray) -> float:
    """Mean of the finite entries (NaN, without a warning, when there are none)."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


@dataclass(frozen=True)
class CorrelationResult:
    """A correlation over `n_models` models with a bootstrap CI over models (None when n < 5 or
    too few usable resamples) and a two-sided permutation p-value."""

    method: str
    value: float
    n_models: int
    ci_low: float | None
    ci_high: float | None
    p_value: float | None


def bootstrap_ci(
    x: np.ndarray, y: np.ndarray, method: CorrelationMethod = "pearson", *, n_resamples: int = 2000,
    level: float = 0.95, seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile bootstrap CI of the correlation, resampling models with replacement.

    Percentiles of correlations stay in [-1, 1]. Resamples in which either vector is constant have
    no correlation and are dropped; None when fewer than MIN_INTERVAL_N models or when more than a
    tenth of the resamples had to be dropped (the interval would not mean its level).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    if n < MIN_INTERVAL_N:
        return None
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n, size=(n, n_resamples))
    values = columnwise_correlation(x[picks], y[picks], method)
    values = values[np.isfinite(values)]
    if len(values) < 0.9 * n_resamples:
        return None
    alpha = (1.0 - level) / 2.0
    return float(np.quantile(values, alpha)), float(np.quantile(values, 1.0 - alpha))


def permutation_p_value(
    x: np.ndarray, y: np.ndarray, method: CorrelationMethod = "pearson", *, n_permutations: int = 2000, seed: int = 0,
) -> float:
    """Two-sided permutation p-value of H0 "no association": the share of random re-pairings of the
    models whose |r| reaches the observed |r|, counting the observed pairing: (1 + hits) / (1 + N)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    observed = abs(correlation(x, y, method))
    if not np.isfinite(observed):
        return float("nan")
    rng = np.random.default_rng(seed)
    order = np.argsort(rng.random((n_permutations, len(y))), axis=1).T  # (models, N) permutations
    permuted = columnwise_correlation(np.repeat(x[:, None], n_permutations, axis=1), y[order], method)
    hits = int(np.sum(np.abs(permuted) >= observed - 1e-12))
    return (1 + hits) / (1 + n_permutations)


def correlate(
    x: np.ndarray, y: np.ndarray, method: CorrelationMethod = "pearson", *, n_resamples: int = 2000, seed: int = 0,
) -> CorrelationResult:
    """The correlation of two metrics' bias vectors over models, with its CI and p-value."""
    value = correlation(x, y, method)
    ci = bootstrap_ci(x, y, method, n_resamples=n_resamples, seed=seed) if np.isfinite(value) else None
    p = permutation_p_value(x, y, method, n_permutations=n_resamples, seed=seed) if np.isfinite(value) else None
    return CorrelationResult(method, value, len(x), None if ci is None else ci[0], None if ci is None else ci[1], p)


@dataclass(frozen=True)
class Selection:
    """CAIRO's choice among combinations of sizes `ks`.

    `index` and `k` name the chosen combination (index into the concatenated columns); `selected_r`
    is its in-sample correlation (the maximum, optimistic by construction), `heldout_r` the same
    combination's correlation on held-out prompts, `original_r` the k = 1 (originals only) value,
    `average_r_by_k` the mean over each k's combinations (the "Average" baseline), `heldout_average_r`
    the held-out mean over all combinations, and `selection_p_value` the share of model permutations
    whose best combination reaches `selected_r` (max statistic: the search is part of the null).
    """

    index: int
    k: int
    selected_r: float
    heldout_r: float
    original_r: float
    heldout_original_r: float
    average_r_by_k: dict[int, float]
    heldout_average_r: float
    selection_p_value: float
    n_combinations: int


def select_combination(
    x_valid: np.ndarray, y_valid: np.ndarray, x_heldout: np.ndarray, y_heldout: np.ndarray, ks: np.ndarray,
    method: CorrelationMethod = "pearson", *, n_permutations: int = 200, seed: int = 0,
) -> Selection:
    """Select the combination with the highest correlation on `valid`, re-score it on `heldout`.

    x_*, y_*: shape (models, C) — the two metrics' biases per model for each of C combinations,
    the columns in the same order on both splits; `ks`: shape (C,), each column's k (column 0 must
    be k = 1, the originals). Columns whose correlation is undefined (constant) are never chosen.
    """
    ks = np.asarray(ks)
    if ks[0] != 1:
        raise ValueError("column 0 must be the originals-only combination (k = 1)")
    valid_r = columnwise_correlation(x_valid, y_valid, method)
    heldout_r = columnwise_correlation(x_heldout, y_heldout, method)
    if not np.any(np.isfinite(valid_r)):
        raise ValueError("no combination has a defined correlation (a metric is constant over models)")
    best = int(np.nanargmax(valid_r))
    rng = np.random.default_rng(seed)
    n_models = x_valid.shape[0]
    hits = 0
    for _ in range(n_permutations):
        permuted = columnwise_correlation(x_valid, y_valid[rng.permutation(n_models)], method)
        hits += bool(np.nanmax(permuted) >= valid_r[best] - 1e-12) if np.any(np.isfinite(permuted)) else 0
    average = {int(k): finite_mean(valid_r[ks == k]) for k in np.unique(ks)}
    return Selection(
        index=best, k=int(ks[best]), selected_r=float(valid_r[best]), heldout_r=float(heldout_r[best]),
        original_r=float(valid_r[0]), heldout_original_r=float(heldout_r[0]), average_r_by_k=average,
        heldout_average_r=finite_mean(heldout_r), selection_p_value=(1 + hits) / (1 + n_permutations),
        n_combinations=len(ks),
    )
