"""Figures drawn now or in the run's drawing process (harness/plotting.py)."""

from __future__ import annotations

import asyncio
import concurrent.futures.process
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bench.harness.plotting import PARENT_POLL_S, DrawingProcess, collecting, draw, drawing_process, finished


def test_draw_outside_a_run_writes_at_once(tmp_path: Path) -> None:
    target = tmp_path / "figure.txt"
    draw(Path.write_text, target, "drawn")
    assert target.read_text() == "drawn"


def test_draw_without_a_process_inside_collecting_writes_at_once(tmp_path: Path) -> None:
    target = tmp_path / "figure.txt"
    with collecting(None) as pending:
        draw(Path.write_text, target, "drawn")
    assert pending == [] and target.read_text() == "drawn"


def test_drawings_go_to_the_second_process_and_are_awaited(tmp_path: Path) -> None:
    process = DrawingProcess()
    try:
        with collecting(process) as pending:
            draw(Path.write_text, tmp_path / "a.txt", "first")
            draw(Path.write_text, tmp_path / "b.txt", "second")
        assert len(pending) == 2
        asyncio.run(finished(pending))
        assert (tmp_path / "a.txt").read_text() == "first" and (tmp_path / "b.txt").read_text() == "second"
        worker = process.submit(os.getpid).result(timeout=60)
        assert worker != os.getpid()
    finally:
        process.close()
    # outside the block, draw is a plain call again
    draw(Path.write_text, tmp_path / "c.txt", "third")
    assert (tmp_path / "c.txt").read_text() == "third"


def test_a_failed_drawing_raises_from_finished(tmp_path: Path) -> None:
    process = DrawingProcess()
    try:
        with collecting(process) as pending:
            draw(Path.write_text, tmp_path / "missing-folder" / "figure.txt", "x")
        with pytest.raises(FileNotFoundError):
            asyncio.run(finished(pending))
    finally:
        process.close()


def test_a_dead_worker_is_replaced_on_the_next_figure(tmp_path: Path) -> None:
    process = DrawingProcess()
    try:
        first = process.submit(os.getpid).result(timeout=60)
        os.kill(first, 9)
        # The figure sent while the pool has not yet noticed the death fails; then a new worker draws.
        try:
            worker = process.submit(os.getpid).result(timeout=60)
        except concurrent.futures.process.BrokenProcessPool:
            worker = process.submit(os.getpid).result(timeout=60)
        assert worker not in (first, os.getpid())
    finally:
        process.close()


def test_the_scheduler_draws_in_one_process_for_every_run() -> None:
    assert drawing_process() is drawing_process()


KILLED_PARENT = r"""
import os, time
from bench.harness.plotting import drawing_process
print(drawing_process().submit(os.getpid).result(timeout=60), flush=True)
time.sleep(60)
"""


def test_the_worker_exits_when_the_bench_process_is_killed() -> None:
    proc = subprocess.Popen([sys.executable, "-c", KILLED_PARENT], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    worker = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10 * PARENT_POLL_S + 5
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(worker)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "zombie" not in status.read()
    except FileNotFoundError:
        return False
