"""TextWorld episode metrics on hand-computed cases: values, ranges, and when intervals are given."""

from __future__ import annotations

import pytest
from bench.metrics.intervals import MIN_INTERVAL_N
from bench.metrics.textworld_scores import mean_normalised_score, mean_steps, normalised_score, success_rate


def test_normalised_score_is_score_over_max_score():
    assert normalised_score(3, 5) == 0.6 and normalised_score(0, 2) == 0.0 and normalised_score(4, 4) == 1.0


@pytest.mark.parametrize(("score", "max_score"), [(6, 5), (-1, 5), (1, 0)])
def test_normalised_score_refuses_impossible_scores(score: float, max_score: float):
    with pytest.raises(ValueError):
        normalised_score(score, max_score)


def test_mean_normalised_score_and_its_interval_stay_in_the_unit_range():
    values = [0.0, 0.2, 0.4, 1.0, 1.0, 0.6]
    est = mean_normalised_score(values, seed=1)
    assert est.value == pytest.approx(sum(values) / 6) and est.n == 6
    assert est.interval is not None and 0.0 <= est.interval.low <= est.value <= est.interval.high <= 1.0
    all_zero = mean_normalised_score([0.0] * 6)
    assert all_zero.interval is not None and all_zero.interval.low == 0.0 and all_zero.interval.high > 0.0


def test_no_interval_below_the_minimum_number_of_games():
    assert mean_normalised_score([0.5] * (MIN_INTERVAL_N - 1)).interval is None
    assert success_rate([True] * (MIN_INTERVAL_N - 1)).interval is None


def test_success_rate_is_a_wilson_proportion():
    est = success_rate([True, False, False, True, False, False, False, False])
    assert est.value == 0.25 and est.n == 8
    assert est.interval is not None and est.interval.method == "wilson" and 0 < est.interval.low < 0.25 < est.interval.high < 1


def test_mean_steps_interval_lies_within_the_step_limit():
    est = mean_steps([3, 40, 40, 12, 7], max_steps=40, seed=0)
    assert est.value == pytest.approx(20.4)
    assert est.interval is not None and 0 <= est.interval.low <= est.interval.high <= 40
    with pytest.raises(ValueError):
        mean_steps([41], max_steps=40)
