"""`bench cache merge A.sqlite B.sqlite... -o C.sqlite`: combine request caches (one per node of a sweep).

A sweep keeps one request cache per node (harness/sweep/). Merging them gives one cache that
answers every request any node answered, so a later run anywhere resumes from all of them.

Rows are keyed by sha256(model namespace, canonical request) (harness/cache.py), so merging is a
union of rows: the first file that holds a key wins, later rows with the same key are skipped.
Answers for one key are equal unless a backend was non-deterministic (sampling): such keys are
counted as `conflicts` and reported, never silently averaged. Each input is opened through
`RequestCache`, so a corrupt input is one CacheError line offering `--rebuild-cache`'s repair.

The output is built in a temporary file beside it and renamed into place: a reader never sees a
half-merged cache. An existing output file is an input too (its rows come first), so `-o`
naming an existing cache merges into it.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness.cache import RequestCache, cache_error
from bench.harness.errors import CacheError, UsageError

__all__ = ["CacheMergeReport", "merge_caches", "register"]

_CHUNK = 2000


@dataclass(frozen=True)
class CacheMergeReport:
    """Rows written, rows each input added, and keys whose answers differed between inputs."""

    output: Path
    rows: int
    added: dict[str, int]
    conflicts: int


def _rows(path: Path) -> Iterator[list[tuple[str, str, str]]]:
    cache = RequestCache(path)  # integrity-checked; CacheError names a broken file
    cache.close()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60.0)
    try:
        cursor = conn.execute("SELECT key, kind, answer FROM answers ORDER BY key")
        while chunk := cursor.fetchmany(_CHUNK):
            yield [(str(k), str(kind), str(a)) for k, kind, a in chunk]
    except sqlite3.Error as exc:
        raise cache_error(path, exc, "read", 60.0) from None
    finally:
        conn.close()


def merge_caches(inputs: list[str | Path], output: str | Path) -> CacheMergeReport:
    """Union of the caches `inputs` (and `output` if it exists) written atomically to `output`."""
    sources = [Path(p) for p in inputs]
    target = Path(output)
    if not sources:
        raise UsageError("no caches to merge: bench cache merge A.sqlite B.sqlite -o C.sqlite")
    for source in sources:
        if not source.is_file():
            raise UsageError(f"request cache {str(source)!r} does not exist (or is not a file)")
    if target.is_dir():
        raise UsageError(f"-o {str(target)!r} is a folder; give a file such as {str(target / 'requests.sqlite')!r}")
    if target.exists():
        sources = [target, *[s for s in sources if s.resolve() != target.resolve()]]
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".merging", dir=target.parent)
    os.close(handle)
    os.unlink(temp_name)  # sqlite creates the file itself
    temp = Path(temp_name)
    added: dict[str, int] = {}
    conflicts = 0
    try:
        merged = RequestCache(temp)
        try:
            conn = merged._conn
            for source in sources:
                before = len(merged)
                for chunk in _rows(source):
                    existing = dict(
                        conn.execute(
                            f"SELECT key, answer FROM answers WHERE key IN ({','.join('?' * len(chunk))})",
                            [row[0] for row in chunk],
                        ).fetchall()
                    )
                    conflicts += sum(1 for key, _, answer in chunk if key in existing and existing[key] != answer)
                    merged._insert(chunk)
                added[str(source)] = len(merged) - before
            rows = len(merged)
        finally:
            merged.close()
        for suffix in ("-wal", "-shm"):
            side = Path(f"{temp}{suffix}")
            if side.exists():
                side.unlink()
        os.replace(temp, target)
    except BaseException:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            leftover.unlink(missing_ok=True)
        raise
    return CacheMergeReport(target, rows, added, conflicts)


def register(subparsers: Any) -> None:
    """`bench cache merge` (entry point in the `bench.commands` group)."""
    parser = subparsers.add_parser(
        "cache",
        help="request cache tools: `bench cache merge A.sqlite B.sqlite -o C.sqlite`",
        description="Work on request cache files (sqlite).",
    )
    actions = parser.add_subparsers(dest="cache_action", metavar="ACTION", required=True)
    merge = actions.add_parser(
        "merge",
        help="combine request caches (e.g. one per node of a sweep) into one",
        description="Union of the caches' answers (the first file holding a request wins); "
        "an existing output file is merged into. Written atomically.",
    )
    merge.add_argument("caches", nargs="+", help="request cache files (.sqlite)")
    merge.add_argument("-o", "--output", required=True, help="the merged cache file")
    merge.set_defaults(func=cmd_cache_merge)


def cmd_cache_merge(args: Any) -> int:
    try:
        report = merge_caches(args.caches, args.output)
    except sqlite3.Error as exc:  # the temporary output itself (disk full, read-only folder)
        raise CacheError(f"cannot write merged cache {args.output!r}: {exc}") from None
    for source, count in report.added.items():
        print(f"{source}: {count} new answers")
    if report.conflicts:
        print(f"{report.conflicts} requests had different answers in different caches; kept the first")
    print(f"{report.output}: {report.rows} answers")
    return 0
