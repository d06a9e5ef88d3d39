"""Play one game with any mix of synchronous players (random, rule, DQN) and async LLM players.

`play_game` is a coroutine: it awaits an LLM seat's `decide` only at real decisions (two or
more candidates) and runs everything else synchronously, so many games gathered with
`asyncio.gather` advance together and their model calls share batches. For every LLM decision the
state is cloned before the action (the snapshot the Monte Carlo metrics score).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bench.arenas.uno.engine import UnoState
from bench.arenas.uno.llm_player import LLMDecision
from bench.arenas.uno.players import Player
from bench.arenas.uno.rules import UnoRules


class AsyncPlayer(Protocol):
    name: str

    async def decide(self, state: UnoState, legal: list[int], rng: random.Random) -> LLMDecision: ...


@dataclass(frozen=True)
class DecisionPoint:
    """An async seat's decision with the state it was taken in (snapshot, history dropped)."""

    seat: int
    turn: int
    snapshot: UnoState
    decision: LLMDecision


@dataclass(frozen=True)
class GameResult:
    seed: int
    players: tuple[str, ...]
    first_player: int
    winners: tuple[int, ...]
    payoffs: tuple[float, ...]
    turns: int
    end_reason: str
    auto_moves: int  # async-seat turns with a single candidate, played without asking
    decisions: tuple[DecisionPoint, ...]


async def play_game(
    rules: UnoRules,
    seed: int,
    players: Sequence[Player | AsyncPlayer],
    first_player: int = 0,
    rng: random.Random | None = None,
) -> GameResult:
    """Deal with `seed` and play to the end. `rng` drives random/fallback choices (default:
    seeded from `seed`)."""
    if len(players) != rules.num_players:
        raise ValueError(f"{len(players)} players for a {rules.num_players}-player game")
    rng = rng or random.Random(seed ^ 0x5EED)
    state = UnoState.new_game(rules, seed, first_player=first_player, record_history=True)
    decisions: list[DecisionPoint] = []
    auto_moves = 0
    while not state.is_over:
        seat = state.current
        player = players[seat]
        decide = getattr(player, "decide", None)
        if decide is None:
            state.step(player.act(state, rng))  # type: ignore[union-attr]
            continue
        legal = state.legal_actions()
        if len(legal) == 1:
            auto_moves += 1
            state.step(legal[0])
            continue
        snapshot = state.clone()
        decision = await decide(state, legal, rng)
        decisions.append(DecisionPoint(seat, state.turn, snapshot, decision))
        state.step(decision.action)
    return GameResult(
        seed, tuple(p.name for p in players), first_player, state.winners,
        tuple(state.payoff(p) for p in range(rules.num_players)), state.turn, state.end_reason, auto_moves,
        tuple(decisions),
    )
