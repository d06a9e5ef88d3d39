"""A gymnasium environment: one learning seat against fixed opponents in an UNO Arena game.

Registered as "bench/UnoArena-v0" (see __init__.py). Discrete(61) actions (actions.py) with an
action mask in `info["action_mask"]` and from `action_masks()`; Box observation of
`encode_observation` (observation.py). `reset` deals until the learning seat has a decision to
make, so every episode has at least one step. Reward: the seat's payoff when the game ends (1 win,
1/k shared depletion win, 0 loss), 0 before. Opponents act inside `step` until the learning seat
must decide again. With `skip_forced=True` decisions with a single legal action (draw with no
playable card, a lone playable card) are taken automatically.

An illegal action is replaced by a uniformly random legal one and reported in
`info["illegal_action"]` (so generic checkers that sample from the action space can step).
"""

from __future__ import annotations

import random
from typing import Any

import gymnasium as gym
import numpy as np
from bench.arenas.uno.actions import NUM_ACTIONS
from bench.arenas.uno.engine import UnoState
from bench.arenas.uno.observation import OBSERVATION_SIZE, action_mask, encode_observation
from bench.arenas.uno.players import Player, RandomPlayer
from bench.arenas.uno.rules import UnoRules
from gymnasium import spaces


class UnoEnv(gym.Env[np.ndarray, np.int64]):
    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        num_players: int = 2,
        opponent: Player | None = None,
        agent_seat: int | None = None,
        rules: UnoRules | None = None,
        skip_forced: bool = True,
        render_mode: str | None = None,
    ) -> None:
        self.rules = rules or UnoRules(num_players=num_players)
        self.opponent = opponent or RandomPlayer()
        self.fixed_seat = agent_seat
        self.skip_forced = skip_forced
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(NUM_ACTIONS)
        self.observation_space = spaces.Box(0.0, 1.0, shape=(OBSERVATION_SIZE,), dtype=np.float32)
        self.state: UnoState | None = None
        self.seat = 0
        self._rng = random.Random(0)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._rng = random.Random(int(self.np_random.integers(2**63)))
        n = self.rules.num_players
        self.seat = self.fixed_seat if self.fixed_seat is not None else self._rng.randrange(n)
        # A game can end before the learning seat faces any decision (forced moves are skipped):
        # deal again, so every episode has at least one step.
        while True:
            self.state = UnoState.new_game(self.rules, self._rng.getrandbits(64), first_player=self._rng.randrange(n))
            self._advance_to_agent()
            if not self.state.is_over:
                break
        return self._observe(), self._info(illegal=False)

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        state = self.state
        if state is None or state.is_over:
            raise RuntimeError("call reset() before step() (the game is over)")
        legal = state.legal_actions()
        illegal = int(action) not in legal
        state.apply(self._rng.choice(legal) if illegal else int(action))
        self._advance_to_agent()
        reward = state.payoff(self.seat) if state.is_over else 0.0
        return self._observe(), float(reward), state.is_over, False, self._info(illegal)

    def action_masks(self) -> np.ndarray:
        assert self.state is not None
        return action_mask(self.state)

    def render(self) -> str | None:
        if self.render_mode != "ansi" or self.state is None:
            return None
        from bench.arenas.uno.text import describe_state

        return describe_state(self.state, self.seat)

    def _advance_to_agent(self) -> None:
        state = self.state
        assert state is not None
        while not state.is_over:
            if state.current == self.seat:
                legal = state.legal_actions()
                if not (self.skip_forced and len(legal) == 1):
                    return
                state.apply(legal[0])
            else:
                state.apply(self.opponent.act(state, self._rng))

    def _observe(self) -> np.ndarray:
        assert self.state is not None
        return encode_observation(self.state, self.seat)

    def _info(self, illegal: bool) -> dict[str, Any]:
        assert self.state is not None
        info: dict[str, Any] = {"action_mask": action_mask(self.state), "illegal_action": illegal}
        if self.state.is_over:
            info["winners"] = self.state.winners
        return info
