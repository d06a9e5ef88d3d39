"""Parity gap = mean |m|."""

from __future__ import annotations

import pytest
from bench.metrics.parity_gap import parity_gap


def test_parity_gap_hand_computed() -> None:
    assert parity_gap([0.5, -0.25, 0.0, 1.0]) == pytest.approx((0.5 + 0.25 + 0 + 1) / 4)


def test_parity_gap_rejects_empty_and_out_of_range() -> None:
    with pytest.raises(ValueError):
        parity_gap([])
    with pytest.raises(ValueError):
        parity_gap([1.2])


def test_parity_gap_is_the_mean_of_its_per_sample_values() -> None:
    from bench.metrics.parity_gap import parity_gap_per_sample

    values = [0.5, -0.25, 0.0, 1.0]
    assert parity_gap_per_sample(values).tolist() == [0.5, 0.25, 0.0, 1.0]
    assert parity_gap(values) == pytest.approx(parity_gap_per_sample(values).mean())
    with pytest.raises(ValueError):
        parity_gap_per_sample([-1.5])
