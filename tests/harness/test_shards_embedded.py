"""Three shards on the real embedded model merge to the unsharded run (slow tier, kept small).

Each run has its own request cache, so every shard really asks the model, in other batches than
the unsharded run: the merged metrics must still be exactly the unsharded ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.harness.results import load_samples

pytestmark = pytest.mark.slow

TASKS = ("example_capitals", "rewardbench_length")


def _eval(bench_main, tmp_path: Path, label: str, *extra: str) -> Path:
    result = bench_main(
        "eval", "--model", "smollm2", "--tasks", ",".join(TASKS), "--limit", "6",
        "--task-args", "rewardbench_length.bootstrap=0", "--output-path", str(tmp_path / label),
        "--cache-path", str(tmp_path / f"{label}.sqlite"), "--no-progress", *extra,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    [path] = (tmp_path / label).rglob("result.json")
    return path


def test_three_shards_of_the_embedded_model_merge_to_the_unsharded_run(bench_main, tmp_path: Path) -> None:
    full = _eval(bench_main, tmp_path, "full")
    shards = [_eval(bench_main, tmp_path, f"shard{i}", "--shard", f"{i}/3") for i in range(3)]
    result = bench_main("merge", *[str(p.parent) for p in shards], "-o", str(tmp_path / "merged"))
    assert result.returncode == 0, result.stderr
    merged = json.loads((tmp_path / "merged" / "result.json").read_text())
    unsharded = json.loads(full.read_text())
    for task in TASKS:
        assert merged["tasks"][task]["metrics"] == unsharded["tasks"][task]["metrics"], task
        a = load_samples(tmp_path / "merged" / "result.json", task)
        b = load_samples(full, task)
        assert [r["id"] for r in a] == [r["id"] for r in b]
        for x, y in zip(a, b):  # the same records; log-likelihoods from other batches agree to float noise
            assert x.keys() == y.keys()
            for key in x:
                if isinstance(x[key], float):
                    assert x[key] == pytest.approx(y[key], abs=1e-5), (task, key)
                else:
                    assert x[key] == y[key], (task, key)
