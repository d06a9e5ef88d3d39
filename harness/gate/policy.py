"""The gate's policy: alpha, family correction, tolerances by scope, and what fails the gate.

Read from TOML by `load_policy` (layout in its docstring and in docs/ci-gate.md). Every key is
checked; a bad policy is a `ConfigError` (exit code 2) naming the key.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from bench.harness.errors import ConfigError


@dataclass(frozen=True)
class ToleranceRule:
    """Tolerances for one scope (defaults, a metric name, a task, or one task's metric).

    None means "not set here": the next less specific scope decides (task+metric, then task,
    then metric name, then [default]).
    """

    abs_tolerance: float | None = None
    rel_tolerance: float | None = None
    ignore: bool | None = None
    allow_missing: bool | None = None  # a NaN/missing candidate value only warns instead of failing


_RULE_KEYS = frozenset({"abs_tolerance", "rel_tolerance", "ignore", "allow_missing"})


@dataclass(frozen=True)
class GatePolicy:
    """How strict the gate is. Load one from TOML with `load_policy` (see docs/ci-gate.md).

    alpha          family-wise false-alarm rate of one gate (one-sided tests, Holm-corrected)
    correction     "holm" or "none" (each metric tested at alpha on its own)
    default        tolerances for every metric; the defaults (0, 0) flag any significant drop
                   (allow_missing: a NaN or absent value in the candidate warns instead of failing)
    metrics        tolerances by metric name, in any task
    tasks          tolerances for all metrics of one task
    task_metrics   tolerances for one metric of one task, keyed (task, metric)
    resamples      bootstrap / permutation resamples
    seed           seed of the resampling, so a gate is reproducible
    min_paired_fraction   pair by id when the shared ids are at least this fraction of the larger run
    untestable     "warn" or "fail": a metric worse beyond tolerance with no way to test significance
    failed_task    "fail" or "warn": a task that ran fine in the baseline but failed in the candidate
    """

    alpha: float = 0.05
    correction: Literal["holm", "none"] = "holm"
    default: ToleranceRule = ToleranceRule(abs_tolerance=0.0, rel_tolerance=0.0, ignore=False, allow_missing=False)
    metrics: Mapping[str, ToleranceRule] = field(default_factory=dict)
    tasks: Mapping[str, ToleranceRule] = field(default_factory=dict)
    task_metrics: Mapping[tuple[str, str], ToleranceRule] = field(default_factory=dict)
    resamples: int = 9999
    seed: int = 0
    min_paired_fraction: float = 0.5
    untestable: Literal["warn", "fail"] = "warn"
    failed_task: Literal["fail", "warn"] = "fail"

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ConfigError(f"gate policy: alpha must be in (0, 1), got {self.alpha}")
        if self.correction not in ("holm", "none"):
            raise ConfigError(f"gate policy: correction must be 'holm' or 'none', got {self.correction!r}")
        if self.untestable not in ("warn", "fail"):
            raise ConfigError(f"gate policy: untestable must be 'warn' or 'fail', got {self.untestable!r}")
        if self.failed_task not in ("warn", "fail"):
            raise ConfigError(f"gate policy: failed_task must be 'warn' or 'fail', got {self.failed_task!r}")
        if self.resamples < 99:
            raise ConfigError(f"gate policy: resamples must be at least 99, got {self.resamples}")
        if not 0 < self.min_paired_fraction <= 1:
            raise ConfigError(f"gate policy: min_paired_fraction must be in (0, 1], got {self.min_paired_fraction}")

    def _resolve(self, task: str, metric: str, key: str) -> Any:
        scopes = [self.task_metrics.get((task, metric)), self.tasks.get(task), self.metrics.get(metric), self.default]
        return next(getattr(s, key) for s in scopes if s is not None and getattr(s, key) is not None)

    def rule_for(self, task: str, metric: str) -> tuple[float, float, bool]:
        """(abs_tolerance, rel_tolerance, ignore) for one metric: the most specific scope that sets each."""
        return (float(self._resolve(task, metric, "abs_tolerance")), float(self._resolve(task, metric, "rel_tolerance")),
                bool(self._resolve(task, metric, "ignore")))

    def allows_missing(self, task: str, metric: str) -> bool:
        """Whether a NaN or absent candidate value of this metric only warns (the policy's `allow_missing`)."""
        return bool(self._resolve(task, metric, "allow_missing"))

    def tolerance(self, task: str, metric: str, baseline_value: float) -> float:
        abs_tol, rel_tol, _ = self.rule_for(task, metric)
        return max(abs_tol, rel_tol * abs(baseline_value))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["metrics"] = {k: asdict(v) for k, v in self.metrics.items()}
        data["tasks"] = {k: asdict(v) for k, v in self.tasks.items()}
        data["task_metrics"] = {f"{t}/{m}": asdict(v) for (t, m), v in self.task_metrics.items()}
        return data


def _parse_rule(table: Any, where: str, extra_keys: frozenset[str] = frozenset()) -> ToleranceRule:
    if not isinstance(table, dict):
        raise ConfigError(f"gate policy: {where} must be a table")
    unknown = set(table) - _RULE_KEYS - extra_keys
    if unknown:
        raise ConfigError(
            f"gate policy: unknown key {sorted(unknown)[0]!r} in {where}; allowed: {', '.join(sorted(_RULE_KEYS))}"
        )
    values: dict[str, Any] = {}
    for key in ("abs_tolerance", "rel_tolerance"):
        if key in table:
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or not math.isfinite(value):
                raise ConfigError(f"gate policy: {where}.{key} must be a non-negative number, got {value!r}")
            values[key] = float(value)
    for key in ("ignore", "allow_missing"):
        if key in table:
            if not isinstance(table[key], bool):
                raise ConfigError(f"gate policy: {where}.{key} must be true or false, got {table[key]!r}")
            values[key] = table[key]
    return ToleranceRule(**values)


_TOP_KEYS: dict[str, type | tuple[type, ...]] = {
    "alpha": (int, float), "correction": str, "resamples": int, "seed": int, "min_paired_fraction": (int, float),
    "untestable": str, "failed_task": str,
}


def policy_from_dict(data: Mapping[str, Any]) -> GatePolicy:
    """Build a policy from the parsed TOML (see `load_policy` for the layout)."""
    unknown = set(data) - set(_TOP_KEYS) - {"default", "metrics", "tasks"}
    if unknown:
        allowed = ", ".join(sorted([*_TOP_KEYS, "default", "metrics", "tasks"]))
        raise ConfigError(f"gate policy: unknown key {sorted(unknown)[0]!r}; allowed: {allowed}")
    scalars: dict[str, Any] = {}
    for key, kind in _TOP_KEYS.items():
        if key in data:
            if isinstance(data[key], bool) or not isinstance(data[key], kind):
                raise ConfigError(f"gate policy: {key} has the wrong type: {data[key]!r}")
            scalars[key] = data[key]
    base = GatePolicy().default
    default = base
    if "default" in data:
        given = _parse_rule(data["default"], "[default]")
        default = ToleranceRule(
            abs_tolerance=given.abs_tolerance if given.abs_tolerance is not None else base.abs_tolerance,
            rel_tolerance=given.rel_tolerance if given.rel_tolerance is not None else base.rel_tolerance,
            ignore=given.ignore if given.ignore is not None else base.ignore,
            allow_missing=given.allow_missing if given.allow_missing is not None else base.allow_missing,
        )
    metrics_table = data.get("metrics", {})
    if not isinstance(metrics_table, dict):
        raise ConfigError("gate policy: [metrics] must be a table of metric names")
    metrics = {name: _parse_rule(rule, f"[metrics.{name}]") for name, rule in metrics_table.items()}
    tasks_table = data.get("tasks", {})
    if not isinstance(tasks_table, dict):
        raise ConfigError("gate policy: [tasks] must be a table of task names")
    tasks: dict[str, ToleranceRule] = {}
    task_metrics: dict[tuple[str, str], ToleranceRule] = {}
    for task, table in tasks_table.items():
        tasks[task] = _parse_rule(table, f"[tasks.{task}]", extra_keys=frozenset({"metrics"}))
        per_metric = table.get("metrics", {})
        if not isinstance(per_metric, dict):
            raise ConfigError(f"gate policy: [tasks.{task}.metrics] must be a table of metric names")
        for metric, rule in per_metric.items():
            task_metrics[(task, metric)] = _parse_rule(rule, f"[tasks.{task}.metrics.{metric}]")
    return GatePolicy(default=default, metrics=metrics, tasks=tasks, task_metrics=task_metrics, **scalars)


def load_policy(path: str | Path) -> GatePolicy:
    """Read a gate policy TOML file:

        alpha = 0.05                  # family-wise, one-sided
        [default]
        abs_tolerance = 0.0
        rel_tolerance = 0.0
        [metrics.win_rate]            # this metric name in every task
        abs_tolerance = 0.02
        [tasks.uno]                   # every metric of one task
        rel_tolerance = 0.05
        [tasks.uno.metrics.fb_score]  # one metric of one task
        ignore = true
        [tasks.uno.metrics.adr_at_3]
        allow_missing = true          # a NaN / absent candidate value warns instead of failing
    """
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text())
    except FileNotFoundError:
        raise ConfigError(f"gate policy file {str(file)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"gate policy file {str(file)!r} cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"gate policy file {str(file)!r} is not valid TOML: {exc}") from exc
    return policy_from_dict(data)
