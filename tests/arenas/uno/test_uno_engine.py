"""UNO Arena engine: every card effect and the end-of-deck rule on constructed positions,
card conservation and seeded determinism as property tests."""

from __future__ import annotations

import random

import pytest
from bench.arenas.uno.actions import CHALLENGE, COLOUR_BASE, DRAW, NO_CHALLENGE, Phase
from bench.arenas.uno.cards import DECK_SIZE, WILD, WILD_DRAW_FOUR, full_deck
from bench.arenas.uno.engine import IllegalActionError, UnoState, random_playout
from bench.arenas.uno.rules import UnoRules
from hypothesis import given, settings
from hypothesis import strategies as st

R, Y, B, G = 0, 1, 2, 3


def card(colour: int, trait: int) -> int:
    return colour * 13 + trait


RED_5 = card(R, 5)


def position(hands, pile=None, top=RED_5, current=0, top_colour=None, rules=None, **kw) -> UnoState:
    rules = rules or UnoRules(num_players=len(hands))
    pile = list(range(10)) if pile is None else pile  # arbitrary coloured cards
    return UnoState.from_position(rules, hands, pile, [top], current=current, top_colour=top_colour, **kw)


def test_deck_has_108_cards_with_the_uno_arena_counts():
    deck = full_deck()
    assert len(deck) == DECK_SIZE == 108
    assert deck.count(card(R, 0)) == 1 and deck.count(card(G, 7)) == 2 and deck.count(card(B, 12)) == 2
    assert deck.count(WILD) == 4 and deck.count(WILD_DRAW_FOUR) == 4


def test_new_game_deals_seven_each_and_starts_on_a_number_card():
    for seed in range(50):
        state = UnoState.new_game(UnoRules(num_players=5), seed)
        assert [len(h) for h in state.hands] == [7] * 5
        assert state.discard[-1] % 13 <= 9 and state.discard[-1] < WILD
        assert state.card_count() == 108


def test_playable_by_colour_or_trait_and_black_always():
    state = position([[card(R, 1), card(B, 5), card(B, 6), WILD, WILD_DRAW_FOUR], [card(G, 2)]], top=card(R, 5))
    assert state.legal_actions() == sorted({card(R, 1), card(B, 5), WILD, WILD_DRAW_FOUR})


def test_must_play_when_able_so_draw_is_illegal():
    state = position([[card(R, 1), card(B, 6)], [card(G, 2)]])
    with pytest.raises(IllegalActionError):
        state.step(DRAW)


def test_no_playable_card_draws_exactly_one_and_passes():
    state = position([[card(B, 6), card(G, 7)], [card(G, 2)]], pile=[card(Y, 3), card(R, 9)])
    assert state.legal_actions() == [DRAW]
    state.step(DRAW)
    assert sorted(state.hands[0]) == sorted([card(B, 6), card(G, 7), card(R, 9)])  # R9 drawn, not played
    assert state.current == 1 and state.draw_pile == [card(Y, 3)]


def test_skip_skips_the_next_player():
    state = position([[card(R, 10), card(G, 1)], [card(G, 2)], [card(G, 3)]])
    state.step(card(R, 10))
    assert state.current == 2


def test_skip_in_two_player_gives_the_turn_back():
    state = position([[card(R, 10), card(G, 1)], [card(G, 2)]])
    state.step(card(R, 10))
    assert state.current == 0


def test_reverse_flips_direction_with_three_players():
    state = position([[card(R, 11), card(G, 1)], [card(G, 2)], [card(G, 3)]])
    state.step(card(R, 11))
    assert state.direction == -1 and state.current == 2


def test_reverse_has_no_effect_in_two_player_uno_arena():
    state = position([[card(R, 11), card(G, 1)], [card(G, 2)]])
    state.step(card(R, 11))
    assert state.current == 1


def test_reverse_acts_as_skip_in_two_player_standard_rules():
    state = position([[card(R, 11), card(G, 1)], [card(G, 2)]], rules=UnoRules.standard(2))
    state.step(card(R, 11))
    assert state.current == 0


def test_draw_two_makes_next_draw_two_and_lose_the_turn():
    state = position([[card(R, 12), card(G, 1)], [card(G, 2)], [card(G, 3)]], pile=[card(Y, 1), card(Y, 2), card(Y, 3)])
    state.step(card(R, 12))
    assert len(state.hands[1]) == 3 and state.current == 2 and state.draw_pile == [card(Y, 1)]


def test_wild_asks_for_a_colour_then_passes_the_turn():
    state = position([[WILD, card(G, 1)], [card(G, 2)]])
    state.step(WILD)
    assert state.phase == Phase.COLOUR and state.current == 0
    state.step(COLOUR_BASE + B)
    assert state.top_colour == B and state.phase == Phase.PLAY and state.current == 1
    assert state.legal_actions() == [DRAW]  # Green 2 does not match Blue


def test_wild_draw_four_not_challenged_victim_draws_four_and_is_skipped():
    state = position([[WILD_DRAW_FOUR, card(G, 1)], [card(G, 2)], [card(G, 3)]], pile=list(range(6)))
    state.step(WILD_DRAW_FOUR)
    state.step(COLOUR_BASE + Y)
    assert state.phase == Phase.CHALLENGE and state.current == 1
    state.step(NO_CHALLENGE)
    assert len(state.hands[1]) == 5 and state.current == 2


def test_wild_draw_four_guilty_player_draws_four_and_challenger_plays_next():
    # Top was Red; the WD4 player still holds Red 1, so the challenge succeeds.
    state = position([[WILD_DRAW_FOUR, card(R, 1)], [card(G, 2)], [card(G, 3)]], pile=list(range(6)))
    state.step(WILD_DRAW_FOUR)
    state.step(COLOUR_BASE + G)
    state.step(CHALLENGE)
    assert len(state.hands[0]) == 5 and len(state.hands[1]) == 1
    assert state.current == 1 and state.phase == Phase.PLAY


def test_wild_draw_four_wrong_challenge_draws_six():
    state = position([[WILD_DRAW_FOUR, card(G, 1)], [card(G, 2)], [card(G, 3)]], pile=list(range(8)))
    state.step(WILD_DRAW_FOUR)
    state.step(COLOUR_BASE + G)
    state.step(CHALLENGE)
    assert len(state.hands[1]) == 7 and len(state.hands[0]) == 1
    assert state.current == 2  # challenger skipped


def test_wild_draw_four_challenge_checks_the_previous_colour_not_the_declared_one():
    # The player holds Green only (not the previous Red): the challenge is wrong even though it
    # declared Green.
    state = position([[WILD_DRAW_FOUR, card(G, 1)], [card(Y, 2)]], pile=list(range(8)))
    state.step(WILD_DRAW_FOUR)
    state.step(COLOUR_BASE + G)
    state.step(CHALLENGE)
    assert len(state.hands[1]) == 7 and state.current == 0


def test_emptying_the_hand_wins_at_once():
    state = position([[card(R, 12)], [card(G, 2)]], pile=[])
    state.step(card(R, 12))  # Draw Two as last card: no draw needed, game over
    assert state.is_over and state.winners == (0,) and state.end_reason == "empty_hand"
    assert state.payoff(0) == 1.0 and state.payoff(1) == 0.0


def test_empty_draw_pile_ends_game_and_fewest_cards_win():
    state = position([[card(B, 6), card(G, 7)], [card(G, 2)], [card(G, 2), card(G, 3), card(G, 4)]], pile=[])
    state.step(DRAW)
    assert state.is_over and state.end_reason == "deck_depleted" and state.winners == (1,)
    assert state.hands[0] == [card(B, 6), card(G, 7)]  # nothing was drawn


def test_draw_two_that_the_pile_cannot_supply_ends_the_game_before_drawing():
    state = position([[card(R, 12), card(G, 1)], [card(G, 2)]], pile=[card(Y, 1)])
    state.step(card(R, 12))
    assert state.is_over and state.winners == (0, 1) and len(state.hands[1]) == 1


def test_depletion_tie_is_shared_by_default_and_nobody_wins_under_none():
    hands = [[card(B, 6)], [card(G, 2)]]
    shared = position(hands, pile=[])
    shared.step(DRAW)
    assert shared.winners == (0, 1) and shared.payoff(0) == shared.payoff(1) == 0.5
    none = position(hands, pile=[], rules=UnoRules(depletion_tie="none"))
    none.step(DRAW)
    assert none.payoff(0) == none.payoff(1) == 0.0


def test_reshuffle_variant_refills_the_draw_pile_from_the_discard():
    rules = UnoRules(num_players=2, reshuffle_discard=True)
    state = UnoState.from_position(rules, [[card(B, 6)], [card(G, 2)]], [], [card(Y, 1), card(Y, 2), card(R, 5)])
    state.step(DRAW)
    assert not state.is_over and state.discard == [card(R, 5)] and len(state.hands[0]) == 2


def test_clone_is_independent():
    state = UnoState.new_game(UnoRules(), 3)
    hands, pile, discard = [h[:] for h in state.hands], state.draw_pile[:], state.discard[:]
    copy = state.clone()
    while not copy.is_over:
        copy.step(copy.legal_actions()[0])
    assert state.turn == 0 and copy.turn > 0
    assert state.hands == hands and state.draw_pile == pile and state.discard == discard


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), players=st.integers(2, 7), policy_seed=st.integers(0, 2**32))
def test_cards_are_conserved_at_every_step(seed: int, players: int, policy_seed: int):
    state = UnoState.new_game(UnoRules(num_players=players), seed)
    rng = random.Random(policy_seed)
    while not state.is_over:
        state.step(rng.choice(state.legal_actions()))
        assert state.card_count() == 108
        assert sorted([*state.draw_pile, *state.discard, *(c for h in state.hands for c in h)]) == sorted(full_deck())
    assert state.winners and all(0 <= w < players for w in state.winners)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), players=st.integers(2, 7), policy_seed=st.integers(0, 2**32))
def test_same_seeds_give_the_same_game(seed: int, players: int, policy_seed: int):
    def play() -> tuple:
        state = UnoState.new_game(UnoRules(num_players=players), seed, record_history=True)
        random_playout(state, random.Random(policy_seed))
        return state.winners, state.turn, state.history

    assert play() == play()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), policy_seed=st.integers(0, 2**32))
def test_reshuffle_variant_conserves_cards_and_terminates(seed: int, policy_seed: int):
    state = UnoState.new_game(UnoRules.standard(4), seed)
    random_playout(state, random.Random(policy_seed))
    assert state.is_over and state.card_count() == 108 and state.turn <= state.rules.max_turns


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), cap=st.integers(1, 40), policy_seed=st.integers(0, 2**32))
def test_turn_cap_ends_the_game_at_exactly_max_turns(seed: int, cap: int, policy_seed: int):
    rules = UnoRules(num_players=3, max_turns=cap)
    stepped = UnoState.new_game(rules, seed)
    rng = random.Random(policy_seed)
    while not stepped.is_over:
        stepped.step(rng.choice(stepped.legal_actions()))
    played = UnoState.new_game(rules, seed)
    random_playout(played, random.Random(policy_seed))
    for state in (stepped, played):
        assert state.turn <= cap
        assert state.end_reason != "turn_cap" or state.turn == cap
