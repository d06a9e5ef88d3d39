"""The same UNO Arena rules compiled with numba, for bulk random play: Monte Carlo rollouts and
random-playout throughput. engine.py stays the reference (readable, used for real games); this
module mirrors its transitions line by line on arrays, and tests/arenas/uno/test_uno_fast_engine.py
replays random games through both in lockstep and compares every state.

Why our own compiled kernel: a Monte Carlo decision needs ~1000 playouts of ~30 moves; in Python
that is ~0.1 s per decision, compiled it is ~1 ms. Rules with `reshuffle_discard` are not
compiled (rollouts fall back to the Python engine).

Array state (all int64):
    hands[p, kind]  card counts; sizes[p] hand sizes
    pile[0:meta[PILE_LEN]]  draw pile, top = last
    meta: see the M_* indices below; rules: see the R_* indices.
"""

from __future__ import annotations

import numpy as np
from bench.arenas.uno.cards import CARD_COLOUR, CARD_TRAIT, DECK_SIZE, NUM_KINDS, full_deck
from bench.arenas.uno.engine import UnoState
from bench.arenas.uno.rules import UnoRules
from numba import njit

M_TOP_COLOUR, M_TOP_TRAIT, M_CURRENT, M_DIRECTION, M_PHASE, M_WD4_PLAYER, M_WD4_PREV = 0, 1, 2, 3, 4, 5, 6
M_PLAYERS, M_TURN, M_DISCARD_LEN, M_WINNERS, M_PILE_LEN = 7, 8, 9, 10, 11
META_SIZE = 12
R_CHALLENGE, R_WD4, R_GUILTY, R_WRONG, R_REVERSE_SKIPS, R_TIE_SHARED, R_MAX_TURNS, R_HAND_SIZE = range(8)
RULES_SIZE = 8

_COLOUR = np.array(CARD_COLOUR, dtype=np.int64)
_TRAIT = np.array(CARD_TRAIT, dtype=np.int64)
_DECK = np.array(full_deck(), dtype=np.int64)
_PLAY, _COLOUR_PHASE, _CHALLENGE_PHASE, _OVER = 0, 1, 2, 3
_DRAW, _COLOUR_BASE, _NO_CHALLENGE = 54, 55, 59


def supports(rules: UnoRules) -> bool:
    return not rules.reshuffle_discard


def encode_rules(rules: UnoRules) -> np.ndarray:
    if not supports(rules):
        raise ValueError("the compiled engine does not implement reshuffle_discard")
    return np.array([
        int(rules.wd4_challenge), rules.wd4_penalty, rules.guilty_wd4_penalty, rules.wrong_challenge_penalty,
        int(rules.reverse_skips_in_two_player), int(rules.depletion_tie == "shared"), rules.max_turns, rules.hand_size,
    ], dtype=np.int64)


def encode_state(state: UnoState) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(hands, sizes, pile, meta) of a Python engine state."""
    n = state.num_players
    hands = np.zeros((n, NUM_KINDS), dtype=np.int64)
    for p, hand in enumerate(state.hands):
        for kind in hand:
            hands[p, kind] += 1
    sizes = np.array([len(h) for h in state.hands], dtype=np.int64)
    pile = np.zeros(DECK_SIZE, dtype=np.int64)
    pile[: len(state.draw_pile)] = state.draw_pile
    winners = 0
    for w in state.winners:
        winners |= 1 << w
    meta = np.array([
        state.top_colour, state.top_trait, state.current, state.direction, state.phase, state.wd4_player,
        state.wd4_prev_colour, n, state.turn, len(state.discard), winners, len(state.draw_pile),
    ], dtype=np.int64)
    return hands, sizes, pile, meta


@njit(cache=True)
def _advance(meta: np.ndarray, steps: int) -> None:
    n = meta[M_PLAYERS]
    meta[M_CURRENT] = (meta[M_CURRENT] + meta[M_DIRECTION] * steps) % n


@njit(cache=True)
def _next_player(meta: np.ndarray) -> int:
    return (meta[M_CURRENT] + meta[M_DIRECTION]) % meta[M_PLAYERS]


@njit(cache=True)
def _end_by_fewest(sizes: np.ndarray, meta: np.ndarray) -> None:
    n = meta[M_PLAYERS]
    fewest = sizes[0]
    for p in range(1, n):
        if sizes[p] < fewest:
            fewest = sizes[p]
    mask = 0
    for p in range(n):
        if sizes[p] == fewest:
            mask |= 1 << p
    meta[M_WINNERS] = mask
    meta[M_PHASE] = _OVER


@njit(cache=True)
def _draw(hands: np.ndarray, sizes: np.ndarray, pile: np.ndarray, meta: np.ndarray, player: int, count: int) -> bool:
    if meta[M_PILE_LEN] < count:
        _end_by_fewest(sizes, meta)
        return False
    for _ in range(count):
        meta[M_PILE_LEN] -= 1
        hands[player, pile[meta[M_PILE_LEN]]] += 1
    sizes[player] += count
    return True


@njit(cache=True)
def _check_turn_cap(sizes: np.ndarray, meta: np.ndarray, rules: np.ndarray) -> None:
    if meta[M_PHASE] == _PLAY and meta[M_TURN] >= rules[R_MAX_TURNS]:
        _end_by_fewest(sizes, meta)


@njit(cache=True)
def apply_action(hands: np.ndarray, sizes: np.ndarray, pile: np.ndarray, meta: np.ndarray, rules: np.ndarray, action: int) -> None:
    """engine.UnoState.apply on arrays (no legality check)."""
    _transition(hands, sizes, pile, meta, rules, action)
    _check_turn_cap(sizes, meta, rules)


@njit(cache=True)
def _transition(hands: np.ndarray, sizes: np.ndarray, pile: np.ndarray, meta: np.ndarray, rules: np.ndarray, action: int) -> None:
    phase = meta[M_PHASE]
    cur = meta[M_CURRENT]
    if phase == _PLAY:
        meta[M_TURN] += 1
        if action == _DRAW:
            if _draw(hands, sizes, pile, meta, cur, 1):
                _advance(meta, 1)
            return
        hands[cur, action] -= 1
        sizes[cur] -= 1
        meta[M_DISCARD_LEN] += 1
        if sizes[cur] == 0:
            meta[M_WINNERS] = 1 << cur
            meta[M_PHASE] = _OVER
            return
        trait = _TRAIT[action]
        if action >= 52:
            meta[M_WD4_PREV] = meta[M_TOP_COLOUR]
            meta[M_TOP_TRAIT] = trait
            meta[M_PHASE] = _COLOUR_PHASE
            return
        meta[M_TOP_COLOUR] = _COLOUR[action]
        meta[M_TOP_TRAIT] = trait
        if trait == 10:
            _advance(meta, 2)
        elif trait == 11:
            if meta[M_PLAYERS] == 2:
                _advance(meta, 2 if rules[R_REVERSE_SKIPS] else 1)
            else:
                meta[M_DIRECTION] = -meta[M_DIRECTION]
                _advance(meta, 1)
        elif trait == 12:
            if _draw(hands, sizes, pile, meta, _next_player(meta), 2):
                _advance(meta, 2)
        else:
            _advance(meta, 1)
    elif phase == _COLOUR_PHASE:
        meta[M_TOP_COLOUR] = action - _COLOUR_BASE
        if meta[M_TOP_TRAIT] == 14:
            victim = _next_player(meta)
            if rules[R_CHALLENGE]:
                meta[M_WD4_PLAYER] = cur
                meta[M_PHASE] = _CHALLENGE_PHASE
                meta[M_CURRENT] = victim
                return
            meta[M_PHASE] = _PLAY
            if _draw(hands, sizes, pile, meta, victim, rules[R_WD4]):
                _advance(meta, 2)
            return
        meta[M_PHASE] = _PLAY
        _advance(meta, 1)
    elif phase == _CHALLENGE_PHASE:
        offender = meta[M_WD4_PLAYER]
        meta[M_PHASE] = _PLAY
        meta[M_WD4_PLAYER] = -1
        if action == _NO_CHALLENGE:
            if _draw(hands, sizes, pile, meta, cur, rules[R_WD4]):
                _advance(meta, 1)
            return
        old = meta[M_WD4_PREV]
        guilty = False
        for trait in range(13):
            if hands[offender, old * 13 + trait] > 0:
                guilty = True
                break
        if guilty:
            _draw(hands, sizes, pile, meta, offender, rules[R_GUILTY])
        elif _draw(hands, sizes, pile, meta, cur, rules[R_WRONG]):
            _advance(meta, 1)


@njit(cache=True)
def _random_playout(hands: np.ndarray, sizes: np.ndarray, pile: np.ndarray, meta: np.ndarray, rules: np.ndarray,
                    challenge_probability: float) -> None:
    """engine.random_playout: a uniformly random playable card (by card), colour, challenge."""
    while True:
        phase = meta[M_PHASE]
        if phase == _PLAY:
            cur = meta[M_CURRENT]
            top_colour, top_trait = meta[M_TOP_COLOUR], meta[M_TOP_TRAIT]
            total = 0
            for kind in range(54):
                count = hands[cur, kind]
                if count and (kind >= 52 or _COLOUR[kind] == top_colour or _TRAIT[kind] == top_trait):
                    total += count
            if total == 0:
                apply_action(hands, sizes, pile, meta, rules, _DRAW)
                continue
            pick = int(np.random.random() * total)
            for kind in range(54):
                count = hands[cur, kind]
                if count and (kind >= 52 or _COLOUR[kind] == top_colour or _TRAIT[kind] == top_trait):
                    if pick < count:
                        apply_action(hands, sizes, pile, meta, rules, kind)
                        break
                    pick -= count
        elif phase == _COLOUR_PHASE:
            apply_action(hands, sizes, pile, meta, rules, _COLOUR_BASE + int(np.random.random() * 4))
        elif phase == _CHALLENGE_PHASE:
            apply_action(hands, sizes, pile, meta, rules, 60 if np.random.random() < challenge_probability else 59)
        else:
            return


@njit(cache=True)
def _payoff(meta: np.ndarray, rules: np.ndarray, player: int) -> float:
    mask = meta[M_WINNERS]
    if not (mask >> player) & 1:
        return 0.0
    winners = 0
    for p in range(meta[M_PLAYERS]):
        winners += (mask >> p) & 1
    if winners > 1 and not rules[R_TIE_SHARED]:
        return 0.0
    return 1.0 / winners


@njit(cache=True)
def _redeal(hands: np.ndarray, sizes: np.ndarray, pile: np.ndarray, meta: np.ndarray, viewer: int) -> None:
    n = meta[M_PLAYERS]
    pool = np.empty(DECK_SIZE, dtype=np.int64)
    size = meta[M_PILE_LEN]
    pool[:size] = pile[:size]
    for p in range(n):
        if p != viewer:
            for kind in range(54):
                for _ in range(hands[p, kind]):
                    pool[size] = kind
                    size += 1
                hands[p, kind] = 0
    np.random.shuffle(pool[:size])
    start = 0
    for p in range(n):
        if p != viewer:
            for i in range(sizes[p]):
                hands[p, pool[start + i]] += 1
            start += sizes[p]
    remaining = size - start
    pile[:remaining] = pool[start:size]
    meta[M_PILE_LEN] = remaining


@njit(cache=True, nogil=True)  # nogil: tasks score decisions in a worker thread beside the model
def _mc_values(hands: np.ndarray, sizes: np.ndarray, pile: np.ndarray, meta: np.ndarray, rules: np.ndarray,
               actions: np.ndarray, rollouts: int, seed: int, redeal: bool, challenge_probability: float) -> np.ndarray:
    decider = meta[M_CURRENT]
    totals = np.zeros(actions.shape[0])
    for r in range(rollouts):
        h0, s0, p0, m0 = hands.copy(), sizes.copy(), pile.copy(), meta.copy()
        if redeal:
            np.random.seed(seed * 1_000_003 + 2 * r)
            _redeal(h0, s0, p0, m0, decider)
        for i in range(actions.shape[0]):
            h, s, p, m = h0.copy(), s0.copy(), p0.copy(), m0.copy()
            np.random.seed(seed * 1_000_003 + 2 * r + 1)
            apply_action(h, s, p, m, rules, actions[i])
            _random_playout(h, s, p, m, rules, challenge_probability)
            totals[i] += _payoff(m, rules, decider)
    return totals / rollouts


@njit(cache=True)
def _random_games(games: int, players: int, rules: np.ndarray, seed: int) -> np.ndarray:
    """Deal and play `games` full random games; returns wins (payoff sums) per seat."""
    np.random.seed(seed)
    wins = np.zeros(players)
    deck = _DECK.copy()
    for _ in range(games):
        np.random.shuffle(deck)
        hands = np.zeros((players, 54), dtype=np.int64)
        sizes = np.full(players, rules[R_HAND_SIZE], dtype=np.int64)
        top = DECK_SIZE
        for p in range(players):
            for _ in range(rules[R_HAND_SIZE]):
                top -= 1
                hands[p, deck[top]] += 1
        discard = 0
        while True:
            top -= 1
            discard += 1
            card = deck[top]
            if card < 52 and card % 13 <= 9:
                break
        pile = deck.copy()
        meta = np.zeros(META_SIZE, dtype=np.int64)
        meta[M_TOP_COLOUR], meta[M_TOP_TRAIT], meta[M_DIRECTION] = _COLOUR[card], _TRAIT[card], 1
        meta[M_WD4_PLAYER], meta[M_WD4_PREV], meta[M_PLAYERS] = -1, -1, players
        meta[M_DISCARD_LEN], meta[M_PILE_LEN] = discard, top
        _random_playout(hands, sizes, pile, meta, rules, 0.5)
        for p in range(players):
            wins[p] += _payoff(meta, rules, p)
    return wins


def monte_carlo_action_values_compiled(
    state: UnoState, actions: list[int], rollouts: int = 200, seed: int = 0, perfect_information: bool = False,
    challenge_probability: float = 0.5,
) -> list[float]:
    """rollouts.monte_carlo_action_values on the compiled engine (same estimator, its own random
    streams: values agree in distribution, not bit for bit)."""
    if state.is_over:
        raise ValueError("the game is over: nothing to decide")
    hands, sizes, pile, meta = encode_state(state)
    values = _mc_values(hands, sizes, pile, meta, encode_rules(state.rules), np.asarray(actions, dtype=np.int64),
                        rollouts, seed % (2**31), not perfect_information, challenge_probability)
    return [float(v) for v in values]


def random_games(games: int, rules: UnoRules, seed: int = 0) -> np.ndarray:
    """Wins per seat over `games` random games (seat 0 moves first)."""
    return _random_games(games, rules.num_players, encode_rules(rules), seed)
