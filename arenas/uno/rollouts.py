"""Monte Carlo action values of one decision, the input of ODHR@K and ADR@K.

For a decision state s of the player to move (the decider) and each candidate action a:

    V(s, a) = (1/M) * sum_{r=1..M} payoff_decider(rollout_r(apply(s_r, a)))

where s_r is s with the hidden cards re-dealt (default; the decider's own hand, the discard pile
and every hand size stay, the other hands and the draw pile are reshuffled from the cards the
decider cannot see) or s itself (`perfect_information=True`, which is what deep-copying the true
state, as the official host does, amounts to), and rollout_r plays to the end with every player
uniformly random (`engine.random_playout`). Rollout r uses the same re-deal and the same random
stream for every action (common random numbers), so differences between actions are not
drowned by deal noise. [ours] The official evaluator was not published (tasks/uno/README.md, Fidelity).

`engine="auto"` runs the rollouts on the compiled engine (fast_engine.py, ~100x faster; same
estimator, its own random streams) when the rules allow it, else on the Python engine.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

from bench.arenas.uno.engine import UnoState, random_playout


def redeal_hidden(state: UnoState, viewer: int, rng: random.Random) -> None:
    """In place: shuffle the cards `viewer` cannot see (other hands + draw pile) and deal them
    back with every hand size and the draw-pile size unchanged."""
    pool = list(state.draw_pile)
    for seat, hand in enumerate(state.hands):
        if seat != viewer:
            pool.extend(hand)
    rng.shuffle(pool)
    start = 0
    for seat, hand in enumerate(state.hands):
        if seat != viewer:
            size = len(hand)
            state.hands[seat] = pool[start : start + size]
            start += size
    state.draw_pile = pool[start:]


def monte_carlo_action_values(
    state: UnoState,
    actions: Sequence[int],
    rollouts: int = 200,
    seed: int = 0,
    perfect_information: bool = False,
    challenge_probability: float = 0.5,
    engine: Literal["auto", "python", "compiled"] = "auto",
) -> list[float]:
    """V(s, a) for each action in `actions` (legal actions of `state.current`), in that order."""
    if engine != "python":
        from bench.arenas.uno import fast_engine

        if engine == "compiled" or fast_engine.supports(state.rules):
            return fast_engine.monte_carlo_action_values_compiled(
                state, list(actions), rollouts, seed, perfect_information, challenge_probability
            )
    if state.is_over:
        raise ValueError("the game is over: nothing to decide")
    if rollouts < 1:
        raise ValueError("rollouts must be >= 1")
    decider = state.current
    totals = [0.0] * len(actions)
    base_seed = seed * 1_000_003
    for r in range(rollouts):
        if perfect_information:
            start = state
        else:
            start = state.clone()
            redeal_hidden(start, decider, random.Random(base_seed + 2 * r))
        playout_seed = base_seed + 2 * r + 1
        for i, action in enumerate(actions):
            game = start.clone()
            game.apply(action)
            random_playout(game, random.Random(playout_seed), challenge_probability)
            totals[i] += game.payoff(decider)
    return [total / rollouts for total in totals]
