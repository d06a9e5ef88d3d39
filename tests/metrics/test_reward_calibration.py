"""RC-Mean, RC-LWR, the length penalty and their out-of-sample and sequential use."""

from __future__ import annotations

import numpy as np
import pytest
from bench.metrics.reward_calibration import (
    LowessCurve,
    _rowwise_spearman,
    calibrate_with_curve,
    char_length,
    length_penalty,
    length_reward_spearman,
    lowess_delta,
    lowess_fit,
    markdown_element_count,
    rc_lwr,
    rc_lwr_penalty,
    rc_lwr_sequential,
    rc_mean_pairs,
    rc_mean_sequential,
)
from bench.metrics.rewardbench_scoring import pair_correct
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.nonparametric.smoothers_lowess import lowess


def _biased_pairs(n: int = 600, seed: int = 0):
    """Pairs whose true quality favours the chosen response by 1.0, plus a known length bias b(c)."""
    rng = np.random.default_rng(seed)
    c_plus = rng.uniform(50, 2000, n)
    c_minus = rng.uniform(50, 2000, n)
    quality_plus = 1.0 + rng.normal(0, 0.5, n)
    quality_minus = rng.normal(0, 0.5, n)

    def bias(c):
        return 0.003 * c - 4e-7 * c**2  # concave, rising: longer answers score higher

    return c_plus, c_minus, quality_plus + bias(c_plus), quality_minus + bias(c_minus), bias


def test_rc_lwr_recovers_an_additive_length_bias_up_to_a_constant():
    c_plus, c_minus, r_plus, r_minus, bias = _biased_pairs()
    lengths = np.concatenate([c_plus, c_minus])
    rewards = np.concatenate([r_plus, r_minus])
    fitted, _ = lowess_fit(lengths, rewards, frac=1.0)
    residual = fitted - bias(lengths)
    # The offset is free (the true rewards' mean); the shape must match the bias closely.
    assert np.std(residual) < 0.1 * np.std(bias(lengths))
    assert np.corrcoef(fitted, bias(lengths))[0, 1] > 0.99


def test_rc_lwr_raises_accuracy_where_length_misleads():
    c_plus, c_minus, r_plus, r_minus, bias = _biased_pairs()
    n = c_plus.size
    calibrated = rc_lwr(np.concatenate([c_plus, c_minus]), np.concatenate([r_plus, r_minus]), frac=1.0)
    misleading = c_minus - c_plus > 500  # the rejected response is much longer
    raw = pair_correct(r_plus, r_minus)[misleading].mean()
    after = pair_correct(calibrated[:n], calibrated[n:])[misleading].mean()
    assert after > raw + 0.3
    assert after > 0.8


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 300), st.integers(1, 300)), min_size=4, max_size=30),
    st.lists(st.floats(-5, 5, allow_nan=False), min_size=90, max_size=90),
    st.sampled_from([0.3, 0.6, 1.0]),
)
def test_rc_lwr_keeps_the_order_of_equal_length_pairs(length_pairs, reward_pool, frac):
    lengths = np.array([c for pair in length_pairs for c in pair] + [c for c, _ in length_pairs], float)
    n_extra = len(length_pairs)
    rewards = np.array(reward_pool[: lengths.size], float)
    calibrated = rc_lwr(lengths, rewards, frac=frac)
    # The last n_extra entries share their length with the chosen response of each pair.
    chosen = rewards[0 : 2 * n_extra : 2]
    twin = rewards[2 * n_extra :]
    chosen_cal = calibrated[0 : 2 * n_extra : 2]
    twin_cal = calibrated[2 * n_extra :]
    # Both responses get the same b_hat subtracted: the margin, hence the order, is unchanged.
    np.testing.assert_allclose(chosen_cal - twin_cal, chosen - twin, rtol=0, atol=1e-9)
    clear = np.abs(chosen - twin) > 1e-6
    assert np.array_equal(np.sign(chosen - twin)[clear], np.sign(chosen_cal - twin_cal)[clear])


def test_lowess_fit_equals_statsmodels_with_the_same_arguments():
    rng = np.random.default_rng(3)
    x = rng.integers(10, 500, 200).astype(float)
    y = np.log(x) + rng.normal(0, 0.3, 200)
    for frac, it, delta in [(1.0, 3, 0.0), (0.3, 0, 0.0), (0.5, 2, 5.0)]:
        fitted, curve = lowess_fit(x, y, frac=frac, it=it, delta=delta)
        reference = lowess(y, x, frac=frac, it=it, delta=delta)  # sorted by x
        order = np.argsort(x, kind="stable")
        np.testing.assert_allclose(fitted[order], reference[:, 1], rtol=0, atol=1e-12)
        np.testing.assert_allclose(curve.evaluate(reference[:, 0]), reference[:, 1], rtol=0, atol=1e-12)


def test_rc_lwr_is_reward_minus_alpha_times_the_fit():
    x = np.array([1.0, 2, 3, 4, 5, 6, 7, 8])
    y = np.array([0.5, 1.0, 1.2, 2.0, 2.2, 3.1, 3.0, 4.2])
    fitted, _ = lowess_fit(x, y, frac=1.0)
    np.testing.assert_allclose(rc_lwr(x, y, frac=1.0, alpha=0.5), y - 0.5 * fitted)
    np.testing.assert_allclose(rc_lwr(x, y, frac=1.0, alpha=0.0), y)


def test_lowess_curve_interpolates_between_knots_and_clamps_outside():
    curve = LowessCurve(np.array([10.0, 20.0, 40.0]), np.array([1.0, 3.0, 2.0]))
    np.testing.assert_allclose(curve.evaluate([15, 30, 20]), [2.0, 2.5, 3.0])
    np.testing.assert_allclose(curve.evaluate([0, 5, 100]), [1.0, 1.0, 2.0])


def test_calibrating_new_responses_with_a_fitted_curve_interpolates_and_clamps():
    curve = LowessCurve(np.array([100.0, 200.0]), np.array([1.0, 2.0]))
    np.testing.assert_allclose(calibrate_with_curve(curve, [150, 50, 900], [5.0, 5.0, 5.0]), [3.5, 4.0, 3.0])
    np.testing.assert_allclose(calibrate_with_curve(curve, [150], [5.0], alpha=0.5), [4.25])


def test_out_of_sample_calibration_matches_in_sample_on_training_lengths():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 100, 300).astype(float)
    y = 0.05 * x + rng.normal(0, 1, 300)
    fitted, curve = lowess_fit(x, y, frac=0.5)
    np.testing.assert_allclose(curve.evaluate(x), fitted, atol=1e-12)
    assert np.all(np.diff(curve.x) > 0)


def test_rc_mean_hand_computed_inclusive_window():
    # Pairs (chosen len, rejected len): (1, 3), (2, 2), (6, 4); mean |diff| = 4/3; ratio 4/3 -> d = 1.
    result = rc_mean_pairs([1, 2, 6], [3, 2, 4], [1.0, 2.0, 6.0], [3.0, 4.0, 10.0], ratio=4 / 3, min_count=1)
    assert result.half_width == pytest.approx(1.0)
    # Pool (len: reward) = 1:1, 2:2, 6:6, 3:3, 2:4, 4:10.
    # W(1)=[1,2,2]->{1,2,4} mean 7/3;  W(3)=[2,4]->{2,4,3,10} mean 19/4;  W(2)=[1,3]->{1,2,4,3} mean 10/4
    # W(6)=[5,7]->{6} mean 6;  W(4)=[3,5]->{3,10} mean 6.5
    np.testing.assert_allclose(result.chosen, [1 - 7 / 3, 2 - 10 / 4, 6 - 6])
    np.testing.assert_allclose(result.rejected, [3 - 19 / 4, 4 - 10 / 4, 10 - 6.5])
    assert result.calibrated.all()


def test_rc_mean_leaves_pairs_with_a_sparse_window_raw():
    result = rc_mean_pairs([1, 2, 6], [3, 2, 4], [1.0, 2.0, 6.0], [3.0, 4.0, 10.0], ratio=4 / 3, min_count=3)
    # Window counts: chosen 1->3, 2->4, 6->1; rejected 3->4, 2->4, 4->2. Pair 3 fails (1 and 2 < 3).
    assert result.calibrated.tolist() == [True, True, False]
    assert result.chosen[2] == 6.0 and result.rejected[2] == 10.0


def test_rc_mean_paper_window_drops_the_last_in_range_response():
    # Distinct lengths, so the dropped element is deterministic: the largest length in the window.
    result = rc_mean_pairs([1, 2, 6], [3, 5, 4], [1.0, 2.0, 6.0], [3.0, 5.0, 10.0], ratio=7 / 3, min_count=1, window="paper")
    # d = mean(2, 3, 2) / (7/3) = 1. Pool sorted (len: r): 1:1 2:2 3:3 4:10 5:5 6:6.
    # W(1) = [0,2] -> {1,2} minus last -> {1};  W(3) = [2,4] -> {2,3,10} minus last -> {2,3}
    assert result.chosen[0] == pytest.approx(1 - 1.0)
    assert result.rejected[0] == pytest.approx(3 - 2.5)
    # W(6) = [5,7] -> {5,6} minus last -> {5}
    assert result.chosen[2] == pytest.approx(6 - 5.0)


def test_rc_mean_paper_window_is_reproducible_with_a_seed():
    rng = np.random.default_rng(0)
    args = (rng.integers(1, 5, 50), rng.integers(1, 5, 50), rng.normal(size=50), rng.normal(size=50))
    a = rc_mean_pairs(*args, min_count=1, window="paper", seed=7)
    b = rc_mean_pairs(*args, min_count=1, window="paper", seed=7)
    np.testing.assert_array_equal(a.chosen, b.chosen)


def test_length_penalty_subtracts_a_thousandth_per_character():
    np.testing.assert_allclose(length_penalty([1.0, 2.0], [1000, 250]), [0.0, 1.75])


def test_rc_lwr_penalty_is_rc_lwr_of_penalised_scores_on_response_length():
    rng = np.random.default_rng(2)
    response = rng.integers(10, 900, 80).astype(float)
    full = response + rng.integers(30, 400, 80)
    rewards = rng.normal(size=80)
    np.testing.assert_allclose(
        rc_lwr_penalty([response], full, rewards, alphas=[1.0]), rc_lwr(response, rewards - 0.001 * full), atol=1e-12
    )
    markdown = rng.integers(0, 9, 80).astype(float)
    np.testing.assert_allclose(
        rc_lwr_penalty([response, markdown], full, rewards, alphas=[1.0, 0.5]),
        rc_lwr(markdown, rc_lwr(response, rewards - 0.001 * full), alpha=0.5), atol=1e-12,
    )


def test_rc_mean_sequential_applies_one_feature_after_another_and_unions_calibrated_pairs():
    lengths = ([1, 2, 6], [3, 2, 4])
    rewards = ([1.0, 2.0, 6.0], [3.0, 4.0, 10.0])
    first = rc_mean_pairs(*lengths, *rewards, ratio=4 / 3, min_count=3)
    second_lengths = ([5, 5, 1], [1, 5, 5])
    second = rc_mean_pairs(*second_lengths, first.chosen, first.rejected, ratio=4 / 3, min_count=3, alpha=0.5)
    both = rc_mean_sequential(
        [lengths[0], second_lengths[0]], [lengths[1], second_lengths[1]], *rewards, alphas=[1.0, 0.5],
        ratio=4 / 3, min_count=3,
    )
    np.testing.assert_allclose(both.chosen, second.chosen)
    np.testing.assert_allclose(both.rejected, second.rejected)
    assert both.calibrated.tolist() == (first.calibrated | second.calibrated).tolist()
    with pytest.raises(ValueError, match="alphas"):
        rc_mean_sequential([lengths[0]], [lengths[1]], *rewards, alphas=[1.0, 1.0])


def test_in_sample_rc_lwr_is_the_curve_evaluated_at_its_own_points():
    rng = np.random.default_rng(3)
    x = rng.integers(1, 60, 120).astype(float)
    y = 0.1 * x + rng.normal(0, 1, 120)
    fitted, curve = lowess_fit(x, y)
    np.testing.assert_allclose(rc_lwr(x, y), y - fitted, atol=1e-12)
    np.testing.assert_allclose(rc_lwr(x, y), calibrate_with_curve(curve, x, y), atol=1e-12)


def test_sequential_features_apply_one_lowess_after_another():
    rng = np.random.default_rng(4)
    chars = rng.integers(10, 900, 100).astype(float)
    markdown = rng.integers(0, 12, 100).astype(float)
    rewards = 0.002 * chars + 0.3 * markdown + rng.normal(0, 0.2, 100)
    first = rc_lwr(chars, rewards)
    both = rc_lwr_sequential([chars, markdown], rewards, alphas=[1.0, 1.0])
    np.testing.assert_allclose(both, rc_lwr(markdown, first), atol=1e-12)
    np.testing.assert_allclose(rc_lwr_sequential([chars, markdown], rewards, alphas=[1.0, 0.0]), first, atol=1e-12)
    assert abs(stats.spearmanr(markdown, both).statistic) < abs(stats.spearmanr(markdown, rewards).statistic)


def test_lowess_delta_is_a_fraction_of_the_length_range():
    assert lowess_delta([100, 300, 1100], 0.01) == pytest.approx(10.0)
    assert lowess_delta([100, 300], 0.0) == 0.0


def test_spearman_pools_both_sides_and_its_interval_brackets_it():
    c_plus, c_minus, r_plus, r_minus, _ = _biased_pairs(200)
    result = length_reward_spearman(c_plus, c_minus, r_plus, r_minus, n_boot=300)
    expected = stats.spearmanr(np.r_[c_plus, c_minus], np.r_[r_plus, r_minus]).statistic
    assert result.rho == pytest.approx(expected)
    assert -1.0 <= result.ci_low < result.rho < result.ci_high <= 1.0
    assert result.n == 400
    again = length_reward_spearman(c_plus, c_minus, r_plus, r_minus, n_boot=300)
    assert (again.ci_low, again.ci_high) == (result.ci_low, result.ci_high)


def test_spearman_of_too_few_pairs_has_no_interval():
    result = length_reward_spearman([1, 5, 9], [2, 4, 8], [0.1, 0.5, 0.9], [0.2, 0.4, 0.7])
    assert result.rho == pytest.approx(1.0) and result.ci_low is None and result.ci_high is None


def test_rowwise_spearman_equals_scipy_with_ties():
    rng = np.random.default_rng(5)
    xs = rng.integers(0, 5, (6, 30)).astype(float)
    ys = rng.integers(0, 7, (6, 30)).astype(float)
    expected = [stats.spearmanr(x, y).statistic for x, y in zip(xs, ys)]
    np.testing.assert_allclose(_rowwise_spearman(xs, ys), expected, atol=1e-12)


def test_length_features_count_characters_and_markdown_elements():
    assert char_length("héllo") == 5
    text = "# Title\n\nIntro with **bold** text.\n\n- one\n- two\n1. three\n## Next\nplain * not a list"
    assert markdown_element_count(text) == 2 + 3 + 1
    assert markdown_element_count("no markup here") == 0
