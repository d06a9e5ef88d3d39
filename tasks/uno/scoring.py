"""Monte Carlo scoring of the model's decisions: which decisions are scored, candidate values and
the chosen action's rank."""

from __future__ import annotations

import functools
import hashlib
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.arenas import uno as uno_arena
from bench.arenas.uno.llm_player import LLMDecision
from bench.arenas.uno.match import DecisionPoint
from bench.arenas.uno.rollouts import monte_carlo_action_values
from bench.harness.derived_cache import cached_json, installed_versions, source_digest
from bench.metrics.uno_decisions import DecisionRank, rank_of_choice


@dataclass(frozen=True)
class ScoredDecision:
    values: tuple[float, ...]  # V(s, a) per candidate, in candidate order
    rank: DecisionRank


def score_decisions(
    points: Sequence[tuple[DecisionPoint, int]], rollouts: int, perfect_information: bool, engine: str = "auto"
) -> list[ScoredDecision]:
    """Each (point, seed)'s candidate values V(s, a) and the chosen action's rank.

    The Monte Carlo values are a pure function of the states, candidates, seeds and the UNO
    engine's code, so they come from the run's derived-artefact cache when the same code valued
    the same points before (a cached repeat of a game neither rolls out nor imports numba). Keyed
    by the sha256 of `bench.arenas.uno`'s sources and this file, numpy's and numba's versions and
    the pickled inputs; inputs pickle cannot serialise are computed, uncached."""

    def compute() -> list[list[float]]:
        return [
            monte_carlo_action_values(point.snapshot, list(point.decision.candidates), rollouts, seed, perfect_information, engine=engine)  # type: ignore[arg-type]
            for point, seed in points
        ]

    try:
        inputs = pickle.dumps(
            ([(point.snapshot, tuple(point.decision.candidates), seed) for point, seed in points], rollouts, perfect_information, engine),
            protocol=5,
        )
    except (pickle.PicklingError, TypeError, AttributeError):
        values = compute()
    else:
        key = [_code_digest(), installed_versions("numpy", "numba"), hashlib.sha256(inputs).hexdigest()]
        values = cached_json("uno-decision-values", key, compute)
    return [
        ScoredDecision(tuple(float(v) for v in vs), rank_of_choice(vs, list(point.decision.candidates).index(point.decision.action)))
        for (point, _), vs in zip(points, values, strict=True)
    ]


@functools.cache
def _code_digest() -> str:
    """sha256 of the UNO engine's sources (every module of bench.arenas.uno) and of this file."""
    return source_digest(*sorted(Path(uno_arena.__file__).parent.glob("*.py")), Path(__file__))


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
