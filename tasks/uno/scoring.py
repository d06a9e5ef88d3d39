"""Monte Carlo scoring of the model's decisions: candidate values and the chosen action's rank."""

from __future__ import annotations

from dataclasses import dataclass

from bench.arenas.uno.match import DecisionPoint
from bench.arenas.uno.rollouts import monte_carlo_action_values
from bench.metrics.uno_decisions import DecisionRank, rank_of_choice


@dataclass(frozen=True)
class ScoredDecision:
    values: tuple[float, ...]  # V(s, a) per candidate, in candidate order
    rank: DecisionRank


def score_decision(
    point: DecisionPoint, rollouts: int, seed: int, perfect_information: bool, engine: str = "auto"
) -> ScoredDecision:
    candidates = list(point.decision.candidates)
    values = monte_carlo_action_values(point.snapshot, candidates, rollouts, seed, perfect_information, engine=engine)  # type: ignore[arg-type]
    return ScoredDecision(tuple(values), rank_of_choice(values, candidates.index(point.decision.action)))
