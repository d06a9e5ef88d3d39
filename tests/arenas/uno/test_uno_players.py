"""Random, rule and DQN players: legality, the rule player's preferences, and strength vs random."""

from __future__ import annotations

import random

import numpy as np
from bench.arenas.uno.actions import CHALLENGE, COLOUR_BASE, NO_CHALLENGE
from bench.arenas.uno.cards import WILD, WILD_DRAW_FOUR
from bench.arenas.uno.dqn import CHECKPOINT, DQNPlayer, checkpoint_card
from bench.arenas.uno.engine import UnoState
from bench.arenas.uno.players import Player, RandomPlayer, RulePlayer
from bench.arenas.uno.rules import UnoRules
from bench.metrics.uno_win_rate import win_rate

R, Y, B, G = 0, 1, 2, 3


def card(colour: int, trait: int) -> int:
    return colour * 13 + trait


def win_rate_against_random(player: Player, games: int, seed: int, players: int = 2):
    rng = random.Random(seed)
    opponent = RandomPlayer()
    payoffs = []
    for game in range(games):
        seat = game % players
        state = UnoState.new_game(UnoRules(num_players=players), rng.getrandbits(64), first_player=(game // players) % players)
        while not state.is_over:
            state.step((player if state.current == seat else opponent).act(state, rng))
        payoffs.append(state.payoff(seat))
    return win_rate(payoffs)


def test_rule_player_prefers_same_type_then_colour_then_wild_then_wd4():
    rules = UnoRules()
    top = card(R, 5)
    hand = [WILD_DRAW_FOUR, WILD, card(R, 2), card(B, 5)]
    state = UnoState.from_position(rules, [hand, [card(G, 1)]], list(range(10)), [top])
    player, rng = RulePlayer(), random.Random(0)
    order = []
    while len(order) < 4:
        action = player.act(state, rng)
        order.append(action)
        state.hands[0].remove(action)
    assert order == [card(B, 5), card(R, 2), WILD, WILD_DRAW_FOUR]


def test_rule_player_declares_its_most_frequent_colour_and_challenges_big_hands():
    rules = UnoRules()
    state = UnoState.from_position(rules, [[WILD, card(B, 1), card(B, 2), card(G, 3)], [card(G, 1)] * 5],
                                   list(range(20)), [card(R, 5)])
    state.step(WILD)
    assert RulePlayer().act(state, random.Random(0)) == COLOUR_BASE + B
    big = UnoState.from_position(rules, [[WILD_DRAW_FOUR] + [card(G, 1)] * 5, [card(Y, 1)]], list(range(20)), [card(R, 5)])
    big.step(WILD_DRAW_FOUR)
    big.step(COLOUR_BASE + G)
    assert RulePlayer(challenge_min_cards=4).act(big, random.Random(0)) == CHALLENGE
    assert RulePlayer(challenge_min_cards=6).act(big, random.Random(0)) == NO_CHALLENGE


def test_every_player_only_returns_legal_actions():
    rng = random.Random(3)
    players = [RandomPlayer(), RulePlayer(), DQNPlayer()]
    for seed in range(20):
        state = UnoState.new_game(UnoRules(num_players=3), seed)
        while not state.is_over:
            action = players[state.current].act(state, rng)
            assert action in state.legal_actions()
            state.step(action)


def test_rule_player_beats_random_with_ci_above_half():
    estimate = win_rate_against_random(RulePlayer(), 1200, seed=11)
    assert estimate.ci_low > 0.5, estimate


def test_shipped_dqn_beats_random_with_ci_above_half():
    assert CHECKPOINT.exists()
    card_info = checkpoint_card()
    assert card_info["eval_1v1_vs_random"]["ci_low"] > 0.5
    estimate = win_rate_against_random(DQNPlayer(), 800, seed=12)
    assert estimate.ci_low > 0.5, estimate


def test_numpy_q_network_matches_the_torch_module_it_was_trained_as():
    import torch
    from bench.arenas.uno.dqn import HIDDEN, build_q_network, load_q_network
    from bench.arenas.uno.observation import encode_observation

    network = load_q_network()
    module = build_q_network(HIDDEN)
    module.load_state_dict({
        f"{i}.{part}": torch.from_numpy(arrays[j])
        for j, i in enumerate((0, 2, 4))
        for part, arrays in (("weight", network.weights), ("bias", network.biases))
    })
    rng = random.Random(5)
    differing_choices = 0
    for seed in range(60):
        state = UnoState.new_game(UnoRules(num_players=2 + seed % 4), seed)
        for _ in range(rng.randrange(0, 30)):
            if state.is_over:
                break
            state.apply(rng.choice(state.legal_actions()))
        if state.is_over:
            continue
        observation = encode_observation(state, state.current)
        q_numpy = network(observation)
        with torch.no_grad():
            q_torch = module(torch.from_numpy(observation)).numpy()
        np.testing.assert_allclose(q_numpy, q_torch, rtol=1e-5, atol=1e-5)
        legal = state.legal_actions()
        differing_choices += int(np.argmax(q_numpy[legal]) != np.argmax(q_torch[legal]))
    assert differing_choices == 0


def test_playing_against_the_dqn_never_imports_torch():
    import subprocess
    import sys

    code = (
        "import random, sys\n"
        "from bench.arenas.uno.dqn import DQNPlayer\n"
        "from bench.arenas.uno.engine import UnoState\n"
        "from bench.arenas.uno.rules import UnoRules\n"
        "state = UnoState.new_game(UnoRules(num_players=2), 1)\n"
        "DQNPlayer().act(state, random.Random(0))\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
