"""`uno` and `uno_tutri` through `bench eval` on the fake backend, in each answer mode: the
constrained and choose modes play every decision from the model (zero fallbacks), free mode keeps
the paper's protocol (unusable answers retried, then the recorded fallback), every record names its
mode; metrics recomputed by `summarize` from the written samples equal the run's, and shards of a
run partition its games."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bench.harness.results import load_result, load_samples
from bench.harness.samples import summarize_samples
from bench.harness.scheduler import task_seed
from bench.tasks.uno.config import UnoConfig
from bench.tasks.uno.task import UnoTask, UnoTutriTask

SHORT = "max_turns=24,rollouts=10,history_window=4"


def _eval(bench_main, tmp_path: Path, mode: str, *extra: str, limit: int = 4, name: str = "out", options: str = "") -> Path:
    """One run of both tasks; `options` (k=v,...) apply to both."""
    settings = [*SHORT.split(","), f"answer_mode={mode}", *filter(None, options.split(","))]
    args = [f"{task}.{kv}" for task in ("uno", "uno_tutri") for kv in settings]
    result = bench_main("eval", "--backend", "fake", "--model", "fake-uno", "--tasks", "uno,uno_tutri",
                        "--limit", str(limit), "--output-path", str(tmp_path / name), "--no-progress",
                        "--task-args", ",".join(args), *extra)
    assert result.returncode == 0, result.stderr
    [path] = (tmp_path / name).rglob("result.json")
    return path


def _decisions(path: Path, task: str) -> list[dict[str, Any]]:
    return [s for s in load_samples(path, task) if s["record"] == "decision"]


@pytest.mark.parametrize("mode", ["constrained", "choose"])
def test_constrained_and_choose_modes_never_fall_back(bench_main, tmp_path: Path, mode: str):
    path = _eval(bench_main, tmp_path, mode)
    document = load_result(path)
    for task in ("uno", "uno_tutri"):
        entry = document["tasks"][task]
        assert entry["config"]["answer_mode"] == mode and entry["comparability_keys"] == ["answer_mode"]
        decisions = _decisions(path, task)
        assert decisions and all(d["answer_mode"] == mode for d in decisions)
        assert sum(d["fallback"] for d in decisions) == 0 and sum(d["invalid_answers"] for d in decisions) == 0
        metrics = {m["name"]: m for m in entry["metrics"]}
        assert metrics["fallback_rate"]["value"] == 0.0 and metrics["invalid_answer_rate"]["value"] == 0.0
        calls = 3 if task == "uno_tutri" else 1  # one answer (or one choice) per turn
        assert all(d["model_calls"] == calls for d in decisions)
        if mode == "choose":
            for d in decisions:
                assert len(d["choice_logprobs"]) == calls
                assert all(len(scores) == len(d["candidates"]) for scores in d["choice_logprobs"])
                # The first turn played the most likely candidate (ties to the earlier one).
                first = d["choice_logprobs"][0]
                chosen = d["stage_actions"][0] if "stage_actions" in d else d["chosen"]
                assert d["candidates"].index(chosen) == first.index(max(first))
        else:
            assert all("choice_logprobs" not in d for d in decisions)


def test_free_mode_keeps_the_papers_protocol(bench_main, tmp_path: Path):
    # The fake backend's replies are words, never JSON: each decision asks 1 + max_retries times and
    # then plays the recorded random fallback, as before answer modes existed.
    path = _eval(bench_main, tmp_path, "free", options="max_retries=1")
    decisions = _decisions(path, "uno")
    assert decisions and all(d["fallback"] == 1 and d["model_calls"] == 2 and d["answer_mode"] == "free"
                             for d in decisions)
    metrics = {m["name"]: m for m in load_result(path)["tasks"]["uno"]["metrics"]}
    assert metrics["fallback_rate"]["value"] == 1.0


def _config(entry: dict[str, Any]) -> UnoConfig:
    config = dict(entry["config"])
    for key in ("settings", "opponents", "ks"):
        config[key] = tuple(config[key])
    return UnoConfig(**config)


@pytest.mark.parametrize("mode", ["free", "choose"])
def test_summarize_from_the_written_samples_equals_the_runs_metrics(bench_main, tmp_path: Path, mode: str):
    path = _eval(bench_main, tmp_path, mode, options="scored_decisions=all", limit=6)
    document = load_result(path)
    for task in (UnoTask(), UnoTutriTask()):
        entry = document["tasks"][task.name]
        samples = load_samples(path, task.name)
        summary = summarize_samples(task, samples, _config(entry), task_seed(document["config"]["seed"], task.name),
                                    tmp_path / "rescored" / task.name)
        recomputed = [json.loads(json.dumps(m.to_json())) for m in summary.metrics]
        assert {m["name"]: m for m in recomputed} == {m["name"]: m for m in entry["metrics"]}
        assert summary.extra["answer_mode"] == mode == entry["extra"]["answer_mode"]
        assert any(m["name"].startswith("adr_at_3") and m["ci_low"] is not None for m in recomputed)  # bootstrap too


def test_shards_partition_the_games_and_reproduce_their_records(bench_main, tmp_path: Path):
    whole = _eval(bench_main, tmp_path, "choose", limit=6, name="whole")
    parts = [_eval(bench_main, tmp_path, "choose", "--shard", f"{i}/2", limit=6, name=f"part{i}") for i in range(2)]
    for task in ("uno", "uno_tutri"):
        records = {s["id"]: s for s in load_samples(whole, task)}
        shard_records = [load_samples(p, task) for p in parts]
        games = [{s["id"] for s in part if s["record"] == "game"} for part in shard_records]
        assert games[0] and games[1] and not games[0] & games[1]
        assert games[0] | games[1] == {i for i, s in records.items() if s["record"] == "game"}
        # Stratified by cell: both shards hold 1v1 games.
        for part in shard_records:
            assert any(s["record"] == "game" and s["setting"] == "1v1" for s in part)
            for s in part:
                assert s == records[s["id"]]  # same game, same deal, same decisions


def test_choose_mode_needs_a_backend_that_scores_loglikelihoods(bench_main, tmp_path: Path):
    result = bench_main("eval", "--backend", "fake", "--model", "fake-uno", "--model-args", "capabilities=chat",
                        "--tasks", "uno", "--limit", "1", "--output-path", str(tmp_path / "out"), "--no-progress",
                        "--task-args", "uno.answer_mode=choose")
    assert result.returncode != 0 and "loglikelihood" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_bad_answer_mode_is_a_one_line_input_error(bench_main, tmp_path: Path):
    result = bench_main("eval", "--backend", "fake", "--model", "fake-uno", "--tasks", "uno", "--limit", "1",
                        "--output-path", str(tmp_path / "out"), "--no-progress", "--task-args", "uno.answer_mode=json")
    assert result.returncode == 2 and "uno.answer_mode must be one of 'free', 'constrained', 'choose'" in result.stderr
