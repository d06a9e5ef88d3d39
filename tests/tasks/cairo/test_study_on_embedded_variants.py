"""`bench study cairo` for real on the embedded model and variants the study builds itself (slow
tier, tiny limits): the base plus int8 and noise-perturbed copies, each run through
`bench eval --tasks cairo` in a child process, then the report, plots and result documents."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from bench.harness.embedded_model import embedded_model_dir
from bench.tasks.cairo.study_cli import register

pytestmark = pytest.mark.slow


def test_study_on_three_variants_of_the_embedded_model(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    task_args = ",".join(
        f"cairo_{m}.{k}" for m in ("bold", "holistic", "honest") for k in ("seeds=1|2", "groups=gender")
    ) + ",cairo_bold.paraphrase_sets=false,cairo_honest.paraphrase_sets=false"
    args = parser.parse_args([
        "study", "cairo", "--variants-of", str(embedded_model_dir()), "--variants", "int8,noise:0.05",
        "--limit", "2", "--task-args", task_args, "--results", str(tmp_path / "results"),
        "--cache-path", str(tmp_path / "cache.sqlite"), "--timeout-per-model", "900",
        "--permutations", "99", "-o", str(tmp_path / "study"),
    ])
    assert args.func(args) == 0
    report = json.loads((tmp_path / "study" / "cairo_study.json").read_text())
    assert len(report["models"]) == 3 and report["scorer"].startswith("alt-profanity-check")
    assert {m.split("/")[-1] for m in report["models"]} >= {"int8", "noise-0.05"}
    assert {tuple(p["metrics"]) for p in report["pairs"]} == {("holistic", "bold"), ("honest", "holistic"), ("honest", "bold")}
    for pair in report["pairs"]:
        assert pair["pool"] == [] and pair["n_combinations"] == 1  # originals only
    assert len(list((tmp_path / "results").rglob("result.json"))) == 3
    assert json.loads((tmp_path / "study" / "models" / "int8" / "variant.json").read_text())["recipe"] == "int8"
