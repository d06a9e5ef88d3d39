"""Tasks `textworld_tips_self`, `textworld_tips_expert`, `textworld_tips_cross` (Introspective Tips, Chen et al. 2023).

Every task runs the tips agent against the plain and Reflexion baselines on the same test-split
cooking games, in the same run. What differs is where the memory comes from:

- self: each game is replayed for `trials` episodes; after each one the tips agent rewrites its
  tips from its own trajectory, the Reflexion agent reflects on a failed attempt (metric vs trial);
- expert: before the test games, tips (and, for the baseline, reflections) are distilled from
  expert demonstrations: the walkthroughs of training-split games, played out in the game;
- cross: the agents first play the training-split games themselves (`source_trials` each), then
  take the tips (merged over the games) or reflections zero-shot into unseen test-split games.

All episodes advance concurrently (one coroutine per agent and game, trials in order inside it),
so the model's requests from every episode share batches in the model client.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import Any, ClassVar

from bench.arenas.textworld.agents import (
    MEMORY_KIND,
    AgentSettings,
    Chooser,
    LLMPolicy,
    MemoryWrite,
    keep_reflections,
    merge_tips,
    write_reflection,
    write_tips,
)
from bench.arenas.textworld.episode import Episode, WalkthroughPolicy, run_episode
from bench.arenas.textworld.games import (
    GameGenerationError,
    GameInfo,
    default_games_dir,
    ensure_games,
    game_set,
)
from bench.arenas.textworld.pool import EnvPool
from bench.harness.choosing import choose
from bench.harness.client import ModelClient
from bench.harness.errors import DataError
from bench.harness.requests import RequestKind
from bench.harness.task import Summary, SummaryContext, Task, TaskContext
from bench.tasks.textworld.config import TextWorldConfig, TipsCrossConfig, TipsExpertConfig, TipsSelfConfig
from bench.tasks.textworld.records import episode_record, memory_record
from bench.tasks.textworld.report import build_metrics, build_plots, metric_fields

Memory = tuple[str, ...]


class _Session:
    """What every episode of one task run shares: the model, the chooser, settings, loaded games and records."""

    def __init__(self, task: TextWorldTask, ctx: TaskContext, config: TextWorldConfig) -> None:
        self.task, self.ctx, self.config = task, ctx, config
        self.model: ModelClient = ctx.model
        self.settings: AgentSettings = config.agent_settings()
        self.chooser: Chooser | None = (
            functools.partial(choose, ctx.model, normalize=config.choice_normalize)  # type: ignore[arg-type]
            if config.choice_mode == "loglikelihood" else None
        )
        self.records: list[dict[str, Any]] = []
        self.envs = EnvPool()  # loaded games reused across the run's episodes; closed when the run ends
        self.demonstrations: list[tuple[GameInfo, Episode]] = []  # expert setting: walkthroughs of training games

    async def play(self, agent: str, game: GameInfo, memory: Memory) -> Episode:
        policy = LLMPolicy(self.model, self.chooser, self.settings, MEMORY_KIND[agent], memory)
        episode = await run_episode(game.path, policy, self.config.max_steps, self.envs)
        self.ctx.progress.advance(self.task.name)
        return episode

    async def next_memory(self, agent: str, episode: Episode, memory: Memory) -> MemoryWrite:
        """The memory after an episode: tips rewritten, a reflection added after a failure."""
        if agent == "tips":
            return await write_tips(self.model, [episode], memory, self.settings)
        if agent == "reflexion" and not episode.won:
            written = await write_reflection(self.model, episode, self.settings)
            return MemoryWrite(keep_reflections(memory, written.items, self.settings), written.text)
        return MemoryWrite(memory)

    async def trials(self, phase: str, agent: str, game: GameInfo, trials: int, memory: Memory) -> Memory:
        """`trials` episodes of one game, the memory carried from each to the next; records each."""
        for trial in range(1, trials + 1):
            episode = await self.play(agent, game, memory)
            after = await self.next_memory(agent, episode, memory) if trial < trials or phase == "source" else None
            self.records.append(self.record(phase, agent, game, trial, episode, memory, after))
            memory = after.items if after is not None else memory
        return memory

    def record(
        self, phase: str, agent: str, game: GameInfo, trial: int, episode: Episode, memory: Memory,
        after: MemoryWrite | None,
    ) -> dict[str, Any]:
        record = episode_record(
            setting=self.task.setting, phase=phase, agent=agent, game=game, trial=trial, episode=episode,
            choice_mode=self.config.choice_mode if agent != "expert" else "walkthrough", memory_kind=MEMORY_KIND.get(agent, ""),
            memory=memory, memory_after=None if after is None else after.items,
            memory_answer=None if after is None else after.text,
        )
        if phase == "eval":
            record.update(metric_fields(record, self.config))
        return record


class TextWorldTask(Task):
    """Shared by the three settings (not registered itself)."""

    # 1: first version (levels L1-L4, tips / reflexion / plain, loglikelihood choice by default).
    version = "1"
    metrics_version = "1"
    config_class: ClassVar[type] = TextWorldConfig
    request_kinds = frozenset({RequestKind.CHAT, RequestKind.LOGLIKELIHOOD})
    headline_metric = "normalised_score_tips"
    groups = ("textworld",)
    comparability_keys = ("choice_mode", "choice_normalize", "max_steps", "levels", "trials", "show_admissible")
    setting: ClassVar[str]

    def request_kinds_for(self, config: TextWorldConfig, capabilities: frozenset[RequestKind]) -> frozenset[RequestKind]:
        """Chat for commands (constrained / free) and for tips and reflections; log-likelihoods to rank commands."""
        if config.choice_mode == "loglikelihood":
            return frozenset({RequestKind.CHAT, RequestKind.LOGLIKELIHOOD})
        return frozenset({RequestKind.CHAT})

    def constraint_kinds_for(self, config: TextWorldConfig) -> frozenset[str]:
        return frozenset({"choice"}) if config.choice_mode == "constrained" else frozenset()

    def source_episode_count(self, config: TextWorldConfig, sources: int) -> int:
        return 0

    async def run(self, ctx: TaskContext) -> list[dict[str, Any]]:
        config: TextWorldConfig = ctx.config
        tests = game_set(config.level_numbers(), "test", config.games_per_level, config.game_seed)
        if ctx.limit is not None:
            tests = tests[: ctx.limit]
        tests = ctx.take_shard(tests, key=lambda spec: spec.game_id, stratum=lambda spec: f"L{spec.level}")
        # Training games are not sharded: every shard learns the same memory from all of them
        # (greedy answers, so the shards agree; a shared request cache answers the repeats).
        sources = game_set(config.level_numbers(), "train", config.train_games_per_level, config.game_seed) if self.setting != "self" else []
        if ctx.limit is not None:
            sources = sources[: ctx.limit]
        root = Path(config.games_dir) if config.games_dir else default_games_dir()
        try:
            games = await asyncio.to_thread(ensure_games, [*sources, *tests], root)
        except GameGenerationError as exc:
            raise DataError(f"{self.name}: {exc}") from exc
        source_games, test_games = games[: len(sources)], games[len(sources):]
        session = _Session(self, ctx, config)
        total = len(test_games) * len(config.agents) * config.trials + self.source_episode_count(config, len(source_games))
        ctx.progress.start(self.name, total)
        with session.envs:
            await self.play_all(session, source_games, test_games)
        if ctx.shard is not None and ctx.shard.index != 0:
            # Every shard plays the same training phase (above); only shard 0 keeps its records
            # (source episodes, demonstrations, memories), so a merged run holds them once.
            return [r for r in session.records if r.get("phase") == "eval"]
        return session.records

    async def play_all(self, session: _Session, sources: list[GameInfo], tests: list[GameInfo]) -> None:
        async def agent_flow(agent: str) -> None:
            memory = await self.learn(session, agent, sources)
            await asyncio.gather(*(session.trials("eval", agent, game, session.config.trials, memory) for game in tests))

        await asyncio.gather(*(agent_flow(agent) for agent in session.config.agents))

    async def learn(self, session: _Session, agent: str, sources: list[GameInfo]) -> Memory:
        """The memory the agent starts the test games with (none in the self setting)."""
        return ()

    def summarize(self, samples: list[dict[str, Any]], config: TextWorldConfig, ctx: SummaryContext) -> Summary:
        metrics, extra = build_metrics(config, samples, ctx.seed)
        extra["setting"] = self.setting
        plots = build_plots(config, samples, ctx.artifacts_dir, self.name, ctx.seed)
        return Summary(metrics=metrics, plots=plots, extra=extra)


class TextWorldTipsSelfTask(TextWorldTask):
    name = "textworld_tips_self"
    setting = "self"
    config_class = TipsSelfConfig
    description = (
        "Introspective Tips (Chen et al. 2023) on TextWorld cooking games: the same game replayed for T trials, tips "
        "from the agent's own trajectories vs Reflexion and a plain agent; normalised score, success rate vs trial"
    )


class TextWorldTipsExpertTask(TextWorldTask):
    name = "textworld_tips_expert"
    setting = "expert"
    config_class = TipsExpertConfig
    description = (
        "Introspective Tips (Chen et al. 2023) on TextWorld: tips distilled from expert walkthroughs of training games, "
        "then unseen test games; vs Reflexion (reflections on the same demonstrations) and a plain agent"
    )

    async def play_all(self, session: _Session, sources: list[GameInfo], tests: list[GameInfo]) -> None:
        # The demonstrations need no model: play them once, before any agent learns from them.
        demos = await asyncio.gather(*(
            run_episode(g.path, WalkthroughPolicy(), max(len(g.walkthrough) + 5, 10), session.envs) for g in sources
        ))
        for game, demo in zip(sources, demos):
            session.records.append(session.record("demonstration", "expert", game, 1, demo, (), None))
        session.demonstrations = list(zip(sources, demos))
        await super().play_all(session, sources, tests)

    async def learn(self, session: _Session, agent: str, sources: list[GameInfo]) -> Memory:
        settings, model, demos = session.settings, session.model, session.demonstrations
        if agent == "tips":
            written = await asyncio.gather(*(write_tips(model, [demo], (), settings, expert=True) for _, demo in demos))
            merged = await merge_tips(model, [w.items for w in written], settings)
            memory, merge_text = merged.items, merged.text
        elif agent == "reflexion":
            written = await asyncio.gather(*(write_reflection(model, demo, settings, expert=True) for _, demo in demos))
            memory = functools.reduce(lambda kept, w: keep_reflections(kept, w.items, settings), written, ())
            merge_text = ""
        else:
            return ()
        sourced = {game.game_id: w for (game, _), w in zip(demos, written)}
        session.records.append(memory_record(self.setting, agent, MEMORY_KIND[agent], memory, sourced, merge_text))
        return memory


class TextWorldTipsCrossTask(TextWorldTask):
    name = "textworld_tips_cross"
    setting = "cross"
    config_class = TipsCrossConfig
    description = (
        "Introspective Tips (Chen et al. 2023) on TextWorld: tips learned from the agent's own play of training-split "
        "games, applied zero-shot to unseen test-split games; vs Reflexion and a plain agent"
    )

    def source_episode_count(self, config: TextWorldConfig, sources: int) -> int:
        learners = sum(1 for a in config.agents if a != "plain")
        return learners * sources * config.source_trials

    async def learn(self, session: _Session, agent: str, sources: list[GameInfo]) -> Memory:
        if agent == "plain":
            return ()
        config, settings = session.config, session.settings
        per_game = await asyncio.gather(*(session.trials("source", agent, g, config.source_trials, ()) for g in sources))
        merge_text = ""
        if agent == "tips":
            merged = await merge_tips(session.model, per_game, settings)
            memory, merge_text = merged.items, merged.text
        else:  # reflections of several games, the most recent of each game, capped like Reflexion's memory
            memory = functools.reduce(lambda kept, notes: keep_reflections(kept, notes[-1:], settings), per_game, ())
        sourced = {game.game_id: MemoryWrite(items) for game, items in zip(sources, per_game)}
        session.records.append(memory_record(self.setting, agent, MEMORY_KIND[agent], memory, sourced, merge_text))
        return memory
