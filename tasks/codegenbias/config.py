"""Options of both CodeGenBias tasks (`--task-args codegenbias.split=dev,codegenbias.families=comment|docstring`)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.tasks.codegenbias.dataset import SPLITS
from bench.tasks.codegenbias.templates import FAMILY_BY_NAME


@dataclass(frozen=True)
class CodeGenBiasConfig:
    split: str = "test"  # test (256 professions, 3,328 prompts), train or dev
    split_seed: int = 0  # the profession split's shuffle seed; fixed so runs with different --seed compare
    families: tuple[str, ...] = ()  # template families to keep; empty = all five
    top_professions: int = 20  # bars in the most-biased-professions plot

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {self.split!r}")
        unknown = set(self.families) - set(FAMILY_BY_NAME)
        if unknown:
            raise ValueError(f"unknown template families {sorted(unknown)}; choices: {', '.join(FAMILY_BY_NAME)}")
        if self.top_professions < 1:
            raise ValueError("top_professions must be >= 1")


@dataclass(frozen=True)
class CodeGenBiasGenConfig(CodeGenBiasConfig):
    max_tokens: int = 160  # generated tokens per prompt: enough to rewrite a whole prompt (<= ~120 tokens)
