"""The scheduler on the fake backend: tasks run together, one failure is isolated, capabilities and
sample ids are checked, the result document is written atomically, and progress is reported."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bench.harness import registry
from bench.harness.backends.fake import FakeBackend
from bench.harness.config import EvalConfig
from bench.harness.errors import EXIT_TASK, CapabilityError, DataError
from bench.harness.progress import Progress
from bench.harness.requests import CompletionRequest, GenerationParams, RequestKind
from bench.harness.scheduler import evaluate, task_seed
from bench.harness.task import MetricValue, Summary, SummaryContext, Task, TaskContext


@dataclass(frozen=True)
class CountConfig:
    n: int = 3
    fail_with: str = ""  # "", "crash", "data": how (whether) the task fails after its requests
    duplicate_ids: bool = False


class _CompletionTask(Task):
    """Asks `n` completions, returns one sample per answer; can be told to fail (a base: no name)."""

    version = "1"
    config_class = CountConfig
    request_kinds = frozenset({RequestKind.COMPLETION})
    headline_metric = "words"
    description = "scheduler test task"

    async def run(self, ctx: TaskContext) -> list[dict[str, Any]]:
        config: CountConfig = ctx.config
        n = config.n if ctx.limit is None else min(config.n, ctx.limit)
        ctx.progress.start(self.name, n)

        async def one(i: int) -> dict[str, Any]:
            answer = await ctx.model.complete(f"{self.name} prompt {i}", GenerationParams(max_tokens=8))
            ctx.progress.advance(self.name)
            return {"id": "same" if config.duplicate_ids else f"s{i}", "text": answer.text, "seed": ctx.seed}

        samples = list(await asyncio.gather(*(one(i) for i in range(n))))
        if config.fail_with == "crash":
            raise ZeroDivisionError("the task's own bug")
        if config.fail_with == "data":
            raise DataError("the task's data file is broken")
        return samples

    def summarize(self, samples: list[dict[str, Any]], config: CountConfig, ctx: SummaryContext) -> Summary:
        words = sum(len(s["text"].split()) for s in samples) / len(samples)
        return Summary([MetricValue("words", words, "none", len(samples))])


class AlphaTask(_CompletionTask):
    name = "sched_alpha"


class BetaTask(_CompletionTask):
    name = "sched_beta"


class ScoreTask(_CompletionTask):
    name = "sched_score"
    request_kinds = frozenset({RequestKind.SCORE})


@pytest.fixture(autouse=True)
def test_tasks() -> None:
    for task in (AlphaTask, BetaTask, ScoreTask):
        registry.register_task(task.name, task)


def _config(tmp_path: Path, tasks: tuple[str, ...], **overrides: Any) -> EvalConfig:
    values: dict[str, Any] = {
        "tasks": tasks, "backend": "fake", "model": "sched-model", "output_path": str(tmp_path / "out"),
        "cache_path": str(tmp_path / "cache.sqlite"), "show_progress": False,
    }
    return EvalConfig(**{**values, **overrides})


def _document(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_tasks_share_one_run_and_answers_are_the_backends(tmp_path: Path) -> None:
    outcome = evaluate(_config(tmp_path, ("sched_alpha", "sched_beta")))
    assert outcome.exit_code == 0 and outcome.failed_tasks == []
    document = _document(outcome.result_path)
    fake = FakeBackend("sched-model")
    for name in ("sched_alpha", "sched_beta"):
        entry = document["tasks"][name]
        assert entry["status"] == "ok" and entry["n_samples"] == 3
        samples = [json.loads(line) for line in (outcome.result_path.parent / entry["samples_file"]).read_text().splitlines()]
        expected = [fake.answer(CompletionRequest(f"{name} prompt {i}", GenerationParams(max_tokens=8))).text for i in range(3)]
        assert [s["text"] for s in samples] == expected
        assert {s["seed"] for s in samples} == {task_seed(1234, name)}
    assert document["provenance"]["requests"] == 6


def test_a_crashing_task_is_recorded_and_the_others_finish(tmp_path: Path) -> None:
    config = _config(tmp_path, ("sched_alpha", "sched_beta"), task_args={"sched_beta": {"fail_with": "crash"}})
    outcome = evaluate(config)
    assert outcome.failed_tasks == ["sched_beta"] and outcome.exit_code == EXIT_TASK
    document = _document(outcome.result_path)
    failed, ok = document["tasks"]["sched_beta"], document["tasks"]["sched_alpha"]
    assert failed["status"] == "failed" and failed["error"] == "ZeroDivisionError: the task's own bug"
    assert failed["metrics"] == [] and failed["samples_file"] is None
    assert ok["status"] == "ok" and ok["n_samples"] == 3
    # The failed task's traceback is kept in the run's log, not lost.
    assert "ZeroDivisionError" in (outcome.result_path.parent / "bench.log").read_text()


def test_a_task_raising_a_bench_error_keeps_its_exit_code(tmp_path: Path) -> None:
    outcome = evaluate(_config(tmp_path, ("sched_alpha",), task_args={"sched_alpha": {"fail_with": "data"}}))
    assert outcome.exit_code == DataError.exit_code == 2
    assert _document(outcome.result_path)["tasks"]["sched_alpha"]["error"] == "the task's data file is broken"


def test_answered_requests_of_a_failed_task_are_cached_for_the_rerun(tmp_path: Path) -> None:
    evaluate(_config(tmp_path, ("sched_alpha",), task_args={"sched_alpha": {"fail_with": "crash"}}))
    rerun = evaluate(_config(tmp_path, ("sched_alpha",)))
    provenance = _document(rerun.result_path)["provenance"]
    assert rerun.exit_code == 0 and provenance["cache_hits"] == provenance["requests"] == 3


def test_backend_failure_fails_the_tasks_whose_requests_it_hit(tmp_path: Path) -> None:
    outcome = evaluate(_config(tmp_path, ("sched_alpha",), model_args={"fail_at": 1, "batch_size": 1}))
    entry = _document(outcome.result_path)["tasks"]["sched_alpha"]
    assert entry["status"] == "failed" and "fail_at=1" in entry["error"]
    assert outcome.exit_code == 3  # the BackendError's own code


def test_missing_capability_is_refused_before_any_request(tmp_path: Path) -> None:
    config = _config(tmp_path, ("sched_alpha", "sched_score"), model_args={"capabilities": "completion|chat"})
    with pytest.raises(CapabilityError, match=r"task 'sched_score' needs score requests.*it serves: chat, completion"):
        evaluate(config)
    assert list((tmp_path / "out").rglob("result.json")) == []


def test_duplicate_sample_ids_fail_the_task(tmp_path: Path) -> None:
    outcome = evaluate(_config(tmp_path, ("sched_alpha",), task_args={"sched_alpha": {"duplicate_ids": True}}))
    entry = _document(outcome.result_path)["tasks"]["sched_alpha"]
    assert entry["status"] == "failed" and "unique 'id'" in entry["error"]
    assert outcome.exit_code == EXIT_TASK


def test_result_and_samples_are_written_whole_with_their_checksum(tmp_path: Path) -> None:
    outcome = evaluate(_config(tmp_path, ("sched_alpha",)))
    run_dir = outcome.result_path.parent
    entry = _document(outcome.result_path)["tasks"]["sched_alpha"]
    assert hashlib.sha256((run_dir / entry["samples_file"]).read_bytes()).hexdigest() == entry["samples_sha256"]
    assert not [p.name for p in run_dir.iterdir() if p.name.endswith(".tmp")]


def test_a_failed_write_leaves_no_partial_result_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = os.replace

    def refuse_result(src: Any, dst: Any) -> None:
        if str(dst).endswith("result.json"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse_result)
    with pytest.raises(OSError, match="No space left"):
        evaluate(_config(tmp_path, ("sched_alpha",)))
    leftovers = [p.name for p in (tmp_path / "out").rglob("*") if "result.json" in p.name]
    assert leftovers == []


def test_progress_counts_every_sample_of_every_task(tmp_path: Path) -> None:
    stream = io.StringIO()
    progress = Progress(stream=stream, enabled=True)
    evaluate(_config(tmp_path, ("sched_alpha", "sched_beta"), task_args={"sched_beta": {"n": 5}}), progress=progress)
    assert (progress.done("sched_alpha"), progress.done("sched_beta")) == (3, 5)
    assert "sched_beta" in stream.getvalue()


def test_limit_caps_each_task(tmp_path: Path) -> None:
    outcome = evaluate(_config(tmp_path, ("sched_alpha", "sched_beta"), limit=2))
    document = _document(outcome.result_path)
    assert [document["tasks"][n]["n_samples"] for n in ("sched_alpha", "sched_beta")] == [2, 2]
