"""One progress reporter for a whole run: per-task counters shown on stderr.

On a terminal the line is redrawn in place; otherwise (CI logs, pipes) a line is logged at most
every `min_interval_s` seconds and at completion, so logs stay short. Library code reports progress
only through this class.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import TextIO


@dataclass
class _Counter:
    done: int
    total: int | None


class Progress:
    def __init__(
        self, stream: TextIO | None = None, enabled: bool = True, min_interval_s: float = 5.0, heartbeat_s: float | None = None
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled
        self._interactive = enabled and hasattr(self._stream, "isatty") and self._stream.isatty()
        self._min_interval_s = 0.2 if self._interactive else min_interval_s
        # refresh() redraws when nothing was shown for this long
        self._heartbeat_s = heartbeat_s if heartbeat_s is not None else (1.0 if self._interactive else 30.0)
        self._counters: dict[str, _Counter] = {}
        self._last_draw = 0.0
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self.extra: str = ""  # e.g. "cache hits 120/300"; set by the scheduler

    def start(self, name: str, total: int | None) -> None:
        """Declare a unit of work (a task, a phase) with its total count if known."""
        with self._lock:
            self._counters[name] = _Counter(0, total)
        self._draw(force=True)

    def set_total(self, name: str, total: int) -> None:
        with self._lock:
            self._counters.setdefault(name, _Counter(0, None)).total = total

    def advance(self, name: str, n: int = 1) -> None:
        with self._lock:
            counter = self._counters.setdefault(name, _Counter(0, None))
            counter.done += n
            finished = counter.total is not None and counter.done >= counter.total
        self._draw(force=finished)

    def refresh(self) -> None:
        """Redraw if nothing was shown for a while, so long steps still show the run is alive."""
        if time.monotonic() - self._last_draw >= self._heartbeat_s:
            self._draw(force=True)

    def done(self, name: str) -> int:
        return self._counters[name].done if name in self._counters else 0

    def close(self) -> None:
        self._draw(force=True)
        if self._interactive:
            self._stream.write("\n")
            self._stream.flush()

    def _render(self) -> str:
        parts = []
        for name, c in self._counters.items():
            parts.append(f"{name} {c.done}/{c.total}" if c.total is not None else f"{name} {c.done}")
        elapsed = time.monotonic() - self._started
        line = f"[bench {elapsed:6.1f}s] " + " | ".join(parts)
        return f"{line} | {self.extra}" if self.extra else line

    def _draw(self, force: bool = False) -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < self._min_interval_s:
            return
        self._last_draw = now
        line = self._render()
        if self._interactive:
            self._stream.write("\r\x1b[K" + line)
        else:
            self._stream.write(line + "\n")
        self._stream.flush()
