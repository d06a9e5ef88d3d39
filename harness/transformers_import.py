"""Import transformers for bench's backends without the optional packages it pulls in but bench never uses.

transformers imports optional packages at import time whenever they are installed, for features bench
does not use (bench runs its own decode loop, never assisted decoding or object-detection losses):

- scikit-learn's metrics, from `transformers.generation.candidate_generator` (assisted decoding);
- `scipy.optimize`, from `transformers.loss.loss_for_object_detection` (Hungarian matching), which
  every model class imports through `modeling_utils`.

Both sit on the path of every cold start (lm-eval installs scikit-learn; bench's statistics need scipy)
and cost about 0.3 s and 400 modules on a 2-core CPU (`python -X importtime`). transformers decides
with `is_sklearn_available()` / `is_scipy_available()`, which call `importlib.util.find_spec` and
cache the answer for the process. `import_transformers` has them answer False (see
`_answer_unavailable`) before the modules that would import the packages load, so transformers
(only) treats them as absent; the packages stay importable for everything else in the same process
(lm-eval's metrics, bench's statistics).

It also serves transformers' one call to `importlib.metadata.packages_distributions()` (a scan of
every installed distribution's metadata, 0.2-0.6 s) from a file under bench's cache, keyed by
`sys.path` and the modification times of its folders, which change when a package is installed,
upgraded or removed.

What stays: `torch._dynamo` (with sympy and `torch.distributed`) is imported by transformers' own
`@torch.compiler.disable` decorators at class-definition time (generation/continuous_batching), so
no setting avoids it; bench leaves it alone rather than stub out parts of torch.

Where transformers' model code is already imported (vLLM, lm-eval or a test imported it first) there
is nothing left to save and `import_transformers` changes nothing.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.harness.atomic_files import write_text_atomic
from bench.harness.embedded_model import bench_cache_dir

# import name -> the transformers.utils.import_utils probe that caches its availability
UNUSED_BY_BENCH: Mapping[str, str] = {"sklearn": "is_sklearn_available", "scipy": "is_scipy_available"}

PACKAGE_MAP_MAX_AGE_S = 7 * 24 * 3600.0

_import_lock = threading.Lock()


def import_transformers() -> None:
    """Import transformers' shared model code (modeling_utils, generation) with the switches above on.

    Idempotent and thread-safe. Model-specific modules (e.g. Llama's) are imported later by the
    auto classes, after transformers has cached its answers.
    """
    with _import_lock:
        if "transformers.modeling_utils" in sys.modules:
            return
        first = "transformers.utils.import_utils" not in sys.modules
        with _packages_distributions_from_cache() if first else _nothing():
            from transformers.utils import import_utils
        _answer_unavailable(import_utils, UNUSED_BY_BENCH)
        import transformers.generation.candidate_generator  # noqa: F401
        import transformers.modeling_utils  # noqa: F401


def _answer_unavailable(import_utils: Any, probes: Mapping[str, str]) -> None:
    """Have transformers' availability probes answer, and cache, False for these import names.

    `import transformers` may have asked a probe already (its lazy module asks every backend named in
    its import structure); what it built from that answer is a table of names, harmless either way.
    The probe's cache is cleared and it is asked again while transformers' own package check
    (`import_utils._is_package_available`, which every probe calls) answers "absent" for these
    names and delegates every other name. Only transformers' module sees the switch, and only
    for these names: other threads' imports of the packages, and transformers' other probes, are
    unaffected, so nothing else needs to be held off meanwhile.
    """
    pending = [
        (name, probe)
        for name, probe in ((name, getattr(import_utils, probe_name, None)) for name, probe_name in probes.items())
        if callable(probe) and hasattr(probe, "cache_clear")
    ]
    check = getattr(import_utils, "_is_package_available", None)
    if not pending or not callable(check):  # a transformers version without these probes: nothing to switch
        return
    names = {name for name, _ in pending}

    def absent_for_these(pkg_name: str, *args: Any, **kwargs: Any) -> Any:
        return (False, "N/A") if pkg_name in names else check(pkg_name, *args, **kwargs)

    import_utils._is_package_available = absent_for_these
    try:
        for _, probe in pending:
            probe.cache_clear()
            probe()
    finally:
        import_utils._is_package_available = check


@contextmanager
def _nothing() -> Iterator[None]:
    yield


@contextmanager
def _packages_distributions_from_cache() -> Iterator[None]:
    """Inside the block, `importlib.metadata.packages_distributions()` answers from a cached file."""
    original = importlib.metadata.packages_distributions
    importlib.metadata.packages_distributions = lambda: cached_packages_distributions(original)  # type: ignore[assignment]
    try:
        yield
    finally:
        importlib.metadata.packages_distributions = original


def cached_packages_distributions(
    compute: Callable[[], Mapping[str, list[str]]] = importlib.metadata.packages_distributions,
) -> Mapping[str, list[str]]:
    """`compute()` (the import name -> distributions map), read from bench's cache when nothing was
    installed since it was written.

    The key is `sys.path` with the modification time of each site-packages folder (installing,
    upgrading or removing a package adds, renames or deletes a folder there). A missing or
    unreadable file is rebuilt atomically; files of other states older than a week are deleted
    then. Where the cache cannot be written the map is simply computed.
    """
    folder = python_packages_cache_dir()
    path = folder / f"{installation_key()}.json"
    try:
        cached = json.loads(path.read_text())
        if isinstance(cached, dict):
            return {str(k): [str(d) for d in v] for k, v in cached.items()}
    except (OSError, ValueError):
        pass
    mapping = compute()
    try:
        write_text_atomic(path, json.dumps(mapping, sort_keys=True))
        _prune(folder, keep=path)
    except OSError:
        pass
    return mapping


def _prune(folder: Path, keep: Path, max_age_s: float = PACKAGE_MAP_MAX_AGE_S) -> None:
    """Delete the files of installation states not written for `max_age_s` (other venvs sharing
    the cache folder keep theirs; a stable installation rewrites its file once after that)."""
    now = time.time()
    for file in folder.glob("*.json"):
        try:
            if file != keep and now - file.stat().st_mtime > max_age_s:
                file.unlink()
        except OSError:
            continue


def installation_key() -> str:
    """Changes when a package is installed, upgraded or removed on `sys.path` (or the interpreter changes)."""
    entries: list[list[object]] = []
    for entry in sys.path:
        mtime = None
        if os.path.basename(entry.rstrip(os.sep)) in ("site-packages", "dist-packages"):
            try:
                mtime = os.stat(entry).st_mtime_ns
            except OSError:
                pass
        entries.append([entry, mtime])
    material = json.dumps([sys.version, sys.prefix, entries])
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def python_packages_cache_dir() -> Path:
    """Where `cached_packages_distributions` keeps its file (under $BENCH_CACHE_DIR)."""
    return bench_cache_dir() / "python-packages"
