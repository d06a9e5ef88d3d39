"""The run's pool of loaded games: a game file is loaded once and restarted for later episodes with
the identical initial state and identical play; concurrent episodes never share an environment;
the pool is bounded, drops environments of failed episodes and closes what it holds."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from bench.arenas.textworld.episode import Episode, WalkthroughPolicy, run_episode
from bench.arenas.textworld.games import GameSpec, default_games_dir, ensure_games
from bench.arenas.textworld.pool import EnvPool
from bench.tasks.textworld import TextWorldTipsSelfTask, TipsSelfConfig


@pytest.fixture(scope="module")
def game():
    [info] = ensure_games([GameSpec(1, "train", 1)], default_games_dir())
    return info


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The game files TextWorld loads, in order."""
    from textworld.envs.wrappers import GenericEnvironment

    loaded: list[str] = []
    original = GenericEnvironment.load

    def spy(self: Any, gamefile: str) -> None:
        loaded.append(gamefile)
        original(self, gamefile)

    monkeypatch.setattr(GenericEnvironment, "load", spy)
    return loaded


def _play(game: Any, envs: EnvPool | None, max_steps: int = 20) -> Episode:
    return asyncio.run(run_episode(game.path, WalkthroughPolicy(), max_steps, envs))


def test_a_reused_game_is_loaded_once_and_replays_identically(game, loads: list[str]):
    fresh = _play(game, None)
    assert fresh.won and len(loads) == 1
    with EnvPool() as envs:
        episodes = [_play(game, envs) for _ in range(3)]  # each one restarts the game the previous one won
        assert envs.idle == 1
    assert len(loads) == 2  # one load for the three pooled episodes
    assert all(e == fresh for e in episodes)  # initial observation, every transition, score: as on a fresh load


def test_reset_after_a_played_episode_gives_the_initial_state(game):
    with EnvPool() as envs:
        with envs.lease(game.path, max_steps=50) as env:
            first = env.reset()
            for command in game.walkthrough[:3]:
                env.step(command)
            assert env.reset() == first and env.steps == 0 and env.score == 0.0


def test_concurrent_leases_of_one_game_get_their_own_environments(game, loads: list[str]):
    envs = EnvPool(max_idle=1)
    with envs.lease(game.path, max_steps=4) as a, envs.lease(game.path, max_steps=7) as b:
        assert a is not b and (a.max_steps, b.max_steps) == (4, 7)
    assert envs.idle == 1 and len(loads) == 0  # never reset, never loaded; the second one back was closed
    with envs.lease(game.path, max_steps=9) as c:
        assert c in (a, b) and c.max_steps == 9  # the step limit is the new lease's
    envs.close()
    assert envs.idle == 0


def test_an_environment_whose_episode_raised_is_closed_not_kept(game):
    envs = EnvPool()
    with pytest.raises(RuntimeError, match="policy failed"), envs.lease(game.path, max_steps=3) as env:
        env.reset()
        raise RuntimeError("policy failed")
    assert envs.idle == 0 and env._env is None


def test_a_lease_ending_after_close_closes_its_environment(game):
    envs = EnvPool()
    with envs.lease(game.path, max_steps=3) as env:
        env.reset()
        envs.close()
    assert envs.idle == 0 and env._env is None
    with pytest.raises(ValueError, match="max_idle"):
        EnvPool(max_idle=-1)


def test_a_task_run_closes_its_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from bench.harness.progress import Progress
    from bench.harness.requests import GenerationAnswer
    from bench.harness.task import TaskContext

    class Plain:
        async def chat(self, messages: Any, params: Any = None) -> GenerationAnswer:
            return GenerationAnswer("1. Look around first.")  # a command and a tips list alike

    pools: list[EnvPool] = []
    original = EnvPool.__init__

    def spy(self: EnvPool, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        pools.append(self)

    monkeypatch.setattr(EnvPool, "__init__", spy)
    config = TipsSelfConfig(levels=("L1",), agents=("tips",), trials=3, max_steps=2, choice_mode="free",
                            games_dir=str(default_games_dir()))
    ctx = TaskContext(model=Plain(), config=config, seed=0, limit=1, artifacts_dir=tmp_path,  # type: ignore[arg-type]
                      progress=Progress(enabled=False))
    records = asyncio.run(TextWorldTipsSelfTask().run(ctx))
    assert len(records) == 3 and [r["trial"] for r in records] == [1, 2, 3]
    [pool] = [p for p in pools if p.max_idle > 0]
    assert pool._closed and pool.idle == 0
