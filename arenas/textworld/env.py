"""A gymnasium-style episode over one TextWorld game: per-step rewards, one sanitised command per step.

    env = TextWorldEnv(game.path, max_steps=50)
    observation, info = env.reset()
    observation, reward, terminated, truncated, info = env.step("open fridge")

TextWorld's environments return the CUMULATIVE score as the second value of `step`; this wrapper
turns it into the per-step reward `step_reward(previous, score)` (gymnasium's convention) and
keeps the score in `info["score"]`. `terminated` = the game was won or lost; `truncated` = the
step limit was reached first (TextWorld's own limit would report it as `done`, which cannot be
told apart from the end of the story, so the limit is ours).

`info` carries what the agents and the records need, requested from TextWorld through
`EnvInfos`: score, max_score, won, lost, moves, admissible_commands (sorted), objective,
inventory, and the walkthrough at reset. Not the room description: TextWorld computes it with a
hidden `look` per step (about 40% of a step's time) and no agent reads it. Every command is sanitised first
(commands.py); `info["command"]` is what was sent and `info["sanitised"]` the reason it differs
from the input, if it does.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import gymnasium as gym
from bench.arenas.textworld.commands import clean_observation, sanitise_command
from gymnasium import spaces

_PRINTABLE = "".join(chr(c) for c in range(32, 127)) + "\n"


def step_reward(previous_score: float, score: float) -> float:
    """Per-step reward from TextWorld's cumulative score: r_t = score_t - score_{t-1}."""
    return float(score) - float(previous_score)


def rewards_from_scores(scores: list[float], initial: float = 0.0) -> list[float]:
    """Per-step rewards of a whole episode from its cumulative scores (the sum is the final score minus `initial`)."""
    previous = [initial, *scores[:-1]]
    return [step_reward(p, s) for p, s in zip(previous, scores)]


def request_infos() -> Any:
    """The EnvInfos the episode runner asks TextWorld for (nothing else is computed per step)."""
    from textworld import EnvInfos

    return EnvInfos(
        score=True, max_score=True, won=True, lost=True, moves=True, admissible_commands=True,
        objective=True, inventory=True, extras=["walkthrough"],
    )


class TextWorldEnv(gym.Env[str, str]):
    """One TextWorld game as a gymnasium environment with text observations and text actions."""

    metadata = {"render_modes": ["ansi"]}

    def __init__(self, game_path: Path | str, max_steps: int = 50) -> None:
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        self.game_path = str(game_path)
        self.max_steps = max_steps
        self.observation_space = spaces.Text(max_length=100_000, charset=_PRINTABLE)
        self.action_space = spaces.Text(max_length=200, charset=_PRINTABLE)
        self._env: Any = None
        self.steps = 0
        self.score = 0.0
        self.done = True
        self.last_observation = ""

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """Start the game from its initial state. The game file is loaded on the first reset only.

        TextWorld's gym env closes and re-loads the game file on every reset; this builds the same
        environment stack (`GenericEnvironment` under a `Filter` of the requested infos) with
        TextWorld's own wrappers and loads the file once, so a later reset restarts the loaded game
        (about 60% of a load's time) from the same initial state.
        """
        super().reset(seed=seed)
        with warnings.catch_warnings():
            # Jericho warns, on loading, that it cannot track TextWorld stories' score; TextWorld
            # tracks it itself.
            warnings.filterwarnings("ignore", message=".*is not fully supported", module="jericho")
            if self._env is None:
                from textworld.envs.wrappers import Filter, GenericEnvironment

                env = Filter(GenericEnvironment(request_infos()))
                env.load(self.game_path)
                self._env = env
            observation, infos = self._env.reset()
        self.steps, self.score, self.done = 0, float(infos["score"]), False
        self.last_observation = clean_observation(observation)
        info = self._info(infos)
        info["walkthrough"] = list(infos.get("extra.walkthrough") or [])
        return self.last_observation, info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._env is None or self.done:
            raise RuntimeError("step() called before reset() or after the episode ended")
        sanitised = sanitise_command(action)
        observation, score, game_over, infos = self._env.step(sanitised.command)
        self.steps += 1
        reward = step_reward(self.score, score)
        self.score = float(score)
        terminated = bool(infos["won"] or infos["lost"] or game_over)
        truncated = not terminated and self.steps >= self.max_steps
        self.done = terminated or truncated
        self.last_observation = clean_observation(observation)
        info = self._info(infos)
        info.update(command=sanitised.command, sanitised=sanitised.reason)
        return self.last_observation, reward, terminated, truncated, info

    @staticmethod
    def _info(infos: dict[str, Any]) -> dict[str, Any]:
        return {
            "score": float(infos["score"]), "max_score": float(infos["max_score"]), "won": bool(infos["won"]),
            "lost": bool(infos["lost"]), "moves": int(infos["moves"]),
            "admissible_commands": sorted(infos.get("admissible_commands") or []),
            "objective": str(infos.get("objective") or ""),
            "inventory": clean_observation(infos.get("inventory") or ""),
        }

    def render(self) -> str:  # type: ignore[override]
        return self.last_observation

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
            self._env = None
