"""The gate on real runs of the embedded model: no false alarms on re-runs, a real regression caught.

The task is the core's multi-turn arithmetic dialogue (tests/harness/dialogue_task.py), 8 episodes
of 3 turns = 24 scored answers per run. The injected regression is the embedded model with
Gaussian noise (0.3 x each matrix's std) added to every weight matrix: its arithmetic collapses.

The evaluations go through `main(argv)` in this process: a subprocess per run would only add an
interpreter start and the torch/transformers imports, four times. The standalone `bench gate` on
the regression stays a subprocess, so the exit status 1 a CI job sees is checked on a real process.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CliResult, run_bench, run_bench_in_process

pytestmark = pytest.mark.slow

TASK_ARGS = ["--tasks", "arithmetic_dialogue", "--task-args", "arithmetic_dialogue.episodes=8", "--no-progress"]


def evaluate(out: Path, *extra: str, model: str = "smollm2") -> tuple[CliResult, Path | None]:
    result = run_bench_in_process("eval", "--model", model, *TASK_ARGS, "--output-path", str(out), *extra)
    found = re.search(r"^result: (.+)$", result.stdout, re.MULTILINE)
    return result, Path(found.group(1)) if found else None


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gate_eval")


@pytest.fixture(scope="module")
def baseline(workdir: Path) -> Path:
    result, path = evaluate(workdir / "results", "--cache-path", str(workdir / "cache.sqlite"))
    assert result.returncode == 0, result.stderr
    assert path is not None
    return path


@pytest.fixture(scope="module")
def perturbed_model(workdir: Path) -> Iterator[Path]:
    """A copy of the embedded model with noise on every weight matrix (removed afterwards: ~0.5 GB)."""
    import torch
    from bench.harness.embedded_model import embedded_model_dir
    from safetensors.torch import load_file, save_file

    source, target = embedded_model_dir(), workdir / "perturbed-smollm2"
    target.mkdir()
    for file in source.iterdir():
        if file.name != "model.safetensors":
            shutil.copy(file, target / file.name)
    generator = torch.Generator().manual_seed(0)
    weights = load_file(source / "model.safetensors")
    noisy = {
        name: (w + 0.3 * w.float().std() * torch.randn(w.shape, generator=generator)).to(w.dtype) if w.ndim == 2 else w
        for name, w in weights.items()
    }
    save_file(noisy, target / "model.safetensors", metadata={"format": "pt"})
    del weights, noisy
    yield target
    shutil.rmtree(target, ignore_errors=True)


def gate(baseline: Path, candidate: Path, *extra: str) -> CliResult:
    return run_bench_in_process("gate", "--baseline", str(baseline), "--candidate", str(candidate), *extra)


def test_identical_rerun_without_cache_passes(baseline: Path, workdir: Path) -> None:
    result, rerun = evaluate(workdir / "rerun", "--no-cache")
    assert result.returncode == 0 and rerun is not None
    outcome = gate(baseline, rerun, "--json", str(workdir / "rerun.json"))
    assert outcome.returncode == 0, outcome.stdout + outcome.stderr
    (comparison,) = json.loads((workdir / "rerun.json").read_text())["comparisons"]
    assert comparison["status"] == "unchanged" and comparison["n_paired"] == 24


@pytest.mark.parametrize("seed", [7])
def test_rerun_with_another_seed_passes(baseline: Path, workdir: Path, seed: int) -> None:
    result, rerun = evaluate(workdir / f"seed{seed}", "--seed", str(seed), "--cache-path", str(workdir / "cache.sqlite"))
    assert result.returncode == 0 and rerun is not None
    outcome = gate(baseline, rerun)
    assert outcome.returncode == 0, outcome.stdout
    assert "different seeds" in outcome.stdout


def test_perturbed_weights_are_caught_by_gate_against(baseline: Path, workdir: Path, perturbed_model: Path) -> None:
    result, candidate = evaluate(workdir / "perturbed", "--no-cache", "--gate-against", str(baseline),
                                 model=str(perturbed_model))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "❌ bench gate: 1 regression" in result.stdout
    assert candidate is not None
    standalone = run_bench("gate", "--baseline", str(baseline), "--candidate", str(candidate),
                           "--json", str(workdir / "perturbed.json"))
    assert standalone.returncode == 1
    (comparison,) = json.loads((workdir / "perturbed.json").read_text())["comparisons"]
    assert comparison["status"] == "regression" and comparison["test"] == "McNemar exact"
    assert comparison["candidate"] < comparison["baseline"] and comparison["p_adjusted"] < 0.01
