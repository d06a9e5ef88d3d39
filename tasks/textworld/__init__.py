"""TextWorld plugin: Introspective Tips (Chen et al. 2023, arXiv 2305.11598) on generated cooking games.

Tasks `textworld_tips_self`, `textworld_tips_expert`, `textworld_tips_cross` (group `textworld`):
the tips agent against the plain and Reflexion baselines. Games, environment and agents live in
bench.arenas.textworld, the metric math in bench.metrics.textworld_scores.
"""

from bench.tasks.textworld.config import TextWorldConfig, TipsCrossConfig, TipsExpertConfig, TipsSelfConfig
from bench.tasks.textworld.task import TextWorldTipsCrossTask, TextWorldTipsExpertTask, TextWorldTipsSelfTask

__all__ = [
    "TextWorldConfig",
    "TextWorldTipsCrossTask",
    "TextWorldTipsExpertTask",
    "TextWorldTipsSelfTask",
    "TipsCrossConfig",
    "TipsExpertConfig",
    "TipsSelfConfig",
]
