"""A sample mean with a cluster-robust standard error and a confidence interval inside its range.

When several samples share a cluster (the 13 prompts of one profession share its scores and are
correlated), the i.i.d. standard error of the mean is too small. The cluster-robust (Liang-Zeger
sandwich) variance of the mean, as statsmodels computes it for an intercept-only OLS with
`cov_type="cluster"`, is

    Var(mean) = G/(G-1) * (N-1)/(N-K) * (1/N^2) * sum_g ( sum_{i in g} (x_i - mean) )^2,   K = 1

with G clusters and N samples. Without clusters the ordinary stderr s / sqrt(N) is used.

Interval: for a bounded metric (`bounds=(low, high)`, e.g. |m - f| in [0, 2] or a 0/1 rate) the
cluster bootstrap of metrics/intervals.py, which never leaves [low, high]; a Student t interval
(G - 1 or N - 1 degrees of freedom) is used only for unbounded quantities. Neither a standard
error nor an interval is given with fewer than MIN_INTERVAL_N units (clusters when clusters are
given, samples otherwise): see metrics/intervals.py for why.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
from bench.metrics.intervals import Estimate, Interval, bounded_mean_interval, enough_for_interval

# The estimate type is shared with every other interval shown to users.
MeanEstimate = Estimate


def clustered_mean(
    values: Sequence[float],
    clusters: Sequence[Hashable] | None = None,
    ci_level: float = 0.95,
    bounds: tuple[float, float] | None = None,
    seed: int = 0,
) -> Estimate:
    """Mean of `values` with its cluster-robust (when `clusters` are given) stderr and interval.

    `bounds` = the metric's range: give it whenever the metric has one, so the interval is a
    bootstrap inside it instead of a t interval that can leave it.
    """
    x = np.asarray(values, dtype=float)
    n = int(x.size)
    if n == 0:
        raise ValueError("a mean needs at least one value")
    groups = None if clusters is None else list(clusters)
    if groups is not None and len(groups) != n:
        raise ValueError(f"{len(groups)} cluster labels for {n} values")
    labels = None if groups is None else {g: k for k, g in enumerate(dict.fromkeys(groups))}
    n_clusters = None if labels is None else len(labels)
    mean = float(x.mean())
    if not enough_for_interval(n if n_clusters is None else n_clusters):
        return Estimate(mean, n, None, None, n_clusters)
    import statsmodels.api as sm

    design = np.ones((n, 1))
    if labels is not None:
        assert groups is not None
        index = np.array([labels[g] for g in groups])
        fit = sm.OLS(x, design).fit(cov_type="cluster", cov_kwds={"groups": index}, use_t=True)
    else:
        fit = sm.OLS(x, design).fit(use_t=True)
    stderr = float(fit.bse[0]) if np.isfinite(fit.bse[0]) else None
    interval: Interval | None
    if bounds is not None:
        interval = bounded_mean_interval(x.tolist(), bounds[0], bounds[1], ci_level, groups, seed)
    elif stderr is None or stderr == 0.0:
        # No spread and no known range: no honest interval exists (a point would claim certainty).
        interval = None
    else:
        low, high = (float(v) for v in fit.conf_int(alpha=1 - ci_level)[0])
        interval = Interval(low, high, ci_level, "t" if labels is None else "cluster_t")
    return Estimate(mean, n, stderr, interval, n_clusters)
