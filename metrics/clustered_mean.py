"""A sample mean with a cluster-robust standard error and confidence interval.

When several samples share a cluster (the 13 prompts of one profession share its scores and are
correlated), the i.i.d. standard error of the mean is too small. The cluster-robust (Liang-Zeger
sandwich) variance of the mean, as statsmodels computes it for an intercept-only OLS with
`cov_type="cluster"`, is

    Var(mean) = G/(G-1) * (N-1)/(N-K) * (1/N^2) * sum_g ( sum_{i in g} (x_i - mean) )^2,   K = 1

with G clusters and N samples; the interval uses Student's t with G - 1 degrees of freedom.
Without clusters (or with a single one) the ordinary stderr s / sqrt(N) and t(N - 1) are used.
Computed by statsmodels (intercept-only OLS), so the numbers match what a reader gets there.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm


@dataclass(frozen=True)
class MeanEstimate:
    value: float
    stderr: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    n_clusters: int | None  # None when the i.i.d. formula was used


def clustered_mean(values: Sequence[float], clusters: Sequence[Hashable] | None = None, ci_level: float = 0.95) -> MeanEstimate:
    """Mean of `values` with its (cluster-robust where `clusters` has >= 2 groups) uncertainty."""
    x = np.asarray(values, dtype=float)
    n = int(x.size)
    if n == 0:
        raise ValueError("a mean needs at least one value")
    mean = float(x.mean())
    if n == 1:
        return MeanEstimate(mean, None, None, None, 1, None)
    groups = None if clusters is None else list(clusters)
    if groups is not None and len(groups) != n:
        raise ValueError(f"{len(groups)} cluster labels for {n} values")
    labels = None if groups is None else {g: k for k, g in enumerate(dict.fromkeys(groups))}
    design = np.ones((n, 1))
    if labels is not None and len(labels) >= 2:
        assert groups is not None
        index = np.array([labels[g] for g in groups])
        fit = sm.OLS(x, design).fit(cov_type="cluster", cov_kwds={"groups": index}, use_t=True)
        n_clusters: int | None = len(labels)
    else:
        fit = sm.OLS(x, design).fit(use_t=True)
        n_clusters = None
    stderr = float(fit.bse[0])
    if not np.isfinite(stderr) or stderr == 0.0:
        return MeanEstimate(mean, stderr if np.isfinite(stderr) else None, mean, mean, n, n_clusters)
    low, high = (float(v) for v in fit.conf_int(alpha=1 - ci_level)[0])
    return MeanEstimate(mean, stderr, low, high, n, n_clusters)
