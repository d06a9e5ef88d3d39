"""Significance tests the regression gate uses: "is the candidate worse than the baseline?".

Pure functions on numpy arrays (no I/O, no documents). Every test is one-sided for H1 "the
candidate moved in the bad direction"; `higher_is_better` says which direction is bad.

- `mcnemar_exact_worse`: paired 0/1 outcomes. Exact McNemar (McNemar 1947, Psychometrika
  12:153-157) as a one-sided binomial test on the discordant pairs: with b = #pairs worse and
  c = #pairs better, p = P(Binom(b + c, 1/2) >= b). scipy.stats.binomtest does the arithmetic;
  statsmodels' `mcnemar(exact=True)` is two-sided only, which a gate cannot use.
- `paired_permutation_worse`: paired real values. Sign-flip permutation test of
  mean(bad_change) > 0 (scipy.stats.permutation_test, permutation_type="samples"; exact when
  2^n <= resamples).
- `paired_bootstrap_delta_ci`: 95% percentile-bootstrap interval of mean(candidate - baseline).
- `unpaired_bootstrap_worse`: runs that scored different samples. Bootstrap of the difference of
  means, each run resampled on its own; p = (#{bad_change* <= 0} + 1) / (B + 1) (percentile-interval
  inversion, Efron & Tibshirani 1993, ch. 16). scipy returns the replicates; the p-value from them
  is ours because scipy has no bootstrap test.
- `z_test_worse`: only summary statistics: z = bad_change / sqrt(se_b^2 + se_c^2), p = 1 - Phi(z).
- `stderr_from_interval`: a CI turned into a standard error, se = (high - low) / (2 z_{(1+level)/2})
  (assumes a symmetric normal interval).
- `holm_adjust`: Holm's step-down correction (Holm 1979, Scand. J. Statist. 6:65-70), statsmodels.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import stats


def is_binary(*arrays: np.ndarray) -> bool:
    """True when every value of every array is 0 or 1."""
    return all(bool(np.all((a == 0) | (a == 1))) for a in arrays)


def mcnemar_exact_worse(baseline: np.ndarray, candidate: np.ndarray, higher_is_better: bool) -> tuple[float, int, int]:
    """One-sided exact McNemar test on paired 0/1 outcomes: (p, #pairs worse, #pairs better)."""
    sign = 1.0 if higher_is_better else -1.0
    bad = sign * (baseline - candidate)
    worse, better = int(np.sum(bad > 0)), int(np.sum(bad < 0))
    if worse + better == 0:
        return 1.0, 0, 0
    return float(stats.binomtest(worse, worse + better, 0.5, alternative="greater").pvalue), worse, better


def paired_permutation_worse(
    baseline: np.ndarray, candidate: np.ndarray, higher_is_better: bool, resamples: int, seed: int
) -> float:
    """One-sided sign-flip permutation test of mean(bad_change) > 0 on paired values."""
    sign = 1.0 if higher_is_better else -1.0
    bad = sign * (baseline - candidate)
    if not np.any(bad != 0):
        return 1.0
    result = stats.permutation_test(
        (sign * baseline, sign * candidate),
        lambda x, y, axis: np.mean(x - y, axis=axis),
        permutation_type="samples",
        vectorized=True,
        n_resamples=resamples,
        alternative="greater",
        random_state=np.random.default_rng(seed),
    )
    return float(result.pvalue)


def _bootstrap(
    samples: tuple[np.ndarray, ...], statistic: Callable[..., Any], paired: bool, resamples: int, seed: int
) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degenerate data (all values equal) is fine for percentile intervals
        return stats.bootstrap(
            samples, statistic, paired=paired, vectorized=True, n_resamples=resamples, method="percentile",
            confidence_level=0.95, random_state=np.random.default_rng(seed),
        )


def paired_bootstrap_delta_ci(
    baseline: np.ndarray, candidate: np.ndarray, resamples: int, seed: int
) -> tuple[float, float]:
    """95% percentile-bootstrap interval of mean(candidate - baseline) over paired samples."""
    result = _bootstrap((baseline, candidate), lambda x, y, axis: np.mean(y - x, axis=axis), True, resamples, seed)
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def unpaired_bootstrap_worse(
    baseline: np.ndarray, candidate: np.ndarray, higher_is_better: bool, resamples: int, seed: int
) -> tuple[float, float, float]:
    """(p, ci_low, ci_high) for mean(candidate) - mean(baseline), resampling each run on its own."""
    result = _bootstrap(
        (baseline, candidate), lambda x, y, axis: np.mean(y, axis=axis) - np.mean(x, axis=axis), False, resamples, seed
    )
    replicates = np.asarray(result.bootstrap_distribution)
    bad = replicates * (-1.0 if higher_is_better else 1.0)
    p = (float(np.sum(bad <= 0)) + 1.0) / (len(bad) + 1.0)
    return min(p, 1.0), float(result.confidence_interval.low), float(result.confidence_interval.high)


def z_test_worse(bad_change: float, se_baseline: float, se_candidate: float) -> tuple[float, float]:
    """(p, se of the difference) of the one-sided z-test z = bad_change / sqrt(se_b^2 + se_c^2)."""
    se = math.hypot(se_baseline, se_candidate)
    if se == 0:
        return (0.0 if bad_change > 0 else 1.0), 0.0
    return float(stats.norm.sf(bad_change / se)), se


def stderr_from_interval(
    stderr: float | None, ci_low: float | None, ci_high: float | None, level: float = 0.95
) -> float | None:
    """A standard error: the given one, else from a symmetric normal CI; None when there is neither."""
    if stderr is not None:
        return float(stderr)
    if ci_low is not None and ci_high is not None:
        return (float(ci_high) - float(ci_low)) / (2 * float(stats.norm.ppf(0.5 + level / 2)))
    return None


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (statsmodels' implementation)."""
    if not p_values:
        return []
    from statsmodels.stats.multitest import multipletests

    return [float(p) for p in multipletests(list(p_values), method="holm")[1]]
