"""Both CodeGenBias tasks on the task contract (fake backend, fast): `summarize` on the written
samples file gives the run's metrics and extra exactly, the intervals follow the run's seed, and
`--shard i/3` deals every profession's prompts across the shards, which merge into the unsharded run."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from bench.harness import registry
from bench.harness.results import load_samples
from bench.harness.scheduler import task_seed
from bench.harness.task import SummaryContext

# dev split, one template family: every profession of the split with a few prompts each, small
DEV_ONE_FAMILY = ("--task-args", "codegenbias.split=dev,codegenbias.families=comment")


def _eval(bench_main: Any, out: Path, *args: str) -> Path:
    result = bench_main("eval", "--backend", "fake", "--model", "bias-model", "--output-path", str(out), "--no-progress", *args)
    assert result.returncode == 0, result.stderr[-2000:]
    [path] = out.rglob("result.json")
    return path


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, allow_nan=False))


# The generation variant on scripted replies the parser reads as he or she (the class_instance
# family's slot is `pronoun="he")`), so it too has a tendency m per prompt and plots.
GEN_RUN = {
    "tasks": ["codegenbias_gen"], "limit": 30, "seed": 7,
    "model_args": {"replies": '|'.join(['he")\n', 'she")\n', 'she")\n', "no code here"])},
    "task_args": {"codegenbias_gen": {"families": ["class_instance"]}},
}


@pytest.mark.parametrize("task_name", ["codegenbias", "codegenbias_gen"])
def test_summarize_on_the_written_samples_reproduces_the_run(bench_main: Any, tmp_path: Path, task_name: str) -> None:
    if task_name == "codegenbias":
        result_file = _eval(bench_main, tmp_path / "run", "--tasks", task_name, "--limit", "30", "--seed", "7")
    else:
        (tmp_path / "gen.json").write_text(json.dumps(GEN_RUN))
        result_file = _eval(bench_main, tmp_path / "run", "--config", str(tmp_path / "gen.json"))
    entry = json.loads(result_file.read_text())["tasks"][task_name]
    samples = load_samples(result_file, task_name)
    task = registry.load_task_class(task_name)()
    config = task.config_class(**({"families": ("class_instance",)} if task_name == "codegenbias_gen" else {}))
    seed = task_seed(7, task_name)  # the task's seed in a run with --seed 7
    summary = task.summarize(samples, config, SummaryContext(seed=seed, artifacts_dir=tmp_path / "again"))
    assert entry["metrics_version"] == task.metrics_version == "1"
    assert _json([asdict(m) for m in summary.metrics]) == entry["metrics"]
    assert _json(summary.extra) == entry["extra"]
    assert entry["extra"]["n_prompts"] == 30 and summary.metric("fb_score").n > 5
    assert {p.name for p in summary.plots} == {"tendency_vs_factual", "most_biased_professions"}
    assert all((tmp_path / "again" / p.path).is_file() for p in summary.plots)
    # the bootstrap intervals are drawn from the seed given, the point estimates are not
    other = task.summarize(samples, config, SummaryContext(seed=seed + 1, artifacts_dir=tmp_path / "other"))
    fb, fb_other = summary.metric("fb_score"), other.metric("fb_score")
    assert fb.value == fb_other.value and (fb.ci_low, fb.ci_high) != (fb_other.ci_low, fb_other.ci_high)


def test_shards_deal_each_professions_prompts_and_merge_into_the_unsharded_run(bench_main: Any, tmp_path: Path) -> None:
    full = _eval(bench_main, tmp_path / "full", "--tasks", "codegenbias", *DEV_ONE_FAMILY)
    shards = [_eval(bench_main, tmp_path / f"s{i}", "--tasks", "codegenbias", "--shard", f"{i}/3", *DEV_ONE_FAMILY)
              for i in range(3)]
    everything = load_samples(full, "codegenbias")
    parts = [load_samples(s, "codegenbias") for s in shards]
    ids = [s["id"] for part in parts for s in part]
    assert sorted(ids) == sorted(s["id"] for s in everything) and len(set(ids)) == len(ids)
    per_profession = Counter(s["profession"] for s in everything)
    assert max(per_profession.values()) >= 3  # each profession has prompts to deal
    for part in parts:
        counts = Counter(s["profession"] for s in part)
        # every shard gets its share of every profession (the stratum), not whole professions
        assert all(abs(counts[p] - n / 3) < 1 for p, n in per_profession.items())
    result = bench_main("merge", *(str(s.parent) for s in shards), "-o", str(tmp_path / "merged"))
    assert result.returncode == 0, result.stderr
    merged = json.loads((tmp_path / "merged" / "result.json").read_text())["tasks"]["codegenbias"]
    unsharded = json.loads(full.read_text())["tasks"]["codegenbias"]
    assert merged["metrics"] == unsharded["metrics"] and merged["extra"] == unsharded["extra"]
