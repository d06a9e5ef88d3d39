"""UNO Arena plugin (Qin et al. 2024, arXiv 2406.16382): tasks `uno` (vanilla LLM player) and
`uno_tutri` (TuTri player). Game engine and players live in bench.arenas.uno, metric math in
bench.metrics.uno_win_rate and bench.metrics.uno_decisions."""

from bench.tasks.uno.config import UnoConfig
from bench.tasks.uno.task import UnoTask, UnoTutriTask

__all__ = ["UnoConfig", "UnoTask", "UnoTutriTask"]
