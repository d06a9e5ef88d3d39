"""Atomic file writes: a reader sees the old file or the new one, never a half-written one.

Every file bench writes that another process may read concurrently or after a crash (result
documents, sample records, the embedded model's stamp, weight fingerprints) goes through here.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_bytes_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Write `data` to a temporary file beside `path`, fsync it, then rename it over `path`.

    `durable=False` skips the fsync: still atomic for readers, but a crash may lose the new file
    (for copies whose durable original is elsewhere, e.g. a plot restored from the derived cache)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """`write_bytes_atomic` of `text` encoded as UTF-8."""
    write_bytes_atomic(path, text.encode("utf-8"))
