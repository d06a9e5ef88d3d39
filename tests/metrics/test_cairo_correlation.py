"""Correlation across models and CAIRO's selection on synthetic model x metric bias tables with a
known answer: the vectorised correlations equal scipy's, the permutation p-value is uniform under
the null, and the held-out re-score exposes the selection bias of the in-sample maximum."""

from __future__ import annotations

import numpy as np
import pytest
from bench.metrics.cairo_correlation import (
    bootstrap_ci,
    columnwise_correlation,
    correlate,
    correlation,
    permutation_p_value,
    select_combination,
)
from scipy import stats


def test_columnwise_correlations_equal_scipy() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.random((10, 6)), rng.random((10, 6))
    y[:, 0] = 2 * x[:, 0] + 1
    pearson = columnwise_correlation(x, y, "pearson")
    spearman = columnwise_correlation(x, y, "spearman")
    for c in range(6):
        assert pearson[c] == pytest.approx(stats.pearsonr(x[:, c], y[:, c]).statistic)
        assert spearman[c] == pytest.approx(stats.spearmanr(x[:, c], y[:, c]).statistic)
    assert pearson[0] == pytest.approx(1.0)
    assert np.isnan(columnwise_correlation(np.ones((5, 1)), rng.random((5, 1)))[0])


def test_correlation_of_a_perfect_pair_and_a_constant_metric() -> None:
    x = np.arange(6.0)
    assert correlation(x, 3 * x, "pearson") == pytest.approx(1.0)
    assert correlation(x, x**3, "spearman") == pytest.approx(1.0)
    assert np.isnan(correlation(x, np.ones(6)))


def test_bootstrap_ci_stays_in_range_brackets_r_and_needs_five_models() -> None:
    rng = np.random.default_rng(2)
    x = rng.random(10)
    y = x + rng.normal(0, 0.3, 10)
    low, high = bootstrap_ci(x, y, n_resamples=1000, seed=0)  # type: ignore[misc]
    assert -1 <= low <= correlation(x, y) <= high <= 1
    assert bootstrap_ci(x[:4], y[:4]) is None
    result = correlate(x, y, "spearman", n_resamples=500)
    assert result.n_models == 10 and result.ci_low is not None and 0 < result.p_value <= 1  # type: ignore[operator]


def test_permutation_p_value_is_uniform_under_the_null() -> None:
    rng = np.random.default_rng(7)
    p_values = np.array([
        permutation_p_value(rng.random(10), rng.random(10), n_permutations=199, seed=i) for i in range(400)
    ])
    # Under H0 P(p <= a) <= a (exactly a up to the 1/(N+1) grid); KS against uniform.
    assert stats.kstest(p_values, "uniform").pvalue > 0.01
    assert 0.02 <= np.mean(p_values <= 0.05) <= 0.09
    assert 0.07 <= np.mean(p_values <= 0.1) <= 0.14


def test_permutation_p_value_is_small_for_a_strong_association() -> None:
    x = np.arange(10.0)
    assert permutation_p_value(x, x + np.sin(x) * 0.1, n_permutations=999) <= 0.002


def _null_tables(seed: int, models: int = 10, combos: int = 300) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return tuple(rng.random((models, combos)) for _ in range(4))


def test_selection_on_noise_is_optimistic_and_the_held_out_rescore_shows_it() -> None:
    ks = np.array([1] + [2] * 299)
    gaps, p_values = [], []
    for seed in range(5):
        xv, yv, xt, yt = _null_tables(seed)
        sel = select_combination(xv, yv, xt, yt, ks, n_permutations=100, seed=seed)
        assert sel.selected_r == pytest.approx(np.nanmax(columnwise_correlation(xv, yv)))
        assert sel.selected_r >= sel.average_r_by_k[2]
        gaps.append(sel.selected_r - sel.heldout_r)
        p_values.append(sel.selection_p_value)
    # The maximum of 300 null correlations over 10 models is ~0.8; held out it is ~0 on average.
    assert np.mean(gaps) > 0.5
    # The max-statistic p-value accounts for the search: no false discovery on noise.
    assert min(p_values) > 0.05


def test_selection_finds_a_planted_combination_and_it_holds_out() -> None:
    rng = np.random.default_rng(11)
    xv, yv, xt, yt = _null_tables(11)
    ks = np.array([1] + [2] * 100 + [3] * 199)
    truth = rng.random(10)
    for x, y in ((xv, yv), (xt, yt)):
        x[:, 42] = truth + rng.normal(0, 0.02, 10)
        y[:, 42] = truth + rng.normal(0, 0.02, 10)
    sel = select_combination(xv, yv, xt, yt, ks, n_permutations=200, seed=0)
    assert sel.index == 42 and sel.k == 2
    assert sel.selected_r > 0.95 and sel.heldout_r > 0.95
    assert sel.selection_p_value < 0.05
    assert sel.original_r == pytest.approx(correlation(xv[:, 0], yv[:, 0]))
    assert set(sel.average_r_by_k) == {1, 2, 3} and sel.n_combinations == 300


def test_selection_needs_the_originals_first() -> None:
    xv, yv, xt, yt = _null_tables(0, combos=3)
    with pytest.raises(ValueError, match="k = 1"):
        select_combination(xv, yv, xt, yt, np.array([2, 1, 2]))
