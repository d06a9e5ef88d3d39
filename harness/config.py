"""The run configuration: one frozen dataclass, built from CLI flags and/or a TOML/YAML/JSON file.

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

Flags given on the command line override the file. Every value is checked against the field's
type annotation here, before any model loads: unknown keys, values of the wrong type and task
options that the task's config class rejects are `ConfigError`s (exit 2) naming the key. A typo
must not be silently ignored.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness.backends.base import _coerce, parse_model_args
from bench.harness.embedded_model import EMBEDDED_ALIAS
from bench.harness.errors import ConfigError
from bench.harness.sharding import Shard


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
    rebuild_cache: bool = False  # a corrupt cache file is moved aside and rebuilt from its readable rows
    gate_against: str | None = None
    gate_policy: str | None = None
    show_progress: bool = True
    shard: str | None = None  # "i/n": evaluate part i (0-based) of n of every task's units

    def __post_init__(self) -> None:
        _check_task_args_shape(self.task_args, "configuration")
        hints = typing.get_type_hints(EvalConfig)
        for f in dataclasses.fields(self):
            problem = type_problem(getattr(self, f.name), hints[f.name])
            if problem:
                raise ConfigError(f"configuration key {f.name!r} {problem}")
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"--limit must be a positive integer, got {self.limit}")
        if not (self.batch_size == "auto" or (isinstance(self.batch_size, int) and self.batch_size >= 1)):
            raise ConfigError(f"--batch-size must be a positive integer or 'auto', got {self.batch_size!r}")
        if not self.tasks:
            raise ConfigError("no tasks given: use --tasks a,b or a config file")
        if self.shard is not None:
            try:
                Shard.parse(self.shard)
            except ValueError as exc:
                raise ConfigError(f"--shard: {exc}") from None

    @property
    def shard_part(self) -> Shard | None:
        """The parsed `shard` ("i/n"), None for an unsharded run."""
        return None if self.shard is None else Shard.parse(self.shard)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["tasks"] = list(self.tasks)
        return data


_FILE_KEYS = {f.name for f in dataclasses.fields(EvalConfig)}


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Parse a TOML (.toml) or YAML (.yaml/.yml) or JSON config file into a dict of EvalConfig fields.

    Raises ConfigError for a missing path, a folder, a file that is not UTF-8 text, a syntax error,
    a top level that is not a table, unknown keys (listing the valid ones) and values whose type
    does not match the EvalConfig field.
    """
    file = Path(path)
    where = f"config file {str(file)!r}"
    if not file.exists():
        raise ConfigError(f"{where} does not exist")
    if file.is_dir():
        raise ConfigError(f"{where} is a folder, not a .toml/.yaml/.json file")
    if file.suffix not in (".toml", ".yaml", ".yml", ".json"):
        raise ConfigError(f"{where} must end in .toml, .yaml, .yml or .json")
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not a UTF-8 text file (binary?)") from None
    if "\x00" in text:
        raise ConfigError(f"{where} is not a text file (it contains NUL bytes)")
    try:
        if file.suffix == ".toml":
            data = tomllib.loads(text)
        elif file.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = json.loads(text)
    except RecursionError:
        raise ConfigError(f"{where} is nested too deeply") from None
    except Exception as exc:  # tomllib/yaml/json each raise their own error types
        raise ConfigError(f"{where} is malformed: {' '.join(str(exc).split())}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must hold a table/mapping at the top level")
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise ConfigError(f"{where} has unknown keys {sorted(unknown)}; choices: {', '.join(sorted(_FILE_KEYS))}")
    if isinstance(data.get("tasks"), str):
        data["tasks"] = [t.strip() for t in data["tasks"].split(",") if t.strip()]
    _check_task_args_shape(data.get("task_args", {}), where)
    hints = typing.get_type_hints(EvalConfig)
    for key, value in data.items():
        hint = list[str] if key == "tasks" else hints[key]
        problem = type_problem(value, hint)
        if problem:
            raise ConfigError(f"{where}: {key!r} {problem}")
    return data


def _check_task_args_shape(task_args: Any, where: str) -> None:
    """task_args must map each task name to a table of its options (`[task_args.uno] max_turns = 20`)."""
    if not isinstance(task_args, dict):
        return  # the field's own type check words this one
    for task, options in task_args.items():
        if not isinstance(options, dict):
            raise ConfigError(
                f"{where}: task_args.{task} must be a table of that task's options "
                f"(e.g. [task_args.{task}] key = value), got {_describe(options)}"
            )


def type_problem(value: Any, hint: Any) -> str | None:
    """None if `value` fits the type annotation `hint`, else a phrase saying what was expected and got.

    Understands the annotations configs use: str, int (never bool), float (int accepted), bool,
    None, unions, Literal, tuple[X, ...], list[X], dict[K, V] and Any. NaN/inf floats are rejected.
    """
    if _fits(value, hint):
        return None
    return f"must be {_expected(hint)}, got {_describe(value)}"


def _fits(value: Any, hint: Any) -> bool:
    if hint is Any or hint is object:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if origin is typing.Literal:
        return value in args
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if hint is str:
        return isinstance(value, str)
    if origin is tuple or hint is tuple:
        if not isinstance(value, tuple):
            return False
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            return not args or all(_fits(v, args[0]) for v in value)
        return len(args) == len(value) and all(_fits(v, a) for v, a in zip(value, args))
    if origin is list or hint is list:
        return isinstance(value, list) and (not args or all(_fits(v, args[0]) for v in value))
    if origin is dict or hint is dict:
        return isinstance(value, dict) and (
            not args or all(_fits(k, args[0]) and _fits(v, args[1]) for k, v in value.items())
        )
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True  # an annotation we do not understand is not the user's fault


def _expected(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_expected(a) for a in args)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if hint is None or hint is type(None):
        return "unset"
    if origin is tuple or origin is list or hint in (tuple, list):
        plural = {bool: "true/false values", int: "integers", float: "numbers", str: "strings"}
        return f"a list of {plural.get(args[0], _expected(args[0]))}" if args else "a list"
    if origin is dict or hint is dict:
        return "a table (mapping)"
    names = {bool: "true or false", int: "an integer", float: "a finite number", str: "a string"}
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def parse_task_args(text: str | None) -> dict[str, dict[str, Any]]:
    """`uno.games_per_setting=4,codegenbias.split=dev` -> {"uno": {...}, "codegenbias": {...}}."""
    result: dict[str, dict[str, Any]] = {}
    for key, value in parse_model_args(text).items():
        task, _, name = key.partition(".")
        if not task or not name:
            raise ConfigError(f"malformed --task-args item {key!r}: expected task.key=value")
        result.setdefault(task, {})[name] = value
    return result


def build_task_config(task_name: str, config_class: type, args: dict[str, Any]) -> Any:
    """Instantiate a task's frozen config dataclass, checking names, types and its own checks.

    Values from the CLI arrive as strings/numbers and are converted to the annotated type
    (lists become tuples); whatever still does not fit the annotation, and any ValueError/TypeError
    raised by the class's `__post_init__`, becomes a ConfigError naming `task.key`.
    """
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    unknown = set(args) - set(fields)
    if unknown:
        raise ConfigError(
            f"task {task_name!r} has no option(s) {sorted(unknown)}; choices: {', '.join(sorted(fields)) or '(none)'}"
        )
    hints = typing.get_type_hints(config_class)
    converted = {}
    for name, value in args.items():
        hint = hints.get(name, Any)
        converted[name] = _convert(task_name, name, value, hint)
        problem = type_problem(converted[name], hint)
        if problem:
            raise ConfigError(f"task option {task_name}.{name} {problem}")
    try:
        return config_class(**converted)
    except (TypeError, ValueError) as exc:
        named = [f"{task_name}.{k}" for k in args if k in str(exc)] or [f"{task_name}.{k}" for k in args]
        label = ", ".join(named) if named else task_name
        raise ConfigError(f"task option {label} is invalid: {' '.join(str(exc).split())}") from exc


def _convert(task: str, name: str, value: Any, hint: Any) -> Any:
    """Coerce strings from the CLI to the field's type; tuples from lists (TOML has no tuples)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(hint):
            if option is not type(None) and typing.get_origin(option) is tuple:
                return _convert(task, name, value, option)
        return value
    if origin is tuple and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]  # `seeds=1` on the CLI is a one-element list, not a number
    if origin is tuple and isinstance(value, (list, str)):
        items = value.split("|") if isinstance(value, str) else value
        inner = typing.get_args(hint)[0] if typing.get_args(hint) else str
        return tuple(_convert(task, name, _coerce(i) if isinstance(i, str) else i, inner) for i in items)
    if hint in (int, float) and isinstance(value, str):
        raise ConfigError(f"task option {task}.{name} must be a number, got {value!r}")
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # `split=2024` from the CLI is a name, not a number
    return value


def check_output_locations(config: EvalConfig) -> None:
    """Fail before any model loads if the run could not write its results or its request cache.

    `output_path` must be a folder (or creatable as one) we can write in; `cache_path` must be a
    file (or creatable) in a writable folder. Writability is probed with a temporary file, since
    permission bits do not tell the truth for root or on read-only mounts.
    """
    _check_writable_folder(Path(config.output_path), "--output-path")
    if config.use_cache and config.cache_path:
        cache = Path(config.cache_path)
        if cache.is_dir():
            raise ConfigError(f"--cache-path {str(cache)!r} is a folder; give a file such as {str(cache / 'requests.sqlite')!r}")
        if cache.exists() and not os.access(cache, os.R_OK | os.W_OK):
            raise ConfigError(f"--cache-path {str(cache)!r} is not readable and writable")
        _check_writable_folder(cache.parent, "--cache-path", shown=cache)


def _check_writable_folder(folder: Path, flag: str, shown: Path | None = None) -> None:
    shown = shown or folder
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{flag} {str(shown)!r} cannot be used: {str(existing)!r} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=existing, prefix=".bench-write-probe-"):
            pass
    except OSError as exc:
        raise ConfigError(f"{flag} {str(shown)!r} is not writable ({str(existing)!r}: {exc.strerror or exc})") from None
