"""`bench sweep` on a local Ray instance with two workers: two models x two tasks x two shards.

A worker is killed (SIGKILL) in the middle of a unit; Ray runs the unit again, it resumes from the
node's request cache, and the merged results equal those of an undisturbed sweep. The models are
the fake backend's `sweep-model` and a variant of it (another answer seed): what is tested is the
distribution, retry and merge machinery, which a real model would only slow down.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

import pytest
import ray  # the optional extra (scripts/bootstrap.sh installs it for the tests)

pytestmark = pytest.mark.slow

VICTIM = "sweep-model/uno/shard-0-of-2"

SWEEP = """
output = "{out}"
shards = 2
limit = 4
seed = 11
max_retries = 2
cache_dir = "{cache}"

[[models]]
name = "sweep-model"
model = "sweep-model"
backend = "fake"
model_args = {{ delay = 0.1 }}

[[models]]
name = "sweep-variant"
model = "sweep-model"
backend = "fake"
model_args = {{ seed = 1, delay = 0.1 }}

[[tasks]]
name = "uno"

[[tasks]]
name = "rewardbench_length"
"""


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=128 * 2**20)
    yield
    ray.shutdown()


def _sweep(tmp_path: Path, name: str):
    from bench.harness.sweep.config import read_sweep_config

    path = tmp_path / f"{name}.toml"
    path.write_text(SWEEP.format(out=tmp_path / name, cache=tmp_path / f"{name}-cache"))
    return read_sweep_config(path)


def _merged(root: Path) -> dict[str, tuple[list, str]]:
    out = {}
    for path in sorted((root / "merged").rglob("result.json")):
        document = json.loads(path.read_text())
        for task, entry in document["tasks"].items():
            out[f"{path.parent.parent.name}/{task}"] = (entry["metrics"], entry["samples_sha256"])
    return out


def test_a_killed_worker_is_retried_and_the_results_equal_an_undisturbed_sweep(local_ray, tmp_path: Path) -> None:
    from bench.harness.sweep.runner import run_sweep

    calm = run_sweep(_sweep(tmp_path, "calm"), show_progress=False)
    assert not calm.failures and len(calm.results) == 8 and len(calm.merged) == 4

    killed: list[int] = []

    def kill_mid_unit(key: str, pid: int, node: str) -> None:
        if key == VICTIM and not killed:
            killed.append(pid)
            threading.Timer(0.8, os.kill, (pid, signal.SIGKILL)).start()  # mid-unit: it takes > 1.5 s

    disturbed = run_sweep(_sweep(tmp_path, "disturbed"), on_start=kill_mid_unit, show_progress=False)
    assert killed, "the victim unit never started"
    assert not disturbed.failures, disturbed.failures
    assert disturbed.progress is not None
    victim = disturbed.progress.units[VICTIM]
    assert victim.attempts == 2 and victim.pids[0] == killed[0] and victim.pids[1] != killed[0]
    assert any("attempt 2 (the previous worker died)" in line for line in disturbed.progress.lines)
    assert _merged(tmp_path / "disturbed") == _merged(tmp_path / "calm")
    assert len(_merged(tmp_path / "calm")) == 4
    # One request cache per node (here: one node), shared by both workers.
    assert len(list((tmp_path / "disturbed-cache").glob("requests-*.sqlite"))) == 1


def test_a_finished_sweep_run_again_skips_every_unit(local_ray, tmp_path: Path) -> None:
    from bench.harness.sweep.runner import run_sweep

    sweep = _sweep(tmp_path, "again")
    first = run_sweep(sweep, show_progress=False)
    assert not first.failures
    before = _merged(tmp_path / "again")
    second = run_sweep(sweep, show_progress=False)
    assert all(result.skipped for result in second.results.values()) and len(second.results) == 8
    assert _merged(tmp_path / "again") == before and len(second.merged) == 4
