"""The rules of one UNO game as a documented, frozen dataclass.

Defaults are the UNO Arena rules (Qin et al. 2024, official engine Game/UNO.py): 108 cards, 7 dealt,
a player who can play must play (no voluntary draw), otherwise draws one card and passes;
Reverse has no effect with two players; Wild Draw Four may always be played and may be
challenged; the discard pile is never reshuffled, so the game also ends when the draw pile
cannot supply a draw, and then the player(s) with the fewest cards win.

Variants are config changes, e.g. `UnoRules.standard(4)` reshuffles the discard pile and lets
Reverse act as Skip with two players.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DepletionTie = Literal["shared", "none"]


@dataclass(frozen=True)
class UnoRules:
    """Knobs of the engine. All defaults = UNO Arena.

    num_players: 2..7 (the official host's range).
    hand_size: cards dealt to each player.
    wd4_challenge: the player after a Wild Draw Four may challenge it. Without it the victim
        always draws 4 and is skipped.
    wd4_penalty: cards the victim draws when it does not challenge.
    guilty_wd4_penalty: cards the Wild Draw Four player draws when the challenge succeeds (it
        held a card of the colour that was current before it played); the challenger plays next.
    wrong_challenge_penalty: cards a wrong challenger draws (UNO Arena: 6); it is then skipped.
    reverse_skips_in_two_player: standard rules make Reverse a Skip with two players; UNO Arena
        gives it no effect.
    reshuffle_discard: when the draw pile cannot supply, shuffle the discard pile (minus its top)
        into it instead of ending the game. UNO Arena: never.
    depletion_tie: [ours] when the game ends on an empty draw pile and several players share the
        fewest cards, "shared" splits the win (each gets 1/k of a win), "none" gives nobody a win.
        The official tie rule lives in code that was not published.
    max_turns: safety cap, only reachable with reshuffle_discard (without reshuffling every turn
        shrinks cards-in-hands + 2 * draw-pile, so games end by themselves); at the cap the game
        ends like a depleted draw pile.
    """

    num_players: int = 2
    hand_size: int = 7
    wd4_challenge: bool = True
    wd4_penalty: int = 4
    guilty_wd4_penalty: int = 4
    wrong_challenge_penalty: int = 6
    reverse_skips_in_two_player: bool = False
    reshuffle_discard: bool = False
    depletion_tie: DepletionTie = "shared"
    max_turns: int = 5000

    def __post_init__(self) -> None:
        if not 2 <= self.num_players <= 7:
            raise ValueError(f"num_players must be 2..7, got {self.num_players}")
        if self.hand_size < 1 or self.hand_size * self.num_players > 60:
            raise ValueError(f"hand_size {self.hand_size} cannot be dealt to {self.num_players} players")
        if self.depletion_tie not in ("shared", "none"):
            raise ValueError(f"depletion_tie must be 'shared' or 'none', got {self.depletion_tie!r}")

    @classmethod
    def standard(cls, num_players: int = 2) -> UnoRules:
        """Closer to the printed rules: reshuffle the discard pile, Reverse = Skip in 1v1, challenge
        penalties 4 / 6 (the wrong-challenge 6 = 4 + 2 of the official rules)."""
        return cls(num_players=num_players, reverse_skips_in_two_player=True, reshuffle_discard=True)
