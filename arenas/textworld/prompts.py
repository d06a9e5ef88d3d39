"""Prompts of the TextWorld agents and of the memory writers (tips, reflections) [ours].

The paper (Chen et al. 2023, "Introspective Tips") does not publish its prompts; these follow its
description: the acting prompt holds the objective, a memory block (general tips, or Reflexion's
episode-specific reflections), a window of recent turns, the current observation and inventory,
and optionally the admissible commands. After an episode the model reads the trajectory and its
outcome and writes either a short numbered list of GENERAL tips (introspective tips, meant to
transfer to other games) or a reflection on what went wrong in THIS episode (Reflexion).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bench.arenas.textworld.episode import Episode, Transition, Turn
from bench.harness.requests import Message

# The example commands are harmless ones: a small model ranking commands copies whatever verb the
# examples show, and "cook X with oven" or "eat X" at the wrong moment ends a cooking game.
SYSTEM_PROMPT = (
    "You are an agent playing a text-based cooking game. Each turn you type exactly one command, for "
    "example: look, inventory, examine cookbook, go north, open fridge. Reply with the command only."
)
MEMORY_HEADINGS = {
    "tips": "Tips learned from earlier games:",
    "reflections": "Your reflections on earlier attempts:",
}
OBSERVATION_CHARS = 700  # the current observation
HISTORY_OBSERVATION_CHARS = 240  # each observation in the window of recent turns
TRAJECTORY_OBSERVATION_CHARS = 200  # each observation of a trajectory shown to a memory writer


def _cut(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def memory_block(kind: str, items: Sequence[str]) -> str:
    """The memory section of the acting prompt ("" when there is nothing to show)."""
    if not items:
        return ""
    lines = [f"{i}. {item}" for i, item in enumerate(items, 1)] if kind == "tips" else [f"- {item}" for item in items]
    return "\n".join([MEMORY_HEADINGS[kind], *lines])


def turn_messages(
    turn: Turn, memory_kind: str, memory: Sequence[str], history_window: int, show_admissible: bool
) -> list[Message]:
    """The acting prompt: system rules, then one user message; the reply is the command."""
    parts = [f"Goal: {turn.objective.strip()}"]
    block = memory_block(memory_kind, memory)
    if block:
        parts.append(block)
    recent = turn.history[-history_window:] if history_window > 0 else ()
    if recent:
        parts.append("Recent turns:\n" + "\n".join(
            f"> {t.command}\n{_cut(t.observation, HISTORY_OBSERVATION_CHARS)}" for t in recent))
    parts.append(f"Now:\n{_cut(turn.observation, OBSERVATION_CHARS)}")
    if turn.inventory:
        parts.append(_cut(turn.inventory, 300))
    if show_admissible and turn.admissible_commands:
        parts.append("Valid commands: " + ", ".join(turn.admissible_commands))
    parts.append("Your next command:")
    return [Message("system", SYSTEM_PROMPT), Message("user", "\n\n".join(parts))]


def outcome_line(episode: Episode) -> str:
    if episode.won:
        result = "You won"
    elif episode.lost:
        result = "You lost (the game ended in failure)"
    else:
        result = "You ran out of steps"
    return f"{result}, scoring {episode.score:g} of {episode.max_score:g} points in {episode.steps} steps."


def trajectory_text(episode: Episode, label: str = "Trajectory") -> str:
    """An episode as text for a memory writer: objective, each command with the game's answer, outcome."""
    lines = [f"{label}:", f"Goal: {episode.objective.strip()}",
             _cut(episode.initial_observation, TRAJECTORY_OBSERVATION_CHARS * 2)]
    lines += [_step_text(t) for t in episode.transitions]
    lines.append(outcome_line(episode))
    return "\n".join(lines)


def _step_text(t: Transition) -> str:
    points = f" [+{t.reward:g} point]" if t.reward > 0 else ""
    return f"> {t.command}{points}\n{_cut(t.observation, TRAJECTORY_OBSERVATION_CHARS)}"


def tips_messages(episodes: Sequence[Episode], previous_tips: Sequence[str], max_tips: int, expert: bool = False) -> list[Message]:
    """Ask for general tips from one or more trajectories (the agent's own, or an expert's)."""
    who = "an expert player's" if expert else "your"
    body = "\n\n".join(trajectory_text(e, "Expert trajectory" if expert else "Trajectory") for e in episodes)
    previous = ("\n\nYour current tips:\n" + "\n".join(f"{i}. {t}" for i, t in enumerate(previous_tips, 1))
                if previous_tips else "")
    ask = (f"Read {who} play of a cooking game above. Write at most {max_tips} short, general tips that would help "
           "to score more points in ANY cooking game of this kind, not facts about this particular game "
           "(no specific rooms or ingredients). Improve the current tips if there are any. "
           "Answer with a numbered list only.")
    return [Message("system", "You analyse text-game play and write general advice."),
            Message("user", f"{body}{previous}\n\n{ask}")]


def merge_tips_messages(tip_lists: Sequence[Sequence[str]], max_tips: int) -> list[Message]:
    """Ask to merge tips learned on several games into one general list."""
    blocks = ["\n".join(f"{i}. {t}" for i, t in enumerate(tips, 1)) for tips in tip_lists if tips]
    body = "\n\n".join(f"Tips from game {k}:\n{b}" for k, b in enumerate(blocks, 1))
    ask = (f"Merge these tips into one list of at most {max_tips} short, general tips for any cooking game of this "
           "kind. Keep what holds across games, drop game-specific details. Answer with a numbered list only.")
    return [Message("system", "You analyse text-game play and write general advice."), Message("user", f"{body}\n\n{ask}")]


def reflection_messages(episode: Episode, expert: bool = False) -> list[Message]:
    """Reflexion: ask for a short diagnosis of THIS episode and a plan for the next attempt."""
    if expert:
        ask = ("Above is an expert's successful play of this cooking game. In two or three sentences, say what the "
               "expert did that you should repeat in your next attempt.")
    else:
        ask = ("Above is your attempt at this cooking game. In two or three sentences, say what went wrong in this "
               "attempt and what you will do differently in the next one.")
    return [Message("system", "You reflect on your play of a text game."),
            Message("user", f"{trajectory_text(episode, 'Expert trajectory' if expert else 'Trajectory')}\n\n{ask}")]


_MARKER = re.compile(r"^\s*(?:(?:\d+[.)]|[-*\u2022])\s*)+")  # "1. ", "- ", and runs of them ("1. 1. 1.")


def parse_tips(text: str, max_tips: int, max_chars: int = 200) -> tuple[str, ...]:
    """The tips of a numbered / bulleted list (or of plain lines when there are no markers):
    markers stripped (a line of nothing but markers is no tip), empty and duplicate tips dropped,
    each cut to `max_chars`, at most `max_tips`."""
    lines = [line for line in text.splitlines() if line.strip()]
    marked = [line for line in lines if _MARKER.match(line)]
    tips: list[str] = []
    for line in marked or lines:
        tip = _cut(_MARKER.sub("", line), max_chars)
        if tip and _tip_key(tip) not in {_tip_key(t) for t in tips}:
            tips.append(tip)
    return tuple(tips[:max_tips])


def _tip_key(tip: str) -> str:
    """Tips that differ only in case or final punctuation are the same tip."""
    return tip.lower().rstrip(" .!;:")


def parse_reflection(text: str, max_chars: int = 400) -> str:
    """A reflection: the answer's text on one line, cut to `max_chars`."""
    return _cut(" ".join(text.split()), max_chars)
