"""Monte Carlo action values and the ODHR sanity checks of the issue: the argmax player scores
ODHR@1 = 1, a random player's ODHR@1 matches mean(1/|A|) within its CI."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from bench.arenas.uno.cards import WILD
from bench.arenas.uno.engine import UnoState
from bench.arenas.uno.rollouts import monte_carlo_action_values, redeal_hidden
from bench.arenas.uno.rules import UnoRules
from bench.metrics.uno_decisions import chance_odhr_at_k, odhr_at_k, rank_of_choice


def decision_states(count: int, seed: int) -> list[UnoState]:
    """States with >= 2 legal actions met along random games (2, 3 and 5 players)."""
    rng = random.Random(seed)
    found: list[UnoState] = []
    game = 0
    while len(found) < count:
        state = UnoState.new_game(UnoRules(num_players=(2, 3, 5)[game % 3]), rng.getrandbits(64))
        game += 1
        while not state.is_over and len(found) < count:
            legal = state.legal_actions()
            if len(legal) >= 2 and rng.random() < 0.15:
                found.append(state.clone())
            state.apply(rng.choice(legal))
    return found


def test_redeal_keeps_the_viewers_hand_sizes_and_the_unseen_multiset():
    state = UnoState.new_game(UnoRules(num_players=3), 5)
    before = state.clone()
    redeal_hidden(state, 1, random.Random(0))
    assert state.hands[1] == before.hands[1] and state.discard == before.discard
    assert [len(h) for h in state.hands] == [len(h) for h in before.hands]
    assert len(state.draw_pile) == len(before.draw_pile)
    unseen = lambda s: Counter([*s.draw_pile, *s.hands[0], *s.hands[2]])  # noqa: E731
    assert unseen(state) == unseen(before) and state.hands[0] != before.hands[0]


@pytest.mark.parametrize("engine", ["python", "compiled"])
def test_winning_card_has_value_one_and_values_are_seeded(engine):
    rules = UnoRules()
    state = UnoState.from_position(rules, [[WILD, 5], [13, 14, 15]], list(range(20, 40)), [7])
    values = monte_carlo_action_values(state, [5, WILD], rollouts=50, seed=1, engine=engine)
    assert all(0.0 <= v <= 1.0 for v in values)
    last = UnoState.from_position(rules, [[5], [13, 14]], list(range(20, 40)), [7])
    assert monte_carlo_action_values(last, [5], rollouts=20, engine=engine) == [1.0]
    assert monte_carlo_action_values(state, [5, WILD], 50, seed=1, engine=engine) == values


@pytest.mark.parametrize("engine", ["python", "compiled"])
def test_identical_actions_get_identical_values_by_common_random_numbers(engine):
    state = decision_states(1, seed=4)[0]
    action = state.legal_actions()[0]
    for perfect in (False, True):
        a, b = monte_carlo_action_values(state, [action, action], 40, seed=2, perfect_information=perfect, engine=engine)
        assert a == b


def test_argmax_player_scores_odhr_at_1_of_one():
    states = decision_states(40, seed=1)
    ranks = []
    for i, state in enumerate(states):
        legal = state.legal_actions()
        values = monte_carlo_action_values(state, legal, rollouts=30, seed=i)
        ranks.append(rank_of_choice(values, int(np.argmax(values))))
    assert odhr_at_k(ranks, 1).value == 1.0


def test_random_player_odhr_at_1_matches_mean_inverse_action_count():
    states = decision_states(300, seed=2)
    rng = random.Random(9)
    ranks, inverse, all_values = [], [], []
    for i, state in enumerate(states):
        legal = state.legal_actions()
        # Enough rollouts that tied values (which count as hits for every tied action) are rare.
        values = monte_carlo_action_values(state, legal, rollouts=400, seed=1000 + i)
        ranks.append(rank_of_choice(values, rng.randrange(len(legal))))
        inverse.append(1 / len(legal))
        all_values.append(values)
    estimate = odhr_at_k(ranks, 1)
    assert estimate.ci_low <= float(np.mean(inverse)) <= estimate.ci_high, (estimate, np.mean(inverse))
    assert estimate.ci_low <= chance_odhr_at_k(all_values, 1) <= estimate.ci_high
