"""The compiled engine mirrors engine.py: random games replayed through both in lockstep give the
same state after every action; Monte Carlo values agree in distribution."""

from __future__ import annotations

import random

import numpy as np
import pytest
from bench.arenas.uno.engine import UnoState
from bench.arenas.uno.fast_engine import (
    M_PILE_LEN,
    apply_action,
    encode_rules,
    encode_state,
    monte_carlo_action_values_compiled,
    random_games,
)
from bench.arenas.uno.rollouts import monte_carlo_action_values
from bench.arenas.uno.rules import UnoRules
from hypothesis import given, settings
from hypothesis import strategies as st


def assert_same(state: UnoState, arrays) -> None:
    hands, sizes, pile, meta = arrays
    ref_hands, ref_sizes, ref_pile, ref_meta = encode_state(state)
    np.testing.assert_array_equal(hands, ref_hands)
    np.testing.assert_array_equal(sizes, ref_sizes)
    np.testing.assert_array_equal(meta, ref_meta)
    np.testing.assert_array_equal(pile[: meta[M_PILE_LEN]], ref_pile[: ref_meta[M_PILE_LEN]])


RULE_VARIANTS = [
    UnoRules(num_players=2),
    UnoRules(num_players=3, depletion_tie="none"),
    UnoRules(num_players=5, wd4_challenge=False),
    UnoRules(num_players=2, reverse_skips_in_two_player=True, wrong_challenge_penalty=4, hand_size=12),
    UnoRules(num_players=7, max_turns=30),
]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), variant=st.integers(0, len(RULE_VARIANTS) - 1), policy=st.integers(0, 2**32))
def test_lockstep_replay_matches_the_reference_engine(seed: int, variant: int, policy: int):
    rules = RULE_VARIANTS[variant]
    state = UnoState.new_game(rules, seed)
    arrays = encode_state(state)
    encoded_rules = encode_rules(rules)
    rng = random.Random(policy)
    while not state.is_over:
        action = rng.choice(state.legal_actions())
        state.apply(action)
        apply_action(*arrays, encoded_rules, action)
        assert_same(state, arrays)


def test_compiled_values_agree_with_python_values_in_distribution():
    rng = random.Random(3)
    for game in range(3):
        state = UnoState.new_game(UnoRules(num_players=(2, 3, 5)[game]), game)
        while len(state.legal_actions()) < 2 or state.turn < 5:
            state.apply(rng.choice(state.legal_actions()))
        actions = state.legal_actions()
        python = monte_carlo_action_values(state, actions, rollouts=800, seed=1, engine="python")
        compiled = monte_carlo_action_values_compiled(state, actions, rollouts=800, seed=1)
        # Each value's stderr <= 0.018, a difference's <= 0.025: 0.08 is > 3 sigma.
        assert np.max(np.abs(np.array(python) - np.array(compiled))) < 0.08, (python, compiled)


def test_compiled_values_are_seeded_and_perfect_information_differs():
    state = UnoState.new_game(UnoRules(), 11)
    actions = state.legal_actions()
    assert monte_carlo_action_values_compiled(state, actions, 100, seed=4) == \
        monte_carlo_action_values_compiled(state, actions, 100, seed=4)
    assert monte_carlo_action_values_compiled(state, actions, 100, seed=4, perfect_information=True) != \
        monte_carlo_action_values_compiled(state, actions, 100, seed=4)


def test_random_games_have_win_shares_summing_to_games():
    wins = random_games(2000, UnoRules(num_players=3), seed=5)
    assert wins.sum() == pytest.approx(2000) and all(0.25 < w / 2000 < 0.42 for w in wins)


def test_reshuffle_rules_are_refused_by_the_compiled_engine():
    with pytest.raises(ValueError):
        encode_rules(UnoRules.standard(2))
