"""Names -> task plugins, backends and CLI sub-commands, all through Python entry points.

Built-in plugins are declared in bench's own pyproject.toml exactly as a third party would
declare theirs, so `pip install my-bench-plugin` with an entry point in the group `bench.tasks`
adds a task without touching bench. This is the only module that knows every plugin.

Groups:
    bench.tasks     name -> task class (see harness/task.py for the contract)
    bench.backends  name -> Backend subclass, constructed as Backend(model, model_args, batch_size)
    bench.commands  name -> register(subparsers) adding one `bench <name>` sub-command

A command plugin is imported only when its command runs: `bench --help` lists it with the first
line of its module's docstring (read from the source file, not imported; a leading
"`bench NAME`:" is dropped), so a command whose module imports scipy costs nothing elsewhere.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.harness.errors import BenchError, UnknownNameError, UsageError
from bench.harness.task import Task

TASK_GROUP = "bench.tasks"
BACKEND_GROUP = "bench.backends"
COMMAND_GROUP = "bench.commands"


# Plugins registered in-process (notebooks, test suites) by `register_task`/`register_backend`;
# they take precedence over entry points of the same name.
_REGISTERED: dict[str, dict[str, Any]] = {}


@cache
def _installed_entry_points(group: str) -> dict[str, metadata.EntryPoint]:
    found: dict[str, metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=group):
        found.setdefault(ep.name, ep)
    return found


def _entry_points(group: str) -> dict[str, Any]:
    return {**_installed_entry_points(group), **_REGISTERED.get(group, {})}


def register_task(name: str, task_class: Any) -> None:
    """Register a task class under `name` for this process (no packaging needed)."""
    _REGISTERED.setdefault(TASK_GROUP, {})[name] = _Loaded(task_class)


def register_backend(name: str, backend_class: Any) -> None:
    _REGISTERED.setdefault(BACKEND_GROUP, {})[name] = _Loaded(backend_class)


class _Loaded:
    """Quacks like an EntryPoint whose target is already imported."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.value = f"{getattr(target, '__module__', '?')}:{getattr(target, '__qualname__', '?')}"

    def load(self) -> Any:
        return self.target


def task_names() -> list[str]:
    return sorted(_entry_points(TASK_GROUP))


def backend_names() -> list[str]:
    return sorted(_entry_points(BACKEND_GROUP))


def command_entry_points() -> dict[str, Any]:
    return dict(_entry_points(COMMAND_GROUP))


def command_summary(name: str) -> str | None:
    """The help line of plugin command `name` without importing it, or None when it cannot be read.

    The line is the first line of the docstring of the module its entry point names; found with
    the import system's finders (no package `__init__` along the way is executed) and parsed with
    `ast`. None tells the caller to import the plugin instead.
    """
    entry_point = command_entry_points().get(name)
    if entry_point is None or isinstance(entry_point, _Loaded):
        return None
    module = str(entry_point.value).split(":", 1)[0].strip()
    try:
        origin = _module_file(module)
        if origin is None:
            return None
        docstring = ast.get_docstring(ast.parse(origin.read_text(encoding="utf-8")))
    except (OSError, SyntaxError, ValueError, ImportError):
        return None
    if not docstring:
        return None
    line = docstring.strip().splitlines()[0].strip()
    line = re.sub(rf"^`bench {re.escape(name)}\b[^`]*`:\s*", "", line).rstrip(".")
    return line or None


def _module_file(module: str) -> Path | None:
    """The source file of a dotted module name, found without executing any package on the way."""
    parts = module.split(".")
    locations: list[str] | None = None
    spec = None
    for depth in range(1, len(parts) + 1):
        name = ".".join(parts[:depth])
        loaded = sys.modules.get(name)
        if loaded is not None and getattr(loaded, "__spec__", None) is not None:
            spec = loaded.__spec__
        else:
            spec = _find_spec(name, locations)
        if spec is None:
            return None
        locations = list(spec.submodule_search_locations or [])
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _find_spec(name: str, path: list[str] | None) -> Any:
    """importlib's own search (meta path finders, e.g. an editable install's mapping) minus the import."""
    if path is None:
        return importlib.util.find_spec(name)  # a top-level name: nothing above it to execute
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if find is None:
            continue
        spec = find(name, path)
        if spec is not None:
            return spec
    return None


def _load(group: str, kind: str, name: str) -> Any:
    entry_points = _entry_points(group)
    if name not in entry_points:
        raise UnknownNameError(kind, name, list(entry_points))
    try:
        return entry_points[name].load()
    except BenchError:
        raise
    except Exception as exc:  # a plugin that fails to import is a usage problem worth one line
        raise UsageError(f"{kind} {name!r} failed to load from {entry_points[name].value}: {type(exc).__name__}: {exc}") from exc


def load_task_class(name: str) -> type[Task]:
    """The task class registered as `name`: a `Task` subclass with its whole header, else one UsageError."""
    task_class = _load(TASK_GROUP, "task", name)
    if not (isinstance(task_class, type) and issubclass(task_class, Task)):
        raise UsageError(f"task {name!r} ({_target(name)}) is not a subclass of bench.harness.task.Task")
    missing = task_class.missing_header()
    if missing:
        raise UsageError(f"task {name!r} ({_target(name)}) lacks {', '.join(missing)} (see bench.harness.task.Task)")
    return task_class


def _target(name: str) -> str:
    return str(_entry_points(TASK_GROUP)[name].value)


def load_backend_class(name: str) -> Any:
    return _load(BACKEND_GROUP, "backend", name)


def _tasks_in_all() -> list[str]:
    """Tasks that run with their default options (a task sets `in_all = False` if it needs options)."""
    return [name for name in task_names() if load_task_class(name).in_all]


def task_groups() -> dict[str, list[str]]:
    """Group name -> its tasks (sorted), from every task class's `groups` header (loads all task classes)."""
    groups: dict[str, list[str]] = {}
    for name in task_names():
        for group in load_task_class(name).groups:
            groups.setdefault(group, []).append(name)
    return groups


def expand_task_names(spec: str | list[str] | tuple[str, ...]) -> list[str]:
    """'uno,codegenbias', a group ('cairo') or ['uno', ...] or 'all' -> validated, de-duplicated task names in order.

    A task name wins over a group of the same name; groups are looked up (loading every task
    class) only for a name that is not a task.
    """
    raw = spec.split(",") if isinstance(spec, str) else list(spec)
    names: list[str] = []
    for item in (s.strip() for s in raw):
        if not item:
            continue
        if item == "all":
            expanded = _tasks_in_all()
        elif item in _entry_points(TASK_GROUP):
            expanded = [item]
        else:
            groups = task_groups()
            if item not in groups:
                choices = task_names() + [f"{g} (group)" for g in sorted(groups)]
                raise UnknownNameError("task", item, choices)
            expanded = groups[item]
        for name in expanded:
            if name not in names:
                names.append(name)
    if not names:
        raise UsageError(f"no task given; choices: {', '.join(task_names())}")
    return names
