"""Figures drawn in a second process while the run goes on.

A task's summary draws each figure through `draw(function, *args)`, where `function` is a
module-level function that writes one file (so it and its arguments can be pickled). Outside a run
(`bench rescore`, `bench merge`, tests) `draw` calls it at once, as a plain call would.

During `bench eval` the scheduler computes each task's summary inside
`collecting(drawing_process())`: there `draw` hands the call to that process and returns, so
matplotlib's import and rendering use the second core while the main process goes on with the
other tasks. The scheduler then awaits the task's figures (`finished`) before the task counts as
done: a figure that fails to draw fails its task, as before, and every figure is on disk when the
result document is written. The metrics never depend on a figure.

The drawing process is one per bench process, started on the first figure and kept for later runs
in the same process (tests, sweeps run `evaluate` many times: matplotlib is imported once, not per
run). It ends with the bench process; an idle one costs nothing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

DRAW_TIMEOUT_S = 300.0  # one figure; matplotlib draws one in well under a second


PARENT_POLL_S = 0.5


def _start_worker(parent: int) -> None:
    """In the worker: ignore Ctrl-C (it reaches the whole process group; the bench process handles
    it, cancelling the figures not yet started) and exit within PARENT_POLL_S once the bench
    process is gone, even killed (the worker's own queue handles keep it from seeing the pipe close)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), name="bench-drawing-watch", daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(0)


class DrawingProcess:
    """One worker process for figures, started on the first figure (spawned: the bench process has
    threads, which a fork would copy half-way). A worker that died (killed, out of memory) fails
    the figures it held; the next figure starts a new one."""

    def __init__(self) -> None:
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def submit(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> concurrent.futures.Future[T]:
        if self._pool is not None:
            try:
                return self._pool.submit(function, *args, **kwargs)
            except concurrent.futures.BrokenExecutor:
                self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
            initargs=(os.getpid(),),
        )
        return self._pool.submit(function, *args, **kwargs)

    def close(self) -> None:
        """Stop the worker after the figure it is drawing, if any; figures not yet started are dropped."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


_shared = DrawingProcess()


def drawing_process() -> DrawingProcess:
    """This bench process's drawing process (its worker starts on the first figure)."""
    return _shared


_collector: ContextVar[tuple[DrawingProcess, list[concurrent.futures.Future[None]]] | None] = ContextVar(
    "bench_plot_collector", default=None
)


def draw(function: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    """`function(*args, **kwargs)`: now, or in the run's drawing process inside `collecting`."""
    collector = _collector.get()
    if collector is None:
        function(*args, **kwargs)
        return
    process, pending = collector
    pending.append(process.submit(function, *args, **kwargs))


@contextmanager
def collecting(process: DrawingProcess | None) -> Iterator[list[concurrent.futures.Future[None]]]:
    """Within the block, `draw` sends figures to `process` (None: draws at once); yields their futures."""
    pending: list[concurrent.futures.Future[None]] = []
    token = _collector.set((process, pending) if process is not None else None)
    try:
        yield pending
    finally:
        _collector.reset(token)


async def finished(pending: list[concurrent.futures.Future[None]]) -> None:
    """Wait until every figure in `pending` is written; re-raises the first drawing's error."""
    for future in pending:
        await asyncio.wait_for(asyncio.wrap_future(future), timeout=DRAW_TIMEOUT_S)
