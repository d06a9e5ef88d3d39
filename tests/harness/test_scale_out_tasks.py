"""Every registered task on the split contract, on the fake backend (fast tier):

- `summarize` on the records as written reproduces the run's metrics (`bench rescore`, end to end);
- `--shard i/3` runs merged with `bench merge` give exactly the unsharded run's metrics and records.

All tasks run in one `bench eval` (they share the event loop), so the whole check is four runs
(about 1.5 min on a quiet machine with every task's `--limit 3`: slow tier).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bench.harness import registry
from bench.harness.results import load_samples
from bench_with_test_tasks import register_test_tasks
from lm_eval_capitals import ITEMS, write_capitals_task

pytestmark = pytest.mark.slow

LIMIT = 3
SHARDS = 3


def _lm_eval_task(folder: Path) -> str:
    """The lm-eval task needs a task definition: four documents of the bridge test's local task."""
    return write_capitals_task(folder, "bench_capitals_scale", ITEMS[:4])


def _every_task() -> list[str]:
    register_test_tasks()
    return registry.task_names()


def _split_tasks() -> list[str]:
    """The tasks on the split contract (run -> records, summarize -> metrics); the others cannot be
    rescored or merged (test_every_task_implements_summarize names them)."""
    return [name for name in _every_task() if registry.load_task_class(name).implements_summarize()]


def test_every_task_implements_summarize() -> None:
    missing = [name for name in _every_task() if not registry.load_task_class(name).implements_summarize()]
    assert not missing, f"tasks still computing metrics inside run (not rescorable, not mergeable): {missing}"


def _result(folder: Path) -> Path:
    [path] = folder.rglob("result.json")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Any]:
    """One unsharded run and its three shards of every registered task (fake backend, shared cache)."""
    from conftest import run_bench_in_process

    tmp = tmp_path_factory.mktemp("scale_out")
    tasks = _split_tasks()
    common = [
        "eval", "--backend", "fake", "--model", "fake-scale", "--tasks", ",".join(tasks), "--limit", str(LIMIT),
        *(["--task-args", _lm_eval_task(tmp)] if "lm_eval" in tasks else []), "--no-progress", "--cache-path", str(tmp / "cache.sqlite"),
    ]
    out: dict[str, Any] = {}
    for label, extra in [("full", [])] + [(f"shard{i}", ["--shard", f"{i}/{SHARDS}"]) for i in range(SHARDS)]:
        result = run_bench_in_process(*common, "--output-path", str(tmp / label), *extra)
        assert result.returncode == 0, result.stderr[-3000:]
        out[label] = _result(tmp / label)
    for task in tasks:  # one merge per task: one task's refusal must not hide the others' results
        merged = run_bench_in_process(
            "merge", *[str(out[f"shard{i}"].parent) for i in range(SHARDS)], "-o", str(tmp / "merged" / task),
            "--tasks", task,
        )
        out[f"merged/{task}"] = tmp / "merged" / task / "result.json"
        out[f"merge-error/{task}"] = merged.stderr
    rescored = run_bench_in_process("rescore", str(out["full"].parent), "-o", str(tmp / "rescored"))
    assert rescored.returncode == 0, rescored.stderr
    out["rescored"] = tmp / "rescored" / "result.json"
    return out


@pytest.mark.parametrize("task", _split_tasks())
def test_rescore_from_the_written_samples_reproduces_the_metrics(runs: dict[str, Any], task: str) -> None:
    run = json.loads(runs["full"].read_text())["tasks"][task]
    again = json.loads(runs["rescored"].read_text())["tasks"][task]
    assert run["status"] == "ok", run["error"]
    assert run["metrics"] and again["metrics"] == run["metrics"]
    assert again["metrics_version"] == str(registry.load_task_class(task).metrics_version)
    assert again["extra"] == run["extra"]


@pytest.mark.parametrize("task", _split_tasks())
def test_three_shards_merge_to_the_unsharded_run(runs: dict[str, Any], task: str) -> None:
    assert runs[f"merged/{task}"].exists(), runs[f"merge-error/{task}"]
    full = json.loads(runs["full"].read_text())["tasks"][task]
    document = json.loads(runs[f"merged/{task}"].read_text())
    assert list(document["tasks"]) == [task] and document["config"]["tasks"] == [task]
    merged = document["tasks"][task]
    assert merged["metrics"] == full["metrics"]
    # The records are the same ones: the shards partition the units, nothing is evaluated twice.
    assert load_samples(runs[f"merged/{task}"], task) == load_samples(runs["full"], task)
    sizes = [json.loads(runs[f"shard{i}"].read_text())["tasks"][task]["n_samples"] for i in range(SHARDS)]
    assert sum(sizes) == full["n_samples"]
    if full["n_samples"] >= SHARDS:
        assert all(size > 0 for size in sizes), sizes  # a real partition, not one shard doing everything
