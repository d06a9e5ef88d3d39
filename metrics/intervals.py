"""Confidence intervals shown to users, and the one way to turn an estimate into a MetricValue.

Every interval a table prints comes from here, so that each one respects its metric's range and
sample size:

- proportions (a share of games won, of answers unparseable...): `proportion_interval`, Wilson
  score interval by default or the exact Clopper-Pearson one ("exact"), computed by statsmodels'
  `proportion_confint`. Both stay inside [0, 1] by construction.
- bounded means (ADR@K in [1, K], |m - f| in [0, 2]...): `bounded_mean_interval`, a BCa
  bootstrap of the mean by `scipy.stats.bootstrap`; with cluster labels, a cluster bootstrap
  (whole clusters are resampled: the statistic is sum(cluster sums) / sum(cluster sizes) over a
  paired resample of clusters). Bootstrap replicates of a mean of values in [low, high] lie in
  [low, high], so the percentiles do too.

Minimum sample size (one rule for every method): no interval is given when fewer than
MIN_INTERVAL_N independent units (observations, or clusters when clusters are given) are
available; the caller reports the estimate without one and the table says "n too small". Why 5:
below it a bootstrap of a mean has at most C(2n-1, n) = 35 distinct replicates (n = 4) and its
percentile interval covers far less than its nominal level (it is roughly a z interval with the
standard deviation shrunk by sqrt((n-1)/n)); cluster-robust errors with fewer than 5 clusters
are badly biased; and a Wilson interval at n < 5 spans most of [0, 1] (1 of 2: [0.09, 0.91]), so
it says no more than "unknown". One threshold for all methods keeps the tables of one run
consistent.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from bench.harness.task import Direction, MetricValue

MIN_INTERVAL_N = 5

ProportionMethod = Literal["wilson", "exact"]
# statsmodels' names for our methods ("beta" is Clopper-Pearson's exact interval).
_STATSMODELS_METHOD: dict[str, str] = {"wilson": "wilson", "exact": "beta"}
_METHOD_LABEL: dict[str, str] = {
    "wilson": "Wilson",
    "exact": "exact (Clopper-Pearson)",
    "bootstrap": "BCa bootstrap",
    "cluster_bootstrap": "cluster BCa bootstrap",
    "wilson_bounded": "Wilson on the rescaled mean (no spread to resample)",
}


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval at `level`; `method` names how it was computed."""

    low: float
    high: float
    level: float
    method: str

    @property
    def label(self) -> str:
        return _METHOD_LABEL.get(self.method, self.method)


@dataclass(frozen=True)
class Estimate:
    """A point estimate over `n` samples with its standard error and interval (either may be None:
    None interval with n < MIN_INTERVAL_N means "n too small"). `n_clusters` is set when the
    uncertainty was computed over clusters."""

    value: float
    n: int
    stderr: float | None = None
    interval: Interval | None = None
    n_clusters: int | None = None

    @property
    def ci_low(self) -> float | None:
        return None if self.interval is None else self.interval.low

    @property
    def ci_high(self) -> float | None:
        return None if self.interval is None else self.interval.high


def enough_for_interval(units: int) -> bool:
    """The single minimum-n rule: an interval needs at least MIN_INTERVAL_N independent units."""
    return units >= MIN_INTERVAL_N


def proportion_interval(
    successes: float, n: int, level: float = 0.95, method: ProportionMethod = "wilson"
) -> Interval | None:
    """Interval of the proportion successes / n (successes may be fractional, e.g. shared wins).

    Wilson: centre (p + z^2/2n) / (1 + z^2/n), half-width z/(1 + z^2/n) * sqrt(p(1-p)/n + z^2/4n^2).
    Exact (Clopper-Pearson): [Beta_{a/2}(s, n-s+1), Beta_{1-a/2}(s+1, n-s)].
    None when n < MIN_INTERVAL_N.
    """
    if method not in _STATSMODELS_METHOD:
        raise ValueError(f"unknown proportion interval {method!r}; choices: {', '.join(_STATSMODELS_METHOD)}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must lie in (0, 1), got {level}")
    if n < 0 or not 0.0 <= successes <= n:
        raise ValueError(f"successes must lie in [0, n]; got {successes} of {n}")
    if not enough_for_interval(n):
        return None
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(successes, n, alpha=1 - level, method=_STATSMODELS_METHOD[method])
    low, high = float(np.nan_to_num(low, nan=0.0)), float(np.nan_to_num(high, nan=1.0))
    # Both methods reach the bound exactly at 0 or n successes; statsmodels' rounding may not.
    low, high = (0.0 if successes == 0 else low), (1.0 if successes == n else high)
    return Interval(max(0.0, low), min(1.0, high), level, method)


def proportion_estimate(
    successes: float, n: int, level: float = 0.95, method: ProportionMethod = "wilson"
) -> Estimate:
    """successes / n with stderr sqrt(p(1-p)/n) and `proportion_interval`; n = 0 gives value nan."""
    if n == 0:
        return Estimate(float("nan"), 0)
    interval = proportion_interval(successes, n, level, method)
    p = successes / n
    stderr = math.sqrt(p * (1 - p) / n) if interval is not None else None
    return Estimate(p, n, stderr, interval)


def bounded_mean_interval(
    values: Sequence[float],
    low: float,
    high: float,
    level: float = 0.95,
    clusters: Sequence[Hashable] | None = None,
    seed: int = 0,
    resamples: int = 9999,
) -> Interval | None:
    """Bootstrap interval of the mean of values known to lie in [low, high]; always inside it.

    BCa bootstrap (scipy.stats.bootstrap) of mean(x); with `clusters`, whole clusters are
    resampled and the statistic is sum_g S_g / sum_g N_g (S_g, N_g: sum and size of cluster g).
    When the sample has no spread at all (every value equal) a bootstrap collapses to a point,
    which would claim certainty: then the interval is Wilson's on the rescaled mean
    (m - low) / (high - low) with the number of units as n -- conservative, because a variable in
    [0, 1] with mean p has variance at most p(1 - p), the binomial one.
    None when fewer than MIN_INTERVAL_N units (values, or clusters if given).
    """
    x = np.asarray(values, dtype=float)
    if not high > low:
        raise ValueError(f"empty range [{low}, {high}]")
    if x.size and (np.any(~np.isfinite(x)) or x.min() < low or x.max() > high):
        raise ValueError(f"values must be finite and lie in [{low}, {high}]")
    if clusters is not None and len(clusters) != x.size:
        raise ValueError(f"{len(clusters)} cluster labels for {x.size} values")
    data: tuple[np.ndarray, ...]
    if clusters is None:
        units, data, method = int(x.size), (x,), "bootstrap"
    else:
        label, n_clusters = cluster_labels(clusters)
        sums = np.bincount(label, weights=x, minlength=n_clusters)
        sizes = np.bincount(label, minlength=n_clusters).astype(float)
        units, data, method = n_clusters, (sums, sizes), "cluster_bootstrap"
    if not enough_for_interval(units):
        return None
    mean = float(x.mean())
    if float(np.ptp(x)) == 0.0:
        scaled = proportion_interval((mean - low) / (high - low) * units, units, level)
        assert scaled is not None
        return Interval(low + scaled.low * (high - low), low + scaled.high * (high - low), level, "wilson_bounded")
    from scipy import stats

    def ratio(sums: np.ndarray, sizes: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.asarray(np.sum(sums, axis=axis) / np.sum(sizes, axis=axis))

    statistic = np.mean if clusters is None else ratio
    # The BCa jackknife holds units x units numbers at once without a batch; keep it near 2e7.
    batch = max(1, min(resamples, 20_000_000 // max(units * units, 1)))
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)  # handled below: percentile interval
        result = stats.bootstrap(
            data, statistic, n_resamples=resamples, paired=clusters is not None, vectorized=True,
            confidence_level=level, method="BCa", rng=np.random.default_rng(seed), batch=batch,
        )
    ci_low, ci_high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    if not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        # BCa is undefined when the replicates barely vary (few distinct values); the percentile
        # interval of the same replicates is not.
        tail = (1 - level) / 2
        ci_low, ci_high = (float(q) for q in np.quantile(result.bootstrap_distribution, [tail, 1 - tail]))
    return Interval(max(low, ci_low), min(high, ci_high), level, method)


def bounded_mean_estimate(
    values: Sequence[float],
    low: float,
    high: float,
    level: float = 0.95,
    clusters: Sequence[Hashable] | None = None,
    seed: int = 0,
    resamples: int = 9999,
) -> Estimate:
    """Mean of values in [low, high] with `bounded_mean_interval` and its standard error: s / sqrt(n),
    or with `clusters` the cluster-robust one (`cluster_robust_stderr`). Neither below MIN_INTERVAL_N
    units."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return Estimate(float("nan"), 0)
    interval = bounded_mean_interval(x.tolist(), low, high, level, clusters, seed, resamples)
    if interval is None or x.size < 2:
        stderr = None
    elif clusters is None:
        stderr = float(x.std(ddof=1) / math.sqrt(x.size))
    else:
        stderr = cluster_robust_stderr(x.tolist(), clusters)
    n_clusters = None if clusters is None else cluster_labels(clusters)[1]
    return Estimate(float(x.mean()), int(x.size), stderr, interval, n_clusters)


def cluster_labels(clusters: Sequence[Hashable]) -> tuple[np.ndarray, int]:
    """Cluster labels -> (integer label 0..G-1 per value, in order of first appearance; G)."""
    index = {g: k for k, g in enumerate(dict.fromkeys(clusters))}
    return np.array([index[g] for g in clusters], dtype=int), len(index)


def cluster_robust_stderr(values: Sequence[float], clusters: Sequence[Hashable]) -> float:
    """Cluster-robust (Liang-Zeger sandwich) standard error of the mean, as statsmodels computes
    it for an intercept-only OLS with cov_type="cluster":

        Var(mean) = G/(G-1) * (N-1)/(N-K) * (1/N^2) * sum_g ( sum_{i in g} (x_i - mean) )^2,   K = 1

    with G clusters and N values (the 13 prompts of one profession are not independent, so the
    i.i.d. s / sqrt(N) would be too small)."""
    import statsmodels.api as sm

    x = np.asarray(values, dtype=float)
    if len(clusters) != x.size:
        raise ValueError(f"{len(clusters)} cluster labels for {x.size} values")
    groups, _ = cluster_labels(clusters)
    fit = sm.OLS(x, np.ones((x.size, 1))).fit(cov_type="cluster", cov_kwds={"groups": groups})
    return float(fit.bse[0])


def metric_value(
    name: str,
    estimate: Estimate,
    direction: Direction,
    *,
    sample_field: str | None = None,
    description: str = "",
) -> MetricValue:
    """The MetricValue of an estimate; the description gains how its interval was computed, or
    that n was too small for one, so a reader of any table or document can tell."""
    if estimate.interval is not None:
        note = f"{estimate.interval.level:.0%} CI: {estimate.interval.label}"
    elif estimate.stderr is None and 0 < (estimate.n_clusters or estimate.n) < MIN_INTERVAL_N:
        note = f"no interval: n < {MIN_INTERVAL_N}"
    else:
        note = ""
    text = "; ".join(part for part in (description, note) if part)
    interval = estimate.interval
    return MetricValue(
        name, estimate.value, direction, estimate.n, stderr=estimate.stderr,
        ci_low=None if interval is None else interval.low, ci_high=None if interval is None else interval.high,
        ci_level=0.95 if interval is None else interval.level, sample_field=sample_field, description=text,
    )
