"""One episode of a TextWorld game played by a policy coroutine, and the records it leaves.

`run_episode(game_path, policy, max_steps)` resets a `TextWorldEnv`, shows the policy a `Turn`
(objective, last observation, inventory, admissible commands, the transitions so far), sends the
one command it returns, and stops when the game is won or lost or the step limit is reached.
Policies are coroutines (`async act(turn) -> Action`), so the episodes of a run can advance
concurrently and an LLM policy's requests share batches. The environment itself is stepped in the
event loop: a step costs a few milliseconds, far below a model call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bench.arenas.textworld.pool import EnvPool


@dataclass(frozen=True)
class Transition:
    """One step: the command sent (sanitised), what the policy produced, and what the game said."""

    command: str
    raw_command: str
    sanitised: str  # "" when the command was sent as produced, else why it was changed
    observation: str
    reward: float
    score: float
    admissible: bool  # among the admissible commands of the state it was sent in (the parser ignores case)
    choice: dict[str, Any] = field(default_factory=dict)  # how the policy chose it (mode, scores, ...)


@dataclass(frozen=True)
class Episode:
    """A finished episode. `score` is TextWorld's final (cumulative) score."""

    game_path: str
    objective: str
    initial_observation: str
    transitions: tuple[Transition, ...]
    score: float
    max_score: float
    won: bool
    lost: bool
    truncated: bool

    @property
    def steps(self) -> int:
        return len(self.transitions)

    @property
    def normalised_score(self) -> float:
        return self.score / self.max_score if self.max_score > 0 else 0.0


@dataclass(frozen=True)
class Turn:
    """What a policy sees before it acts."""

    step: int  # 0-based index of the command to choose
    objective: str
    observation: str
    inventory: str
    admissible_commands: tuple[str, ...]
    history: tuple[Transition, ...]
    walkthrough: tuple[str, ...] = ()


@dataclass(frozen=True)
class Action:
    command: str
    choice: dict[str, Any] = field(default_factory=dict)


class Policy(Protocol):
    async def act(self, turn: Turn) -> Action: ...


class WalkthroughPolicy:
    """The expert: plays the game's own walkthrough, then "look" (it should have won by then)."""

    async def act(self, turn: Turn) -> Action:
        if turn.step < len(turn.walkthrough):
            return Action(turn.walkthrough[turn.step], {"mode": "walkthrough"})
        return Action("look", {"mode": "walkthrough", "exhausted": True})


async def run_episode(game_path: Path | str, policy: Policy, max_steps: int, envs: EnvPool | None = None) -> Episode:
    """Play one episode from the game's initial state. With `envs`, the game is leased from that
    run's pool of loaded games (and goes back to it); without, it is loaded and closed here."""
    with (envs if envs is not None else EnvPool(max_idle=0)).lease(game_path, max_steps) as env:
        observation, info = env.reset()
        objective, walkthrough = info["objective"], tuple(info["walkthrough"])
        initial, transitions = observation, list[Transition]()
        done = False
        while not done:
            admissible = tuple(info["admissible_commands"])
            turn = Turn(len(transitions), objective, observation, info["inventory"], admissible, tuple(transitions),
                        walkthrough)
            action = await policy.act(turn)
            observation, reward, terminated, truncated, info = env.step(action.command)
            transitions.append(Transition(
                command=info["command"], raw_command=action.command, sanitised=info["sanitised"],
                observation=observation, reward=reward, score=info["score"],
                admissible=info["command"].lower() in {c.lower() for c in admissible}, choice=action.choice,
            ))
            done = terminated or truncated
        return Episode(str(game_path), objective, initial, tuple(transitions), info["score"], info["max_score"],
                       info["won"], info["lost"], truncated and not terminated)
