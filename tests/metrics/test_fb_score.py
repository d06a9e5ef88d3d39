"""FB-Score (reconstructed) = mean |m - f| on hand-computed cases and its invariants."""

from __future__ import annotations

import math

import pytest
from bench.metrics.fb_score import fb_score, fb_score_per_sample
from hypothesis import given
from hypothesis import strategies as st


def test_fb_score_hand_computed_three_prompts() -> None:
    # |0.5 - 0.0| + |-0.2 - (-1.0)| + |1.0 - 0.8| = 0.5 + 0.8 + 0.2 = 1.5 -> mean 0.5
    assert fb_score([0.5, -0.2, 1.0], [0.0, -1.0, 0.8]) == pytest.approx(0.5)


def test_fb_score_is_zero_when_tendency_equals_factual_score() -> None:
    assert fb_score([0.3, -0.7, 0.0], [0.3, -0.7, 0.0]) == 0.0


def test_fb_score_reaches_two_at_opposite_extremes() -> None:
    assert fb_score([1.0, -1.0], [-1.0, 1.0]) == pytest.approx(2.0)


def test_fb_score_per_sample_returns_absolute_gaps() -> None:
    assert fb_score_per_sample([0.25, -0.5], [0.0, 0.5]).tolist() == pytest.approx([0.25, 1.0])


def test_fb_score_rejects_out_of_range_and_mismatched_inputs() -> None:
    with pytest.raises(ValueError):
        fb_score([1.5], [0.0])
    with pytest.raises(ValueError):
        fb_score([0.1, 0.2], [0.0])
    with pytest.raises(ValueError):
        fb_score([], [])


scores = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)


@given(st.lists(st.tuples(scores, scores), min_size=1, max_size=50))
def test_fb_score_lies_in_zero_two_and_is_symmetric(pairs: list[tuple[float, float]]) -> None:
    m = [p[0] for p in pairs]
    f = [p[1] for p in pairs]
    value = fb_score(m, f)
    assert 0.0 <= value <= 2.0
    assert math.isclose(value, fb_score(f, m), abs_tol=1e-12)
