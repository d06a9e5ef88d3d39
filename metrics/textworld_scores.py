"""Episode metrics of the TextWorld tasks (Introspective Tips, Chen et al. 2023, arXiv 2305.11598).

Definitions [ours; the paper's tables were not available]:

    normalised score of an episode = final score / max_score            in [0, 1]
    success                       = 1 if the game was won else 0
    steps                         = commands sent until won, lost or the step limit (<= max_steps)

Each is averaged over games (one episode per game and agent at a given trial, so the units are
independent games). Intervals: Wilson for the success rate (a proportion), BCa bootstrap of the
mean for the normalised score (bounded in [0, 1]) and for steps (bounded in [0, max_steps]); no
interval below MIN_INTERVAL_N games (metrics/intervals.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.metrics.intervals import Estimate, bounded_mean_estimate, proportion_estimate


def normalised_score(score: float, max_score: float) -> float:
    """score / max_score, in [0, 1]. TextWorld cooking scores never decrease and never exceed
    max_score; a value outside [0, max_score] is an error, not something to clip."""
    if max_score <= 0:
        raise ValueError(f"max_score must be positive, got {max_score}")
    if not 0 <= score <= max_score:
        raise ValueError(f"score {score} outside [0, {max_score}]")
    return score / max_score


def mean_normalised_score(values: Sequence[float], seed: int = 0) -> Estimate:
    """Mean normalised score over games with a bootstrap interval inside [0, 1]."""
    return bounded_mean_estimate(list(values), 0.0, 1.0, seed=seed)


def success_rate(won: Sequence[bool]) -> Estimate:
    """Share of games won, with a Wilson interval."""
    return proportion_estimate(sum(bool(w) for w in won), len(won))


def mean_steps(steps: Sequence[int], max_steps: int, seed: int = 0) -> Estimate:
    """Mean number of steps over games with a bootstrap interval inside [0, max_steps]."""
    if any(not 0 <= s <= max_steps for s in steps):
        raise ValueError(f"steps must lie in [0, {max_steps}]")
    return bounded_mean_estimate([float(s) for s in steps], 0.0, float(max_steps), seed=seed)
