"""Synchronous players: uniformly random, the rule-based player, and a DQN policy.

A player maps (state, seat's own rng) to a legal action of the player to move. Players read only
what the seat may know (own hand, the top, hand sizes); the DQN goes through
`encode_observation`. LLM players are async and live in llm_player.py.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Protocol

from bench.arenas.uno.actions import CHALLENGE, COLOUR_BASE, DRAW, NO_CHALLENGE, Phase
from bench.arenas.uno.cards import CARD_COLOUR, CARD_TRAIT, WILD, WILD_DRAW_FOUR
from bench.arenas.uno.engine import UnoState


class Player(Protocol):
    name: str

    def act(self, state: UnoState, rng: random.Random) -> int:
        """A legal action for `state.current`."""
        ...


class RandomPlayer:
    """Uniform over playable cards (by card, as in the official random player), uniform colour,
    challenge with probability 1/2 (official host code). Same policy as `engine.random_playout`."""

    name = "random"

    def __init__(self, challenge_probability: float = 0.5) -> None:
        self.challenge_probability = challenge_probability

    def act(self, state: UnoState, rng: random.Random) -> int:
        phase = state.phase
        if phase == Phase.PLAY:
            playable = state.playable_cards()
            return playable[int(rng.random() * len(playable))] if playable else DRAW
        if phase == Phase.COLOUR:
            return COLOUR_BASE + int(rng.random() * 4)
        return CHALLENGE if rng.random() < self.challenge_probability else NO_CHALLENGE


class RulePlayer:
    """The official simple rule player (official code): play a card of the top's type first, then of its
    colour, then Wild, then Wild Draw Four; declare the colour most frequent in hand.

    [ours] Within a preference class, the card whose colour is most frequent in hand goes first
    (numbers before action cards on ties are not distinguished). Challenge rule [ours]: challenge
    when the Wild Draw Four player still holds at least `challenge_min_cards` cards (the more cards
    it holds, the likelier it had the old colour).
    """

    name = "rule"

    def __init__(self, challenge_min_cards: int = 4) -> None:
        self.challenge_min_cards = challenge_min_cards

    def act(self, state: UnoState, rng: random.Random) -> int:
        hand = state.hands[state.current]
        phase = state.phase
        if phase == Phase.PLAY:
            playable = state.playable_cards()
            if not playable:
                return DRAW
            colour_counts = Counter(CARD_COLOUR[k] for k in hand)

            def preference(kind: int) -> tuple[int, int]:
                if kind == WILD_DRAW_FOUR:
                    cls = 3
                elif kind == WILD:
                    cls = 2
                elif CARD_TRAIT[kind] == state.top_trait:
                    cls = 0
                else:
                    cls = 1
                return cls, -colour_counts[CARD_COLOUR[kind]]

            return min(sorted(set(playable)), key=preference)
        if phase == Phase.COLOUR:
            return COLOUR_BASE + most_frequent_colour(hand)
        offender_cards = len(state.hands[state.wd4_player])
        return CHALLENGE if offender_cards >= self.challenge_min_cards else NO_CHALLENGE


def most_frequent_colour(hand: list[int]) -> int:
    """Colour (0..3) with most cards in `hand`; ties -> lowest index; no coloured card -> 0."""
    counts = [0, 0, 0, 0]
    for kind in hand:
        colour = CARD_COLOUR[kind]
        if colour < 4:
            counts[colour] += 1
    return max(range(4), key=lambda c: (counts[c], -c))
