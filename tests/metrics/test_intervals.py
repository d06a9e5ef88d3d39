"""Intervals shown to users: hand-computed proportion intervals, bounded bootstrap, the n rule."""

from __future__ import annotations

import math

import pytest
from bench.metrics.intervals import (
    MIN_INTERVAL_N,
    Estimate,
    Interval,
    bounded_mean_estimate,
    bounded_mean_interval,
    cluster_robust_stderr,
    metric_value,
    proportion_estimate,
    proportion_interval,
)

Z = 1.959963984540054


def test_wilson_zero_of_five_matches_the_closed_form():
    # p = 0: the Wilson interval is [0, z^2 / (n + z^2)].
    interval = proportion_interval(0, 5)
    assert interval is not None
    assert interval.low == 0.0
    assert interval.high == pytest.approx(Z * Z / (5 + Z * Z), abs=1e-12)
    assert interval.high == pytest.approx(0.43448, abs=1e-5)


def test_wilson_five_of_five_mirrors_zero_of_five():
    interval = proportion_interval(5, 5)
    assert interval is not None
    assert interval.high == 1.0
    assert interval.low == pytest.approx(5 / (5 + Z * Z), abs=1e-12)


def test_wilson_three_of_ten_matches_the_textbook_value():
    interval = proportion_interval(3, 10)
    assert interval is not None
    assert (interval.low, interval.high) == pytest.approx((0.10779, 0.60322), abs=1e-5)
    assert interval.method == "wilson"


def test_exact_interval_is_clopper_pearson():
    zero = proportion_interval(0, 5, method="exact")
    assert zero is not None
    assert zero.high == pytest.approx(1 - 0.025 ** (1 / 5), abs=1e-12)  # 0.52182
    three = proportion_interval(3, 10, method="exact")
    assert three is not None
    assert (three.low, three.high) == pytest.approx((0.06674, 0.65245), abs=1e-5)


def test_no_interval_below_the_minimum_n():
    assert proportion_interval(0, 0) is None
    assert proportion_interval(1, MIN_INTERVAL_N - 1) is None
    assert proportion_interval(1, MIN_INTERVAL_N) is not None
    assert math.isnan(proportion_estimate(0, 0).value)
    small = proportion_estimate(1, 2)
    assert small.value == 0.5 and small.interval is None and small.stderr is None


def test_fractional_successes_give_a_valid_interval():
    interval = proportion_interval(2.5, 6)
    assert interval is not None and 0.0 < interval.low < 2.5 / 6 < interval.high < 1.0


@pytest.mark.parametrize("bad", [(-1, 5), (6, 5), (1, -1)])
def test_proportion_rejects_impossible_counts(bad):
    with pytest.raises(ValueError):
        proportion_interval(*bad)


def test_proportion_rejects_unknown_method():
    with pytest.raises(ValueError, match="wilson"):
        proportion_interval(1, 10, method="wald")  # type: ignore[arg-type]


def test_bounded_mean_interval_stays_inside_the_range_for_skewed_data():
    # Mostly at the lower bound: a t interval would reach below 1.
    values = [1.0] * 18 + [3.0, 3.0]
    interval = bounded_mean_interval(values, 1.0, 3.0)
    assert interval is not None
    assert 1.0 <= interval.low < 1.2 < interval.high <= 3.0
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    assert mean - 2.093 * sd / math.sqrt(len(values)) < 1.0  # what the t interval would have said


def test_bounded_mean_interval_is_reproducible_and_seeded():
    values = [0.1, 0.5, 0.9, 0.3, 0.7, 0.2, 0.4]
    a = bounded_mean_interval(values, 0.0, 1.0, seed=3)
    b = bounded_mean_interval(values, 0.0, 1.0, seed=3)
    assert a == b and a is not None and a.method == "bootstrap"
    assert a.low < sum(values) / len(values) < a.high


def test_bounded_mean_without_spread_is_not_a_point():
    # Every decision at rank 1: the bootstrap would give [1, 1]; the bound gives Wilson's width.
    interval = bounded_mean_interval([1.0] * 10, 1.0, 4.0)
    assert interval is not None and interval.method == "wilson_bounded"
    assert interval.low == 1.0
    assert interval.high == pytest.approx(1.0 + 3.0 * Z * Z / (10 + Z * Z), abs=1e-9)


def test_cluster_bootstrap_counts_clusters_not_values():
    values = [0.0, 0.0, 1.0, 1.0, 0.5, 0.5, 0.2, 0.2]
    assert bounded_mean_interval(values, 0.0, 1.0, clusters=[1, 1, 2, 2, 3, 3, 4, 4]) is None  # 4 clusters
    clusters = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
    values = [0.0, 0.0, 1.0, 1.0, 0.5, 0.5, 0.2, 0.2, 0.9, 0.9, 0.4, 0.4]
    clustered = bounded_mean_interval(values, 0.0, 1.0, clusters=clusters)
    plain = bounded_mean_interval(values, 0.0, 1.0)
    assert clustered is not None and plain is not None and clustered.method == "cluster_bootstrap"
    # Duplicated values are not independent: the cluster interval is wider.
    assert clustered.high - clustered.low > plain.high - plain.low


def test_bounded_mean_rejects_values_outside_the_range():
    with pytest.raises(ValueError, match="lie in"):
        bounded_mean_interval([0.5, 1.5, 0.2, 0.1, 0.3], 0.0, 1.0)


def test_bounded_mean_estimate_small_n_has_no_interval():
    estimate = bounded_mean_estimate([1.0, 2.0], 1.0, 3.0)
    assert estimate.value == 1.5 and estimate.interval is None and estimate.stderr is None


def test_metric_value_records_the_interval_method_and_level():
    value = metric_value("x", Estimate(0.3, 10, 0.14, Interval(0.1, 0.6, 0.9, "wilson")), "higher",
                         sample_field="x", description="share of x")
    assert (value.ci_low, value.ci_high, value.ci_level) == (0.1, 0.6, 0.9)
    assert value.description == "share of x; 90% CI: Wilson"
    assert value.sample_field == "x" and value.n == 10


def test_metric_value_says_when_n_is_too_small():
    value = metric_value("x", proportion_estimate(1, 2), "lower", description="share")
    assert value.ci_low is None and value.stderr is None
    assert value.description == f"share; no interval: n < {MIN_INTERVAL_N}"


def test_cluster_robust_stderr_matches_the_hand_computed_sandwich_variance():
    values = [1.0, 3.0, 2.0, 6.0, 4.0, 5.0, 0.0, 2.0]
    groups = ["a", "a", "b", "b", "c", "d", "e", "e"]
    mean = 23.0 / 8
    sums = [(1 - mean) + (3 - mean), (2 - mean) + (6 - mean), 4 - mean, 5 - mean, (0 - mean) + (2 - mean)]
    g, n = 5, 8
    variance = g / (g - 1) * sum(d * d for d in sums) / n**2  # (N-1)/(N-K) = 1 for K = 1
    assert cluster_robust_stderr(values, groups) == pytest.approx(math.sqrt(variance))
    estimate = bounded_mean_estimate(values, 0.0, 6.0, clusters=groups)
    assert estimate.stderr == pytest.approx(math.sqrt(variance)) and estimate.n_clusters == 5
    assert estimate.interval is not None and estimate.interval.method == "cluster_bootstrap"
    with pytest.raises(ValueError, match="cluster labels"):
        cluster_robust_stderr([1.0, 2.0], ["a"])
