"""Win rate (WR) of a player over games, with a Wilson 95% interval.

UNO Arena (Qin et al. 2024, arXiv 2406.16382) reports WR; the definition is the standard one
(spec §3; the paper's own formula was not available to us):

    WR = (1/N) * sum_g payoff_g

payoff_g = 1 for a won game, 0 for a lost one, and 1/k when the game ended on an empty draw pile
with k players tied for the fewest cards (rules.depletion_tie = "shared").

Interval: Wilson score interval for a proportion with s = sum_g payoff_g successes out of N,
    centre = (p + z^2/(2N)) / (1 + z^2/N),  half = z/(1 + z^2/N) * sqrt(p(1-p)/N + z^2/(4N^2)),
z = Phi^-1(0.975). Fractional (shared) payoffs enter through p; stderr = sqrt(p(1-p)/N).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats


@dataclass(frozen=True)
class ProportionEstimate:
    value: float
    n: int
    stderr: float
    ci_low: float
    ci_high: float


def wilson_interval(p: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion p observed over n trials."""
    if n <= 0:
        return 0.0, 1.0
    z = float(stats.norm.ppf(0.5 + level / 2))
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(max(p * (1 - p), 0.0) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def win_rate(payoffs: Sequence[float], level: float = 0.95) -> ProportionEstimate:
    """WR over games given each game's payoff in [0, 1]; n = 0 gives value nan and CI [0, 1]."""
    n = len(payoffs)
    if n == 0:
        return ProportionEstimate(float("nan"), 0, float("nan"), 0.0, 1.0)
    if any(not 0.0 <= p <= 1.0 for p in payoffs):
        raise ValueError("payoffs must lie in [0, 1]")
    p = float(sum(payoffs)) / n
    low, high = wilson_interval(p, n, level)
    return ProportionEstimate(p, n, math.sqrt(p * (1 - p) / n), low, high)
