"""The progress view over a whole sweep: every unit's state, attempts and timing, on stderr.

States: pending -> running (an attempt started on a worker) -> done | failed. A unit whose
worker died and that Ray started again shows its attempt count (`running, attempt 2`). The view
prints one line per change (a start, a retry, a finish) with the sweep's totals, so it reads the
same in a terminal and in a CI log:

    [sweep   12.4s] 3/8 done, 2 running, 0 failed | smollm2/uno/shard-1-of-3 done in 4.1 s (cache hits 12)

`SweepProgress` is plain bookkeeping (no Ray, no clock of its own: times are passed in), so it is
tested directly; the runner feeds it from Ray's futures and from the workers' start reports.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

__all__ = ["SweepProgress", "UnitState"]


@dataclass
class UnitState:
    key: str
    state: str = "pending"  # pending | running | done | failed
    attempts: int = 0
    pids: list[int] = field(default_factory=list)
    detail: str = ""


class SweepProgress:
    def __init__(self, keys: list[str], started_at: float, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.units = {key: UnitState(key) for key in keys}
        self.started_at = started_at
        self.stream = stream
        self.enabled = enabled
        self.lines: list[str] = []

    def counts(self) -> dict[str, int]:
        out = {"pending": 0, "running": 0, "done": 0, "failed": 0}
        for unit in self.units.values():
            out[unit.state] += 1
        return out

    def started(self, key: str, pid: int, node: str, now: float) -> None:
        unit = self.units[key]
        unit.attempts += 1
        unit.pids.append(pid)
        if unit.state in ("done", "failed"):  # its finish was seen first (the same poll)
            return
        unit.state = "running"
        retry = f", attempt {unit.attempts} (the previous worker died)" if unit.attempts > 1 else ""
        self._say(now, f"{key} running on {node[:8] or 'local'} pid {pid}{retry}")

    def done(self, key: str, now: float, wall_time_s: float, cache_hits: int, requests: int, skipped: bool) -> None:
        unit = self.units[key]
        unit.state = "done"
        if skipped:
            unit.detail = "already in the store"
            self._say(now, f"{key} already complete in the store (skipped)")
            return
        unit.detail = f"{wall_time_s:.1f} s, {requests} requests, {cache_hits} cache hits"
        self._say(now, f"{key} done in {wall_time_s:.1f} s ({requests} requests, {cache_hits} cache hits)")

    def failed(self, key: str, now: float, error: str) -> None:
        unit = self.units[key]
        unit.state = "failed"
        unit.detail = error
        self._say(now, f"{key} FAILED: {error}")

    def note(self, now: float, message: str) -> None:
        self._say(now, message)

    def summary(self) -> str:
        """One line per unit: the table printed at the end of the sweep."""
        width = max((len(k) for k in self.units), default=0)
        rows = []
        for unit in self.units.values():
            attempts = f" (attempts: {unit.attempts})" if unit.attempts > 1 else ""
            rows.append(f"{unit.key:{width}s}  {unit.state:7s} {unit.detail}{attempts}")
        return "\n".join(rows)

    def _say(self, now: float, message: str) -> None:
        c = self.counts()
        line = (
            f"[sweep {now - self.started_at:7.1f}s] {c['done']}/{len(self.units)} done, {c['running']} running, "
            f"{c['failed']} failed | {message}"
        )
        self.lines.append(line)
        if self.enabled:
            print(line, file=self.stream or sys.stderr, flush=True)
