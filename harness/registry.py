"""Names -> task plugins, backends and CLI sub-commands, all through Python entry points.

Built-in plugins are declared in bench's own pyproject.toml exactly as a third party would
declare theirs, so `pip install my-bench-plugin` with an entry point in the group `bench.tasks`
adds a task without touching bench. This is the only module that knows every plugin.

Groups:
    bench.tasks     name -> task class (see harness/task.py for the contract)
    bench.backends  name -> Backend subclass, constructed as Backend(model, model_args, batch_size)
    bench.commands  name -> register(subparsers) adding one `bench <name>` sub-command
"""

from __future__ import annotations

from functools import cache
from importlib import metadata
from typing import Any

from bench.harness.errors import BenchError, UnknownNameError, UsageError

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


def load_task_class(name: str) -> Any:
    return _load(TASK_GROUP, "task", name)


def load_backend_class(name: str) -> Any:
    return _load(BACKEND_GROUP, "backend", name)


def _tasks_in_all() -> list[str]:
    """Tasks that run with their default options (a task sets `in_all = False` if it needs options)."""
    return [name for name in task_names() if getattr(load_task_class(name), "in_all", True)]


def expand_task_names(spec: str | list[str] | tuple[str, ...]) -> list[str]:
    """'uno,codegenbias' or ['uno', ...] or 'all' -> validated, de-duplicated task names in order."""
    raw = spec.split(",") if isinstance(spec, str) else list(spec)
    names: list[str] = []
    for item in (s.strip() for s in raw):
        if not item:
            continue
        for name in _tasks_in_all() if item == "all" else [item]:
            if name not in _entry_points(TASK_GROUP):
                raise UnknownNameError("task", name, task_names())
            if name not in names:
                names.append(name)
    if not names:
        raise UsageError(f"no task given; choices: {', '.join(task_names())}")
    return names
