"""What a seat sees, as a fixed-size float vector (the gymnasium observation and the DQN input).

Only information the seat is entitled to: its own hand, the discard top, the phase, the colour
a pending Wild Draw Four replaced, the other players' hand sizes in turn order, the draw-pile
size, the number of players and the direction. Layout (OBSERVATION_SIZE = 90):

    [0:54]   own cards per kind, count / 4
    [54:58]  top's effective colour, one-hot
    [58:73]  top's trait, one-hot
    [73:76]  phase (PLAY, COLOUR, CHALLENGE), one-hot
    [76:80]  colour before the pending Wild Draw Four (CHALLENGE phase only), one-hot
    [80:86]  hand sizes of the next 1..6 players in turn order, min(size, 20) / 20, zero-padded
    [86]     own hand size, min(size, 20) / 20
    [87]     draw-pile size / 108
    [88]     number of players / 7
    [89]     direction (1 = clockwise)
"""

from __future__ import annotations

import numpy as np
from bench.arenas.uno.actions import NUM_ACTIONS
from bench.arenas.uno.engine import UnoState

OBSERVATION_SIZE = 90


def encode_observation(state: UnoState, player: int) -> np.ndarray:
    obs = np.zeros(OBSERVATION_SIZE, dtype=np.float32)
    for kind in state.hands[player]:
        obs[kind] += 0.25
    obs[54 + state.top_colour] = 1.0
    obs[58 + state.top_trait] = 1.0
    if state.phase < 3:
        obs[73 + state.phase] = 1.0
    if state.phase == 2 and 0 <= state.wd4_prev_colour < 4:
        obs[76 + state.wd4_prev_colour] = 1.0
    n = state.num_players
    for offset in range(1, n):
        other = (player + state.direction * offset) % n
        obs[80 + offset - 1] = min(len(state.hands[other]), 20) / 20.0
    obs[86] = min(len(state.hands[player]), 20) / 20.0
    obs[87] = len(state.draw_pile) / 108.0
    obs[88] = n / 7.0
    obs[89] = 1.0 if state.direction == 1 else 0.0
    return obs


def action_mask(state: UnoState) -> np.ndarray:
    """int8 mask over the 61 actions: 1 where legal for the player to move."""
    mask = np.zeros(NUM_ACTIONS, dtype=np.int8)
    mask[state.legal_actions()] = 1
    return mask
