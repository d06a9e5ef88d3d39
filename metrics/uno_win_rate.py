"""Win rate (WR) of a player over games, with a Wilson 95% interval.

UNO Arena (Qin et al. 2024, arXiv 2406.16382) reports WR; the definition is the standard one
(the paper's own formula was not available to us):

    WR = (1/N) * sum_g payoff_g

payoff_g = 1 for a won game, 0 for a lost one, and 1/k when the game ended on an empty draw pile
with k players tied for the fewest cards (rules.depletion_tie = "shared").

Interval: Wilson score interval of the proportion s / N with s = sum_g payoff_g (fractional
shared payoffs enter through s), from metrics/intervals.py (statsmodels); stderr = sqrt(p(1-p)/N).
No interval below MIN_INTERVAL_N games.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.metrics.intervals import Estimate, proportion_estimate


def win_rate(payoffs: Sequence[float], level: float = 0.95) -> Estimate:
    """WR over games given each game's payoff in [0, 1]; n = 0 gives value nan and no interval."""
    if any(not 0.0 <= p <= 1.0 for p in payoffs):
        raise ValueError("payoffs must lie in [0, 1]")
    return proportion_estimate(float(sum(payoffs)), len(payoffs), level)
