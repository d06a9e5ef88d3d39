"""The example task that docs/architecture.md walks through, run end to end on the fake backend."""

from __future__ import annotations

import json
from pathlib import Path

from bench.harness.backends.fake import FakeBackend
from bench.harness.requests import LoglikelihoodRequest
from example_task import QUESTIONS


def _expected_accuracy(limit: int) -> float:
    """What the fake backend's log-likelihoods make the task score, computed without the harness."""
    backend = FakeBackend("capitals-model")
    correct = 0
    for country, choices, gold in QUESTIONS[:limit]:
        logprobs = [backend.answer(LoglikelihoodRequest(f"The capital of {country} is", f" {c}")).logprob for c in choices]
        correct += logprobs.index(max(logprobs)) == gold
    return correct / limit


def test_example_task_runs_through_the_cli_on_the_fake_backend(bench_main, tmp_path: Path) -> None:
    result = bench_main(
        "eval", "--backend", "fake", "--model", "capitals-model", "--tasks", "example_capitals",
        "--output-path", str(tmp_path / "out"), "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    [result_file] = (tmp_path / "out").rglob("result.json")
    document = json.loads(result_file.read_text())
    task = document["tasks"]["example_capitals"]
    assert task["status"] == "ok" and task["n_samples"] == len(QUESTIONS)
    [accuracy] = task["metrics"]
    assert accuracy["value"] == _expected_accuracy(len(QUESTIONS))
    assert 0.0 <= accuracy["ci_low"] <= accuracy["value"] <= accuracy["ci_high"] <= 1.0
    assert document["model"]["backend"] == "fake"
    assert document["provenance"]["requests"] == 3 * len(QUESTIONS)


def test_example_task_with_a_small_limit_reports_no_interval(bench_main, tmp_path: Path) -> None:
    result = bench_main(
        "eval", "--backend", "fake", "--model", "capitals-model", "--tasks", "example_capitals", "--limit", "2",
        "--output-path", str(tmp_path / "out"), "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    [result_file] = (tmp_path / "out").rglob("result.json")
    [accuracy] = json.loads(result_file.read_text())["tasks"]["example_capitals"]["metrics"]
    assert accuracy["value"] == _expected_accuracy(2)
    assert accuracy["ci_low"] is None and "n < 5" in accuracy["description"]
