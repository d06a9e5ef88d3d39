"""LLM agents for TextWorld: one acting policy, three memories (none, reflections, tips).

Written like the UNO LLM player: coroutines that await a chat model (`ModelClient`), never a
backend. The three agents of the paper's comparison share the acting policy `LLMPolicy` and
differ only in what their prompt carries between episodes:

- `plain`: nothing;
- `reflexion` (Shinn et al. 2023): episode-specific reflections ("what went wrong in this attempt"),
  the last `max_reflections` of them;
- `tips` (Chen et al. 2023, Introspective Tips): a short list of general tips the model rewrites
  after every trajectory it reads (its own, an expert's, or merged over several games).

How the command is chosen (`choice_mode`, recorded in every step):
- `loglikelihood` (default): the admissible commands are ranked by the model's log-likelihood of
  each as its reply (bench.harness.choosing through the `chooser` the task passes in); always a
  valid command, which a 135M model cannot otherwise be relied on to type;
- `constrained`: generation under `Constraint.choice(admissible commands)` (backends that serve it);
- `free`: plain generation, sanitised to one command (it may be inadmissible: the game says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bench.arenas.model_protocols import ChatModel, Chooser
from bench.arenas.textworld.episode import Action, Episode, Turn
from bench.arenas.textworld.prompts import (
    merge_tips_messages,
    parse_reflection,
    parse_tips,
    reflection_messages,
    tips_messages,
    turn_messages,
)
from bench.harness.requests import Constraint, GenerationParams

ChoiceMode = Literal["loglikelihood", "constrained", "free"]
CHOICE_MODES: tuple[ChoiceMode, ...] = ("loglikelihood", "constrained", "free")
AGENTS = ("plain", "reflexion", "tips")
MEMORY_KIND = {"plain": "", "reflexion": "reflections", "tips": "tips"}




@dataclass(frozen=True)
class AgentSettings:
    """choice_mode: see the module docstring; history_window: recent turns in the prompt;
    show_admissible: list the admissible commands in the prompt; command_tokens: max tokens of a
    generated command; memory_tokens: max tokens of a tips list or reflection; max_tips /
    max_reflections: how many the memory keeps."""

    choice_mode: ChoiceMode = "loglikelihood"
    history_window: int = 6
    show_admissible: bool = True
    command_tokens: int = 24
    memory_tokens: int = 160
    max_tips: int = 8
    max_reflections: int = 3

    def __post_init__(self) -> None:
        if self.choice_mode not in CHOICE_MODES:
            raise ValueError(f"choice_mode must be one of {', '.join(CHOICE_MODES)}, got {self.choice_mode!r}")
        if min(self.command_tokens, self.memory_tokens, self.max_tips, self.max_reflections) < 1 or self.history_window < 0:
            raise ValueError("command_tokens, memory_tokens, max_tips and max_reflections must be >= 1, history_window >= 0")


class LLMPolicy:
    """The acting policy: one prompt per step (turn_messages) with the agent's memory, one command back."""

    def __init__(
        self, model: ChatModel, chooser: Chooser | None, settings: AgentSettings, memory_kind: str = "",
        memory: Sequence[str] = (),
    ) -> None:
        if settings.choice_mode == "loglikelihood" and chooser is None:
            raise ValueError("the loglikelihood choice mode needs a chooser")
        self.model, self.chooser, self.settings = model, chooser, settings
        self.memory_kind, self.memory = memory_kind, tuple(memory)

    async def act(self, turn: Turn) -> Action:
        s = self.settings
        messages = turn_messages(turn, self.memory_kind, self.memory, s.history_window, s.show_admissible)
        candidates = list(turn.admissible_commands)
        if s.choice_mode == "loglikelihood" and candidates:
            assert self.chooser is not None
            chosen = await self.chooser(messages, candidates)
            return Action(candidates[chosen.index], {"mode": "loglikelihood", "candidates": len(candidates),
                                                     "score": round(chosen.scores[chosen.index], 4)})
        if s.choice_mode == "constrained" and candidates:
            params = GenerationParams(max_tokens=max(s.command_tokens, 48), constraint=Constraint.choice(candidates))
            answer = await self.model.chat(messages, params)
            return Action(answer.text, {"mode": "constrained", "candidates": len(candidates)})
        answer = await self.model.chat(messages, GenerationParams(max_tokens=s.command_tokens, stop=("\n",)))
        return Action(answer.text, {"mode": "free" if s.choice_mode == "free" else f"{s.choice_mode}-without-candidates"})


@dataclass(frozen=True)
class MemoryWrite:
    """What a memory writer produced: the memory items it yields and the model's answer as written
    ("" when no model call was needed)."""

    items: tuple[str, ...]
    text: str = ""


async def write_tips(
    model: ChatModel, episodes: Sequence[Episode], previous: Sequence[str], settings: AgentSettings, expert: bool = False
) -> MemoryWrite:
    """Introspective tips from trajectories (the agent's own, or an expert's with `expert`): the
    model's numbered list, parsed; the previous tips are kept when the answer has none."""
    answer = await model.chat(tips_messages(episodes, previous, settings.max_tips, expert),
                              GenerationParams(max_tokens=settings.memory_tokens))
    return MemoryWrite(parse_tips(answer.text, settings.max_tips) or tuple(previous), answer.text)


async def merge_tips(model: ChatModel, tip_lists: Sequence[Sequence[str]], settings: AgentSettings) -> MemoryWrite:
    """One general list from tips learned on several games (no call for one list or none)."""
    lists = [tuple(tips) for tips in tip_lists if tips]
    if len(lists) <= 1:
        return MemoryWrite(lists[0] if lists else ())
    answer = await model.chat(merge_tips_messages(lists, settings.max_tips), GenerationParams(max_tokens=settings.memory_tokens))
    return MemoryWrite(parse_tips(answer.text, settings.max_tips) or lists[0], answer.text)


async def write_reflection(model: ChatModel, episode: Episode, settings: AgentSettings, expert: bool = False) -> MemoryWrite:
    """Reflexion's self-reflection on one episode (or on an expert demonstration): one item, or
    none when the answer is empty."""
    answer = await model.chat(reflection_messages(episode, expert), GenerationParams(max_tokens=settings.memory_tokens))
    reflection = parse_reflection(answer.text)
    return MemoryWrite((reflection,) if reflection else (), answer.text)


def keep_reflections(previous: Sequence[str], new: Sequence[str], settings: AgentSettings) -> tuple[str, ...]:
    """Reflexion's memory: the last `max_reflections` reflections, oldest first."""
    return tuple([*previous, *new][-settings.max_reflections:])
