"""Figures drawn now or in the run's drawing process (harness/plotting.py)."""

from __future__ import annotations

import asyncio
import concurrent.futures.process
import os
from pathlib import Path

import pytest
from bench.harness.plotting import DrawingProcess, collecting, draw, drawing_process, finished


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
