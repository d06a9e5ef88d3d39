"""The discrete action space shared by the engine, the gymnasium env and every player.

    0..53   play a card of that kind (cards.py); a black card is followed by a colour decision
    54      draw one card and pass (legal only when nothing in hand is playable)
    55..58  declare Red / Yellow / Blue / Green after playing a black card
    59      do not challenge a Wild Draw Four
    60      challenge it
"""

from __future__ import annotations

from enum import IntEnum

from bench.arenas.uno.cards import COLOURS, NUM_KINDS, card_name

DRAW = NUM_KINDS  # 54
COLOUR_BASE = DRAW + 1  # 55..58
NO_CHALLENGE = COLOUR_BASE + 4  # 59
CHALLENGE = NO_CHALLENGE + 1  # 60
NUM_ACTIONS = CHALLENGE + 1  # 61
COLOUR_ACTIONS: tuple[int, ...] = tuple(range(COLOUR_BASE, COLOUR_BASE + 4))
CHALLENGE_ACTIONS: tuple[int, ...] = (NO_CHALLENGE, CHALLENGE)


class Phase(IntEnum):
    """What the player to move must decide."""

    PLAY = 0  # play a playable card, or draw when none is playable
    COLOUR = 1  # declare the colour of the black card just played
    CHALLENGE = 2  # challenge the Wild Draw Four just played on you, or not
    OVER = 3


def action_name(action: int) -> str:
    """Human-readable action: "play Red 7", "draw", "colour Blue", "challenge", "no challenge"."""
    if action < NUM_KINDS:
        return f"play {card_name(action)}"
    if action == DRAW:
        return "draw"
    if action in COLOUR_ACTIONS:
        return f"colour {COLOURS[action - COLOUR_BASE]}"
    if action == CHALLENGE:
        return "challenge"
    if action == NO_CHALLENGE:
        return "no challenge"
    raise ValueError(f"no action {action}")
