"""The contract between the scheduler and a task plugin.

A task is a subclass of `Task` that sets its class header and implements `run`:

    class UnoTask(Task):
        name = "uno"                    # registry name
        version = "2"                   # bump when prompts, data or scoring change (the gate refuses
                                        # to compare different versions)
        config_class = UnoConfig        # a frozen dataclass of the task's knobs, all with defaults
        request_kinds = frozenset({RequestKind.CHAT})   # what it may ask the model for
        headline_metric = "win_rate"    # the metric the summary and the leaderboard lead with
        description = "..."             # one line for `bench list tasks`
        # optional: in_all = False (not part of `--tasks all`), comparability_keys = ("answer_mode",)
        # (config keys whose values make numbers incomparable: split leaderboard columns, refused
        # by the gate), request_kinds_for(config, capabilities) when the kinds depend on options.

        async def run(self, ctx: TaskContext) -> TaskOutput: ...

The registry refuses a plugin that is not a `Task` subclass or lacks a required header attribute
with one line when it loads it, before any model loads (an intermediate base class without a
`name`, shared by several tasks, is fine as long as it is not registered itself).

The scheduler builds the config from `--task-args` (or a config file), checks the backend
can serve `request_kinds_for(config, ...)`, and awaits `run` concurrently with every other task
of the run. The task never touches a backend: it awaits `ctx.model` (a `ModelClient`), which
batches and caches.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

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


class Task:
    """Base of every task plugin: the class header the scheduler, registry and leaderboard read.

    Required (checked by the registry when it loads the task): `name`, `version`, `config_class`,
    `request_kinds`, `headline_metric`. The others have defaults. Subclasses of a concrete task
    (e.g. `uno_tutri` from `uno`) inherit its header and override what differs.
    """

    REQUIRED_HEADER: ClassVar[tuple[str, ...]] = ("name", "version", "config_class", "request_kinds", "headline_metric")

    name: ClassVar[str]
    version: ClassVar[str]
    config_class: ClassVar[type]
    request_kinds: ClassVar[frozenset[RequestKind]]
    headline_metric: ClassVar[str]
    description: ClassVar[str] = ""
    in_all: ClassVar[bool] = True
    comparability_keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def missing_header(cls) -> list[str]:
        """The required header attributes (and `run`) this class does not define; the registry refuses such a task."""
        missing = [attr for attr in cls.REQUIRED_HEADER if not hasattr(cls, attr)]
        return missing + (["run"] if cls.run is Task.run else [])

    def request_kinds_for(self, config: Any, capabilities: frozenset[RequestKind]) -> frozenset[RequestKind]:
        """The request kinds this configuration will ask for (default: all of `request_kinds`)."""
        return self.request_kinds

    async def run(self, ctx: TaskContext) -> TaskOutput:
        # Never reached through the scheduler: the registry refuses a task that does not override it.
        raise NotImplementedError(f"task {self.name!r} does not implement run")
