"""The run configuration: one frozen dataclass, built from CLI flags and/or a TOML/YAML file.

A config file holds the same keys as the CLI flags (underscored), plus per-task arguments:

    model = "smollm2"
    backend = "hf"
    tasks = ["uno", "codegenbias"]
    limit = 8
    seed = 1234
    [model_args]
    dtype = "float32"
    [task_args.uno]
    games_per_setting = 4

Flags given on the command line override the file. Unknown keys are errors (a typo must not be
silently ignored).
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness.backends.base import _coerce, parse_model_args
from bench.harness.embedded_model import EMBEDDED_ALIAS
from bench.harness.errors import ConfigError


@dataclass(frozen=True)
class EvalConfig:
    tasks: tuple[str, ...]
    model: str = EMBEDDED_ALIAS
    backend: str = "hf"
    model_args: dict[str, Any] = field(default_factory=dict)
    task_args: dict[str, dict[str, Any]] = field(default_factory=dict)
    limit: int | None = None
    batch_size: int | str = "auto"
    seed: int = 1234
    output_path: str = "results"
    log_samples: bool = False
    use_cache: bool = True
    cache_path: str | None = None
    gate_against: str | None = None
    gate_policy: str | None = None
    show_progress: bool = True

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"--limit must be a positive integer, got {self.limit}")
        if not (self.batch_size == "auto" or (isinstance(self.batch_size, int) and self.batch_size >= 1)):
            raise ConfigError(f"--batch-size must be a positive integer or 'auto', got {self.batch_size!r}")

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["tasks"] = list(self.tasks)
        return data


_FILE_KEYS = {f.name for f in dataclasses.fields(EvalConfig)}


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Parse a TOML (.toml) or YAML (.yaml/.yml) or JSON config file into a dict of EvalConfig fields."""
    file = Path(path)
    if not file.exists():
        raise ConfigError(f"config file {str(file)!r} does not exist")
    text = file.read_text()
    try:
        if file.suffix == ".toml":
            data = tomllib.loads(text)
        elif file.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        elif file.suffix == ".json":
            data = json.loads(text)
        else:
            raise ConfigError(f"config file {str(file)!r} must end in .toml, .yaml, .yml or .json")
    except ConfigError:
        raise
    except Exception as exc:  # tomllib/yaml/json each raise their own error types
        raise ConfigError(f"config file {str(file)!r} is malformed: {' '.join(str(exc).split())}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {str(file)!r} must hold a table/mapping at the top level")
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise ConfigError(
            f"config file {str(file)!r} has unknown keys {sorted(unknown)}; choices: {', '.join(sorted(_FILE_KEYS))}"
        )
    if isinstance(data.get("tasks"), str):
        data["tasks"] = [t.strip() for t in data["tasks"].split(",") if t.strip()]
    return data


def parse_task_args(text: str | None) -> dict[str, dict[str, Any]]:
    """`uno.games_per_setting=4,codegenbias.split=dev` -> {"uno": {...}, "codegenbias": {...}}."""
    result: dict[str, dict[str, Any]] = {}
    for key, value in parse_model_args(text).items():
        if "." not in key:
            raise ConfigError(f"malformed --task-args item {key!r}: expected task.key=value")
        task, name = key.split(".", 1)
        result.setdefault(task, {})[name] = value
    return result


def build_task_config(task_name: str, config_class: type, args: dict[str, Any]) -> Any:
    """Instantiate a task's frozen config dataclass, checking names and basic types."""
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    unknown = set(args) - set(fields)
    if unknown:
        raise ConfigError(
            f"task {task_name!r} has no option(s) {sorted(unknown)}; choices: {', '.join(sorted(fields)) or '(none)'}"
        )
    hints = typing.get_type_hints(config_class)
    converted = {}
    for name, value in args.items():
        converted[name] = _convert(task_name, name, value, hints.get(name))
    try:
        return config_class(**converted)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"task {task_name!r} options are invalid: {exc}") from exc


def _convert(task: str, name: str, value: Any, hint: Any) -> Any:
    """Coerce strings from the CLI to the field's type; tuples from lists (TOML has no tuples)."""
    origin = typing.get_origin(hint)
    if origin is tuple and isinstance(value, (list, str)):
        items = value.split("|") if isinstance(value, str) else value
        inner = typing.get_args(hint)[0] if typing.get_args(hint) else str
        return tuple(_convert(task, name, _coerce(i) if isinstance(i, str) else i, inner) for i in items)
    if hint in (int, float) and isinstance(value, str):
        raise ConfigError(f"task {task!r} option {name!r} must be a number, got {value!r}")
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is str and not isinstance(value, str):
        return str(value)
    return value
