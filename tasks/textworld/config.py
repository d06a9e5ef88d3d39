"""Knobs of the TextWorld tasks (all defaulted; set with --task-args textworld_tips_self.key=value, tuples as a|b)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.arenas.textworld.agents import AGENTS, CHOICE_MODES, AgentSettings, ChoiceMode
from bench.arenas.textworld.games import LEVEL_ARGS


@dataclass(frozen=True)
class TextWorldConfig:
    """levels: difficulty levels played, "L1".."L4" (arenas/textworld/games.py LEVEL_ARGS);
    games_per_level: test-split games per level that the agents are evaluated on (--limit N keeps
    the first N, levels interleaved); train_games_per_level: training-split games per level that
    the expert / cross-game settings learn from (--limit N also keeps the first N of these); game_seed: tw-make seed of the first game (then +1, ...).
    agents: which of plain / reflexion / tips play (tips always; the baselines in the same run).
    trials: episodes per game and agent, memory carried from one to the next (self: metric vs trial);
    source_trials: episodes per training game when the cross-game setting learns from its own play.
    max_steps: commands per episode before it is cut. choice_mode: loglikelihood (rank the
    admissible commands), constrained (choice-constrained generation) or free (sanitised generation);
    choice_normalize: how loglikelihood ranks, by the "mean" log-probability per token (default) or
    the "sum" (which favours short commands such as "look").
    history_window, show_admissible, command_tokens, memory_tokens, max_tips, max_reflections: see
    AgentSettings. games_dir: cache folder of generated games ("" = $BENCH_CACHE_DIR/textworld).
    """

    levels: tuple[str, ...] = ("L1", "L2", "L3", "L4")
    games_per_level: int = 5
    train_games_per_level: int = 2
    game_seed: int = 1
    agents: tuple[str, ...] = AGENTS
    trials: int = 1
    source_trials: int = 1
    max_steps: int = 40
    # The agent's knobs default to AgentSettings' own defaults (one place states them).
    choice_mode: ChoiceMode = AgentSettings.choice_mode
    choice_normalize: str = "mean"
    history_window: int = AgentSettings.history_window
    show_admissible: bool = AgentSettings.show_admissible
    command_tokens: int = AgentSettings.command_tokens
    memory_tokens: int = AgentSettings.memory_tokens
    max_tips: int = AgentSettings.max_tips
    max_reflections: int = AgentSettings.max_reflections
    games_dir: str = ""

    def __post_init__(self) -> None:
        names = [f"L{lv}" for lv in LEVEL_ARGS]
        if any(lv not in names for lv in self.levels) or not self.levels or len(set(self.levels)) != len(self.levels):
            raise ValueError(f"levels must be distinct values among {', '.join(names)}, got {list(self.levels)}")
        bad_agents = [a for a in self.agents if a not in AGENTS]
        if bad_agents or "tips" not in self.agents or len(set(self.agents)) != len(self.agents):
            raise ValueError(f"agents must be distinct values among {', '.join(AGENTS)} and include tips, got {list(self.agents)}")
        if min(self.games_per_level, self.train_games_per_level, self.trials, self.source_trials, self.max_steps) < 1:
            raise ValueError("games_per_level, train_games_per_level, trials, source_trials and max_steps must be >= 1")
        if self.choice_normalize not in ("mean", "sum"):
            raise ValueError(f"choice_normalize must be 'mean' or 'sum', got {self.choice_normalize!r}")
        if self.choice_mode not in CHOICE_MODES:
            raise ValueError(f"choice_mode must be one of {', '.join(CHOICE_MODES)}, got {self.choice_mode!r}")
        self.agent_settings()  # its own checks

    def level_numbers(self) -> tuple[int, ...]:
        """The levels as LEVEL_ARGS keys ("L2" -> 2)."""
        return tuple(int(lv[1:]) for lv in self.levels)

    def agent_settings(self) -> AgentSettings:
        return AgentSettings(
            choice_mode=self.choice_mode, history_window=self.history_window, show_admissible=self.show_admissible,
            command_tokens=self.command_tokens, memory_tokens=self.memory_tokens, max_tips=self.max_tips,
            max_reflections=self.max_reflections,
        )


@dataclass(frozen=True)
class TipsSelfConfig(TextWorldConfig):
    """textworld_tips_self: the same game replayed for `trials` episodes (default 3)."""

    trials: int = 3


@dataclass(frozen=True)
class TipsExpertConfig(TextWorldConfig):
    """textworld_tips_expert: memory from walkthroughs of training games, then the test games."""


@dataclass(frozen=True)
class TipsCrossConfig(TextWorldConfig):
    """textworld_tips_cross: memory from the agent's own play of training games, zero-shot on test games."""
