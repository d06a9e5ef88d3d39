"""Knobs of the `uno` and `uno_tutri` tasks (all defaulted; set with --task-args uno.key=value)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.arenas.uno.answer_modes import ANSWER_MODES, FRAME_TOKENS, AnswerMode
from bench.arenas.uno.rules import DepletionTie

SETTING_PLAYERS = {"1v1": 2, "3p": 3, "5p": 5}
OPPONENTS = ("random", "dqn", "rule")
SCORED_DECISIONS = ("clean", "corrected", "all")


@dataclass(frozen=True)
class UnoConfig:
    """settings: player counts ("1v1", "3p", "5p"); opponents: "random", "dqn", "rule" (every
    other seat plays that policy). games_per_setting: games per (setting, opponent) cell (--limit caps the
    run's total, cells interleaved); the model's seat rotates over the seats, and the first player over the games.
    rules: "uno_arena" (the paper's rules) or "standard" (reshuffled discard pile, Reverse = Skip
    in 1v1; rollouts then run on the Python engine). hand_size: cards dealt (7 = UNO Arena); max_turns: a game reaching it ends like a depleted
    draw pile (fewest cards win); the default never binds. Both only shorten smoke runs.
    answer_mode: how the model's answers are got (arenas/uno/answer_modes.py): "free" generation
    (the paper's protocol; invalid answers and fallbacks are part of what is measured),
    "constrained" (default: generation under a JSON schema that admits only a well-formed answer naming a legal
    action, its free text at most `thoughts_max_chars` characters) or "choose" (the legal answers
    ranked by log-likelihood, no generation). Numbers of different modes are not comparable.
    max_tokens / temperature: decoding of every model call; max_retries: correction turns after an
    unusable answer before the recorded random fallback; history_window: history lines shown.
    rollouts: Monte Carlo rollouts per candidate action (M); perfect_information: roll out the
    true state instead of re-dealing hidden cards; rollout_engine: "auto" (compiled when
    the rules allow), "compiled" or "python" (values agree in distribution, not bit for bit); ks: the K of ODHR@K / ADR@K
    (ADR@1 is not reported: min(rank, 1) is 1 by definition).
    depletion_tie: "shared" or "none" (rules.py). scored_decisions: which decisions ODHR/ADR score:
    "clean" (default, the official protocol: only decisions whose every answer was usable; the
    official host saves a state for Monte Carlo scoring only when the decision had no JSON or
    choice error), "corrected" (also decisions that became valid after a correction turn) or
    "all" (also decisions played by the random fallback).
    """

    settings: tuple[str, ...] = ("1v1", "3p", "5p")
    opponents: tuple[str, ...] = ("random", "dqn")
    games_per_setting: int = 10
    rules: str = "uno_arena"
    hand_size: int = 7
    max_turns: int = 5000
    answer_mode: AnswerMode = "constrained"
    thoughts_max_chars: int = 80
    max_tokens: int = 256
    temperature: float = 0.0
    max_retries: int = 2
    history_window: int = 20
    rollouts: int = 200
    perfect_information: bool = False
    rollout_engine: str = "auto"
    ks: tuple[int, ...] = (1, 3)
    depletion_tie: DepletionTie = "shared"
    scored_decisions: str = "clean"

    def __post_init__(self) -> None:
        unknown = [s for s in self.settings if s not in SETTING_PLAYERS]
        if unknown or not self.settings:
            raise ValueError(f"settings must be among {sorted(SETTING_PLAYERS)}, got {list(self.settings)}")
        bad = [o for o in self.opponents if o not in OPPONENTS]
        if bad or not self.opponents:
            raise ValueError(f"opponents must be among {list(OPPONENTS)}, got {list(self.opponents)}")
        if self.rules not in ("uno_arena", "standard"):
            raise ValueError(f"rules must be 'uno_arena' or 'standard', got {self.rules!r}")
        if self.rules == "standard" and self.rollout_engine == "compiled":
            raise ValueError("the compiled rollout engine does not implement the standard rules' reshuffle")
        if self.max_turns < 1:
            raise ValueError("max_turns must be >= 1")
        if self.games_per_setting < 1 or self.rollouts < 1 or self.max_retries < 0 or self.max_tokens < 1:
            raise ValueError("games_per_setting, rollouts and max_tokens must be >= 1, max_retries >= 0")
        if not self.ks or any(k < 1 for k in self.ks):
            raise ValueError(f"ks must be positive integers, got {list(self.ks)}")
        if self.rollout_engine not in ("auto", "compiled", "python"):
            raise ValueError(f"rollout_engine must be auto, compiled or python, got {self.rollout_engine!r}")
        if self.scored_decisions not in SCORED_DECISIONS:
            raise ValueError(f"scored_decisions must be one of {', '.join(SCORED_DECISIONS)}, got {self.scored_decisions!r}")
        if self.answer_mode not in ANSWER_MODES:
            raise ValueError(f"answer_mode must be one of {', '.join(ANSWER_MODES)}, got {self.answer_mode!r}")
        if self.thoughts_max_chars < 0:
            raise ValueError(f"thoughts_max_chars must be >= 0, got {self.thoughts_max_chars}")
        if self.answer_mode == "constrained" and self.max_tokens < self.thoughts_max_chars + FRAME_TOKENS:
            raise ValueError(f"answer_mode=constrained with thoughts_max_chars={self.thoughts_max_chars} needs "
                             f"max_tokens >= {self.thoughts_max_chars + FRAME_TOKENS}, got {self.max_tokens}")
        if self.depletion_tie not in ("shared", "none"):
            raise ValueError(f"depletion_tie must be 'shared' or 'none', got {self.depletion_tie!r}")
