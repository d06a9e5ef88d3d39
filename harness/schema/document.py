"""The result document as typed records: what `bench eval` writes and `show`, `gate` and
`leaderboard` read.

    ResultDocument
        schema_version, run_id, created_at
        model: ModelRecord            which weights, which backend and its arguments
        config: RunConfigRecord       the run's configuration (tasks, seed, limit, ...)
        tasks: {name: TaskResult}     version, config, status, metrics (MetricValue), samples file + sha256, plots
        provenance: Provenance        bench version, git revision, packages, hardware, seed, timing, cache hits

`to_json()` gives the strict-JSON dict written to `result.json` (validated against
`result.schema.json` beside this module; a test checks that the schema and these records name the
same fields), `from_json(data)` builds the records from a validated dict. On disk a metric
without a value is `null`; in memory it is NaN, so `MetricValue.value` is always a float and
`MetricValue.has_value` tells the two apart.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = "1.0"

Direction = Literal["higher", "lower", "none"]
TaskStatus = Literal["ok", "failed"]


def _finite_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class MetricValue:
    """One reported number with its direction, sample count and uncertainty.

    `stderr` and/or the (ci_low, ci_high) interval give the uncertainty (`ci_level`, default 0.95);
    both None means no interval could be given (e.g. n too small). `sample_field` names the field
    of the task's sample records that holds each sample's contribution when the metric is the mean
    of those values; `bench gate` uses it for paired significance tests. Leave it None for metrics
    that are not per-sample means. A value that could not be computed is NaN (null on disk).
    """

    name: str
    value: float
    direction: Direction
    n: int
    stderr: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float = 0.95
    sample_field: str | None = None
    description: str = ""

    @property
    def has_value(self) -> bool:
        """False when the value is missing (NaN, or null in the file)."""
        return self.value is not None and math.isfinite(self.value)

    @property
    def interval(self) -> tuple[float, float] | None:
        """The reported CI (ci_low, ci_high), or None when the metric reports none."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return float(self.ci_low), float(self.ci_high)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for key in ("value", "stderr", "ci_low", "ci_high"):
            data[key] = _finite_or_none(data[key])
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MetricValue:
        value = data.get("value")
        return cls(
            name=str(data["name"]),
            value=math.nan if value is None else float(value),
            direction=data["direction"],
            n=int(data["n"]),
            stderr=_optional_float(data.get("stderr")),
            ci_low=_optional_float(data.get("ci_low")),
            ci_high=_optional_float(data.get("ci_high")),
            ci_level=float(data.get("ci_level") or 0.95),
            sample_field=data.get("sample_field"),
            description=str(data.get("description") or ""),
        )


MetricRecord = MetricValue  # the name the result document's schema uses for it


@dataclass(frozen=True)
class PlotRecord:
    """A figure of a task, `path` relative to the run folder."""

    name: str
    path: str
    caption: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlotRecord:
        return cls(name=str(data["name"]), path=str(data["path"]), caption=str(data.get("caption") or ""))


@dataclass(frozen=True)
class TaskResult:
    """One task of a run: what ran (name, version, config), how it went, what it measured.

    `comparability_keys` names the config keys that change what the task's numbers mean (e.g. an
    answer mode): runs that differ in one of them are never ranked in one leaderboard column nor
    gated against each other. The task class declares them (`comparability_keys` ClassVar).
    """

    name: str
    version: str
    config: Mapping[str, Any]
    status: TaskStatus
    metrics: tuple[MetricValue, ...]
    samples_file: str | None
    n_samples: int
    plots: tuple[PlotRecord, ...]
    wall_time_s: float
    description: str = ""
    headline_metric: str | None = None
    error: str | None = None
    samples_sha256: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    comparability_keys: tuple[str, ...] = ()
    metrics_version: str | None = None  # the task's summarize version that computed `metrics`

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def metric(self, name: str | None) -> MetricValue | None:
        for m in self.metrics:
            if m.name == name:
                return m
        return None

    @property
    def headline(self) -> MetricValue | None:
        """The headline metric, or the first metric when the document names none (or a missing one)."""
        return self.metric(self.headline_metric) or (self.metrics[0] if self.metrics else None)

    @property
    def comparability(self) -> tuple[tuple[str, str], ...]:
        """(key, value as text) for each comparability key: equal tuples mean comparable numbers."""
        return tuple((key, repr(self.config.get(key))) for key in self.comparability_keys)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "config": dict(self.config),
            "comparability_keys": list(self.comparability_keys),
            "headline_metric": self.headline_metric,
            "metrics_version": self.metrics_version,
            "status": self.status,
            "error": self.error,
            "metrics": [m.to_json() for m in self.metrics],
            "samples_file": self.samples_file,
            "samples_sha256": self.samples_sha256,
            "n_samples": self.n_samples,
            "plots": [p.to_json() for p in self.plots],
            "extra": dict(self.extra),
            "wall_time_s": self.wall_time_s,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TaskResult:
        return cls(
            name=str(data["name"]),
            version=str(data["version"]),
            config=dict(data.get("config") or {}),
            status=data["status"],
            metrics=tuple(MetricValue.from_json(m) for m in data["metrics"]),
            samples_file=data.get("samples_file"),
            n_samples=int(data.get("n_samples") or 0),
            plots=tuple(PlotRecord.from_json(p) for p in data.get("plots") or ()),
            wall_time_s=float(data.get("wall_time_s") or 0.0),
            description=str(data.get("description") or ""),
            headline_metric=data.get("headline_metric"),
            error=data.get("error"),
            samples_sha256=data.get("samples_sha256"),
            extra=dict(data.get("extra") or {}),
            comparability_keys=tuple(data.get("comparability_keys") or ()),
            metrics_version=data.get("metrics_version"),
        )


@dataclass(frozen=True)
class ModelRecord:
    """The model under test: name, where its weights came from, their fingerprint, the backend.

    `architecture` is {family: attention|recurrent|hybrid|unknown, model_type, architectures,
    parameter_count, context_length} (bench.harness.architecture), None where the backend cannot
    tell (a hosted API, or a document written before it was recorded).
    """

    name: str
    source: str
    fingerprint: str
    backend: str
    backend_args: Mapping[str, Any]
    revision: str | None = None
    dtype: str | None = None
    device: str | None = None
    architecture: Mapping[str, Any] | None = None

    @property
    def architecture_family(self) -> str:
        """attention, recurrent, hybrid, or unknown (also when nothing was recorded)."""
        return str((self.architecture or {}).get("family") or "unknown")

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["backend_args"] = dict(self.backend_args)
        if self.architecture is None:
            data.pop("architecture")
        else:
            architecture = dict(self.architecture)
            architecture["architectures"] = list(architecture.get("architectures") or [])
            data["architecture"] = architecture
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelRecord:
        return cls(
            name=str(data["name"]), source=str(data["source"]), fingerprint=str(data["fingerprint"]),
            backend=str(data["backend"]), backend_args=dict(data.get("backend_args") or {}),
            revision=data.get("revision"), dtype=data.get("dtype"), device=data.get("device"),
            architecture=dict(data["architecture"]) if data.get("architecture") else None,
        )


@dataclass(frozen=True)
class RunConfigRecord:
    """The run's configuration: the typed keys every reader needs, the rest of EvalConfig in `options`."""

    tasks: tuple[str, ...]
    seed: int
    limit: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {**self.options, "tasks": list(self.tasks), "seed": self.seed, "limit": self.limit}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunConfigRecord:
        options = {k: v for k, v in data.items() if k not in ("tasks", "seed", "limit")}
        return cls(tasks=tuple(data["tasks"]), seed=int(data["seed"]), limit=data.get("limit"), options=options)


_PROVENANCE_OPTIONAL = ("git_dirty", "platform", "backend_requests", "batches", "backend_seconds", "command")


@dataclass(frozen=True)
class Provenance:
    """How the numbers were produced: software, hardware, seed, timing and request counts.

    Keys the schema does not name (a backend's or a later version's additions) are kept in `other`.
    """

    bench_version: str
    git_revision: str | None
    python: str
    packages: Mapping[str, str]
    hardware: Mapping[str, Any]
    seed: int
    started_at: str
    wall_time_s: float
    requests: int
    cache_hits: int
    git_dirty: bool | None = None
    platform: str | None = None
    backend_requests: int | None = None
    batches: int | None = None
    backend_seconds: float | None = None
    command: str | None = None
    other: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            **self.other,
            "bench_version": self.bench_version, "git_revision": self.git_revision, "python": self.python,
            "packages": dict(self.packages), "hardware": dict(self.hardware), "seed": self.seed,
            "started_at": self.started_at, "wall_time_s": self.wall_time_s, "requests": self.requests,
            "cache_hits": self.cache_hits,
        }
        for key in _PROVENANCE_OPTIONAL:
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Provenance:
        known = {f.name for f in dataclasses.fields(cls)} - {"other"}
        return cls(
            bench_version=str(data["bench_version"]), git_revision=data.get("git_revision"),
            python=str(data["python"]), packages=dict(data.get("packages") or {}),
            hardware=dict(data.get("hardware") or {}), seed=int(data["seed"]), started_at=str(data["started_at"]),
            wall_time_s=float(data["wall_time_s"]), requests=int(data["requests"]),
            cache_hits=int(data["cache_hits"]),
            **{key: data.get(key) for key in _PROVENANCE_OPTIONAL},
            other={k: v for k, v in data.items() if k not in known},
        )


@dataclass(frozen=True)
class ResultDocument:
    """One evaluation run of one model on one or more tasks (one `result.json`)."""

    schema_version: str
    run_id: str
    created_at: str
    model: ModelRecord
    config: RunConfigRecord
    tasks: Mapping[str, TaskResult]
    provenance: Provenance

    def task(self, name: str) -> TaskResult | None:
        return self.tasks.get(name)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "run_id": self.run_id,
            "created_at": self.created_at,
            "model": self.model.to_json(),
            "config": self.config.to_json(),
            "tasks": {name: task.to_json() for name, task in self.tasks.items()},
            "provenance": self.provenance.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResultDocument:
        """Records from a dict that passed `validate_result` (KeyError/TypeError/ValueError otherwise)."""
        return cls(
            schema_version=str(data["schema_version"]),
            run_id=str(data["run_id"]),
            created_at=str(data["created_at"]),
            model=ModelRecord.from_json(data["model"]),
            config=RunConfigRecord.from_json(data["config"]),
            tasks={name: TaskResult.from_json(task) for name, task in data["tasks"].items()},
            provenance=Provenance.from_json(data["provenance"]),
        )
