"""From scored RewardBench pairs to scores before and after each calibration method.

Shared by the `rewardbench_length` task (rewards from the model under test) and `bench calibrate`
(rewards from published score files). The math is in bench.metrics.reward_calibration and
bench.metrics.rewardbench_scoring; this module only arranges arrays and names the methods:

    original         raw rewards
    rc_mean          RC-Mean on the length feature(s), one after another
    rc_lwr           RC-LWR (statsmodels LOWESS) on the length feature(s), one after another
    length_penalty   r - coef * full-text length (baseline)
    rc_lwr_penalty   length penalty, then RC-LWR

RC-Mean leaves pairs whose windows are too sparse raw; when it calibrates none, the outcome
carries a warning (logged, and shown by both reports).

Every method pools the 2N responses of one reward model, as the paper does for RewardBench.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from bench.metrics.reward_calibration import (
    LowessCurve,
    SpearmanWithCI,
    char_length,
    length_penalty,
    length_reward_spearman,
    lowess_delta,
    lowess_fit,
    markdown_element_count,
    rc_lwr_penalty,
    rc_lwr_sequential,
    rc_mean_sequential,
)
from bench.metrics.rewardbench_scoring import (
    RewardBenchScore,
    ScoreInterval,
    XstestWeights,
    pair_correct,
    rewardbench_score,
    rewardbench_score_bootstrap,
    section_of,
)

log = logging.getLogger(__name__)

METHODS = ("rc_mean", "rc_lwr", "length_penalty", "rc_lwr_penalty")
ALL_METHODS = ("original", *METHODS)
FEATURES = ("chars", "tokens", "markdown")
FloatArray = np.ndarray


@dataclass(frozen=True)
class CalibrationSettings:
    """The knobs of every method; defaults are the paper's RewardBench run."""

    features: tuple[str, ...] = ("chars",)
    alphas: tuple[float, ...] = (1.0,)
    lowess_frac: float = 1.0
    lowess_it: int = 3
    lowess_delta_frac: float = 0.0  # statsmodels delta as a fraction of the feature's range
    rc_mean_ratio: float = 4.0
    rc_mean_min_count: int = 20
    rc_mean_window: str = "inclusive"  # or "paper" (the authors' off-by-one window, seeded)
    penalty_coef: float = 0.001
    xstest_weights: XstestWeights = "paper"
    n_boot: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown or not self.features:
            raise ValueError(f"unknown length feature(s) {unknown}; choices: {', '.join(FEATURES)}")
        if len(self.alphas) not in (1, len(self.features)):
            raise ValueError(f"give one alpha, or one per feature ({len(self.features)}); got {len(self.alphas)}")
        if not 0 < self.lowess_frac <= 1:
            raise ValueError(f"lowess_frac must be in (0, 1], got {self.lowess_frac}")
        if self.rc_mean_window not in ("inclusive", "paper"):
            raise ValueError(f"rc_mean_window must be 'inclusive' or 'paper', got {self.rc_mean_window!r}")
        if self.xstest_weights not in ("paper", "fixed"):
            raise ValueError(f"xstest_weights must be 'paper' or 'fixed', got {self.xstest_weights!r}")

    def alpha_for(self, index: int) -> float:
        return self.alphas[index] if len(self.alphas) > 1 else self.alphas[0]


@dataclass(frozen=True)
class ScoredPairs:
    """One reward model's rewards of N pairs with their length features (arrays of length N)."""

    ids: tuple[str, ...]
    subsets: tuple[str, ...]
    chosen_scores: FloatArray
    rejected_scores: FloatArray
    # feature name -> (chosen, rejected) values, in the order the features are applied
    features: dict[str, tuple[FloatArray, FloatArray]]
    chosen_full_lengths: FloatArray  # characters of the full (templated) conversation, for the penalty
    rejected_full_lengths: FloatArray

    def __post_init__(self) -> None:
        n = len(self.ids)
        arrays = [self.chosen_scores, self.rejected_scores, self.chosen_full_lengths, self.rejected_full_lengths]
        arrays += [a for pair in self.features.values() for a in pair]
        if len(self.subsets) != n or any(len(a) != n for a in arrays):
            raise ValueError("every column of ScoredPairs must have one value per pair")

    @property
    def n(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class MethodOutcome:
    method: str
    chosen: FloatArray
    rejected: FloatArray
    correct: np.ndarray
    score: RewardBenchScore
    intervals: dict[str, ScoreInterval]
    spearman: SpearmanWithCI  # length (first feature) vs reward, pooled
    calibrated_pairs: int  # pairs whose rewards the method changed (RC-Mean leaves sparse windows raw)
    extra: dict[str, Any] = field(default_factory=dict)


def response_feature(texts: Sequence[str], feature: str, tokenizer: Any = None) -> FloatArray:
    """Length feature of each response: characters (default), tokens (needs a tokenizer), markdown elements."""
    if feature == "chars":
        return np.array([char_length(t) for t in texts], dtype=float)
    if feature == "markdown":
        return np.array([markdown_element_count(t) for t in texts], dtype=float)
    if feature == "tokens":
        if tokenizer is None:
            raise ValueError("the 'tokens' feature needs a tokenizer")
        encoded = tokenizer(list(texts), add_special_tokens=False, truncation=True, max_length=8192)["input_ids"]
        return np.array([len(ids) for ids in encoded], dtype=float)
    raise ValueError(f"unknown length feature {feature!r}; choices: {', '.join(FEATURES)}")


def evaluate_methods(
    pairs: ScoredPairs, settings: CalibrationSettings, methods: Sequence[str] = ALL_METHODS
) -> dict[str, MethodOutcome]:
    """Scores and length-reward correlation of the raw rewards and of each calibration method."""
    unknown = [m for m in methods if m not in ALL_METHODS]
    if unknown:
        raise ValueError(f"unknown calibration method(s) {unknown}; choices: {', '.join(ALL_METHODS)}")
    wanted = ["original", *[m for m in methods if m != "original"]]
    builders: dict[str, Callable[[], tuple[FloatArray, FloatArray, int]]] = {
        "original": lambda: (pairs.chosen_scores, pairs.rejected_scores, 0),
        "rc_mean": lambda: _rc_mean(pairs, settings),
        "rc_lwr": lambda: _rc_lwr(pairs, settings),
        "length_penalty": lambda: _penalised(pairs, settings),
        "rc_lwr_penalty": lambda: _rc_lwr_penalty(pairs, settings),
    }
    first_feature = pairs.features[settings.features[0]]
    outcomes = {}
    for offset, method in enumerate(wanted):
        chosen, rejected, changed = builders[method]()
        extra: dict[str, Any] = {}
        if method == "rc_mean" and changed == 0 and pairs.n:
            extra["warning"] = (
                f"RC-Mean calibrated 0 of {pairs.n} pairs: no length window held min_count="
                f"{settings.rc_mean_min_count} responses (lower rc_mean_min_count or raise rc_mean_ratio); "
                "its score equals the original"
            )
            log.warning("%s", extra["warning"])
        correct = pair_correct(chosen, rejected)
        seed = settings.seed + offset
        outcomes[method] = MethodOutcome(
            method=method,
            chosen=np.asarray(chosen, float),
            rejected=np.asarray(rejected, float),
            correct=correct,
            score=rewardbench_score(pairs.subsets, correct, settings.xstest_weights),
            intervals=rewardbench_score_bootstrap(
                pairs.subsets, correct, settings.xstest_weights, n_boot=settings.n_boot, seed=seed
            ),
            spearman=length_reward_spearman(*first_feature, chosen, rejected, n_boot=settings.n_boot, seed=seed),
            calibrated_pairs=int(changed),
            extra=extra,
        )
    return outcomes


def fitted_curve(lengths: FloatArray, rewards: FloatArray, settings: CalibrationSettings) -> LowessCurve:
    """The LOWESS curve of reward on length with the run's settings (for plots and out-of-sample use)."""
    delta = lowess_delta(lengths, settings.lowess_delta_frac)
    return lowess_fit(lengths, rewards, settings.lowess_frac, settings.lowess_it, delta)[1]


def pair_records(pairs: ScoredPairs) -> list[dict[str, Any]]:
    """One record per pair with everything the metrics need (run -> records; summarize reads them back):
    subset, raw rewards, each length feature of both responses, the full-text lengths for the
    penalty, and `correct_original` (reward(chosen) > reward(rejected), the accuracy's paired
    field). Calibrated margins depend on every pair of the run, so they are recomputed by
    `summarize` and reported in the metrics, not stored per record."""
    records = []
    correct = pair_correct(pairs.chosen_scores, pairs.rejected_scores)
    for i in range(pairs.n):
        record: dict[str, Any] = {
            "id": pairs.ids[i],
            "subset": pairs.subsets[i],
            "section": section_of(pairs.subsets[i]),
            "score_chosen": float(pairs.chosen_scores[i]),
            "score_rejected": float(pairs.rejected_scores[i]),
        }
        for name, (chosen, rejected) in pairs.features.items():
            record[f"{name}_chosen"] = float(chosen[i])
            record[f"{name}_rejected"] = float(rejected[i])
        record["full_chars_chosen"] = float(pairs.chosen_full_lengths[i])
        record["full_chars_rejected"] = float(pairs.rejected_full_lengths[i])
        record["correct_original"] = int(correct[i])
        records.append(record)
    return records


def scored_pairs_from_records(records: Sequence[dict[str, Any]], features: Sequence[str]) -> ScoredPairs:
    """The ScoredPairs that `pair_records` wrote, read back (a null score is NaN)."""

    def column(key: str) -> FloatArray:
        return np.array([np.nan if r[key] is None else r[key] for r in records], float)

    return ScoredPairs(
        ids=tuple(str(r["id"]) for r in records),
        subsets=tuple(str(r["subset"]) for r in records),
        chosen_scores=column("score_chosen"),
        rejected_scores=column("score_rejected"),
        features={name: (column(f"{name}_chosen"), column(f"{name}_rejected")) for name in features},
        chosen_full_lengths=column("full_chars_chosen"),
        rejected_full_lengths=column("full_chars_rejected"),
    )


# ---- the methods over pairs (the math is metrics/reward_calibration.py's) ----------------------
def _pool(chosen: FloatArray, rejected: FloatArray) -> FloatArray:
    return np.concatenate([np.asarray(chosen, float), np.asarray(rejected, float)])


def _split(pooled: FloatArray, n: int) -> tuple[FloatArray, FloatArray]:
    return pooled[:n], pooled[n:]


def _pooled_features(pairs: ScoredPairs, settings: CalibrationSettings) -> list[FloatArray]:
    return [_pool(*pairs.features[name]) for name in settings.features]


def _alphas(settings: CalibrationSettings) -> list[float]:
    return [settings.alpha_for(index) for index in range(len(settings.features))]


def _rc_lwr(pairs: ScoredPairs, settings: CalibrationSettings) -> tuple[FloatArray, FloatArray, int]:
    calibrated = rc_lwr_sequential(
        _pooled_features(pairs, settings), _pool(pairs.chosen_scores, pairs.rejected_scores), _alphas(settings),
        settings.lowess_frac, settings.lowess_it, [settings.lowess_delta_frac] * len(settings.features),
    )
    return (*_split(calibrated, pairs.n), pairs.n)


def _rc_lwr_penalty(pairs: ScoredPairs, settings: CalibrationSettings) -> tuple[FloatArray, FloatArray, int]:
    calibrated = rc_lwr_penalty(
        _pooled_features(pairs, settings), _pool(pairs.chosen_full_lengths, pairs.rejected_full_lengths),
        _pool(pairs.chosen_scores, pairs.rejected_scores), _alphas(settings), settings.penalty_coef,
        settings.lowess_frac, settings.lowess_it, [settings.lowess_delta_frac] * len(settings.features),
    )
    return (*_split(calibrated, pairs.n), pairs.n)


def _rc_mean(pairs: ScoredPairs, settings: CalibrationSettings) -> tuple[FloatArray, FloatArray, int]:
    result = rc_mean_sequential(
        [pairs.features[name][0] for name in settings.features], [pairs.features[name][1] for name in settings.features],
        pairs.chosen_scores, pairs.rejected_scores, _alphas(settings),
        ratio=settings.rc_mean_ratio, min_count=settings.rc_mean_min_count,
        window=settings.rc_mean_window,  # type: ignore[arg-type]
        seed=settings.seed,
    )
    return result.chosen, result.rejected, int(result.calibrated.sum())


def _penalised(pairs: ScoredPairs, settings: CalibrationSettings) -> tuple[FloatArray, FloatArray, int]:
    penalised = length_penalty(
        _pool(pairs.chosen_scores, pairs.rejected_scores), _pool(pairs.chosen_full_lengths, pairs.rejected_full_lengths),
        settings.penalty_coef,
    )
    return (*_split(penalised, pairs.n), pairs.n)
