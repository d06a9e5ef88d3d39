"""UNO cards as small ints, and the lookup tables the engine's hot loop reads.

A card *kind* is an int in 0..53:

    kind = colour * 13 + trait      for coloured cards, colour in 0..3 (Red, Yellow, Blue, Green),
                                    trait 0..9 = number, 10 = Skip, 11 = Reverse, 12 = Draw Two
    kind = 52                       Wild
    kind = 53                       Wild Draw Four

The discard pile's top is described by an *effective* colour (a wild's declared colour) and a
trait (13 = Wild, 14 = Wild Draw Four). The 108-card deck holds per colour one 0 and two of every
other coloured kind, plus four of each black kind (the official engine).
"""

from __future__ import annotations

COLOURS: tuple[str, ...] = ("Red", "Yellow", "Blue", "Green")
TRAIT_NAMES: tuple[str, ...] = (
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "Skip", "Reverse", "Draw Two", "Wild", "Wild Draw Four",
)
NUM_KINDS = 54
WILD = 52
WILD_DRAW_FOUR = 53
SKIP, REVERSE, DRAW_TWO = 10, 11, 12
TRAIT_WILD, TRAIT_WILD_DRAW_FOUR = 13, 14
BLACK = 4  # colour index of the two black kinds
DECK_SIZE = 108


def colour_of(kind: int) -> int:
    """0..3 for coloured kinds, 4 (BLACK) for Wild and Wild Draw Four."""
    return kind // 13 if kind < WILD else BLACK


def trait_of(kind: int) -> int:
    """0..12 for coloured kinds, 13 for Wild, 14 for Wild Draw Four."""
    return kind % 13 if kind < WILD else (TRAIT_WILD if kind == WILD else TRAIT_WILD_DRAW_FOUR)


def is_number(kind: int) -> bool:
    return kind < WILD and kind % 13 <= 9


def card_name(kind: int) -> str:
    """"Red 7", "Green Draw Two", "Wild Draw Four"."""
    if kind >= WILD:
        return TRAIT_NAMES[trait_of(kind)]
    return f"{COLOURS[colour_of(kind)]} {TRAIT_NAMES[trait_of(kind)]}"


def full_deck() -> list[int]:
    """The 108 cards in a fixed order (shuffle it with a seeded RNG)."""
    deck: list[int] = []
    for colour in range(4):
        deck.append(colour * 13)  # one 0 per colour
        for trait in range(1, 13):
            deck.extend((colour * 13 + trait,) * 2)
    deck.extend((WILD,) * 4)
    deck.extend((WILD_DRAW_FOUR,) * 4)
    return deck


CARD_COLOUR: tuple[int, ...] = tuple(colour_of(k) for k in range(NUM_KINDS))
CARD_TRAIT: tuple[int, ...] = tuple(trait_of(k) for k in range(NUM_KINDS))

# PLAYABLE[top_colour * 15 + top_trait][kind]: may `kind` be played on that top? A card matches
# the top's effective colour or its trait; black cards always match (Wild Draw Four carries no
# "only without a matching colour" restriction in UNO Arena: it is challenged instead).
PLAYABLE: tuple[tuple[bool, ...], ...] = tuple(
    tuple(
        CARD_COLOUR[kind] == BLACK or CARD_COLOUR[kind] == top // 15 or CARD_TRAIT[kind] == top % 15
        for kind in range(NUM_KINDS)
    )
    for top in range(4 * 15)
)
