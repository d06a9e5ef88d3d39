"""Decision-quality metrics of UNO Arena: ODHR@K and ADR@K from Monte Carlo action values.

UNO Arena (Qin et al. 2024, arXiv 2406.16382) names ODHR@K (Optimal Decision Hit Rate) and ADR@K
(Average Decision Rank), "based on Monte Carlo methods"; the formulas below are OUR
RECONSTRUCTION (the official evaluator is not public), not the paper's text.

For scored decision d with candidate actions A_d, Monte Carlo values V_d(a) (arenas/uno/rollouts.py)
and chosen action a_d:

    rank_d   = average rank of a_d when A_d is sorted by V_d descending (1 = best; tied values
               share the mean of the positions they occupy)
    better_d = #{a in A_d : V_d(a) > V_d(a_d)}
    hit_d@K  = 1[better_d < K]        (a_d is among the K best; an action tied with the best
                                       counts as optimal)
    ODHR@K   = (1/D) * sum_d hit_d@K
    ADR@K    = (1/D) * sum_d min(rank_d, K)

Chance level of ODHR@K (a uniformly random choice): (1/D) * sum_d #{a : hit@K(a)} / |A_d|, which
is mean(min(K, |A_d|) / |A_d|) when no values tie.

ADR@1 is 1 by definition (min(rank, 1) = 1), so ADR@K is defined for K >= 2 only.
Intervals (metrics/intervals.py): Wilson for ODHR@K (a proportion); ADR@K is a bounded mean in
[1, K] and gets a BCa bootstrap interval that never leaves [1, K] (a t interval fell below 1
when most decisions were optimal). No interval below MIN_INTERVAL_N decisions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from bench.metrics.intervals import Estimate, bounded_mean_estimate, proportion_estimate


@dataclass(frozen=True)
class DecisionRank:
    """Where the chosen action stands among the candidates."""

    average_rank: float  # 1 = best, ties averaged
    strictly_better: int  # candidates with a strictly higher value
    num_actions: int



def rank_of_choice(values: Sequence[float], chosen: int) -> DecisionRank:
    """Rank of candidate index `chosen` given the candidates' values (higher is better)."""
    if not 0 <= chosen < len(values):
        raise IndexError(f"chosen index {chosen} out of range for {len(values)} candidates")
    # scipy.stats.rankdata(-values, method="average")[chosen] in closed form: the candidates
    # strictly better, then the middle of the tied block (NaN anywhere: NaN, as scipy gives). Own
    # code because this runs on every decision of a run, and importing scipy.stats takes ~0.4 s.
    mine = values[chosen]
    better = sum(1 for v in values if v > mine)
    tied = sum(1 for v in values if v == mine)
    average = float("nan") if any(math.isnan(v) for v in values) else better + (tied + 1) / 2
    return DecisionRank(average, better, len(values))


def hit_at_k(rank: DecisionRank, k: int) -> bool:
    """hit@K = 1[#strictly better candidates < K]."""
    return rank.strictly_better < k


def capped_rank(rank: DecisionRank, k: int) -> float:
    """min(average rank, K): the per-decision term of ADR@K."""
    return min(rank.average_rank, float(k))


def odhr_at_k(ranks: Sequence[DecisionRank], k: int, level: float = 0.95) -> Estimate:
    """ODHR@K = mean hit@K over decisions, with a Wilson interval; no decisions give nan."""
    return proportion_estimate(sum(hit_at_k(r, k) for r in ranks), len(ranks), level)


def adr_at_k(ranks: Sequence[DecisionRank], k: int, level: float = 0.95, seed: int = 0) -> Estimate:
    """ADR@K = mean min(rank, K) over decisions (lower is better), K >= 2, with a bootstrap
    interval inside [1, K]; no decisions give nan."""
    if k < 2:
        raise ValueError(f"ADR@K needs K >= 2 (ADR@1 is 1 by definition), got K = {k}")
    return bounded_mean_estimate([capped_rank(r, k) for r in ranks], 1.0, float(k), level, seed=seed)


def chance_hit_rate(values: Sequence[float], k: int) -> float:
    """Probability that a uniformly random candidate is a hit@K for these values."""
    best = sorted(values, reverse=True)
    hits = sum(1 for v in values if sum(1 for w in best if w > v) < k)
    return hits / len(values)


def chance_odhr_at_k(values_per_decision: Sequence[Sequence[float]], k: int) -> float:
    """ODHR@K a uniformly random player would get in expectation on these decisions."""
    if not values_per_decision:
        return float("nan")
    return float(np.mean([chance_hit_rate(v, k) for v in values_per_decision]))
