"""Persistent request cache: sqlite, keyed by (model fingerprint, backend settings, request).

Each answer is committed as soon as its batch finishes, so a run killed with SIGKILL loses at
most the batch in flight; started again, it is answered from here and finishes with identical
results. sqlite's WAL mode and busy timeout let several runs share one cache file safely:
writes are `INSERT OR IGNORE` of deterministic answers, so concurrent writers cannot corrupt or
contradict each other.

Failures are one `CacheError` line naming the file, never a traceback or a hang:

- another writer holding the file locked for longer than `busy_timeout_s` (default 60 s);
- a file that is not a sqlite database, is truncated, or has a corrupt page (checked with
  `PRAGMA quick_check` when the cache opens, up to `QUICK_CHECK_MAX_BYTES`, and on every read
  and write). The message offers `--rebuild-cache`: `open_request_cache(path, rebuild=True)`
  moves the broken file aside to `<name>.broken-<UTC time>` and copies every row it can still
  read into a fresh cache (`rebuild_request_cache`).

A single row whose answer is not valid JSON (or not an answer of its kind) is not fatal: it is
skipped as a cache miss, counted in `skipped_rows`, logged, and deleted so the fresh answer can
take its place.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.harness.errors import CacheError
from bench.harness.requests import (
    Answer,
    Request,
    RequestKind,
    answer_from_json,
    answer_to_json,
    request_key_payload,
)

log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT_S = 60.0
REBUILD_FLAG = "--rebuild-cache"
# Integrity is checked at open for files up to this size (~0.1 s per 100 MB); larger files are
# checked page by page as they are read.
QUICK_CHECK_MAX_BYTES = 256 * 2**20
_SIDE_FILES = ("-wal", "-shm")


def request_cache_key(namespace: str, request: Request) -> str:
    """sha256 of the model/backend namespace and the canonical request."""
    digest = hashlib.sha256()
    digest.update(namespace.encode())
    digest.update(b"\x00")
    digest.update(request_key_payload(request).encode())
    return digest.hexdigest()


class RequestCache:
    """The cache file at `path`; every sqlite failure surfaces as a `CacheError` naming it."""

    def __init__(self, path: Path, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self.skipped_rows = 0  # rows whose answer could not be decoded (treated as misses)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(
                str(self.path), timeout=busy_timeout_s, check_same_thread=False, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise self._error(exc, "open") from None
        try:
            self._conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, kind TEXT NOT NULL, answer TEXT NOT NULL)"
            )
            if self.path.stat().st_size <= QUICK_CHECK_MAX_BYTES:
                problems = [row[0] for row in self._conn.execute("PRAGMA quick_check(3)")]
                if problems != ["ok"]:
                    raise sqlite3.DatabaseError("; ".join(problems))
        except sqlite3.Error as exc:
            self._conn.close()
            raise self._error(exc, "open") from None

    def get(self, key: str, request: Request) -> Answer | None:
        with self._lock:
            try:
                row = self._conn.execute("SELECT answer FROM answers WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error as exc:
                raise self._error(exc, "read") from None
        if row is None:
            return None
        try:
            return answer_from_json(request.kind, row[0])
        except (TypeError, ValueError) as exc:
            self.skipped_rows += 1
            log.warning("request cache %s: skipped an unreadable row (%s); it will be recomputed", self.path, exc)
            self._delete(key)
            return None

    def put_many(self, items: Iterable[tuple[str, Request, Answer]]) -> None:
        rows = [(key, request.kind.value, answer_to_json(answer)) for key, request, answer in items]
        if rows:
            self._insert(rows)

    def _insert(self, rows: list[tuple[str, str, str]]) -> None:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._error(exc, "write") from None
            try:
                self._conn.executemany("INSERT OR IGNORE INTO answers (key, kind, answer) VALUES (?, ?, ?)", rows)
                self._conn.execute("COMMIT")
            except BaseException as exc:
                try:
                    self._conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                if isinstance(exc, sqlite3.Error):
                    raise self._error(exc, "write") from None
                raise

    def _delete(self, key: str) -> None:
        with self._lock:
            try:
                self._conn.execute("DELETE FROM answers WHERE key = ?", (key,))
            except sqlite3.Error as exc:  # a locked file: the row stays a miss, which is harmless
                log.debug("request cache %s: could not delete an unreadable row: %s", self.path, exc)

    def __len__(self) -> int:
        with self._lock:
            try:
                return int(self._conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
            except sqlite3.Error as exc:
                raise self._error(exc, "read") from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _error(self, exc: sqlite3.Error, action: str) -> CacheError:
        return cache_error(self.path, exc, action, self.busy_timeout_s)


def cache_error(path: Path, exc: sqlite3.Error, action: str, busy_timeout_s: float) -> CacheError:
    """One line for a sqlite failure on the cache at `path`: locked, or corrupt with the rebuild offer."""
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(exc):
        return CacheError(
            f"request cache {path} is locked by another writer (waited {busy_timeout_s:g} s to {action}); "
            "wait for the other run to finish, or use --cache-path for a separate cache or --no-cache"
        )
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM", "SQLITE_IOERR", "SQLITE_FULL")):
        return CacheError(f"request cache {path} cannot be used ({exc}); use --cache-path elsewhere or --no-cache")
    error = CacheError(
        f"request cache {path} is corrupt ({exc}); run again with {REBUILD_FLAG} to move it aside "
        f"(to {path.name}.broken-<time>) and keep every answer still readable, or use --no-cache"
    )
    error.corrupt = True  # type: ignore[attr-defined]
    return error


@dataclass(frozen=True)
class RebuildReport:
    """What `rebuild_request_cache` did: where the broken file went, rows kept and rows lost."""

    moved_to: Path
    copied: int
    skipped: int


def open_request_cache(
    path: Path, rebuild: bool = False, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S
) -> RequestCache:
    """The cache at `path`. A corrupt file is a CacheError, or with `rebuild` is moved aside and
    rebuilt from its readable rows (one warning line says where it went and what was kept)."""
    try:
        return RequestCache(path, busy_timeout_s)
    except CacheError as exc:
        if not (rebuild and getattr(exc, "corrupt", False)):
            raise
    report = rebuild_request_cache(path, busy_timeout_s)
    log.warning(
        "request cache %s was corrupt: moved to %s; %d answers kept, %d unreadable rows dropped",
        path, report.moved_to, report.copied, report.skipped,
    )
    return RequestCache(path, busy_timeout_s)


def rebuild_request_cache(path: Path, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> RebuildReport:
    """Move `path` (and its WAL files) aside to `<name>.broken-<UTC time>`, then copy every row that
    can still be read and decoded into a fresh cache at `path`."""
    path = Path(path)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    moved = path.with_name(f"{path.name}.broken-{stamp}")
    os.replace(path, moved)
    for suffix in _SIDE_FILES:
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{moved}{suffix}"))
    rows, skipped = [], 0
    for key, kind, answer in _readable_rows(moved):
        try:
            answer_from_json(RequestKind(kind), answer)
        except (TypeError, ValueError):
            skipped += 1
            continue
        rows.append((key, kind, answer))
    fresh = RequestCache(path, busy_timeout_s)
    try:
        for start in range(0, len(rows), 1000):
            fresh._insert(rows[start : start + 1000])
    finally:
        fresh.close()
    return RebuildReport(moved, len(rows), skipped)


def _readable_rows(path: Path) -> Iterator[tuple[str, str, str]]:
    """Every (key, kind, answer) row of a damaged cache that can still be read.

    First through sqlite (complete when the table's b-tree is intact); if sqlite stumbles on a
    damaged page, the file's table leaf pages are also read directly (`_scan_leaf_pages`), so a
    truncated file or a corrupt page loses only the rows stored on the damaged pages. A file
    that is not a database yields nothing.
    """
    seen: set[str] = set()
    damaged = False
    try:
        conn = sqlite3.connect(str(path), timeout=1.0)
    except sqlite3.Error:
        conn, damaged = None, True
    if conn is not None:
        try:
            for row in _typed(conn.execute("SELECT key, kind, answer FROM answers").fetchall()):
                seen.add(row[0])
                yield row
        except sqlite3.Error:
            damaged = True
        finally:
            conn.close()
    if damaged:
        for row in _scan_leaf_pages(path):
            if row[0] not in seen and len(row[0]) == 64 and row[1] in _KINDS:
                seen.add(row[0])
                yield row


_KINDS = frozenset(kind.value for kind in RequestKind)


def _scan_leaf_pages(path: Path) -> Iterator[tuple[str, str, str]]:
    """Rows of three text columns found on the table-leaf pages of a sqlite file, read byte by byte
    (the file format's documented b-tree page and record layout; sqlite3 has no recover API in
    Python). Cells that run into damaged or missing pages are skipped."""
    data = path.read_bytes()
    if len(data) < 100 or not data.startswith(b"SQLite format 3\x00"):
        return
    page_size = int.from_bytes(data[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512:
        return
    usable = page_size - data[20]
    pages = len(data) // page_size
    for number in range(1, pages + 1):
        start = (number - 1) * page_size
        header = start + (100 if number == 1 else 0)
        if data[header] != 0x0D:  # a table b-tree leaf page
            continue
        cells = int.from_bytes(data[header + 3 : header + 5], "big")
        for i in range(cells):
            try:
                pointer = int.from_bytes(data[header + 8 + 2 * i : header + 10 + 2 * i], "big")
                row = _leaf_cell(data, start + pointer, page_size, usable, pages)
            except (IndexError, ValueError, UnicodeDecodeError):
                continue
            if row is not None:
                yield row


def _leaf_cell(data: bytes, pos: int, page_size: int, usable: int, pages: int) -> tuple[str, str, str] | None:
    size, pos = _varint(data, pos)
    _, pos = _varint(data, pos)  # rowid
    most_local = usable - 35
    if size <= most_local:
        payload = data[pos : pos + size]
    else:
        least_local = (usable - 12) * 32 // 255 - 23
        local = least_local + (size - least_local) % (usable - 4)
        local = local if local <= most_local else least_local
        payload = data[pos : pos + local]
        overflow = int.from_bytes(data[pos + local : pos + local + 4], "big")
        hops = 0
        while len(payload) < size:
            if not 1 <= overflow <= pages or hops > pages:
                return None
            start = (overflow - 1) * page_size
            overflow = int.from_bytes(data[start : start + 4], "big")
            payload += data[start + 4 : start + usable]
            hops += 1
        payload = payload[:size]
    if len(payload) != size:
        return None
    header_size, cursor = _varint(payload, 0)
    types = []
    while cursor < header_size:
        serial, cursor = _varint(payload, cursor)
        types.append(serial)
    if len(types) != 3 or any(t < 13 or t % 2 == 0 for t in types):
        return None
    values = []
    body = header_size
    for serial in types:
        length = (serial - 13) // 2
        values.append(payload[body : body + length].decode("utf-8"))
        body += length
    if body != size:
        return None
    return values[0], values[1], values[2]


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """sqlite's big-endian variable-length integer at `pos`: (value, position after it)."""
    value = 0
    for i in range(9):
        byte = data[pos + i]
        if i == 8:
            return (value << 8) | byte, pos + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, pos + i + 1
    raise ValueError("unreachable")


def _typed(rows: list[tuple[object, ...]]) -> Iterator[tuple[str, str, str]]:
    for key, kind, answer in rows:
        if isinstance(key, str) and isinstance(kind, str) and isinstance(answer, str):
            yield key, kind, answer
