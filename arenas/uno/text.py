"""Words for the game: history sentences and state descriptions shown to LLM players.

History lines follow the official prompts' shape ("it is No.12 turn, the player1 played a Red 7
card."); players are named "player0".."player{n-1}" by seat.
"""

from __future__ import annotations

from bench.arenas.uno.cards import COLOURS, TRAIT_NAMES, card_name
from bench.arenas.uno.engine import Event, UnoState


def player_name(seat: int) -> str:
    return f"player{seat}"


def event_sentence(event: Event) -> str:
    who = player_name(event.player)
    head = f"it is No.{event.turn} turn, the {who}"
    if event.what == "play":
        return f"{head} played a {card_name(event.card)} card."
    if event.what == "draw":
        noun = "a card" if event.count == 1 else f"{event.count} cards"
        return f"{head} drew {noun} ({event.reason})."
    if event.what == "colour":
        return f"{head} declared the colour {COLOURS[event.colour]}."
    if event.what == "no_challenge":
        return f"{head} did not challenge the Wild Draw Four."
    if event.what == "challenge":
        outcome = "successfully" if event.success else "wrongly"
        return f"{head} {outcome} challenged the Wild Draw Four."
    if event.what == "end":
        return f"{head} ended the game ({event.reason})."
    raise ValueError(f"unknown event {event.what!r}")


def top_description(state: UnoState) -> str:
    top = state.discard[-1]
    colour = COLOURS[state.top_colour]
    if top >= 52:
        return f"{TRAIT_NAMES[state.top_trait]} (declared colour {colour})"
    return card_name(top)


def describe_state(state: UnoState, seat: int) -> str:
    """A short text view of the game from `seat`'s side (ansi render, debugging)."""
    others = ", ".join(
        f"{player_name(p)}: {len(h)} cards" for p, h in enumerate(state.hands) if p != seat
    )
    hand = ", ".join(card_name(k) for k in sorted(state.hands[seat]))
    return (
        f"turn {state.turn}, to move: {player_name(state.current)}, top: {top_description(state)}, "
        f"draw pile {len(state.draw_pile)}, {others}\n{player_name(seat)} hand: {hand}"
    )
