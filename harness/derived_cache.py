"""Content-addressed cache of derived artefacts: a repeat of a run copies its plots and classifier
scores instead of recomputing them (and never imports matplotlib or the classifier).

Both are pure functions of code and input, keyed by sha256 of everything they depend on:

- Figures. `@cached_figure` on `plot_x(path, ...) -> None` (which draws one file to `path`) keys
  the file by the function's module and name, the sha256 of its module's source file,
  matplotlib's installed version and its other arguments (pickled); a hit copies the stored bytes
  to `path`. Every run folder still holds every plot, byte-identical to a fresh draw (matplotlib's
  Agg PNGs carry no date). Editing the plotting module or upgrading matplotlib changes the key;
  the fonts installed on the machine are not in it (a font change shows once entries are evicted).
  Arguments are keyed by `pickle` (protocol 5), not JSON, since they hold numpy arrays and frozen
  dataclasses: equal values built the same way pickle to the same bytes, and a value that does
  not (a set of strings in another process) is a miss, never a wrong hit.
- Values. `cached_json(kind, key_parts, compute)` returns `compute()`'s JSON value (a classifier's
  scores of a batch of texts) stored under sha256(kind, key_parts); the caller puts in
  `key_parts` everything the value depends on (scorer and library versions, the texts).
  `lookup_json` / `store_json` are its two halves, for a caller that checks a value before
  storing it (harness/summary_cache.py: whole task summaries); `package_digest()` keys
  anything that bench's code or shipped data may affect.

The store is a folder beside the request cache (`derived_store(cache_path)`), active only while
`using_derived_store(folder)` is in effect (the scheduler sets it around a run that uses the
request cache; with `--no-cache` everything is computed). Writes are atomic (temporary file +
rename), so concurrent runs can share the folder. It holds at most `MAX_ENTRIES` files: after a
store, the oldest by modification time beyond that are removed (a hit refreshes an entry's time).
A store or read that fails with OSError is logged and the artefact computed as if uncached.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import importlib.metadata
import importlib.util
import inspect
import json
import logging
import os
import pickle
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.harness.atomic_files import write_bytes_atomic

log = logging.getLogger(__name__)

MAX_ENTRIES = 2000  # ~50 KB a PNG, less for scores: about 100 MB at most
_STORE: contextvars.ContextVar[Path | None] = contextvars.ContextVar("bench_derived_store", default=None)


def derived_store(request_cache: Path) -> Path:
    """The derived-artefact folder that belongs to a request cache file: `<file>.derived` beside it."""
    return request_cache.with_name(request_cache.name + ".derived")


@contextmanager
def using_derived_store(folder: Path | None) -> Iterator[None]:
    """Serve and store cached figures and values in `folder` inside this block (None: always compute)."""
    token = _STORE.set(folder)
    try:
        yield
    finally:
        _STORE.reset(token)


@functools.cache
def source_digest(*files: Path) -> str:
    """sha256 of these source files' names and contents, in order; read once per process. For the
    key of an artefact that depends on code: editing any of the files changes it."""
    digest = hashlib.sha256()
    for source in files:
        digest.update(source.name.encode() + b"\x00" + source.read_bytes())
    return digest.hexdigest()


# bench's source folders (setup.py's SOURCE_ROOTS), installed as bench.<name>.
SOURCE_PACKAGES = ("harness", "tasks", "metrics", "arenas", "leaderboards")


@functools.cache
def package_digest() -> str:
    """sha256 of every file of bench's installed packages (sources and the data they ship), read
    once per process (about 10 ms for 5 MB). For the key of an artefact that any of bench's code or
    data may affect: editing any file changes it."""
    folders: list[Path] = []
    for package in SOURCE_PACKAGES:
        spec = importlib.util.find_spec(f"bench.{package}")
        folders.extend(Path(folder) for folder in ((spec.submodule_search_locations or []) if spec else []))
    return tree_digest(*folders)


@functools.cache
def tree_digest(*folders: Path) -> str:
    """sha256 of the names (relative to each folder, under its own name) and contents of every
    file below `folders`, `__pycache__` left out; read once per process."""
    digest = hashlib.sha256()
    for root in folders:
        for path in sorted(p for p in root.rglob("*") if "__pycache__" not in p.parts and p.is_file()):
            digest.update(f"{root.name}/{path.relative_to(root).as_posix()}".encode() + b"\x00")
            digest.update(path.read_bytes())
            digest.update(b"\x00")
    return digest.hexdigest()


def module_tree_digest(module: str) -> str | None:
    """sha256 of the code a module's package ships: bench's packages for `bench.*`, else every file
    of the module's top-level package (or its one file); None when it has no files to read."""
    top = module.partition(".")[0]
    if top == "bench":
        return package_digest()
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return tree_digest(*(Path(folder) for folder in spec.submodule_search_locations))
    return source_digest(Path(spec.origin)) if spec.origin and Path(spec.origin).is_file() else None


@functools.cache
def installed_versions(*packages: str) -> str:
    """"numpy 2.1.3; numba 0.61.0": the installed version of each package ("none" if absent), for keys.

    Looked up once per process (each lookup scans sys.path: ~2-5 ms a package, and keys are built
    per figure, per UNO game, per summary); a package upgraded while a run is going is not seen."""
    versions = []
    for package in packages:
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package} none")
    return "; ".join(versions)


def _module_digest(module: str) -> str:
    source = getattr(sys.modules.get(module), "__file__", None)
    return source_digest(Path(source)) if source else "no-source"


def _matplotlib_version() -> str:
    return installed_versions("matplotlib")


def figure_key(draw: Callable[..., Any], arguments: dict[str, Any]) -> str:
    """sha256 of the drawing function (name and module source), matplotlib's version and its
    arguments other than `path` (by name, defaults filled in)."""
    digest = hashlib.sha256()
    for part in (draw.__module__, draw.__qualname__, _module_digest(draw.__module__), _matplotlib_version()):
        digest.update(part.encode())
        digest.update(b"\x00")
    digest.update(pickle.dumps(sorted(arguments.items()), protocol=5))
    return digest.hexdigest()


def cached_figure(draw: Callable[..., None]) -> Callable[..., None]:
    """Wrap `draw(..., path, ...) -> None`, which writes one figure file to its argument `path`."""
    signature = inspect.signature(draw)
    if "path" not in signature.parameters:
        raise TypeError(f"@cached_figure needs a 'path' parameter on {draw.__qualname__}")

    @functools.wraps(draw)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        store = _STORE.get()
        if store is None:
            draw(*args, **kwargs)
            return
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        path = Path(arguments.pop("path"))
        try:
            entry = store / (figure_key(draw, arguments) + path.suffix)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:  # arguments pickle cannot key
            log.debug("derived cache: %s not cached (%s)", draw.__qualname__, exc)
            draw(*args, **kwargs)
            return
        data = _read(entry)
        if data is not None:
            write_bytes_atomic(path, data, durable=False)  # the stored entry is the durable copy
            _touch(entry)
            return
        draw(*args, **kwargs)
        _store(store, entry, path.read_bytes())

    return wrapper


def cached_json(kind: str, key_parts: Sequence[str], compute: Callable[[], Any]) -> Any:
    """`compute()` (a JSON value), or the value stored under sha256(kind, key_parts) by an earlier call."""
    if active_store() is None:
        return compute()
    found, value = lookup_json(kind, key_parts)
    if found:
        return value
    value = compute()
    store_json(kind, key_parts, value)
    return value


def active_store() -> Path | None:
    """The folder `using_derived_store` set for this context, or None (compute everything)."""
    return _STORE.get()


def _json_entry(store: Path, kind: str, key_parts: Sequence[str]) -> Path:
    digest = hashlib.sha256()
    for part in (kind, *key_parts):
        digest.update(part.encode())
        digest.update(b"\x00")
    return store / f"{digest.hexdigest()}.json"


def lookup_json(kind: str, key_parts: Sequence[str]) -> tuple[bool, Any]:
    """(True, value) when a value is stored under sha256(kind, key_parts) in the active store,
    else (False, None): no store, no entry, or an entry that is not JSON (logged, then a miss)."""
    store = _STORE.get()
    if store is None:
        return False, None
    entry = _json_entry(store, kind, key_parts)
    data = _read(entry)
    if data is None:
        return False, None
    try:
        value = json.loads(data)
    except ValueError:
        log.warning("derived cache: %s is not JSON; recomputing", entry)
        return False, None
    _touch(entry)
    return True, value


def store_json(kind: str, key_parts: Sequence[str], value: Any, max_bytes: int | None = None) -> bool:
    """Store a JSON value under sha256(kind, key_parts) in the active store; False when nothing was
    stored (no store, not strict JSON, over `max_bytes`, or the write failed: logged)."""
    store = _STORE.get()
    if store is None:
        return False
    try:
        data = json.dumps(value, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:  # not a JSON value (NaN included): returned, not stored
        log.debug("derived cache: %s value not stored (%s)", kind, exc)
        return False
    if max_bytes is not None and len(data) > max_bytes:
        log.debug("derived cache: %s value of %d bytes not stored (limit %d)", kind, len(data), max_bytes)
        return False
    return _store(store, _json_entry(store, kind, key_parts), data)


def _read(entry: Path) -> bytes | None:
    try:
        return entry.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("derived cache: cannot read %s (%s); recomputing", entry, exc)
        return None


def _store(store: Path, entry: Path, data: bytes) -> bool:
    try:
        write_bytes_atomic(entry, data)
        _evict(store)
    except OSError as exc:
        log.warning("derived cache: cannot store %s (%s)", entry, exc)
        return False
    return True


def _touch(entry: Path) -> None:
    try:
        os.utime(entry)
    except OSError:
        pass


def _evict(store: Path, max_entries: int = MAX_ENTRIES) -> None:
    """Remove the oldest entries (by modification time) beyond `max_entries`."""
    entries = []
    for item in store.iterdir():
        if item.name.startswith("."):
            continue  # another process's temporary file
        try:
            entries.append((item.stat().st_mtime, item))
        except FileNotFoundError:
            continue
    for _, item in sorted(entries)[: max(0, len(entries) - max_entries)]:
        item.unlink(missing_ok=True)
