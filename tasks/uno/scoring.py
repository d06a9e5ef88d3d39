"""Monte Carlo scoring of the model's decisions: which decisions are scored, candidate values and
the chosen action's rank."""

from __future__ import annotations

from dataclasses import dataclass

from bench.arenas.uno.llm_player import LLMDecision
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


def is_scored(decision: LLMDecision, scored_decisions: str) -> bool:
    """Whether ODHR/ADR score this decision under the `scored_decisions` policy (config.py).

    "clean" follows the official UNO Arena host (Host/host_SA_*.py): a decision's state is saved
    for Monte Carlo evaluation only when choose_error_numbers + json_error_numbers == 0, i.e. no
    answer of that decision was unusable. Our player asks again after an unusable answer
    (correction turns), which the official one does not; such decisions are left out by default
    ("corrected" keeps them), and random fallbacks only with "all".
    """
    if decision.fallback:
        return scored_decisions == "all"
    if decision.invalid_answers:
        return scored_decisions in ("corrected", "all")
    return True
