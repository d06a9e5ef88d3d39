"""The UNO Arena game engine: a mutable game state with `legal_actions`, `step` and `clone`.

Plain Python with ints for cards and lists for hands and piles, so a state clones by list copies
(the Monte Carlo metrics clone a state thousands of times per decision). The draw pile's top is
the end of its list. Randomness is only used to shuffle (deal, reshuffle variant, hidden-card
re-deal): given a dealt state and a sequence of actions the game is deterministic.

Turn structure (rules.py for the knobs):

    PLAY       the player to move plays one of its playable cards (action = card kind), or, with
               none playable, draws one card and passes (action DRAW).
               Skip: next player skipped. Reverse: direction flips (no effect with 2 players).
               Draw Two: next player draws 2 and is skipped. Black card -> COLOUR.
    COLOUR     the same player declares a colour; after Wild Draw Four -> CHALLENGE for the next
               player, else the next player plays.
    CHALLENGE  not challenged: the victim draws 4 and is skipped. Challenged and the Wild Draw Four
               player held a card of the colour current before it was played: that player draws 4
               and the challenger plays next. Wrongly challenged: the challenger draws 6 and is
               skipped.
    OVER       a player emptied its hand (it wins), or a draw could not be supplied (no reshuffle):
               the players with the fewest cards win (ties per `rules.depletion_tie`).

[ours] When a draw of n cards cannot be supplied, the game ends before any of the n cards is
drawn, so the hand sizes at that moment decide.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.arenas.uno.actions import (
    CHALLENGE,
    CHALLENGE_ACTIONS,
    COLOUR_ACTIONS,
    COLOUR_BASE,
    DRAW,
    NO_CHALLENGE,
    Phase,
)
from bench.arenas.uno.cards import (
    CARD_COLOUR,
    CARD_TRAIT,
    DRAW_TWO,
    PLAYABLE,
    REVERSE,
    SKIP,
    TRAIT_WILD_DRAW_FOUR,
    WILD,
    full_deck,
    is_number,
)
from bench.arenas.uno.rules import UnoRules

_PLAY, _COLOUR, _CHALLENGE, _OVER = int(Phase.PLAY), int(Phase.COLOUR), int(Phase.CHALLENGE), int(Phase.OVER)


class IllegalActionError(ValueError):
    """An action that is not in `legal_actions()` of the current state."""


@dataclass(frozen=True)
class Event:
    """One line of the game history (recorded only when `record_history` is on).

    what: "play" (card), "draw" (count, reason), "colour" (colour), "challenge" (success),
    "no_challenge", "end" (reason).
    """

    turn: int
    player: int
    what: str
    card: int = -1
    colour: int = -1
    count: int = 0
    reason: str = ""
    success: bool = False


class UnoState:
    """A game in progress. Mutable; `clone()` gives an independent copy.

    Public fields (read them, do not assign): hands[p] (list of card kinds, unordered),
    draw_pile, discard (top = last), top_colour (effective colour 0..3), top_trait (0..14),
    current (player to decide), direction (+1/-1), phase (Phase as int), turn (number of PLAY
    actions taken), winners (tuple, set when over), end_reason ("empty_hand", "deck_depleted",
    "turn_cap"), wd4_player / wd4_prev_colour (during CHALLENGE), history (list[Event] or None).
    """

    __slots__ = (
        "rules", "num_players", "hands", "draw_pile", "discard", "top_colour", "top_trait", "current",
        "direction", "phase", "turn", "winners", "end_reason", "wd4_player", "wd4_prev_colour", "history",
        "rng",
    )

    rules: UnoRules
    num_players: int
    hands: list[list[int]]
    draw_pile: list[int]
    discard: list[int]
    top_colour: int
    top_trait: int
    current: int
    direction: int
    phase: int
    turn: int
    winners: tuple[int, ...]
    end_reason: str
    wd4_player: int
    wd4_prev_colour: int
    history: list[Event] | None
    rng: random.Random | None

    # ---- construction ----------------------------------------------------------------------
    @classmethod
    def new_game(
        cls, rules: UnoRules, seed: int | random.Random, first_player: int = 0, record_history: bool = False
    ) -> UnoState:
        """Shuffle the 108 cards with `seed`, deal `hand_size` to each player, flip cards onto the
        discard pile until a number card shows (all flipped cards stay there)."""
        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        if not 0 <= first_player < rules.num_players:
            raise ValueError(f"first_player {first_player} out of range for {rules.num_players} players")
        deck = full_deck()
        rng.shuffle(deck)
        hands = [[deck.pop() for _ in range(rules.hand_size)] for _ in range(rules.num_players)]
        discard = [deck.pop()]
        while not is_number(discard[-1]):
            discard.append(deck.pop())
        # Drawn from `rng` only when the variant reshuffles, as before: callers passing a Random
        # instance see it advanced exactly by the deal.
        reshuffle_seed = rng.getrandbits(64) if rules.reshuffle_discard else 0
        return cls.from_position(
            rules, hands, deck, discard, current=first_player, record_history=record_history, seed=reshuffle_seed
        )

    @classmethod
    def from_position(
        cls,
        rules: UnoRules,
        hands: list[list[int]],
        draw_pile: list[int],
        discard: list[int],
        current: int = 0,
        top_colour: int | None = None,
        direction: int = 1,
        record_history: bool = False,
        seed: int = 0,
    ) -> UnoState:
        """A constructed position in the PLAY phase (tests, puzzles). `top_colour` defaults to the
        colour of the discard top (required when the top is black). Cards need not total 108."""
        if len(hands) != rules.num_players:
            raise ValueError(f"{len(hands)} hands for {rules.num_players} players")
        top = discard[-1]
        state = cls.__new__(cls)
        state.rules = rules
        state.num_players = rules.num_players
        state.hands = [list(h) for h in hands]
        state.draw_pile = list(draw_pile)
        state.discard = list(discard)
        state.top_colour = CARD_COLOUR[top] if top_colour is None else top_colour
        if state.top_colour > 3:
            raise ValueError("a black top card needs top_colour")
        state.top_trait = CARD_TRAIT[top]
        state.current = current
        state.direction = direction
        state.phase = _PLAY
        state.turn = 0
        state.winners = ()
        state.end_reason = ""
        state.wd4_player = -1
        state.wd4_prev_colour = -1
        state.history = [] if record_history else None
        state.rng = random.Random(seed) if rules.reshuffle_discard else None
        return state

    def clone(self, keep_history: bool = False) -> UnoState:
        """Independent copy (lists copied). History is dropped unless `keep_history`."""
        other = UnoState.__new__(UnoState)
        other.rules = self.rules
        other.num_players = self.num_players
        other.hands = [hand[:] for hand in self.hands]
        other.draw_pile = self.draw_pile[:]
        other.discard = self.discard[:]
        other.top_colour = self.top_colour
        other.top_trait = self.top_trait
        other.current = self.current
        other.direction = self.direction
        other.phase = self.phase
        other.turn = self.turn
        other.winners = self.winners
        other.end_reason = self.end_reason
        other.wd4_player = self.wd4_player
        other.wd4_prev_colour = self.wd4_prev_colour
        other.history = list(self.history) if keep_history and self.history is not None else None
        if self.rng is not None:
            other.rng = random.Random()
            other.rng.setstate(self.rng.getstate())
        else:
            other.rng = None
        return other

    # ---- queries -----------------------------------------------------------------------------
    @property
    def is_over(self) -> bool:
        return self.phase == _OVER

    def playable_cards(self, player: int | None = None) -> list[int]:
        """Cards of `player`'s hand (default: the player to move) playable on the top, with repeats."""
        table = PLAYABLE[self.top_colour * 15 + self.top_trait]
        return [k for k in self.hands[self.current if player is None else player] if table[k]]

    def legal_actions(self) -> list[int]:
        """Sorted distinct legal actions of the player to move ([] when the game is over)."""
        phase = self.phase
        if phase == _PLAY:
            playable = sorted(set(self.playable_cards()))
            return playable if playable else [DRAW]
        if phase == _COLOUR:
            return list(COLOUR_ACTIONS)
        if phase == _CHALLENGE:
            return list(CHALLENGE_ACTIONS)
        return []

    def payoff(self, player: int) -> float:
        """1 for a sole winner, 1/k for each of k tied winners (rules.depletion_tie "shared"),
        0 otherwise (also for everybody on a tie under "none"). Only meaningful when over."""
        winners = self.winners
        if player not in winners:
            return 0.0
        if len(winners) > 1 and self.rules.depletion_tie == "none":
            return 0.0
        return 1.0 / len(winners)

    def next_player(self, steps: int = 1) -> int:
        return (self.current + self.direction * steps) % self.num_players

    # ---- transitions -------------------------------------------------------------------------
    def step(self, action: int) -> None:
        """Apply a legal action of the player to move; raises IllegalActionError otherwise."""
        if action not in self.legal_actions():
            raise IllegalActionError(f"action {action} is not legal here; legal: {self.legal_actions()}")
        self.apply(action)

    def apply(self, action: int) -> None:
        """`step` without the legality check (rollouts call it with actions they drew from the
        legal set). An illegal action corrupts the state."""
        phase = self.phase
        if phase == _PLAY:
            if action == DRAW:
                self._play_draw()
            else:
                self._play_card(action)
        elif phase == _COLOUR:
            self._declare_colour(action - COLOUR_BASE)
        elif phase == _CHALLENGE:
            self._resolve_challenge(action == CHALLENGE)
        else:
            raise IllegalActionError("the game is over")
        self._check_turn_cap()

    def _record(self, event: Event) -> None:
        if self.history is not None:
            self.history.append(event)

    def _play_draw(self) -> None:
        player = self.current
        self.turn += 1
        if self._draw(player, 1, "no playable card"):
            self._advance(1)

    def _play_card(self, card: int) -> None:
        player = self.current
        hand = self.hands[player]
        hand.remove(card)
        self.discard.append(card)
        self.turn += 1
        if self.history is not None:
            self._record(Event(self.turn, player, "play", card=card))
        if not hand:
            self._end((player,), "empty_hand")
            return
        trait = CARD_TRAIT[card]
        if card >= WILD:
            # The top keeps the old colour until the player declares one; a Wild Draw Four
            # remembers it for a challenge.
            self.wd4_prev_colour = self.top_colour
            self.top_trait = trait
            self.phase = _COLOUR
            return
        self.top_colour = CARD_COLOUR[card]
        self.top_trait = trait
        if trait == SKIP:
            self._advance(2)
        elif trait == REVERSE:
            if self.num_players == 2:
                self._advance(2 if self.rules.reverse_skips_in_two_player else 1)
            else:
                self.direction = -self.direction
                self._advance(1)
        elif trait == DRAW_TWO:
            if self._draw(self.next_player(), 2, "Draw Two"):
                self._advance(2)
        else:
            self._advance(1)

    def _declare_colour(self, colour: int) -> None:
        player = self.current
        self.top_colour = colour
        if self.history is not None:
            self._record(Event(self.turn, player, "colour", colour=colour))
        if self.top_trait == TRAIT_WILD_DRAW_FOUR:
            victim = self.next_player()
            if self.rules.wd4_challenge:
                self.wd4_player = player
                self.phase = _CHALLENGE
                self.current = victim
                return
            self.phase = _PLAY
            if self._draw(victim, self.rules.wd4_penalty, "Wild Draw Four"):
                self._advance(2)
            return
        self.phase = _PLAY
        self._advance(1)

    def _resolve_challenge(self, challenge: bool) -> None:
        victim, offender = self.current, self.wd4_player
        self.phase = _PLAY
        self.wd4_player = -1
        if not challenge:
            if self.history is not None:
                self._record(Event(self.turn, victim, "no_challenge"))
            if self._draw(victim, self.rules.wd4_penalty, "Wild Draw Four"):
                self._advance(1)
            return
        old = self.wd4_prev_colour
        guilty = any(CARD_COLOUR[k] == old for k in self.hands[offender])
        if self.history is not None:
            self._record(Event(self.turn, victim, "challenge", success=guilty))
        if guilty:
            # The challenger plays next: `current` stays the victim.
            self._draw(offender, self.rules.guilty_wd4_penalty, "successful challenge")
        elif self._draw(victim, self.rules.wrong_challenge_penalty, "wrong challenge"):
            self._advance(1)

    def _advance(self, steps: int) -> None:
        self.current = (self.current + self.direction * steps) % self.num_players

    def _draw(self, player: int, count: int, reason: str) -> bool:
        """Move `count` cards to `player`'s hand; False (and the game over) when impossible."""
        pile = self.draw_pile
        if len(pile) < count and self.rules.reshuffle_discard and self.rng is not None:
            top = self.discard.pop()
            pile.extend(self.discard)
            self.discard = [top]
            self.rng.shuffle(pile)
        if len(pile) < count:
            self._end_by_fewest_cards("deck_depleted")
            return False
        hand = self.hands[player]
        for _ in range(count):
            hand.append(pile.pop())
        if self.history is not None:
            self._record(Event(self.turn, player, "draw", count=count, reason=reason))
        return True

    def _check_turn_cap(self) -> None:
        """After every action: a game back in the PLAY phase with `max_turns` turns taken ends."""
        if self.phase == _PLAY and self.turn >= self.rules.max_turns:
            self._end_by_fewest_cards("turn_cap")

    def _end_by_fewest_cards(self, reason: str) -> None:
        fewest = min(len(hand) for hand in self.hands)
        self._end(tuple(p for p, hand in enumerate(self.hands) if len(hand) == fewest), reason)

    def _end(self, winners: tuple[int, ...], reason: str) -> None:
        self.winners = winners
        self.end_reason = reason
        self.phase = _OVER
        if self.history is not None:
            self._record(Event(self.turn, winners[0], "end", reason=reason))

    def card_count(self) -> int:
        """Cards in hands + draw pile + discard pile (always 108)."""
        return sum(len(h) for h in self.hands) + len(self.draw_pile) + len(self.discard)


def random_playout(state: UnoState, rng: random.Random, challenge_probability: float = 0.5) -> None:
    """Play `state` to the end in place with every player uniformly random: a random playable card
    (by card, so duplicates weigh more), a random colour, challenge with `challenge_probability`.
    This is the random player's policy and the Monte Carlo rollout policy."""
    rand = rng.random
    while True:
        phase = state.phase
        if phase == _PLAY:
            table = PLAYABLE[state.top_colour * 15 + state.top_trait]
            playable = [k for k in state.hands[state.current] if table[k]]
            if playable:
                state._play_card(playable[int(rand() * len(playable))])
            else:
                state._play_draw()
        elif phase == _COLOUR:
            state._declare_colour(int(rand() * 4))
        elif phase == _CHALLENGE:
            state._resolve_challenge(rand() < challenge_probability)
        else:
            return
        state._check_turn_cap()


__all__ = ["Event", "IllegalActionError", "UnoState", "random_playout", "NO_CHALLENGE"]
