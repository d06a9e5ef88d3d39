"""CAIRO plugin: BOLD / HolisticBias / HONEST prompt-based fairness metrics and the study of their
correlation across models (Zayed et al., ACL 2024). See tasks/cairo/README.md."""

from bench.tasks.cairo.task import CairoBoldTask, CairoHolisticTask, CairoHonestTask

__all__ = ["CairoBoldTask", "CairoHolisticTask", "CairoHonestTask"]
