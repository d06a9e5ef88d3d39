"""The three CAIRO tasks through `bench eval --tasks cairo` on the deterministic fake backend: one
record (and one request) per prompt x set x seed, the stratified --limit, the scorer recorded,
metrics recomputed by hand from the records, and summarize reproducing the run from the samples."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from bench.harness import registry
from bench.harness.results import load_samples
from bench.harness.samples import canonical_samples
from bench.harness.task import SummaryContext
from bench.metrics.cairo_bias import group_bias
from bench.tasks.cairo import CairoBoldTask, CairoHolisticTask, CairoHonestTask
from bench.tasks.cairo.config import CairoConfig, CairoHonestConfig
from bench.tasks.cairo.prompts import load_group
from bench.tasks.cairo.task import limited_indices


@pytest.fixture(autouse=True)
def cairo_registered() -> None:
    # The entry points declare these; registering them too keeps the tests independent of how
    # fresh the installed package metadata is (conftest restores the registry after each test).
    for task in (CairoBoldTask, CairoHolisticTask, CairoHonestTask):
        registry.register_task(task.name, task)


def run_eval(bench_main: Any, tmp_path: Path, *args: str) -> tuple[Path, dict[str, Any]]:
    out = tmp_path / "out"
    result = bench_main(
        "eval", "--backend", "fake", "--model", "bias-model", "--output-path", str(out), "--no-progress", *args,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    [result_file] = out.rglob("result.json")
    return result_file, json.loads(result_file.read_text())


def metric(entry: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in entry["metrics"] if m["name"] == name)


def test_group_cairo_runs_all_three_with_one_record_and_request_per_prompt_set_and_seed(bench_main: Any, tmp_path: Path) -> None:
    result_file, document = run_eval(
        bench_main, tmp_path, "--tasks", "cairo", "--limit", "4",
        "--task-args", "cairo_bold.seeds=1|2,cairo_holistic.seeds=1|2,cairo_honest.seeds=1|2|3",
    )
    assert set(document["tasks"]) == {"cairo_bold", "cairo_holistic", "cairo_honest"}
    total = 0
    for task, sets, groups in (("cairo_bold", 12, 2), ("cairo_holistic", 1, 2), ("cairo_honest", 11, 1)):
        samples = load_samples(result_file, task)
        seeds = 3 if task == "cairo_honest" else 2
        assert len(samples) == 4 * groups * sets * seeds, task
        assert len({s["id"] for s in samples}) == len(samples)
        assert {s["scorer"] for s in samples} == {"alt-profanity-check " + document["tasks"][task]["extra"]["scorer"][0].split()[-1]}
        assert all(0.0 <= s["toxicity"] <= 1.0 for s in samples)
        total += len(samples)
    # every seed is its own request (nothing merged), and the stratified limit covers both subgroups
    assert document["provenance"]["requests"] == total
    honest = load_samples(result_file, "cairo_honest")
    assert Counter(s["subgroup"] for s in honest if s["set"] == "original") == {"female": 6, "male": 6}
    assert all("prompt" not in s for s in honest)  # prompts only with --log-samples


def test_bias_metrics_equal_a_hand_computation_from_the_records(bench_main: Any, tmp_path: Path) -> None:
    result_file, document = run_eval(bench_main, tmp_path, "--tasks", "cairo_honest", "--limit", "10", "--task-args", "cairo_honest.seeds=1|2")
    samples = load_samples(result_file, "cairo_honest")
    entry = document["tasks"]["cairo_honest"]
    per_seed = []
    for seed in (1, 2):
        rows = [s for s in samples if s["seed"] == seed and s["set"] == "original"]
        per_seed.append(group_bias([s["toxicity"] for s in rows], [s["subgroup"] for s in rows]))
    assert metric(entry, "bias_gender_valid")["value"] == pytest.approx(sum(per_seed) / 2)
    per_seed_all = []
    for seed in (1, 2):
        rows = [s for s in samples if s["seed"] == seed]
        per_seed_all.append(group_bias([s["toxicity"] for s in rows], [s["subgroup"] for s in rows]))
    assert metric(entry, "bias_gender_valid_all_sets")["value"] == pytest.approx(sum(per_seed_all) / 2)
    originals = [s for s in samples if s["set"] == "original"]
    assert metric(entry, "honest_valid")["value"] == pytest.approx(sum(s["hurtful"] for s in originals) / len(originals))
    bias = metric(entry, "bias_gender_valid")
    assert bias["ci_low"] is not None and 0 <= bias["ci_low"] <= bias["value"] <= bias["ci_high"]


def test_summarize_reproduces_the_run_from_the_samples_file(bench_main: Any, tmp_path: Path) -> None:
    result_file, document = run_eval(bench_main, tmp_path, "--tasks", "cairo_bold", "--limit", "5", "--task-args", "cairo_bold.seeds=1|3")
    entry = document["tasks"]["cairo_bold"]
    samples = canonical_samples(load_samples(result_file, "cairo_bold"))
    summary = CairoBoldTask().summarize(samples, CairoConfig(seeds=(1, 3)), SummaryContext(seed=entry["extra"].get("seed", 0), artifacts_dir=tmp_path))
    on_disk = {m["name"]: m["value"] for m in entry["metrics"]}
    assert {m.name: m.value for m in summary.metrics} == pytest.approx(on_disk)


def test_stratified_limit_deals_prompts_round_robin_over_subgroups() -> None:
    prompts = load_group("honest", "test", "gender")
    chosen = limited_indices(prompts, 10)
    assert len(set(prompts.subgroups[i] for i in chosen)) == 10  # ten subgroups, one prompt each
    assert limited_indices(prompts, None) == list(range(len(prompts.subgroups)))


def test_bad_options_are_one_line_before_any_model_loads(bench_main: Any) -> None:
    result = bench_main("eval", "--backend", "fake", "--tasks", "cairo_honest", "--task-args", "cairo_honest.groups=religion")
    assert result.returncode == 2 and "HONEST has gender prompts only" in result.stderr
    assert "Traceback" not in result.stderr
    with pytest.raises(ValueError, match="scorer must be one of"):
        CairoHonestConfig(scorer="perspective")


def test_bold_test_prompts_offline_fail_the_task_with_one_line(bench_main: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    # offline, with an empty download cache: the `hub` default cannot download
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "DOWNLOADED_DATASETS_PATH", tmp_path / "downloads")
    result = bench_main(
        "eval", "--backend", "fake", "--tasks", "cairo_bold", "--limit", "2", "--output-path", str(tmp_path / "o"),
        "--task-args", "cairo_bold.splits=test", "--no-progress",
    )
    [line] = [x for x in result.stderr.splitlines() if x.startswith("bench: error:")]
    assert result.returncode == 2 and "BOLD_test_prompts.json" in line and "cairo_bold.test_prompts=PATH" in line
    assert "Traceback" not in result.stderr
    assert CairoHonestTask.groups == ("cairo",)
