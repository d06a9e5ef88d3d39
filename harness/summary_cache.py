"""Cached summaries: a repeat of a run whose sample records are unchanged takes each task's metrics,
plots and tables from the derived-artefact store instead of recomputing them (and never imports
the libraries the summaries use: scipy.stats, pandas, statsmodels, matplotlib).

`Task.summarize` is a pure function of the records as written, the task's config and seed, the
code and the installed libraries (harness/task.py). The entry of one summary is keyed by sha256 of:

- the records exactly as the samples file holds them (`jsonl_bytes`: the file's sha256 material);
- the task (module, class, name, version, metrics version), its config (type, canonical JSON of
  every field, and its repr) and its seed;
- every file of bench's packages, sources and shipped data (`derived_cache.package_digest`), and
  of the task's own top-level package when it is a plugin outside bench (or its one module file);
- the Python installation (`installation_key`: changes when any package is installed, upgraded or
  removed), the versions of the summaries' numeric libraries and the machine architecture.

An entry holds the summary as JSON (metrics, plots, extra tables), the bytes of every file the
summary wrote under its artifacts folder, and the log records (INFO and above) it emitted, which
a hit logs again. A summary is stored only when the JSON round trip gives the same result
document (no value that JSON cannot carry), when it wrote no absolute path of its run folder into
its tables, deleted no file, and its entry is at most `MAX_ENTRY_BYTES`. An entry that cannot be
read back (corrupt, another format, a path outside the folder) is a miss: the summary is computed.
Active only inside `derived_cache.using_derived_store` (runs that use the request cache).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import logging
import platform
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from bench.harness import derived_cache
from bench.harness.atomic_files import write_bytes_atomic
from bench.harness.derived_cache import active_store, installed_versions, lookup_json, store_json
from bench.harness.results import json_safe, jsonl_bytes
from bench.harness.task import MetricValue, Plot, Summary, Task
from bench.harness.transformers_import import installation_key

log = logging.getLogger(__name__)

KIND = "summary-v1"
MAX_ENTRY_BYTES = 32 * 1024 * 1024  # a summary with more (huge tables or plots) is recomputed each time
SUMMARY_LIBRARIES = ("numpy", "scipy", "pandas", "statsmodels", "matplotlib", "scikit-learn", "lm_eval")

Snapshot = dict[str, tuple[int, int, int]]  # relative path -> (size, mtime_ns, inode)


def summary_key(task: Task, samples: list[dict[str, Any]], config: Any, seed: int) -> list[str] | None:
    """The key parts of a summary (see the module docstring), or None when the config cannot be
    keyed (not a dataclass record, or not JSON) or the task's code cannot be read: such a summary
    is always computed."""
    if config is None:
        config_text = "null"
    elif dataclasses.is_dataclass(config) and not isinstance(config, type):
        try:
            config_text = json.dumps(json_safe(dataclasses.asdict(config)), sort_keys=True, allow_nan=False)
        except (TypeError, ValueError):
            return None
    else:
        return None
    task_class = type(task)
    task_code = derived_cache.module_tree_digest(task_class.__module__)
    if task_code is None:
        return None
    return [
        f"{task_class.__module__}.{task_class.__qualname__}",
        task_code,
        task.name,
        str(task.version),
        str(task.metrics_version),
        f"{type(config).__module__}.{type(config).__qualname__}",
        config_text,
        repr(config),  # exact where JSON is not (a tuple or a list, NaN or None); a set's order misses, never hits wrongly
        str(seed),
        hashlib.sha256(jsonl_bytes(samples)).hexdigest(),
        derived_cache.package_digest(),
        installation_key(),
        _library_versions(),
        platform.machine(),
    ]


def cached_summary(
    task: Task,
    samples: list[dict[str, Any]],
    config: Any,
    seed: int,
    artifacts_dir: Path,
    compute: Callable[[], Summary],
) -> Summary:
    """`compute()` (which summarises `samples` and writes its plots under `artifacts_dir`), or the
    summary an earlier run stored for the same key, its files written under `artifacts_dir`."""
    if active_store() is None:
        return compute()
    key = summary_key(task, samples, config, seed)
    if key is None:
        return compute()
    found, entry = lookup_json(KIND, key)
    if found:
        restored = _restore(entry, artifacts_dir)
        if restored is not None:
            return restored
        log.warning("derived cache: the stored summary of task %s is unreadable; recomputing", task.name)
    before = _snapshot(artifacts_dir)
    with _captured_logs() as records:
        summary = compute()
    entry = _entry(summary, artifacts_dir, before, records)
    stored = _restore(entry, None) if entry is not None else None
    if stored is not None and _document_json(stored) == _document_json(summary):
        store_json(KIND, key, entry, max_bytes=MAX_ENTRY_BYTES)
    return summary


@dataclasses.dataclass(frozen=True)
class _LogLine:
    logger: str
    level: int
    message: str


@contextmanager
def _captured_logs() -> Iterator[list[_LogLine]]:
    """The log records of INFO and above emitted in this block by this thread (the summary; not a
    backend's or a worker's thread logging meanwhile), from any logger that propagates."""
    lines: list[_LogLine] = []
    thread = threading.get_ident()

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.thread == thread:
                lines.append(_LogLine(record.name, record.levelno, record.getMessage()))

    handler = _Collect(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lines
    finally:
        root.removeHandler(handler)


def _library_versions() -> str:
    return installed_versions(*SUMMARY_LIBRARIES)  # looked up once per process


def _snapshot(folder: Path) -> Snapshot:
    files: Snapshot = {}
    if not folder.is_dir():
        return files
    for path in folder.rglob("*"):
        try:
            if path.is_file():
                stat = path.stat()
                files[path.relative_to(folder).as_posix()] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        except OSError:
            continue
    return files


def _document_json(summary: Summary) -> str:
    """What the result document records of a summary, as canonical text (for the round-trip check)."""
    return json.dumps(
        json_safe({
            "metrics": [m.to_json() for m in summary.metrics],
            "plots": [dataclasses.asdict(p) for p in summary.plots],
            "extra": summary.extra,
        }),
        allow_nan=False,
        ensure_ascii=False,
    )


def _entry(summary: Summary, artifacts_dir: Path, before: Snapshot, logs: list[_LogLine]) -> dict[str, Any] | None:
    """The JSON entry of a computed summary, or None when it must not be stored."""
    after = _snapshot(artifacts_dir)
    if set(before) - set(after):
        return None  # it deleted a file: a hit could not redo that
    try:
        if not all(isinstance(m, MetricValue) for m in summary.metrics) or not all(isinstance(p, Plot) for p in summary.plots):
            return None
        extra = json_safe(summary.extra)
        extra_text = json.dumps(extra, allow_nan=False, ensure_ascii=False)
        files = {
            name: base64.b64encode((artifacts_dir / name).read_bytes()).decode("ascii")
            for name, state in sorted(after.items())
            if before.get(name) != state
        }
    except (OSError, TypeError, ValueError) as exc:
        log.debug("derived cache: summary not stored (%s)", exc)
        return None
    run_folder = str(artifacts_dir.resolve().parent.parent)
    if run_folder in extra_text or run_folder in json.dumps([dataclasses.asdict(p) for p in summary.plots]):
        return None  # names its own run folder: another run's hit would name the wrong one
    return {
        "metrics": [m.to_json() for m in summary.metrics],
        "plots": [dataclasses.asdict(p) for p in summary.plots],
        "extra": extra,
        "files": files,
        "logs": [[line.logger, line.level, line.message] for line in logs],
    }


def _restore(entry: Any, artifacts_dir: Path | None) -> Summary | None:
    """The summary of a stored entry, its files written under `artifacts_dir` (None: check only)
    and its log records logged again; None when the entry is malformed."""
    try:
        metrics = [MetricValue.from_json(m) for m in entry["metrics"]]
        plots = [Plot(str(p["name"]), str(p["path"]), str(p["caption"])) for p in entry["plots"]]
        extra = entry["extra"]
        files = {_safe_relative(name): base64.b64decode(data, validate=True) for name, data in entry["files"].items()}
        logs = [(str(name), int(level), str(message)) for name, level, message in entry["logs"]]
        if not isinstance(extra, dict):
            return None
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error):
        return None
    if artifacts_dir is not None:
        try:
            artifacts_dir.mkdir(parents=True, exist_ok=True)  # as summarize_samples leaves it
            for name, data in files.items():
                write_bytes_atomic(artifacts_dir / name, data, durable=False)  # the entry is the durable copy
        except OSError as exc:
            log.warning("derived cache: cannot write a stored plot (%s); recomputing", exc)
            return None
        for name, level, message in logs:
            logging.getLogger(name).log(level, "%s", message)
    return Summary(metrics=metrics, plots=plots, extra=extra)


def _safe_relative(name: Any) -> str:
    """A stored file name as a relative path inside the artifacts folder; ValueError otherwise."""
    if not isinstance(name, str):
        raise ValueError("file name is not text")
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\\" in name:
        raise ValueError(f"unsafe file name {name!r}")
    return name
