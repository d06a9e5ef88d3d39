"""The gate's significance tests (metrics/significance.py) on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bench.metrics.significance import (
    holm_adjust,
    is_binary,
    mcnemar_exact_worse,
    paired_permutation_worse,
    stderr_from_interval,
    unpaired_bootstrap_worse,
    z_test_worse,
)
from scipy import stats


def test_mcnemar_counts_discordant_pairs_and_is_one_sided_binomial() -> None:
    baseline = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0])
    candidate = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0])  # 6 worse, 4 better, 2 ties
    p, worse, better = mcnemar_exact_worse(baseline, candidate, higher_is_better=True)
    assert (worse, better) == (6, 4)
    assert p == pytest.approx((210 + 120 + 45 + 10 + 1) / 1024)  # P(Binom(10, 1/2) >= 6)
    p_lower, worse_lower, _ = mcnemar_exact_worse(baseline, candidate, higher_is_better=False)
    assert worse_lower == 4 and p_lower == pytest.approx(1 - (1 + 10 + 45 + 120) / 1024)


def test_mcnemar_without_discordant_pairs_is_p_one() -> None:
    same = np.array([1, 0, 1])
    assert mcnemar_exact_worse(same, same, True) == (1.0, 0, 0)


def test_paired_permutation_is_exact_for_small_samples() -> None:
    baseline = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    candidate = baseline + np.array([1.0, 2.0, 3.0, 4.0, 5.0])  # lower is better: every pair worse
    # Only the observed sign pattern (all worse) reaches the observed mean: p = 1/2^5.
    assert paired_permutation_worse(baseline, candidate, False, 9999, 0) == pytest.approx(1 / 32)
    assert paired_permutation_worse(baseline, candidate, True, 9999, 0) == pytest.approx(1.0)


def test_unpaired_bootstrap_of_a_total_drop_has_the_smallest_possible_p() -> None:
    p, low, high = unpaired_bootstrap_worse(np.ones(30), np.zeros(30), True, 999, 0)
    assert p == pytest.approx(1 / 1000) and low == high == -1.0


def test_z_test_matches_the_normal_tail() -> None:
    p, se = z_test_worse(0.03, 0.01, 0.01)
    assert se == pytest.approx(math.hypot(0.01, 0.01))
    assert p == pytest.approx(stats.norm.sf(0.03 / se))
    assert z_test_worse(0.1, 0.0, 0.0) == (0.0, 0.0) and z_test_worse(0.0, 0.0, 0.0) == (1.0, 0.0)


def test_holm_adjustment_matches_hand_computation() -> None:
    # sorted p: 0.01*3 = 0.03, 0.03*2 = 0.06, max(0.06, 0.04*1) = 0.06
    assert holm_adjust([0.04, 0.01, 0.03]) == pytest.approx([0.06, 0.03, 0.06])
    assert holm_adjust([]) == []


def test_stderr_from_ci_assumes_symmetric_normal_interval() -> None:
    assert stderr_from_interval(None, 0.5 - 1.959964 * 0.1, 0.5 + 1.959964 * 0.1) == pytest.approx(0.1, rel=1e-5)
    assert stderr_from_interval(0.2, 0.0, 1.0) == 0.2
    assert stderr_from_interval(None, None, None) is None


def test_is_binary() -> None:
    assert is_binary(np.array([0.0, 1.0]), np.array([1, 1])) and not is_binary(np.array([0.5]))
