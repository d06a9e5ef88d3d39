"""WR with its Wilson interval, on hand-computed cases."""

from __future__ import annotations

import math

import pytest
from bench.metrics.uno_win_rate import wilson_interval, win_rate
from hypothesis import given
from hypothesis import strategies as st


def test_wilson_interval_matches_the_textbook_value():
    # p = 0.5, n = 100: 0.5 +- 1.96 * sqrt(0.25/100 + 1.96^2/40000) / (1 + 1.96^2/100)
    low, high = wilson_interval(0.5, 100)
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)


def test_win_rate_counts_shared_depletion_wins_as_fractions():
    estimate = win_rate([1.0, 0.0, 0.5, 0.5])
    assert estimate.value == 0.5 and estimate.n == 4
    assert estimate.stderr == pytest.approx(math.sqrt(0.25 / 4))


def test_win_rate_of_all_losses_has_a_non_degenerate_upper_bound():
    estimate = win_rate([0.0] * 10)
    assert estimate.value == 0.0 and estimate.ci_low == 0.0 and 0.2 < estimate.ci_high < 0.35


def test_win_rate_rejects_payoffs_outside_0_1_and_handles_no_games():
    with pytest.raises(ValueError):
        win_rate([1.5])
    assert math.isnan(win_rate([]).value)


@given(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=1, max_size=200))
def test_interval_contains_the_estimate(payoffs):
    estimate = win_rate(payoffs)
    assert 0.0 <= estimate.ci_low <= estimate.value <= estimate.ci_high <= 1.0
