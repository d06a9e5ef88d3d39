"""WR with its Wilson interval (statsmodels, via metrics/intervals.py), on hand-computed cases."""

from __future__ import annotations

import math

import pytest
from bench.metrics.uno_win_rate import win_rate
from hypothesis import given
from hypothesis import strategies as st


def test_win_rate_interval_matches_the_textbook_wilson_value():
    # p = 0.5, n = 100: 0.5 +- 1.96 * sqrt(0.25/100 + 1.96^2/40000) / (1 + 1.96^2/100)
    estimate = win_rate([1.0] * 50 + [0.0] * 50)
    assert estimate.ci_low == pytest.approx(0.4038, abs=1e-4) and estimate.ci_high == pytest.approx(0.5962, abs=1e-4)


def test_win_rate_counts_shared_depletion_wins_as_fractions():
    estimate = win_rate([1.0, 0.0, 0.5, 0.5, 1.0, 0.0])
    assert estimate.value == 0.5 and estimate.n == 6
    assert estimate.stderr == pytest.approx(math.sqrt(0.25 / 6))


def test_win_rate_of_too_few_games_has_no_interval():
    estimate = win_rate([1.0, 0.0])
    assert estimate.value == 0.5 and estimate.interval is None and estimate.stderr is None


def test_win_rate_of_all_losses_has_a_non_degenerate_upper_bound():
    estimate = win_rate([0.0] * 10)
    assert estimate.value == 0.0 and estimate.ci_low == 0.0 and 0.2 < estimate.ci_high < 0.35


def test_win_rate_rejects_payoffs_outside_0_1_and_handles_no_games():
    with pytest.raises(ValueError):
        win_rate([1.5])
    assert math.isnan(win_rate([]).value)


@given(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=5, max_size=200))
def test_interval_contains_the_estimate(payoffs):
    estimate = win_rate(payoffs)
    assert estimate.ci_low is not None and estimate.ci_high is not None
    assert 0.0 <= estimate.ci_low <= estimate.value <= estimate.ci_high <= 1.0
