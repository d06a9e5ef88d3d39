"""One progress reporter for a whole run: per-task counters and the model client's throughput on stderr.

Tasks call `start(name, total)` and `advance(name)`; the scheduler feeds the client's counters
through `update_stats(...)` and calls `refresh()` about once a second.

- On a terminal: rich's multi-task progress display (one row per task: bar, done/total, rate and
  ETA; a line for the model: requests/s, generated tokens/s, cache hits), redrawn in place.
- Otherwise (CI logs, pipes): one plain line at most every `min_interval_s` seconds, whenever a
  task finishes, and a heartbeat after `heartbeat_s` quiet seconds, so logs stay short but show the
  run is alive:  `[bench   12.3s] uno 3/8 (eta 41s) | requests 120 (9.8/s), gen tokens 2.1k (171/s), cache hits 40`

Library code reports progress only through this class. It is safe to call from worker threads.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass
class _Counter:
    done: int
    total: int | None
    started: float = field(default_factory=lambda: time.monotonic())
    rich_id: Any = None

    def eta_s(self, now: float) -> float | None:
        if self.total is None or self.done <= 0 or self.done >= self.total:
            return None
        return (now - self.started) * (self.total - self.done) / self.done


@dataclass(frozen=True)
class ClientCounters:
    """The model client's totals so far (what `update_stats` receives)."""

    requests: int = 0
    cache_hits: int = 0
    completion_tokens: int = 0


class Progress:
    def __init__(
        self,
        stream: TextIO | None = None,
        enabled: bool = True,
        min_interval_s: float = 5.0,
        heartbeat_s: float | None = None,
        interactive: bool | None = None,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled
        tty = hasattr(self._stream, "isatty") and self._stream.isatty()
        self._interactive = enabled and (tty if interactive is None else interactive)
        self._min_interval_s = min_interval_s
        self._heartbeat_s = heartbeat_s if heartbeat_s is not None else 30.0
        self._counters: dict[str, _Counter] = {}
        self._stats = ClientCounters()
        self._last_draw = 0.0
        self._started = time.monotonic()
        self._lock = threading.RLock()
        self._rich: Any = None  # rich.progress.Progress, created on first use on a terminal
        self.extra: str = ""  # free text appended to the plain line (kept for callers that set it)

    # ---- what tasks call ------------------------------------------------------------------------
    def start(self, name: str, total: int | None) -> None:
        """Declare a unit of work (a task, a phase) with its total count if known."""
        with self._lock:
            self._counters[name] = _Counter(0, total)
            if self._interactive:
                bar = self._ensure_rich()
                self._counters[name].rich_id = bar.add_task(name, total=total)
        self._draw(force=True)

    def advance(self, name: str, n: int = 1) -> None:
        with self._lock:
            counter = self._counters.get(name)
            if counter is None:
                self.start(name, None)
                counter = self._counters[name]
            counter.done += n
            finished = counter.total is not None and counter.done >= counter.total
            if self._rich is not None and counter.rich_id is not None:
                self._rich.update(counter.rich_id, completed=counter.done)
        self._draw(force=finished)

    def done(self, name: str) -> int:
        return self._counters[name].done if name in self._counters else 0

    # ---- what the scheduler calls ---------------------------------------------------------------
    def update_stats(self, requests: int, cache_hits: int, completion_tokens: int) -> None:
        """The model client's running totals; shown as rates since the run started."""
        with self._lock:
            self._stats = ClientCounters(requests, cache_hits, completion_tokens)

    def refresh(self) -> None:
        """Redraw if nothing was shown for a while, so long steps still show the run is alive."""
        if self._interactive:
            return  # rich redraws by itself
        if time.monotonic() - self._last_draw >= self._heartbeat_s:
            self._draw(force=True)

    def close(self) -> None:
        with self._lock:
            if self._rich is not None:
                self._rich.stop()
                self._rich = None
                return
        if self._counters:
            self._draw(force=True)

    # ---- drawing --------------------------------------------------------------------------------
    def _ensure_rich(self) -> Any:
        if self._rich is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress
            from rich.text import Text

            reporter = self

            class _WithModelLine(RichProgress):
                def get_renderables(self) -> Any:
                    yield self.make_tasks_table(self.tasks)
                    yield Text(reporter._stats_text(), style="dim")

            self._rich = _WithModelLine(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                TimeElapsedColumn(),
                console=Console(file=self._stream, stderr=self._stream is sys.stderr),
                refresh_per_second=4,
            )
            self._rich.start()
        return self._rich

    def _stats_text(self) -> str:
        s, elapsed = self._stats, max(time.monotonic() - self._started, 1e-9)
        return (
            f"requests {s.requests} ({s.requests / elapsed:.1f}/s), gen tokens {_short(s.completion_tokens)} "
            f"({s.completion_tokens / elapsed:.0f}/s), cache hits {s.cache_hits}"
        )

    def _render(self) -> str:
        now = time.monotonic()
        parts = []
        for name, c in self._counters.items():
            text = f"{name} {c.done}/{c.total}" if c.total is not None else f"{name} {c.done}"
            eta = c.eta_s(now)
            parts.append(f"{text} (eta {_duration(eta)})" if eta is not None else text)
        line = f"[bench {now - self._started:7.1f}s] " + " | ".join([*parts, self._stats_text()])
        return f"{line} | {self.extra}" if self.extra else line

    def _draw(self, force: bool = False) -> None:
        if not self._enabled or self._interactive:
            return
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last_draw < self._min_interval_s:
                return
            self._last_draw = now
            self._stream.write(self._render() + "\n")
            self._stream.flush()


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds // 60:.0f}m{seconds % 60:02.0f}s"
    return f"{seconds // 3600:.0f}h{seconds % 3600 // 60:02.0f}m"


def _short(count: int) -> str:
    return f"{count / 1000:.1f}k" if count >= 10_000 else str(count)
