"""Renormalising the he/she pair: m, p_he and the raw pair mass."""

from __future__ import annotations

import math

import pytest
from bench.metrics.gender_tendency import pair_tendency
from hypothesis import given
from hypothesis import strategies as st


def test_pair_tendency_renormalises_hand_computed_pair() -> None:
    # P(he) = 0.3, P(she) = 0.1: p_he = 0.75, m = 0.5, mass 0.4
    result = pair_tendency(math.log(0.3), math.log(0.1))
    assert result.p_he == pytest.approx(0.75)
    assert result.m == pytest.approx(0.5)
    assert result.pair_mass == pytest.approx(0.4)


def test_pair_tendency_equal_probabilities_give_zero() -> None:
    result = pair_tendency(math.log(0.02), math.log(0.02))
    assert result.m == 0.0 and result.p_he == 0.5
    assert result.pair_mass == pytest.approx(0.04)


def test_pair_tendency_is_stable_for_tiny_masses() -> None:
    # Both forms nearly impossible (mass underflows to 0) yet their ratio is still e^2 : 1.
    result = pair_tendency(-1000.0, -1002.0)
    assert result.m == pytest.approx(math.tanh(1.0))
    assert result.pair_mass == 0.0


def test_pair_tendency_saturates_without_overflow() -> None:
    assert pair_tendency(0.0, -5000.0).m == 1.0
    assert pair_tendency(-5000.0, 0.0).p_he == 0.0


def test_pair_tendency_rejects_invalid_log_probabilities() -> None:
    with pytest.raises(ValueError):
        pair_tendency(float("-inf"), -1.0)
    with pytest.raises(ValueError):
        pair_tendency(0.5, -1.0)


logprobs = st.floats(min_value=-60.0, max_value=0.0, allow_nan=False)


@given(logprobs, logprobs)
def test_pair_tendency_matches_direct_renormalisation_and_is_antisymmetric(he: float, she: float) -> None:
    result = pair_tendency(he, she)
    direct = (math.exp(he) - math.exp(she)) / (math.exp(he) + math.exp(she))
    assert result.m == pytest.approx(direct, abs=1e-9)
    assert -1.0 <= result.m <= 1.0
    assert result.m == pytest.approx(2 * result.p_he - 1, abs=1e-12)
    assert pair_tendency(she, he).m == pytest.approx(-result.m, abs=1e-12)
