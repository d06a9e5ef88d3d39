"""ODHR@K / ADR@K (reconstructed) on hand-computed ranks, invariants as property tests."""

from __future__ import annotations

import math

import pytest
from bench.metrics.uno_decisions import (
    DecisionRank,
    adr_at_k,
    capped_rank,
    chance_hit_rate,
    chance_odhr_at_k,
    hit_at_k,
    odhr_at_k,
    rank_of_choice,
)
from hypothesis import given
from hypothesis import strategies as st


def test_rank_averages_ties_and_counts_strictly_better_actions():
    values = [0.5, 0.7, 0.7, 0.1]
    assert rank_of_choice(values, 1) == DecisionRank(1.5, 0, 4)
    assert rank_of_choice(values, 0) == DecisionRank(3.0, 2, 4)
    assert rank_of_choice(values, 3) == DecisionRank(4.0, 3, 4)


def test_an_action_tied_with_the_best_is_an_optimal_hit():
    tied_best = rank_of_choice([0.7, 0.7, 0.1], 1)
    assert hit_at_k(tied_best, 1) and capped_rank(tied_best, 1) == 1.0 and capped_rank(tied_best, 3) == 1.5


def test_odhr_and_adr_on_three_decisions():
    ranks = [DecisionRank(1.0, 0, 3), DecisionRank(2.0, 1, 2), DecisionRank(3.5, 2, 5)]
    assert odhr_at_k(ranks, 1).value == pytest.approx(1 / 3)
    assert odhr_at_k(ranks, 3).value == 1.0
    assert adr_at_k(ranks, 3).value == pytest.approx((1 + 2 + 3) / 3)
    assert adr_at_k(ranks, 5).value == pytest.approx((1 + 2 + 3.5) / 3)


def test_adr_at_1_is_refused_because_it_is_always_one():
    with pytest.raises(ValueError, match="by definition"):
        adr_at_k([DecisionRank(2.0, 1, 3)], 1)


def test_adr_interval_never_falls_below_one_when_most_decisions_are_optimal():
    # 18 optimal decisions and 2 at rank 3: mean 1.2; a t interval would reach 1.2 - 2.09 * 0.137 < 1.
    ranks = [DecisionRank(1.0, 0, 3)] * 18 + [DecisionRank(3.0, 2, 3)] * 2
    estimate = adr_at_k(ranks, 3)
    assert estimate.value == pytest.approx(1.2)
    assert estimate.interval is not None and estimate.interval.method == "bootstrap"
    assert 1.0 <= estimate.interval.low <= 1.2 <= estimate.interval.high <= 3.0
    all_optimal = adr_at_k([DecisionRank(1.0, 0, 4)] * 8, 3)
    assert all_optimal.interval is not None and all_optimal.interval.low == 1.0 < all_optimal.interval.high


def test_odhr_interval_is_wilson_and_absent_for_too_few_decisions():
    ranks = [DecisionRank(1.0, 0, 3)] * 3 + [DecisionRank(2.0, 1, 3)] * 7
    estimate = odhr_at_k(ranks, 1)
    assert (estimate.ci_low, estimate.ci_high) == pytest.approx((0.10779, 0.60322), abs=1e-5)
    assert odhr_at_k(ranks[:4], 1).interval is None


def test_chance_level_is_k_over_actions_without_ties_and_counts_tied_best():
    assert chance_hit_rate([0.1, 0.4, 0.3, 0.2], 1) == 0.25
    assert chance_hit_rate([0.1, 0.4, 0.3, 0.2], 3) == 0.75
    assert chance_hit_rate([0.4, 0.4, 0.3, 0.2], 1) == 0.5
    assert chance_odhr_at_k([[0.1, 0.2], [0.1, 0.2, 0.3, 0.4]], 1) == pytest.approx((0.5 + 0.25) / 2)


values_lists = st.lists(st.floats(0, 1), min_size=2, max_size=8)


@given(values=values_lists, data=st.data())
def test_rank_bounds_and_hit_monotone_in_k(values, data):
    chosen = data.draw(st.integers(0, len(values) - 1))
    rank = rank_of_choice(values, chosen)
    assert 1 <= rank.average_rank <= len(values)
    assert rank.strictly_better + 1 <= rank.average_rank
    hits = [hit_at_k(rank, k) for k in range(1, len(values) + 1)]
    assert hits == sorted(hits)  # False..False, True..True
    assert hits[-1]


@given(values=values_lists)
def test_average_ranks_sum_to_the_triangular_number(values):
    total = sum(rank_of_choice(values, i).average_rank for i in range(len(values)))
    assert total == pytest.approx(len(values) * (len(values) + 1) / 2)


@given(values=st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(-2, 2), min_size=1, max_size=8), data=st.data())
def test_rank_equals_scipys_average_rank_with_ties(values, data):
    from scipy import stats

    chosen = data.draw(st.integers(0, len(values) - 1))
    expected = stats.rankdata([-v for v in values], method="average")[chosen]
    assert rank_of_choice(values, chosen).average_rank == float(expected)


def test_rank_is_nan_when_a_value_is_nan_as_in_scipy():
    assert math.isnan(rank_of_choice([0.5, float("nan"), 0.1], 0).average_rank)
