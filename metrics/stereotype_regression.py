"""Stereotype regression: how much of a model's gender tendency follows stereotype vs fact.

After DAMA (T. Limisiewicz, D. Marecek, T. Musil, "Debiasing Algorithm through Model Adaptation",
ICLR 2024, Sec. 3), which CodeGenBias (Qin et al. 2024, arXiv 2410.07820) appears to follow: over
the prompts i, fit by ordinary least squares

    m_i = a_f * f_{p(i)} + a_s * s_{p(i)} + b + e_i

where m_i in [-1, 1] is the renormalised he/she tendency (gender_tendency.py), f_p the profession's
factual score and s_p its stereotype score. a_s > 0 means the model follows the stereotype beyond
what the facts explain (0 is unbiased), a_f is how far it follows the facts, and b is a prompt-
independent male (+) or female (-) lean. Prompts of one profession share (f, s), so the standard
errors are cluster-robust by profession when clusters are given (t intervals with G - 1 degrees of
freedom), ordinary OLS errors otherwise. Fitted with statsmodels.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from bench.metrics.intervals import cluster_labels


@dataclass(frozen=True)
class Coefficient:
    value: float
    stderr: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class StereotypeRegression:
    a_f: Coefficient  # factual coefficient
    a_s: Coefficient  # stereotype coefficient
    b: Coefficient  # intercept
    r_squared: float
    n: int
    n_clusters: int | None


def stereotype_regression(
    tendencies: Sequence[float],
    factual_scores: Sequence[float],
    stereotype_scores: Sequence[float],
    clusters: Sequence[Hashable] | None = None,
    ci_level: float = 0.95,
) -> StereotypeRegression:
    """OLS fit of m = a_f * f + a_s * s + b.

    Raises ValueError when the fit is not identified: fewer than 4 prompts, or f, s and the
    constant linearly dependent (e.g. every sampled profession has f = 0).
    """
    m = np.asarray(tendencies, dtype=float)
    f = np.asarray(factual_scores, dtype=float)
    s = np.asarray(stereotype_scores, dtype=float)
    if not (m.shape == f.shape == s.shape) or m.ndim != 1:
        raise ValueError(f"m, f and s must be equal-length vectors, got {m.shape}, {f.shape}, {s.shape}")
    n = int(m.size)
    design = np.column_stack([f, s, np.ones(n)])
    if n < 4:
        raise ValueError(f"the stereotype regression needs at least 4 prompts, got {n}")
    if np.linalg.matrix_rank(design) < 3:
        raise ValueError("the stereotype regression is not identified: f, s and the constant are linearly dependent")
    from statsmodels.regression.linear_model import OLS  # here: ~0.7 s of import most runs never need

    n_clusters: int | None = None
    if clusters is not None:
        if len(clusters) != n:
            raise ValueError(f"{len(clusters)} cluster labels for {n} prompts")
        index, groups = cluster_labels(clusters)
        n_clusters = groups if groups >= 2 else None
    if n_clusters is not None:
        fit = OLS(m, design).fit(cov_type="cluster", cov_kwds={"groups": index}, use_t=True)
    else:
        fit = OLS(m, design).fit(use_t=True)
    intervals = np.asarray(fit.conf_int(alpha=1 - ci_level))
    coefficients = [
        Coefficient(float(fit.params[k]), float(fit.bse[k]), float(intervals[k, 0]), float(intervals[k, 1])) for k in range(3)
    ]
    return StereotypeRegression(
        a_f=coefficients[0], a_s=coefficients[1], b=coefficients[2], r_squared=float(fit.rsquared), n=n, n_clusters=n_clusters
    )
