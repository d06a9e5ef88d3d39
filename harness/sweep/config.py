"""The sweep configuration file and the units it expands to.

A sweep is models x tasks x shards. A TOML file describes it:

    output = "sweep-results"        # a folder, or an fsspec URL (file://..., s3://bucket/path, ...)
    shards = 3                      # each (model, task) evaluated as 3 shards, merged at the end (1: unsharded)
    limit = 20                      # as `bench eval --limit`
    seed = 1234
    max_retries = 2                 # Ray re-runs a unit whose worker died this many times
    cache_dir = ""                  # per-node request caches (default: <bench cache>/sweep)

    [[models]]
    name = "smollm2"                # the label of its folders (default: a slug of `model`)
    model = "smollm2"
    backend = "hf"
    model_args = { dtype = "float32" }
    resources = { num_cpus = 2 }    # optional: override what the backend implies (num_cpus, num_gpus, memory_gb)

    [[tasks]]
    name = "rewardbench_length"
    task_args = { features = ["characters"] }

Every key is checked here, before Ray starts: unknown keys, wrong types and duplicate labels are
one ConfigError line naming the key. Models and task options are checked again by `bench eval`'s
own validation when the units are planned (harness/sweep/runner.py), so a typo in task_args fails
before any unit runs.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness.config import type_problem
from bench.harness.errors import ConfigError
from bench.harness.results import model_slug

__all__ = ["ModelSpec", "SweepConfig", "TaskSpec", "Unit", "read_sweep_config", "unit_resources"]


@dataclass(frozen=True)
class ModelSpec:
    """One model of the sweep: what `bench eval --model/--backend/--model-args` would say, plus a label."""

    model: str
    backend: str = "hf"
    model_args: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    resources: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.name or model_slug(self.model)


@dataclass(frozen=True)
class TaskSpec:
    name: str
    task_args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Unit:
    """One Ray task of the sweep: a model on a task, one shard of it (None: unsharded)."""

    model: ModelSpec
    task: TaskSpec
    shard: int | None
    shards: int

    @property
    def key(self) -> str:
        """A stable, path-safe id: `<model>/<task>/shard-<i>-of-<n>` (or `.../full`)."""
        part = "full" if self.shard is None else f"shard-{self.shard}-of-{self.shards}"
        return f"{self.model.label}/{self.task.name}/{part}"

    @property
    def shard_spec(self) -> str | None:
        return None if self.shard is None else f"{self.shard}/{self.shards}"


@dataclass(frozen=True)
class SweepConfig:
    models: tuple[ModelSpec, ...]
    tasks: tuple[TaskSpec, ...]
    output: str = "sweep-results"
    shards: int = 1
    limit: int | None = None
    seed: int = 1234
    max_retries: int = 2
    cache_dir: str = ""
    batch_size: int | str = "auto"

    def units(self) -> list[Unit]:
        """Every unit, models outermost: the order they are submitted in."""
        shard_ids: list[int | None] = [None] if self.shards == 1 else list(range(self.shards))
        return [Unit(m, t, s, self.shards) for m in self.models for t in self.tasks for s in shard_ids]


_TOP = {
    "output": str, "shards": int, "limit": int | None, "seed": int, "max_retries": int, "cache_dir": str,
    "batch_size": int | str, "models": list, "tasks": list,
}
_MODEL = {"model": str, "backend": str, "model_args": dict, "name": str, "resources": dict}
_TASK = {"name": str, "task_args": dict}
_RESOURCES = ("num_cpus", "num_gpus", "memory_gb")


def read_sweep_config(path: str | Path) -> SweepConfig:
    """Parse and check a sweep TOML file; ConfigError (one line, exit 2) naming the problem."""
    file = Path(path)
    where = f"sweep config {str(file)!r}"
    if not file.is_file():
        raise ConfigError(f"{where} does not exist (or is not a file)")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is malformed TOML: {exc}") from None
    return sweep_config_from_dict(data, where)


def sweep_config_from_dict(data: dict[str, Any], where: str = "sweep config") -> SweepConfig:
    _check_keys(data, _TOP, where)
    models = [_model(m, f"{where} models[{i}]") for i, m in enumerate(_table_list(data, "models", where))]
    tasks = [_task(t, f"{where} tasks[{i}]") for i, t in enumerate(_table_list(data, "tasks", where))]
    for kind, labels in (("model name", [m.label for m in models]), ("task", [t.name for t in tasks])):
        repeated = sorted({x for x in labels if labels.count(x) > 1})
        if repeated:
            raise ConfigError(f"{where}: {kind} {', '.join(map(repr, repeated))} appears twice; give each a distinct name")
    options = {k: v for k, v in data.items() if k not in ("models", "tasks")}
    config = SweepConfig(models=tuple(models), tasks=tuple(tasks), **options)
    if config.shards < 1:
        raise ConfigError(f"{where}: shards must be >= 1, got {config.shards}")
    if config.limit is not None and config.limit < 1:
        raise ConfigError(f"{where}: limit must be a positive integer, got {config.limit}")
    if config.max_retries < 0:
        raise ConfigError(f"{where}: max_retries must be >= 0, got {config.max_retries}")
    if not (config.batch_size == "auto" or (isinstance(config.batch_size, int) and config.batch_size >= 1)):
        raise ConfigError(f"{where}: batch_size must be a positive integer or 'auto', got {config.batch_size!r}")
    return config


def _table_list(data: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    items = data.get(key)
    if not items:
        raise ConfigError(f"{where} has no [[{key}]] entries; a sweep needs at least one")
    return items  # type: ignore[no-any-return]


def _check_keys(data: Any, schema: dict[str, Any], where: str) -> None:
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(data) - set(schema))
    if unknown:
        raise ConfigError(f"{where} has unknown keys {unknown}; choices: {', '.join(sorted(schema))}")
    for key, value in data.items():
        problem = type_problem(value, schema[key])
        if problem:
            raise ConfigError(f"{where}: {key!r} {problem}")


def _model(data: Any, where: str) -> ModelSpec:
    _check_keys(data, _MODEL, where)
    if "model" not in data:
        raise ConfigError(f"{where} needs model = \"...\" (a model name, folder or hub id)")
    resources = data.get("resources", {})
    for key, value in resources.items():
        if key not in _RESOURCES:
            raise ConfigError(f"{where}: unknown resource {key!r}; choices: {', '.join(_RESOURCES)}")
        problem = type_problem(value, float)
        if problem or value < 0:
            raise ConfigError(f"{where}: resources.{key} must be a number >= 0, got {value!r}")
    return ModelSpec(**{**data, "resources": {k: float(v) for k, v in resources.items()}})


def _task(data: Any, where: str) -> TaskSpec:
    _check_keys(data, _TASK, where)
    if "name" not in data:
        raise ConfigError(f"{where} needs name = \"...\" (a registered task)")
    return TaskSpec(**data)


def unit_resources(model: ModelSpec) -> dict[str, float]:
    """What one unit of `model` asks Ray for: `num_cpus`, `num_gpus` and `memory` (bytes).

    From the backend: vllm takes tensor x pipeline x data parallel GPUs (default 1), or none when
    its workers run as Ray actors (`distributed_executor_backend=ray` or `data_parallel_backend=ray`:
    vLLM then reserves the GPUs in its own placement group, and a unit holding them too would wait
    for itself on a node with just that many GPUs); hf takes one
    GPU when `device` is cuda/cuda:N and none otherwise (`device=auto` does not reserve one: say
    `device=cuda` on a GPU cluster); openai and fake take no GPU. One CPU each. Memory only when
    the model's `resources.memory_gb` says so (Ray's memory is a scheduling reservation, not a
    limit). `resources` in the sweep file overrides each value.
    """
    args = model.model_args
    gpus = 0.0
    if model.backend == "vllm":
        gpus = 1.0
        for key in ("tensor_parallel_size", "pipeline_parallel_size", "data_parallel_size"):
            gpus *= float(args.get(key, 1) or 1)
        if "ray" in (args.get("distributed_executor_backend"), args.get("data_parallel_backend")):
            gpus = 0.0
    elif model.backend == "hf" and str(args.get("device", "auto")).startswith("cuda"):
        gpus = 1.0
    resources = {"num_cpus": 1.0, "num_gpus": gpus}
    resources.update({k: v for k, v in model.resources.items() if k != "memory_gb"})
    if "memory_gb" in model.resources:
        resources["memory"] = float(int(model.resources["memory_gb"] * 2**30))
    return resources


def describe(config: SweepConfig) -> dict[str, Any]:
    """The sweep as JSON (written beside the results as sweep.json)."""
    return dataclasses.asdict(config)
