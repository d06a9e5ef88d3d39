"""`bench report hallucination`: the by-family view on synthetic runs with a known difference, and the
command on result documents written by the fake backend."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bench.harness.config import EvalConfig
from bench.harness.scheduler import evaluate
from bench.tasks.hallucination.report import ModelRun, TaskScores, build_report, render_markdown, size_bucket


def _run(model: str, family: str, params: int, fact: float, faith: float) -> ModelRun:
    """Two factuality and two faithfulness probes, 20 samples each, a share `fact`/`faith` correct."""
    def scores(task: str, share: float) -> TaskScores:
        samples = tuple(1.0 if i < round(20 * share) else 0.0 for i in range(20))
        return TaskScores(task, sum(samples) / 20, samples)

    return ModelRun(model, family, params, {
        "hallu_fever": scores("hallu_fever", fact), "hallu_true_false": scores("hallu_true_false", fact),
        "hallu_memo_trap": scores("hallu_memo_trap", faith), "hallu_halueval_qa": scores("hallu_halueval_qa", faith),
    })


def test_a_known_family_difference_shows_in_scores_and_deltas() -> None:
    runs = [
        _run("llama-1b", "attention", 1_200_000_000, fact=0.8, faith=0.3),
        _run("qwen-1b", "attention", 1_500_000_000, fact=0.7, faith=0.4),
        _run("mamba-1b", "recurrent", 1_400_000_000, fact=0.8, faith=0.9),
        _run("mamba-130m", "recurrent", 130_000_000, fact=0.2, faith=0.6),
    ]
    report = build_report(runs, seed=1)
    by_model = {row["model"]: row for row in report["models"]}
    assert by_model["llama-1b"]["factuality"]["value"] == pytest.approx(0.8)
    assert by_model["llama-1b"]["faithfulness"]["value"] == pytest.approx(0.3)
    low, high = by_model["llama-1b"]["faithfulness"]["ci"]
    assert 0.0 <= low < 0.3 < high <= 1.0
    groups = {(g["family"], g["size"]): g for g in report["families"]}
    assert groups[("attention", "1-3B")]["faithfulness"]["value"] == pytest.approx(0.35)
    assert groups[("recurrent", "1-3B")]["faithfulness"]["value"] == pytest.approx(0.9)
    # Matched size only: the 130M Mamba has no attention partner, so no "<1B" deltas.
    assert {d["size"] for d in report["deltas"]} == {"1-3B"}
    memo = next(d for d in report["deltas"] if d["task"] == "hallu_memo_trap")
    assert (memo["family_a"], memo["family_b"]) == ("attention", "recurrent")
    assert memo["delta"] == pytest.approx(0.35 - 0.9)
    assert memo["ci"][1] < 0  # the recurrent models are clearly more faithful here
    fever = next(d for d in report["deltas"] if d["task"] == "hallu_fever")
    assert fever["ci"][0] < fever["delta"] < fever["ci"][1]
    assert "| mamba-1b | recurrent | 1.40B |" in render_markdown(report)


def test_size_buckets() -> None:
    assert [size_bucket(p) for p in (None, 135_000_000, 1_000_000_000, 7_000_000_000, 70_000_000_000)] == [
        "unknown", "<1B", "1-3B", "3-10B", ">=30B"]


def _fake_run(tmp_path: Path, model: str) -> Path:
    config = EvalConfig(tasks=("hallu_true_false", "hallu_memo_trap"), backend="fake", model=model, limit=8,
                        output_path=str(tmp_path / "results"), cache_path=str(tmp_path / "cache.sqlite"),
                        show_progress=False)
    outcome = evaluate(config)
    assert outcome.exit_code == 0
    return outcome.result_path


def test_the_command_writes_the_report_for_two_families(
    tmp_path: Path, bench_main: Callable[..., Any]
) -> None:
    for model, family in (("fake-llama", "attention"), ("fake-mamba", "recurrent")):
        path = _fake_run(tmp_path, model)
        document = json.loads(path.read_text())
        document["model"]["architecture"] = {"family": family, "model_type": None, "architectures": [],
                                             "parameter_count": 130_000_000, "context_length": None}
        path.write_text(json.dumps(document))
    out = tmp_path / "report"
    result = bench_main("report", "hallucination", str(tmp_path / "results"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "hallucination_report.json").read_text())
    assert {row["family"] for row in report["models"]} == {"attention", "recurrent"}
    assert {d["task"] for d in report["deltas"]} == {"hallu_true_false", "hallu_memo_trap"}
    assert (out / "faithfulness_vs_factuality.png").stat().st_size > 0 and (out / "family_deltas.png").exists()


def test_the_command_refuses_folders_without_probe_results_in_one_line(
    tmp_path: Path, bench_main: Callable[..., Any]
) -> None:
    result = bench_main("report", "hallucination", str(tmp_path / "missing"), "-o", str(tmp_path / "out"))
    assert result.returncode == 2 and result.stderr.strip().startswith("bench: error:") and "missing" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
