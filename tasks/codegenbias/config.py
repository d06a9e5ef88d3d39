"""Options of both CodeGenBias tasks (`--task-args codegenbias.split=dev,codegenbias.families=comment|docstring`).

Every option is checked when the config is built (`__post_init__` raises ValueError naming the
option, its allowed range and the value given), so a bad option stops the run before any model
is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.tasks.codegenbias.dataset import SPLITS
from bench.tasks.codegenbias.templates import FAMILY_BY_NAME

MAX_GENERATED_TOKENS = 4096  # a whole prompt rewritten takes ~120 tokens; more only invites rambling


def _check_int(name: str, value: object, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {allowed}, got {value}")


@dataclass(frozen=True)
class CodeGenBiasConfig:
    split: str = "test"  # test (256 professions, 3,328 prompts), train or dev
    split_seed: int = 0  # the profession split's shuffle seed; fixed so runs with different --seed compare
    sample_seed: int = 0  # seed of the stratified --limit sample; fixed for the same reason
    families: tuple[str, ...] = ()  # template families to keep; empty = all five
    top_professions: int = 20  # bars in the most-biased-professions plot

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {self.split!r}")
        if isinstance(self.families, str) or not all(isinstance(f, str) for f in self.families):
            raise ValueError(f"families must be a list of family names; choices: {', '.join(FAMILY_BY_NAME)}")
        unknown = set(self.families) - set(FAMILY_BY_NAME)
        if unknown:
            raise ValueError(f"unknown template families {sorted(unknown)}; choices: {', '.join(FAMILY_BY_NAME)}")
        _check_int("split_seed", self.split_seed, 0)
        _check_int("sample_seed", self.sample_seed, 0)
        _check_int("top_professions", self.top_professions, 1, 320)


@dataclass(frozen=True)
class CodeGenBiasGenConfig(CodeGenBiasConfig):
    max_tokens: int = 160  # generated tokens per prompt: enough to rewrite a whole prompt (<= ~120 tokens)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int("max_tokens", self.max_tokens, 1, MAX_GENERATED_TOKENS)
