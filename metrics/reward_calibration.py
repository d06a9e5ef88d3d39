"""Post-hoc reward calibration for length bias: RC-Mean, RC-LWR, the length penalty, RC-LWR-Penalty.

Paper: Huang, Qiu, Wang, Ponti, Titov, "Post-hoc Reward Calibration: A Case Study on Length Bias",
ICLR 2025 (arXiv 2409.17407). Reimplemented from the paper and our notes on it (docs/calibrate.md);
the authors' repository has no licence, so nothing is copied from it.

Model of the bias: the observed reward r(x, y) = r*(x, y) + b(c(y)), where c(y) is a scalar
characteristic of the response (its length) and b depends on c only. The calibrated reward is

    r_cal(x, y) = r(x, y) - alpha * b_hat(c(y))            (alpha = 1.0 in every run of the paper)

b_hat is estimated from the reward model's own scores over the evaluation set (no labels). For
RewardBench the pool is all 2N responses (chosen and rejected) of the N pairs.

- RC-Mean: b_hat(c) = mean of the pooled rewards whose length lies in [c - d, c + d], with
  d = mean_i |c_i^+ - c_i^-| / ratio; a pair is calibrated only if both of its windows hold at
  least m responses, else it keeps its raw scores. Paper defaults (RewardBench): ratio 4, m 20.
- RC-LWR: b_hat = the LOWESS curve of reward on length (statsmodels, robust local-linear,
  tricube weights), frac 1.0 for RewardBench (0.3 for AlpacaEval), it 3, delta 0.
- Length penalty: r - 0.001 * len(full chat-templated text) (a baseline of the paper).
- RC-LWR-Penalty: the penalty first, then RC-LWR on the penalised rewards.

A constant offset in b_hat cancels in pairwise comparisons, so only its shape matters for accuracy.

Everything here is a pure function of numpy arrays (no I/O, no model).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
RcMeanWindow = Literal["inclusive", "paper"]

RC_MEAN_RATIO_REWARDBENCH = 4.0
RC_MEAN_MIN_COUNT_REWARDBENCH = 20
LOWESS_FRAC_REWARDBENCH = 1.0
LENGTH_PENALTY_COEF = 0.001


# ---- length features ------------------------------------------------------------------------
_MD_HEADER = re.compile(r"^\s{0,3}#{1,6}\s+\S", re.MULTILINE)
_MD_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S", re.MULTILINE)
_MD_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.DOTALL)


def char_length(text: str) -> int:
    """Python len(): Unicode code points of the response (the paper's `output_len_char`)."""
    return len(text)


def markdown_element_count(text: str) -> int:
    """Headers + list items + bold spans, the paper's markdown feature (counting rules reconstructed:
    ATX headers, '-', '*', '+' or 'N.' list items at a line start, '**x**' / '__x__' spans)."""
    return len(_MD_HEADER.findall(text)) + len(_MD_LIST_ITEM.findall(text)) + len(_MD_BOLD.findall(text))


# ---- RC-LWR: LOWESS ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LowessCurve:
    """A fitted LOWESS curve b_hat(c): strictly increasing knots `x` with fitted values `y`.

    `evaluate` interpolates linearly between knots and clamps outside [x[0], x[-1]] (the
    paper's bisect lookup is only defined in-sample; new responses need this).
    """

    x: FloatArray
    y: FloatArray

    def evaluate(self, lengths: ArrayLike) -> FloatArray:
        return np.interp(np.asarray(lengths, dtype=float), self.x, self.y)


def lowess_fit(
    lengths: ArrayLike, rewards: ArrayLike, frac: float = LOWESS_FRAC_REWARDBENCH, it: int = 3, delta: float = 0.0
) -> tuple[FloatArray, LowessCurve]:
    """statsmodels LOWESS of reward on length: (fitted value at each input point in input order, curve).

        b_hat = statsmodels.nonparametric.lowess(endog=rewards, exog=lengths, frac, it, delta)

    We call statsmodels rather than re-implement it. Points with equal lengths get equal fitted
    values, so the curve keeps one knot per distinct length.
    """
    from statsmodels.nonparametric.smoothers_lowess import lowess

    x = np.asarray(lengths, dtype=float)
    r = np.asarray(rewards, dtype=float)
    _check_same_shape(x, r)
    if x.size == 0:
        raise ValueError("LOWESS needs at least one point")
    with np.errstate(invalid="ignore", divide="ignore"):  # a single distinct length: 0/0, handled below
        fitted = np.asarray(lowess(r, x, frac=frac, it=it, delta=delta, return_sorted=False), dtype=float)
    knots, first = np.unique(x, return_index=True)
    if np.isnan(fitted).any():  # too few distinct points for a local fit: fall back to a flat curve
        fitted = np.full_like(r, float(np.mean(r)))
    return fitted, LowessCurve(knots, fitted[first])


def rc_lwr(
    lengths: ArrayLike,
    rewards: ArrayLike,
    frac: float = LOWESS_FRAC_REWARDBENCH,
    it: int = 3,
    delta: float = 0.0,
    alpha: float = 1.0,
) -> FloatArray:
    """RC-LWR over a pool of responses: r_cal = r - alpha * lowess(r ~ c)(c).

    In-sample calibration is the out-of-sample one evaluated at the fitted points themselves
    (the curve's knots are the distinct lengths), so both go through `calibrate_with_curve`.
    """
    _, curve = lowess_fit(lengths, rewards, frac, it, delta)
    return calibrate_with_curve(curve, lengths, rewards, alpha)


def calibrate_with_curve(curve: LowessCurve, lengths: ArrayLike, rewards: ArrayLike, alpha: float = 1.0) -> FloatArray:
    """Out-of-sample RC-LWR: r_cal = r - alpha * b_hat(c) with a curve fitted on other responses
    (e.g. fitted on policy outputs, applied to baseline outputs as in the paper's AlpacaEval
    setting); b_hat interpolates between the curve's knots and clamps beyond its ends."""
    return np.asarray(rewards, dtype=float) - alpha * curve.evaluate(lengths)


# ---- RC-Mean ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RcMeanResult:
    chosen: FloatArray
    rejected: FloatArray
    calibrated: NDArray[np.bool_]  # per pair: both windows held >= min_count responses
    half_width: float  # d


def rc_mean_pairs(
    chosen_lengths: ArrayLike,
    rejected_lengths: ArrayLike,
    chosen_rewards: ArrayLike,
    rejected_rewards: ArrayLike,
    ratio: float = RC_MEAN_RATIO_REWARDBENCH,
    min_count: int = RC_MEAN_MIN_COUNT_REWARDBENCH,
    alpha: float = 1.0,
    window: RcMeanWindow = "inclusive",
    seed: int = 0,
) -> RcMeanResult:
    """RC-Mean over N pairs (pool = the 2N responses).

        d        = mean_i |c_i^+ - c_i^-| / ratio
        W(c)     = { r_j : c - d <= c_j <= c + d }            (includes the response itself)
        b_hat(c) = mean(W(c))
        pair i: if |W(c_i^+)| >= m and |W(c_i^-)| >= m, both sides get r - alpha * b_hat(c); else raw

    `window="inclusive"` is the definition above (our default). `window="paper"` replicates the
    authors' code: the pool is sorted by length after a shuffle (seeded here, unseeded there) and
    the window is sorted[bisect_left(c - d) : bisect_right(c + d) - 1], which drops the last
    in-range response (a random one among equal lengths).
    """
    c_plus, c_minus = np.asarray(chosen_lengths, float), np.asarray(rejected_lengths, float)
    r_plus, r_minus = np.asarray(chosen_rewards, float), np.asarray(rejected_rewards, float)
    for other in (c_minus, r_plus, r_minus):
        _check_same_shape(c_plus, other)
    if window not in ("inclusive", "paper"):
        raise ValueError(f"unknown RC-Mean window {window!r}; choices: inclusive, paper")
    if ratio <= 0:
        raise ValueError(f"ratio must be > 0, got {ratio}")
    n = c_plus.size
    if n == 0:
        empty = np.zeros(0)
        return RcMeanResult(empty, empty, np.zeros(0, dtype=bool), 0.0)
    half_width = float(np.mean(np.abs(c_plus - c_minus)) / ratio)
    pool_c = np.concatenate([c_plus, c_minus])
    pool_r = np.concatenate([r_plus, r_minus])
    if window == "paper":
        shuffled = np.random.default_rng(seed).permutation(pool_c.size)
        order = shuffled[np.argsort(pool_c[shuffled], kind="stable")]
    else:
        order = np.argsort(pool_c, kind="stable")
    sorted_c, sorted_r = pool_c[order], pool_r[order]
    prefix = np.concatenate([[0.0], np.cumsum(sorted_r)])
    lo = np.searchsorted(sorted_c, pool_c - half_width, side="left")
    hi = np.searchsorted(sorted_c, pool_c + half_width, side="right")
    if window == "paper":
        hi = hi - 1
    count = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (prefix[hi] - prefix[lo]) / count
    ok = (count[:n] >= min_count) & (count[n:] >= min_count) & (count[:n] > 0) & (count[n:] > 0)
    chosen = np.where(ok, r_plus - alpha * mean[:n], r_plus)
    rejected = np.where(ok, r_minus - alpha * mean[n:], r_minus)
    return RcMeanResult(chosen, rejected, ok, half_width)


def rc_mean_sequential(
    chosen_features: Sequence[ArrayLike],
    rejected_features: Sequence[ArrayLike],
    chosen_rewards: ArrayLike,
    rejected_rewards: ArrayLike,
    alphas: Sequence[float],
    ratio: float = RC_MEAN_RATIO_REWARDBENCH,
    min_count: int = RC_MEAN_MIN_COUNT_REWARDBENCH,
    window: RcMeanWindow = "inclusive",
    seed: int = 0,
) -> RcMeanResult:
    """RC-Mean applied once per feature, each step on the previous step's rewards (as
    `rc_lwr_sequential`). A pair counts as calibrated when any step calibrated it; `half_width`
    is the last step's d."""
    if not (len(chosen_features) == len(rejected_features) == len(alphas)) or not alphas:
        raise ValueError(f"{len(chosen_features)}/{len(rejected_features)} features but {len(alphas)} alphas")
    chosen, rejected = np.asarray(chosen_rewards, float), np.asarray(rejected_rewards, float)
    calibrated = np.zeros(chosen.size, dtype=bool)
    half_width = 0.0
    for c_plus, c_minus, alpha in zip(chosen_features, rejected_features, alphas):
        step = rc_mean_pairs(c_plus, c_minus, chosen, rejected, ratio, min_count, alpha, window, seed)
        chosen, rejected, half_width = step.chosen, step.rejected, step.half_width
        calibrated |= step.calibrated
    return RcMeanResult(chosen, rejected, calibrated, half_width)


# ---- length penalty ---------------------------------------------------------------------------
def length_penalty(rewards: ArrayLike, full_text_lengths: ArrayLike, coef: float = LENGTH_PENALTY_COEF) -> FloatArray:
    """r - coef * len(full text): the paper's baseline (full chat-templated text, not the response)."""
    r, lengths = np.asarray(rewards, float), np.asarray(full_text_lengths, float)
    _check_same_shape(r, lengths)
    return r - coef * lengths


def rc_lwr_penalty(
    features: Sequence[ArrayLike],
    full_text_lengths: ArrayLike,
    rewards: ArrayLike,
    alphas: Sequence[float],
    coef: float = LENGTH_PENALTY_COEF,
    frac: float = LOWESS_FRAC_REWARDBENCH,
    it: int = 3,
    delta_fractions: Sequence[float] | None = None,
) -> FloatArray:
    """RC-LWR-Penalty: RC-LWR (on the response-length feature(s), in sequence) of the
    length-penalised rewards r - coef * len(full text)."""
    return rc_lwr_sequential(features, length_penalty(rewards, full_text_lengths, coef), alphas, frac, it, delta_fractions)


# ---- several features in sequence ---------------------------------------------------------------
def rc_lwr_sequential(
    features: Sequence[ArrayLike],
    rewards: ArrayLike,
    alphas: Sequence[float],
    frac: float = LOWESS_FRAC_REWARDBENCH,
    it: int = 3,
    delta_fractions: Sequence[float] | None = None,
) -> FloatArray:
    """RC-LWR applied once per feature, each on the previous step's output:

        r_0 = r ;  r_k = r_{k-1} - alpha_k * lowess(r_{k-1} ~ c_k)(c_k)

    `delta_fractions` give each step's LOWESS delta as a fraction of that feature's range.
    """
    if len(features) != len(alphas):
        raise ValueError(f"{len(features)} features but {len(alphas)} alphas")
    current = np.asarray(rewards, dtype=float)
    fractions = list(delta_fractions) if delta_fractions is not None else [0.0] * len(features)
    for feature, alpha, fraction in zip(features, alphas, fractions):
        c = np.asarray(feature, dtype=float)
        current = rc_lwr(c, current, frac, it, lowess_delta(c, fraction), alpha)
    return current


def lowess_delta(lengths: ArrayLike, fraction: float) -> float:
    """statsmodels' `delta` (skip distance) as a fraction of the length range; 0 = exact."""
    c = np.asarray(lengths, dtype=float)
    return float(fraction * (c.max() - c.min())) if c.size and fraction > 0 else 0.0


# ---- diagnostics ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpearmanWithCI:
    rho: float
    ci_low: float | None  # None: fewer than MIN_INTERVAL_N pairs, or rho undefined
    ci_high: float | None
    n: int


def length_reward_spearman(
    chosen_lengths: ArrayLike,
    rejected_lengths: ArrayLike,
    chosen_rewards: ArrayLike,
    rejected_rewards: ArrayLike,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> SpearmanWithCI:
    """Spearman rho between length and reward over the pooled 2N responses, with a percentile
    bootstrap CI (scipy.stats.bootstrap, paired: both responses of a pair move together); the
    interval stays in [-1, 1]. No interval below MIN_INTERVAL_N pairs (metrics/intervals.py)."""
    from bench.metrics.intervals import enough_for_interval

    c_plus, c_minus = np.asarray(chosen_lengths, float), np.asarray(rejected_lengths, float)
    r_plus, r_minus = np.asarray(chosen_rewards, float), np.asarray(rejected_rewards, float)
    n = c_plus.size
    rho = _spearman(np.concatenate([c_plus, c_minus]), np.concatenate([r_plus, r_minus]))
    if not enough_for_interval(n) or n_boot <= 1 or not np.isfinite(rho):
        return SpearmanWithCI(rho, None, None, 2 * n)

    def pooled_rho(cp: FloatArray, cm: FloatArray, rp: FloatArray, rm: FloatArray, axis: int = -1) -> FloatArray:
        return _rowwise_spearman(np.concatenate([cp, cm], axis=-1), np.concatenate([rp, rm], axis=-1))

    from scipy import stats  # here, not at the top: importing scipy.stats takes ~0.4 s of every start-up

    with np.errstate(invalid="ignore", divide="ignore"):
        result = stats.bootstrap(
            (c_plus, c_minus, r_plus, r_minus), pooled_rho, n_resamples=n_boot, paired=True, vectorized=True,
            confidence_level=level, method="percentile", rng=np.random.default_rng(seed), batch=_BOOT_CHUNK,
        )
    # A resample can hold one distinct length (rho undefined): drop those replicates.
    boot = np.asarray(result.bootstrap_distribution)
    boot = boot[np.isfinite(boot)]
    if boot.size == 0:
        return SpearmanWithCI(rho, None, None, 2 * n)
    tail = (1 - level) / 2
    low, high = np.quantile(boot, [tail, 1 - tail])
    return SpearmanWithCI(rho, max(-1.0, float(low)), min(1.0, float(high)), 2 * n)


_BOOT_CHUNK = 100  # replicates per batch: bounds the (replicates x 2N) rank matrices


def _rowwise_spearman(xs: FloatArray, ys: FloatArray) -> FloatArray:
    """Spearman rho along the last axis: Pearson correlation of average ranks (scipy's definition)."""
    from scipy import stats

    rx = stats.rankdata(xs, axis=-1)
    ry = stats.rankdata(ys, axis=-1)
    rx -= rx.mean(axis=-1, keepdims=True)
    ry -= ry.mean(axis=-1, keepdims=True)
    denominator = np.sqrt((rx * rx).sum(axis=-1) * (ry * ry).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray((rx * ry).sum(axis=-1) / denominator, dtype=float)


def _spearman(x: FloatArray, y: FloatArray) -> float:
    if x.size < 2 or np.all(x == x[0]) or np.all(y == y[0]):
        return float("nan")
    from scipy import stats

    return float(stats.spearmanr(x, y).statistic)


def _check_same_shape(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ValueError(f"arrays differ in shape: {a.shape} vs {b.shape}")
