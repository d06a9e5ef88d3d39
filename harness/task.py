"""The contract between the scheduler and a task plugin.

A task is a subclass of `Task` that sets its class header and implements `run` and `summarize`:

    class UnoTask(Task):
        name = "uno"                    # registry name
        version = "2"                   # bump when prompts, data or scoring change (the gate refuses
                                        # to compare different versions)
        config_class = UnoConfig        # a frozen dataclass of the task's knobs, all with defaults
        request_kinds = frozenset({RequestKind.CHAT})   # what it may ask the model for
        headline_metric = "win_rate"    # the metric the summary and the leaderboard lead with
        description = "..."             # one line for `bench list tasks`
        metrics_version = "1"           # bump when summarize's arithmetic changes (rescore stamps it)
        # optional: in_all = False (not part of `--tasks all`), comparability_keys = ("answer_mode",)
        # (config keys whose values make numbers incomparable: split leaderboard columns, refused
        # by the gate), groups = ("cairo",) (`--tasks cairo` runs every task of the group),
        # request_kinds_for(config, capabilities) when the kinds depend on options,
        # constraint_kinds_for(config) when it asks for constrained generation.

        async def run(self, ctx: TaskContext) -> list[dict]: ...          # the sample records
        def summarize(self, samples, config, ctx: SummaryContext) -> Summary: ...   # records -> metrics

`run` talks to the model and returns the sample records (JSON-serialisable dicts, each with a
unique "id"); everything a metric needs is in them. `summarize` is a pure function of the
records and the config: it gets them exactly as written to the samples file (JSON round-tripped,
sorted by id), so `bench rescore` can recompute a finished run's metrics after a metric fix and
`bench merge` can combine the shards of a run (`ctx.take_shard`) into the unsharded run's numbers.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from bench.harness.requests import RequestKind
from bench.harness.schema.document import Direction, MetricValue
from bench.harness.sharding import Shard, take_shard

__all__ = ["Direction", "MetricValue", "Plot", "Shard", "Summary", "SummaryContext", "Task", "TaskContext"]

T = TypeVar("T")

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
class Summary:
    """What `Task.summarize` returns: the metrics, the plots it wrote and task-specific tables."""

    metrics: list[MetricValue]
    plots: list[Plot] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # JSON-serialisable

    def metric(self, name: str) -> MetricValue:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(f"no metric {name!r}; have {[m.name for m in self.metrics]}")


@dataclass
class SummaryContext:
    """What `Task.summarize` may use besides the records and config.

    `seed` is the task's seed (bootstrap resampling must draw from it, so a rescore reproduces the
    run's intervals); `artifacts_dir` is where plots go (paths in `Plot` are relative to it).
    """

    seed: int
    artifacts_dir: Path
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("bench.task"))


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
    # This run's part of every task's units (`bench eval --shard i/n`); None = the whole task.
    shard: Shard | None = None
    run_seed: int = 0  # the run's seed: the shard partition depends on it, not on the task seed

    def take_shard(
        self, items: Sequence[T], key: Callable[[T], str], stratum: Callable[[T], str] | None = None
    ) -> list[T]:
        """This shard's units of `items` (all of them when the run is not sharded).

        Call it in `run` after applying `limit`, on the units the task evaluates; `key` gives each
        unit a unique, stable id, `stratum` the group every shard should get an equal share of.
        See bench.harness.sharding.
        """
        return take_shard(items, self.shard, self.run_seed, key, stratum)


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
    metrics_version: ClassVar[str] = "1"
    in_all: ClassVar[bool] = True
    comparability_keys: ClassVar[tuple[str, ...]] = ()
    groups: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def missing_header(cls) -> list[str]:
        """The required header attributes (and `run`, `summarize`) this class does not define; the registry refuses such a task."""
        missing = [attr for attr in cls.REQUIRED_HEADER if not hasattr(cls, attr)]
        return missing + [m for m in ("run", "summarize") if getattr(cls, m) is getattr(Task, m)]

    def request_kinds_for(self, config: Any, capabilities: frozenset[RequestKind]) -> frozenset[RequestKind]:
        """The request kinds this configuration will ask for (default: all of `request_kinds`)."""
        return self.request_kinds

    def constraint_kinds_for(self, config: Any) -> frozenset[str]:
        """The constraint kinds ("choice", "regex", "json") this configuration's generation requests use."""
        return frozenset()

    async def run(self, ctx: TaskContext) -> list[dict[str, Any]]:
        """The task's sample records (each a JSON-serialisable dict with a unique "id")."""
        # Never reached through the scheduler: the registry refuses a task that does not override it.
        raise NotImplementedError(f"task {self.name!r} does not implement run")

    def summarize(self, samples: list[dict[str, Any]], config: Any, ctx: SummaryContext) -> Summary:
        """Metrics, plots and tables from the sample records alone (pure: no model, no clock)."""
        raise NotImplementedError(f"task {self.name!r} does not implement summarize")

    @classmethod
    def implements_summarize(cls) -> bool:
        return cls.summarize is not Task.summarize
