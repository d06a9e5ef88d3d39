"""The episode runner: per-step rewards from TextWorld's cumulative score, exactly one sanitised
command per step, the step limit as truncation, clean observations."""

from __future__ import annotations

import asyncio

import pytest
from bench.arenas.textworld.commands import DEFAULT_COMMAND, clean_observation, sanitise_command
from bench.arenas.textworld.env import TextWorldEnv, rewards_from_scores, step_reward
from bench.arenas.textworld.episode import Action, Turn, run_episode
from bench.arenas.textworld.games import GameSpec, default_games_dir, ensure_games


@pytest.fixture(scope="module")
def game():
    [info] = ensure_games([GameSpec(2, "train", 1)], default_games_dir())
    return info


def test_step_reward_is_the_change_of_the_cumulative_score():
    assert step_reward(2, 3) == 1.0 and step_reward(3, 3) == 0.0
    scores = [0, 0, 1, 1, 3, 4]
    rewards = rewards_from_scores(scores)
    assert rewards == [0.0, 0.0, 1.0, 0.0, 2.0, 1.0]
    assert sum(rewards) == scores[-1]
    assert rewards_from_scores([2, 3], initial=2) == [0.0, 1.0]


def test_env_turns_the_cumulative_score_into_rewards_and_reports_it_in_info(game):
    env = TextWorldEnv(game.path, max_steps=50)
    observation, info = env.reset()
    assert "-= " in observation and "$$" not in observation  # room heading kept, banner art dropped
    assert info["score"] == 0 and info["max_score"] == game.max_score and info["walkthrough"] == list(game.walkthrough)
    assert info["admissible_commands"] == sorted(info["admissible_commands"]) and "inventory" in info["admissible_commands"]
    previous, total = 0.0, 0.0
    for command in game.walkthrough:
        observation, reward, terminated, truncated, info = env.step(command)
        assert reward == info["score"] - previous  # per step, not cumulative
        previous, total = info["score"], total + reward
    assert terminated and not truncated and info["won"] and total == info["score"] == game.max_score
    with pytest.raises(RuntimeError, match="after the episode ended"):
        env.step("look")
    env.close()


def test_step_limit_truncates_the_episode(game):
    env = TextWorldEnv(game.path, max_steps=3)
    env.reset()
    results = [env.step("look") for _ in range(3)]
    assert [r[3] for r in results] == [False, False, True] and not any(r[2] for r in results)
    env.close()


class _Scripted:
    """A policy that answers with fixed (messy) texts and counts its turns."""

    def __init__(self, texts: list[str]) -> None:
        self.texts, self.turns = texts, 0

    async def act(self, turn: Turn) -> Action:
        self.turns += 1
        return Action(self.texts[(turn.step) % len(self.texts)])


def test_every_step_sends_exactly_one_sanitised_command(game, monkeypatch: pytest.MonkeyPatch):
    from textworld.envs.wrappers import Filter

    sent: list[object] = []
    original = Filter.step

    def spy(self, command):  # type: ignore[no-untyped-def]
        sent.append(command)
        return original(self, command)

    monkeypatch.setattr(Filter, "step", spy)
    policy = _Scripted(["open fridge then go north", "> Inventory.\nlook", "take knife; eat it", "", "quit", "restart"])
    episode = asyncio.run(run_episode(game.path, policy, max_steps=6))
    assert policy.turns == len(sent) == episode.steps == 6
    assert sent == ["open fridge", "Inventory", "take knife", DEFAULT_COMMAND, DEFAULT_COMMAND, DEFAULT_COMMAND]
    assert [t.sanitised for t in episode.transitions] == ["multiple", "multiple", "multiple", "empty", "meta", "meta"]
    assert episode.transitions[0].raw_command == "open fridge then go north" and episode.truncated


@pytest.mark.parametrize(("text", "command", "reason"), [
    ("open fridge", "open fridge", ""),
    ("cook red potato with BBQ", "cook red potato with BBQ", ""),
    ("  > take apple from counter.  ", "take apple from counter", "cleaned"),
    ('"go north"', "go north", "cleaned"),
    ("open door then go north", "open door", "multiple"),
    ("open door and then go north", "open door", "multiple"),
    ("take apple, eat apple", "take apple", "multiple"),
    ("go east\ngo west", "go east", "multiple"),
    ("dice the frosted-glass door's knob!!", "dice the frosted-glass door's knob", "cleaned"),
    ("QUIT", DEFAULT_COMMAND, "meta"),
    ("save game", DEFAULT_COMMAND, "meta"),
    ("  \n ", DEFAULT_COMMAND, "empty"),
    ("...", DEFAULT_COMMAND, "empty"),
])
def test_sanitise_command_keeps_one_plain_command(text: str, command: str, reason: str):
    result = sanitise_command(text)
    assert (result.command, result.reason, result.changed) == (command, reason, bool(reason))


def test_sanitised_command_is_bounded_in_length():
    assert len(sanitise_command("go " + "north " * 50).command) <= 80


def test_clean_observation_drops_banner_prompt_status_and_epilogue():
    raw = ("\n\n  ________  __ \n |  $$$$ \\$$ |\n\nYou are hungry!\n\n-= Kitchen =-\nA fridge.\n\n\n\n"
           "Would you like to RESTART, RESTORE a saved game, QUIT or UNDO the last command?\n>   -= Kitchen =-0/1")
    assert clean_observation(raw) == "You are hungry!\n\n-= Kitchen =-\nA fridge."
