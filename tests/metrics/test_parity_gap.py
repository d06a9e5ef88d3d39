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
