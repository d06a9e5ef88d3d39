"""lm-eval tasks run through bench: a local-data lm-eval task scored by bench's hf backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.harness.requests import LoglikelihoodRequest
from bench.harness.results import load_result, load_samples
from lm_eval_capitals import ITEMS, write_capitals_task

pytestmark = pytest.mark.slow


def _write_task(folder: Path) -> None:
    write_capitals_task(folder, "bench_capitals")


def test_local_lm_eval_task_runs_through_bench_and_agrees_with_direct_scoring(bench_main, tmp_path: Path, embedded_hf):
    _write_task(tmp_path)
    result = bench_main("eval", "--tasks", "lm_eval", "--task-args", f"lm_eval.tasks=bench_capitals,lm_eval.include_path={tmp_path}",
                        "--output-path", str(tmp_path / "out"), "--no-progress")
    assert result.returncode == 0, result.stderr[-3000:]
    path = next((tmp_path / "out").rglob("result.json"))
    task = load_result(path)["tasks"]["lm_eval"]
    acc = next(m for m in task["metrics"] if m["name"] == "bench_capitals/acc")
    assert acc["direction"] == "higher" and acc["n"] == len(ITEMS) and acc["stderr"] is not None

    # the same decision computed directly: argmax over choices of log P(" choice" | prompt)
    expected = []
    for item in ITEMS:
        prompt = f"Q: What is the capital of {item['country']}?\nA:"
        answers = embedded_hf.loglikelihood([LoglikelihoodRequest(prompt, " " + c) for c in item["choices"]])
        best = max(range(len(answers)), key=lambda i: answers[i].logprob)
        expected.append(float(best == item["gold"]))
    samples = sorted(load_samples(path, "lm_eval"), key=lambda s: s["doc_id"])
    assert [s["bench_capitals/acc"] for s in samples] == expected
    assert acc["value"] == pytest.approx(sum(expected) / len(expected))


def test_unknown_lm_eval_task_is_one_line_input_error(bench_main, tmp_path: Path):
    # The lookup fails inside lm-eval before any request: the fake backend stands in for a model.
    result = bench_main("eval", "--tasks", "lm_eval", "--task-args", "lm_eval.tasks=no_such_lm_eval_task",
                        "--backend", "fake", "--output-path", str(tmp_path), "--no-progress")
    assert result.returncode == 2
    assert "task 'lm_eval' failed: lm-eval could not run ['no_such_lm_eval_task']" in result.stderr
    # the failure is recorded in a valid result document rather than losing the run
    document = load_result(next(tmp_path.rglob("result.json")))
    assert document["tasks"]["lm_eval"]["status"] == "failed"
