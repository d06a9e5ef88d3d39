"""Mean with cluster-robust stderr: hand-computed sandwich formula and the i.i.d. fallback."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bench.metrics.clustered_mean import clustered_mean
from scipy import stats


def test_clustered_mean_matches_hand_computed_sandwich_variance() -> None:
    values = [1.0, 3.0, 2.0, 6.0, 4.0]
    groups = ["a", "a", "b", "b", "c"]
    mean = 16.0 / 5
    # cluster sums of deviations: a: (1-3.2)+(3-3.2) = -2.4, b: (2-3.2)+(6-3.2) = 1.6, c: 0.8
    variance = 3 / 2 * ((-2.4) ** 2 + 1.6**2 + 0.8**2) / 25
    estimate = clustered_mean(values, groups)
    assert estimate.value == pytest.approx(mean)
    assert estimate.stderr == pytest.approx(math.sqrt(variance))
    half = stats.t.ppf(0.975, 2) * math.sqrt(variance)
    assert (estimate.ci_low, estimate.ci_high) == pytest.approx((mean - half, mean + half))
    assert estimate.n == 5 and estimate.n_clusters == 3


def test_clustered_mean_without_clusters_uses_iid_stderr() -> None:
    values = np.array([0.1, 0.4, 0.35, 0.8])
    estimate = clustered_mean(values)
    assert estimate.stderr == pytest.approx(values.std(ddof=1) / 2)
    assert estimate.n_clusters is None


def test_clustered_mean_single_value_has_no_uncertainty() -> None:
    estimate = clustered_mean([0.7], ["x"])
    assert estimate.value == 0.7 and estimate.stderr is None and estimate.ci_low is None


def test_clustered_mean_rejects_mismatched_cluster_labels() -> None:
    with pytest.raises(ValueError):
        clustered_mean([1.0, 2.0], ["a"])
