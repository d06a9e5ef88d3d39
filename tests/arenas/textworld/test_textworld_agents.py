"""The LLM agents' prompts and memories: what the acting prompt carries, how tips and
reflections are parsed and kept, and that every choice mode yields one command."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from bench.arenas.textworld.agents import (
    AgentSettings,
    LLMPolicy,
    MemoryWrite,
    keep_reflections,
    merge_tips,
    write_reflection,
    write_tips,
)
from bench.arenas.textworld.episode import Episode, Transition, Turn
from bench.arenas.textworld.prompts import (
    memory_block,
    parse_reflection,
    parse_tips,
    trajectory_text,
    turn_messages,
)
from bench.harness.requests import GenerationAnswer, GenerationParams, Message


def _turn(step: int = 2) -> Turn:
    history = tuple(Transition(f"cmd{i}", f"cmd{i}", "", f"obs{i}", 0.0, 0.0, True) for i in range(step))
    return Turn(step, "Cook a meal.", "You are in a kitchen.", "You are carrying nothing.",
                ("examine cookbook", "go north", "open fridge"), history)


class _Model:
    def __init__(self, reply: str = "open fridge") -> None:
        self.reply, self.chats = reply, []

    async def chat(self, messages: list[Message], params: GenerationParams | None = None) -> GenerationAnswer:
        self.chats.append((messages, params))
        return GenerationAnswer(self.reply)


class _Choice:
    def __init__(self, index: int, n: int) -> None:
        self.index, self.scores = index, tuple(-float(i) for i in range(n))


def test_acting_prompt_holds_goal_memory_window_observation_and_valid_commands():
    messages = turn_messages(_turn(4), "tips", ["Read the cookbook first.", "Open containers."], 2, True)
    assert [m.role for m in messages] == ["system", "user"]
    user = messages[1].content
    assert "Goal: Cook a meal." in user and "1. Read the cookbook first.\n2. Open containers." in user
    assert "> cmd3" in user and "> cmd2" in user and "> cmd1" not in user  # a window of 2 turns
    assert "You are in a kitchen." in user and "Valid commands: examine cookbook, go north, open fridge" in user
    hidden = turn_messages(_turn(), "", [], 6, False)[1].content
    assert "Valid commands" not in hidden and "Tips" not in hidden


def test_memory_block_labels_tips_and_reflections_differently():
    assert memory_block("tips", []) == ""
    assert memory_block("tips", ["a"]).startswith("Tips learned from earlier games:\n1. a")
    assert memory_block("reflections", ["a"]).startswith("Your reflections on earlier attempts:\n- a")


def test_loglikelihood_mode_plays_the_chosen_admissible_command():
    asked: list[tuple[Sequence[Message], Sequence[str]]] = []

    async def chooser(messages: Sequence[Message], candidates: Sequence[str]) -> _Choice:
        asked.append((messages, candidates))
        return _Choice(1, len(candidates))

    policy = LLMPolicy(_Model(), chooser, AgentSettings(), "tips", ["tip"])
    action = asyncio.run(policy.act(_turn()))
    assert action.command == "go north" and action.choice == {"mode": "loglikelihood", "candidates": 3, "score": -1.0}
    assert list(asked[0][1]) == ["examine cookbook", "go north", "open fridge"]


def test_constrained_mode_asks_for_a_choice_constraint_over_the_admissible_commands():
    model = _Model("open fridge")
    action = asyncio.run(LLMPolicy(model, None, AgentSettings(choice_mode="constrained")).act(_turn()))
    params = model.chats[0][1]
    assert params.constraint is not None and params.constraint.kind == "choice"
    assert params.constraint.choices == ("examine cookbook", "go north", "open fridge")
    assert action.command == "open fridge" and action.choice["mode"] == "constrained"


def test_free_mode_generates_one_line():
    model = _Model("open fridge\nthen more")
    action = asyncio.run(LLMPolicy(model, None, AgentSettings(choice_mode="free", command_tokens=12)).act(_turn()))
    assert model.chats[0][1].stop == ("\n",) and model.chats[0][1].max_tokens == 12
    assert action.choice == {"mode": "free"}  # the raw text; the environment sanitises it


def test_loglikelihood_mode_needs_a_chooser():
    with pytest.raises(ValueError, match="chooser"):
        LLMPolicy(_Model(), None, AgentSettings())


@pytest.mark.parametrize(("text", "tips"), [
    ("1. Read the cookbook.\n2) Open the fridge.\n- Use the knife to cut.\n", ("Read the cookbook.", "Open the fridge.", "Use the knife to cut.")),
    ("Sure! Here are tips:\n1. A\n2. A\n3. B\n4. b.", ("A", "B")),  # preamble dropped, duplicates (case, final dot) dropped
    ("1. 1. Open it.\n2. 2. 2.\n", ("Open it.",)),  # runs of markers stripped; a line of markers only is no tip
    ("Read the cookbook\nCook with the stove", ("Read the cookbook", "Cook with the stove")),  # no markers: lines
    ("", ()),
])
def test_parse_tips(text: str, tips: tuple[str, ...]):
    assert parse_tips(text, max_tips=8) == tips


def test_parse_tips_caps_count_and_length():
    tips = parse_tips("\n".join(f"{i}. tip {i} {'x' * 300}" for i in range(1, 20)), max_tips=5, max_chars=50)
    assert len(tips) == 5 and all(len(t) <= 50 for t in tips)


def test_reflection_is_one_bounded_line():
    assert parse_reflection("I failed.\n\nNext time   open the fridge.") == "I failed. Next time open the fridge."
    assert len(parse_reflection("word " * 200)) <= 400


def test_reflexion_keeps_the_most_recent_reflections():
    settings = AgentSettings(max_reflections=2)
    assert keep_reflections(("a", "b"), ("c",), settings) == ("b", "c")
    assert keep_reflections(("a",), (), settings) == ("a",)


def test_reflection_writer_yields_one_item_or_none():
    written = asyncio.run(write_reflection(_Model("I  failed.\nNext time read."), _episode(False), AgentSettings()))
    assert written.items == ("I failed. Next time read.",)
    assert asyncio.run(write_reflection(_Model(" "), _episode(False), AgentSettings())).items == ()


def _episode(won: bool) -> Episode:
    steps = (Transition("open fridge", "open fridge", "", "You open the fridge.", 0.0, 0.0, True),
             Transition("take apple", "take apple", "", "You take the apple.", 1.0, 1.0, True))
    return Episode("g.z8", "Cook a meal.", "Kitchen.", steps, 1.0, 3.0, won, False, not won)


def test_tips_writer_sees_the_trajectory_outcome_and_previous_tips():
    model = _Model("1. Open containers first.\n2. Read the cookbook.")
    written = asyncio.run(write_tips(model, [_episode(False)], ["Old tip."], AgentSettings(max_tips=4, memory_tokens=99)))
    assert written.items == ("Open containers first.", "Read the cookbook.") and written.text == model.reply
    messages, params = model.chats[0]
    prompt = messages[-1].content
    assert "> take apple [+1 point]" in prompt and "You ran out of steps, scoring 1 of 3 points in 2 steps." in prompt
    assert "1. Old tip." in prompt and "at most 4" in prompt and params.max_tokens == 99


def test_tips_writer_keeps_the_old_tips_when_the_answer_has_none():
    for answer in ("   ", "1. 1. 1. 1."):  # nothing, or a small model's run of empty markers
        assert asyncio.run(write_tips(_Model(answer), [_episode(True)], ["Keep me."], AgentSettings())).items == ("Keep me.",)


def test_merging_one_tip_list_needs_no_model_call():
    model = _Model("1. merged")
    assert asyncio.run(merge_tips(model, [("a", "b"), ()], AgentSettings())) == MemoryWrite(("a", "b")) and not model.chats
    assert asyncio.run(merge_tips(model, [("a",), ("b",)], AgentSettings())) == MemoryWrite(("merged",), "1. merged")
    assert len(model.chats) == 1


def test_trajectory_text_names_a_win():
    assert "You won, scoring 1 of 3 points in 2 steps." in trajectory_text(_episode(True))
