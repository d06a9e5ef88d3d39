"""Loaded games kept between the episodes of one run: a bounded pool of `TextWorldEnv`s keyed by game file.

    with EnvPool() as envs:
        with envs.lease(game.path, max_steps=6) as env:
            observation, info = env.reset()
            ...

Loading a game file (parsing its story and its JSON) costs more than restarting a loaded one, and a
run plays each game many times (trials, agents, settings). A lease hands out an idle environment
of that game file if there is one, else a new one; it is the caller's alone until the lease ends,
so concurrent episodes of the same game each get their own. Every episode starts with `reset()`,
which restarts the game from its initial state: nothing of an earlier episode carries over. At
the end of a lease the environment goes back to the pool, unless the episode raised (its state is
unknown), the pool is closed, or `max_idle` environments are already idle; then it is closed.
`close()` (or leaving the `with` block) closes every idle environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.arenas.textworld.env import TextWorldEnv


class EnvPool:
    """Idle loaded environments by game file, at most `max_idle` in all (0: none kept, every lease loads)."""

    def __init__(self, max_idle: int = 32) -> None:
        if max_idle < 0:
            raise ValueError(f"max_idle must be >= 0, got {max_idle}")
        self.max_idle = max_idle
        self._idle: dict[str, list[TextWorldEnv]] = {}
        self._closed = False

    @property
    def idle(self) -> int:
        """How many loaded environments wait for a lease."""
        return sum(len(envs) for envs in self._idle.values())

    @contextmanager
    def lease(self, game_path: Path | str, max_steps: int) -> Iterator[TextWorldEnv]:
        """An environment of `game_path` with this step limit, the caller's until the block ends."""
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        key = str(game_path)
        waiting = self._idle.get(key)
        env = waiting.pop() if waiting else TextWorldEnv(key, max_steps=max_steps)
        env.max_steps = max_steps
        finished = False
        try:
            yield env
            finished = True
        finally:
            if finished and not self._closed and self.idle < self.max_idle:
                self._idle.setdefault(key, []).append(env)
            else:
                env.close()

    def close(self) -> None:
        """Close every idle environment; environments leased now are closed when their lease ends."""
        self._closed = True
        for envs in self._idle.values():
            for env in envs:
                env.close()
        self._idle.clear()

    def __enter__(self) -> EnvPool:
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self.close()
