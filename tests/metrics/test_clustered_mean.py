"""Mean with cluster-robust stderr: hand-computed sandwich formula, the i.i.d. fallback, the n rule
and intervals inside a bounded metric's range."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bench.metrics.clustered_mean import clustered_mean
from scipy import stats


def test_clustered_mean_matches_hand_computed_sandwich_variance() -> None:
    values = [1.0, 3.0, 2.0, 6.0, 4.0, 5.0, 0.0, 2.0]
    groups = ["a", "a", "b", "b", "c", "d", "e", "e"]
    mean = 23.0 / 8
    deviations = {"a": (1 - mean) + (3 - mean), "b": (2 - mean) + (6 - mean), "c": 4 - mean, "d": 5 - mean,
                  "e": (0 - mean) + (2 - mean)}
    g, n = 5, 8
    variance = g / (g - 1) * (n - 1) / (n - 1) * sum(d * d for d in deviations.values()) / n**2
    estimate = clustered_mean(values, groups)
    assert estimate.value == pytest.approx(mean)
    assert estimate.stderr == pytest.approx(math.sqrt(variance))
    half = stats.t.ppf(0.975, g - 1) * math.sqrt(variance)
    assert (estimate.ci_low, estimate.ci_high) == pytest.approx((mean - half, mean + half))
    assert estimate.n == 8 and estimate.n_clusters == 5
    assert estimate.interval is not None and estimate.interval.method == "cluster_t"


def test_clustered_mean_without_clusters_uses_iid_stderr() -> None:
    values = np.array([0.1, 0.4, 0.35, 0.8, 0.5])
    estimate = clustered_mean(values)
    assert estimate.stderr == pytest.approx(values.std(ddof=1) / math.sqrt(5))
    assert estimate.n_clusters is None


def test_clustered_mean_with_too_few_clusters_gives_no_uncertainty() -> None:
    # Two professions: a t interval with 1 degree of freedom spans [-5.85, 6.85] for a 0/1 rate.
    estimate = clustered_mean([0.0, 1.0, 1.0, 0.0, 1.0, 0.0], ["a", "a", "a", "b", "b", "b"])
    assert estimate.value == 0.5 and estimate.stderr is None and estimate.interval is None
    assert estimate.n_clusters == 2
    single = clustered_mean([0.7], ["x"])
    assert single.value == 0.7 and single.stderr is None and single.ci_low is None


def test_bounded_clustered_mean_interval_stays_in_range() -> None:
    # A 0/1 rate, mostly zeros, over 6 clusters: the t interval reaches below 0, the bootstrap not.
    values = [0.0] * 11 + [1.0]
    groups = [k // 2 for k in range(12)]
    unbounded = clustered_mean(values, groups)
    assert unbounded.ci_low is not None and unbounded.ci_low < 0.0
    bounded = clustered_mean(values, groups, bounds=(0.0, 1.0))
    assert bounded.interval is not None and bounded.interval.method == "cluster_bootstrap"
    assert 0.0 <= bounded.interval.low <= bounded.value <= bounded.interval.high <= 1.0
    assert bounded.stderr == pytest.approx(unbounded.stderr)


def test_clustered_mean_rejects_mismatched_cluster_labels() -> None:
    with pytest.raises(ValueError):
        clustered_mean([1.0, 2.0], ["a"])
