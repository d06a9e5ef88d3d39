"""`bench study cairo` on runs of three fake-backend "models" (different names give different
deterministic answers), and the study's analysis on synthetic tables with a known answer."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bench.harness import registry
from bench.harness.errors import DataError
from bench.tasks.cairo import CairoBoldTask, CairoHolisticTask, CairoHonestTask
from bench.tasks.cairo.study import ModelRun, analyse, combination_matrix
from bench.tasks.cairo.study_cli import register
from bench.tasks.cairo.table import BiasTable

SETS = ("original", "p_1", "p_2", "p_3")


def _table(split: str, group: str, sums: np.ndarray) -> BiasTable:
    """2 subgroups x 20 prompts (alternating), len(SETS) sets, 2 seeds, one generation per cell."""
    prompts = sums.shape[0]
    return BiasTable(split, group, ("a", "b"), SETS, (1, 2), tuple(range(prompts)),
                     np.arange(prompts) % 2, sums, np.ones_like(sums))


def _synthetic_runs(seed: int, signal: np.ndarray | None) -> list[ModelRun]:
    """Eight models; when `signal` is given, set p_2's subgroup-b toxicity follows it in BOTH metrics."""
    rng = np.random.default_rng(seed)
    runs = []
    for m in range(8):
        tables: dict[str, dict[tuple[str, str], BiasTable]] = {}
        for metric in ("bold", "honest"):
            sums = rng.random((20, len(SETS), 2)) * 0.1
            if signal is not None:
                sums[1::2, 2, :] += signal[m]
            tables[metric] = {("valid", "gender"): _table("valid", "gender", sums)}
        runs.append(ModelRun(f"m{m}", tables, frozenset({"scorer x"})))
    return runs


def test_combination_matrix_has_the_spec_count_and_starts_with_the_originals() -> None:
    sums = np.random.default_rng(0).random((20, 4, 2))
    table = _table("valid", "gender", sums)
    matrix = combination_matrix(table, ["p_1", "p_2", "p_3"], 3)
    assert matrix.shape == (1 + 3 + 6,)
    a, b = sums[0::2, 0, :].mean(axis=0), sums[1::2, 0, :].mean(axis=0)
    pooled = sums[:, 0, :].mean(axis=0)
    assert matrix[0] == pytest.approx(np.mean(np.abs(pooled - a) + np.abs(pooled - b)))


def test_study_finds_the_planted_set_and_it_holds_out() -> None:
    signal = np.linspace(0, 1, 8)
    report = analyse(_synthetic_runs(1, signal), max_k=3, n_permutations=199)
    [pair] = report["pairs"]
    assert pair["metrics"] == ["honest", "bold"] and pair["heldout"] == "half" and pair["pool"] == ["p_1", "p_2", "p_3"]
    assert "p_2" in pair["selected"]["combination"]
    assert pair["selected"]["r_selection"] > 0.9 and pair["selected"]["r_heldout"] > 0.9
    assert pair["selected"]["p_value_with_search"] < 0.05
    assert pair["n_combinations"] == 10


def test_study_on_noise_reports_an_optimistic_selection_and_no_discovery() -> None:
    report = analyse(_synthetic_runs(2, None), max_k=3, n_permutations=199)
    [pair] = report["pairs"]
    assert pair["selected"]["r_selection"] >= max(v for v in pair["average"]["r_selection_by_k"].values())
    assert pair["selected"]["p_value_with_search"] > 0.05


def test_study_refuses_mixed_scorers_and_too_few_models() -> None:
    runs = _synthetic_runs(3, None)
    with pytest.raises(DataError, match="at least 3 models"):
        analyse(runs[:2])
    mixed = [*runs[:-1], ModelRun("odd", runs[-1].tables, frozenset({"other scorer"}))]
    with pytest.raises(DataError, match="same toxicity scorer"):
        analyse(mixed)


def test_bench_study_cairo_on_three_fake_models(bench_main: Any, tmp_path: Path) -> None:
    for task in (CairoBoldTask, CairoHolisticTask, CairoHonestTask):
        registry.register_task(task.name, task)
    runs = []
    for seed, model in enumerate(("fake-a", "fake-b", "fake-c")):
        out = tmp_path / model
        result = bench_main(
            "eval", "--backend", "fake", "--model", model, "--model-args", f"seed={seed}", "--tasks", "cairo",
            "--limit", "10", "--no-progress",
            "--output-path", str(out), "--task-args", "cairo_bold.seeds=1|2,cairo_holistic.seeds=1|2,cairo_honest.seeds=1|2,cairo_bold.groups=gender|religion,cairo_holistic.groups=gender|religion",
        )
        assert result.returncode == 0, result.stderr[-1500:]
        [file] = out.rglob("result.json")
        runs.append(str(file))
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["study", "cairo", *runs, "-o", str(tmp_path / "study"), "--max-k", "2", "--permutations", "99"])
    assert args.func(args) == 0
    report = json.loads((tmp_path / "study" / "cairo_study.json").read_text())
    assert report["models"] == ["fake-a", "fake-b", "fake-c"]
    pairs = {(p["group"], tuple(p["metrics"])) for p in report["pairs"]}
    assert ("gender", ("honest", "bold")) in pairs and ("religion", ("holistic", "bold")) in pairs
    honest_bold = next(p for p in report["pairs"] if p["metrics"] == ["honest", "bold"])
    assert len(honest_bold["pool"]) == 10 and honest_bold["n_combinations"] == 11
    holistic = next(p for p in report["pairs"] if p["metrics"] == ["holistic", "bold"] and p["group"] == "gender")
    assert holistic["pool"] == [] and holistic["n_combinations"] == 1  # HolisticBias has no shipped paraphrases
    written = sorted(p.name for p in (tmp_path / "study").iterdir())
    assert "cairo_study.md" in written and "bias_bold.png" in written
    assert any(name.startswith("correlation_vs_k_gender_honest_bold") for name in written)
