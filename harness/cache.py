"""Persistent request cache: sqlite, keyed by (model fingerprint, backend settings, request).

Each answer is committed as soon as its batch finishes, so a run killed with SIGKILL loses at
most the batch in flight; started again, it is answered from here and finishes with identical
results. sqlite's WAL mode and busy timeout let several runs share one cache file safely:
writes are `INSERT OR IGNORE` of deterministic answers, so concurrent writers cannot corrupt or
contradict each other.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from bench.harness.requests import Answer, Request, answer_from_json, answer_to_json, request_key_payload


def request_cache_key(namespace: str, request: Request) -> str:
    """sha256 of the model/backend namespace and the canonical request."""
    digest = hashlib.sha256()
    digest.update(namespace.encode())
    digest.update(b"\x00")
    digest.update(request_key_payload(request).encode())
    return digest.hexdigest()


class RequestCache:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), timeout=60.0, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=60000")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, kind TEXT NOT NULL, answer TEXT NOT NULL)"
        )

    def get(self, key: str, request: Request) -> Answer | None:
        with self._lock:
            row = self._conn.execute("SELECT answer FROM answers WHERE key = ?", (key,)).fetchone()
        return None if row is None else answer_from_json(request.kind, row[0])

    def put_many(self, items: Iterable[tuple[str, Request, Answer]]) -> None:
        rows = [(key, request.kind.value, answer_to_json(answer)) for key, request, answer in items]
        if not rows:
            return
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany("INSERT OR IGNORE INTO answers (key, kind, answer) VALUES (?, ?, ?)", rows)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
