"""Sample records of the TextWorld tasks (JSON-serialisable dicts, one per episode or memory).

- "episode": one played episode. `phase` is "eval" (a test game: what the metrics average),
  "source" (a training game the cross-game setting learns from) or "demonstration" (the expert's
  walkthrough of a training game). Holds the trajectory (every command as sent, the policy's raw
  text where it differs, the game's answer, reward, cumulative score, admissibility, how the
  command was chosen), the memory shown in its prompts (tips or reflections), the memory
  written after it with the model's answer as written, the game's tw-make provenance, and the
  per-metric fields (report.py).
- "memory": what an agent carried from the training games into the test games (expert / cross).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench.arenas.textworld.agents import MemoryWrite
from bench.arenas.textworld.episode import Episode
from bench.arenas.textworld.games import GameInfo


def episode_id(phase: str, agent: str, game_id: str, trial: int) -> str:
    return f"{phase}/{agent}/{game_id}/trial{trial}"


def episode_record(
    *, setting: str, phase: str, agent: str, game: GameInfo, trial: int, episode: Episode, choice_mode: str,
    memory_kind: str, memory: Sequence[str], memory_after: Sequence[str] | None, memory_answer: str | None = None,
) -> dict[str, Any]:
    trajectory = []
    for t in episode.transitions:
        step: dict[str, Any] = {"command": t.command, "observation": t.observation, "reward": t.reward,
                                "score": t.score, "admissible": t.admissible, "choice": dict(t.choice)}
        if t.sanitised:
            step.update(raw_command=t.raw_command, sanitised=t.sanitised)
        trajectory.append(step)
    return {
        "id": episode_id(phase, agent, game.game_id, trial),
        "record": "episode",
        "setting": setting,
        "phase": phase,
        "agent": agent,
        "game_id": game.game_id,
        "level": game.spec.level,
        "split": game.spec.split,
        "trial": trial,
        "score": episode.score,
        "max_score": episode.max_score,
        "won": episode.won,
        "lost": episode.lost,
        "truncated": episode.truncated,
        "steps": episode.steps,
        "choice_mode": choice_mode,
        "memory_kind": memory_kind,
        "memory": list(memory),
        "memory_after": None if memory_after is None else list(memory_after),
        "memory_answer": memory_answer,
        "inadmissible_commands": sum(1 for t in episode.transitions if not t.admissible),
        "sanitised_commands": sum(1 for t in episode.transitions if t.sanitised),
        "initial_observation": episode.initial_observation,
        "trajectory": trajectory,
        "game": game.provenance(),
    }


def memory_record(
    setting: str, agent: str, kind: str, items: Sequence[str], sources: Mapping[str, MemoryWrite], merge_answer: str = ""
) -> dict[str, Any]:
    """The memory an agent takes into the test games, what each training game contributed (with
    the model's answer where one was written for it) and the model's answer that merged them."""
    return {
        "id": f"memory/{agent}",
        "record": "memory",
        "setting": setting,
        "phase": "memory",
        "agent": agent,
        "memory_kind": kind,
        "items": list(items),
        "per_source": {game: list(w.items) for game, w in sources.items()},
        "per_source_answers": {game: w.text for game, w in sources.items() if w.text},
        "merge_answer": merge_answer,
    }
