"""The contract between the scheduler and a task plugin.

A task is a class with

    name: str                      # registry name, e.g. "uno"
    version: str                   # bump when prompts, data or scoring change (the gate refuses
                                   # to compare different versions)
    config_class: type             # a frozen dataclass of the task's knobs, all with defaults
    request_kinds: frozenset[RequestKind]   # what it will ask the model for
    headline_metric: str           # the metric the leaderboard shows in its overview
    comparability_keys: tuple[str, ...]   # optional: config keys whose values make numbers
                                   # incomparable (split leaderboard columns, refused by the gate)
    async def run(self, ctx: TaskContext) -> TaskOutput

The scheduler builds the config from `--task-args` (or a config file), checks the backend
can serve `request_kinds`, and awaits `run` concurrently with every other task of the run. The
task never touches a backend: it awaits `ctx.model` (a `ModelClient`), which batches and caches.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from bench.harness.requests import RequestKind
from bench.harness.schema.document import Direction, MetricValue

__all__ = ["Direction", "MetricValue", "Plot", "Task", "TaskContext", "TaskOutput"]

if TYPE_CHECKING:
    from bench.harness.client import ModelClient
    from bench.harness.progress import Progress


@dataclass(frozen=True)
class Plot:
    """A figure a task wrote into its artifacts folder (path relative to that folder)."""

    name: str
    path: str
    caption: str = ""


@dataclass
class TaskOutput:
    """What `Task.run` returns. `samples` are JSON-serialisable dicts, each with a unique "id"."""

    metrics: list[MetricValue]
    samples: list[dict[str, Any]] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # task-specific tables, JSON-serialisable

    def metric(self, name: str) -> MetricValue:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(f"no metric {name!r}; have {[m.name for m in self.metrics]}")


@dataclass
class TaskContext:
    """Everything a running task may use.

    `limit` caps the number of samples (or games, prompts...) the task evaluates, None = all.
    `rng` is seeded from the run seed and the task name, so each task's randomness is
    reproducible and independent of which other tasks share the run. `artifacts_dir` is where
    the task writes plots; `log_samples` asks for full prompts/responses in sample records.
    """

    model: ModelClient
    config: Any
    seed: int
    limit: int | None
    artifacts_dir: Path
    progress: Progress
    log_samples: bool = False
    rng: random.Random = field(default_factory=random.Random)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("bench.task"))
    # load_model(model, backend=None, model_args=None) -> ModelClient: an extra model for the task
    # (e.g. a DPO reference model), sharing the run's cache. Set by the scheduler.
    load_model: Callable[..., ModelClient] | None = None


class Task(Protocol):
    name: ClassVar[str]
    version: ClassVar[str]
    config_class: ClassVar[type]
    request_kinds: ClassVar[frozenset[RequestKind]]
    headline_metric: ClassVar[str]
    description: ClassVar[str]

    async def run(self, ctx: TaskContext) -> TaskOutput: ...
