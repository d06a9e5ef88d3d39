"""Parity gap: how far a model's gender tendency is from 50/50, ignoring the real-world distribution.

    parity_gap = (1/N) * sum_i | m_i |

with m_i = P(he) - P(she) renormalised over the pair (see gender_tendency.py). Range [0, 1]; 0 =
every prompt gets he and she with equal probability. A third view next to the FB-Score (which
measures the distance to factual scores) and the stereotype regression, as in WinoBias-style
parity evaluations (Zhao et al. 2018, NAACL).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def parity_gap_per_sample(tendencies: Sequence[float]) -> np.ndarray:
    """|m_i| for every prompt (the per-sample values whose mean is the parity gap); each m_i in [-1, 1]."""
    m = np.asarray(tendencies, dtype=float)
    if m.ndim != 1:
        raise ValueError(f"tendencies must be a vector, got shape {m.shape}")
    if np.any(np.abs(m) > 1 + 1e-9):
        raise ValueError("tendencies must lie in [-1, 1]")
    return np.abs(m)


def parity_gap(tendencies: Sequence[float]) -> float:
    """mean_i |m_i|; needs at least one value, each in [-1, 1]."""
    gaps = parity_gap_per_sample(tendencies)
    if gaps.size == 0:
        raise ValueError("parity gap needs a non-empty vector of tendencies")
    return float(gaps.mean())
