"""A run killed with SIGKILL mid-way and started again finishes with identical metrics from the cache.

Only the killed run is a subprocess (it must die by a signal); the reference, the resumed and the
repeated runs go through `main(argv)` in this process, which spares three interpreter starts and their
torch/transformers imports and still reads the cache the killed process left.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bench.harness.results import load_result, load_samples
from conftest import CLI_WITH_TEST_TASKS, run_bench_in_process

pytestmark = pytest.mark.slow

ARGS = ["eval", "--tasks", "arithmetic_dialogue", "--no-progress", "--batch-size", "2",
        "--task-args", "arithmetic_dialogue.episodes=4,arithmetic_dialogue.turns=4"]


def _cached_answers(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _run(out: Path, cache: Path) -> dict:
    result = run_bench_in_process(*ARGS, "--output-path", str(out), "--cache-path", str(cache))
    assert result.returncode == 0, result.stderr
    return load_result(next(out.rglob("result.json")))


def test_sigkilled_run_resumes_with_identical_metrics_and_counts_cache_hits(tmp_path: Path):
    reference = _run(tmp_path / "reference", tmp_path / "reference.sqlite")

    cache = tmp_path / "killed.sqlite"
    proc = subprocess.Popen([sys.executable, str(CLI_WITH_TEST_TASKS), *ARGS, "--output-path", str(tmp_path / "killed"),
                             "--cache-path", str(cache)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while _cached_answers(cache) < 4 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    answered_before_kill = _cached_answers(cache)
    assert 4 <= answered_before_kill < 16
    assert not list((tmp_path / "killed").rglob("result.json"))

    resumed = _run(tmp_path / "resumed", cache)
    task_resumed, task_reference = resumed["tasks"]["arithmetic_dialogue"], reference["tasks"]["arithmetic_dialogue"]
    assert task_resumed["metrics"] == task_reference["metrics"]
    assert resumed["provenance"]["cache_hits"] == answered_before_kill
    assert resumed["provenance"]["backend_requests"] == 16 - answered_before_kill
    replies = lambda doc, folder: {s["id"]: s["reply"] for s in load_samples(next(folder.rglob("result.json")), "arithmetic_dialogue")}  # noqa: E731
    assert replies(resumed, tmp_path / "resumed") == replies(reference, tmp_path / "reference")

    repeated = _run(tmp_path / "repeated", cache)
    assert repeated["provenance"]["cache_hits"] == 16 and repeated["provenance"]["backend_requests"] == 0
    assert repeated["tasks"]["arithmetic_dialogue"]["metrics"] == task_reference["metrics"]
