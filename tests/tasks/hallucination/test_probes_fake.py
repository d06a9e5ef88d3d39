"""The hallucination probes on the fake backend: the group runs, SQuAD v2's prompt follows lm-eval's layout,
records rebuild the metrics, truncation and batching checks are recorded (log-likelihood probes included),
detection probes carry their majority baseline, the hub path fails in one line."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import random
from pathlib import Path
from typing import Any

import pytest
from bench.harness.architecture import ArchitectureInfo
from bench.harness.backends.fake import FakeBackend
from bench.harness.client import ModelClient
from bench.harness.config import EvalConfig
from bench.harness.errors import DataError
from bench.harness.progress import Progress
from bench.harness.samples import canonical_samples
from bench.harness.scheduler import evaluate
from bench.harness.task import SummaryContext, TaskContext
from bench.tasks.hallucination import HalluFaithdialTask, HalluSquadv2Task, HalluXsumTask
from bench.tasks.hallucination.data import build_prompt, demos_for, load_items
from bench.tasks.hallucination.probes import PROBES


def _run(tmp_path: Path, tasks: str, limit: int = 3) -> tuple[int, dict[str, Any], Path]:
    config = EvalConfig(tasks=(tasks,), backend="fake", model="fake-model", limit=limit,
                        output_path=str(tmp_path / "out"), cache_path=str(tmp_path / "cache.sqlite"),
                        show_progress=False)
    outcome = evaluate(config)
    return outcome.exit_code, json.loads(outcome.result_path.read_text()), outcome.result_path


def test_the_group_runs_every_probe_with_scores_and_intervals_in_range(tmp_path: Path) -> None:
    code, document, _ = _run(tmp_path, "hallucination", limit=5)
    assert code == 0  # every probe runs offline, hallu_ifeval included (its punkt_tab data ships)
    assert set(document["tasks"]) == set(PROBES)
    for name, entry in document["tasks"].items():
        assert entry["status"] == "ok", name
        assert entry["config"]["category"] in ("factuality", "faithfulness")
        assert entry["config"]["shots"] == PROBES[name].shots
        headline = next(m for m in entry["metrics"] if m["name"] == entry["headline_metric"])
        source = PROBES[name].lm_eval
        low, high = source.mean_range if source is not None and headline["name"] in source.unit_means else (0.0, 1.0)
        assert low <= headline["value"] <= high and headline["n"] == 5  # every sample has >= 5 items
        assert low <= headline["ci_low"] <= headline["value"] <= headline["ci_high"] <= high
        if PROBES[name].kind in ("detection", "judgement"):
            baseline = next(m for m in entry["metrics"] if m["name"] == "majority_baseline")
            assert 0.5 <= baseline["value"] <= 1.0 and baseline["n"] == 5, name
    assert document["tasks"]["hallu_xsum"]["config"]["prompt_source"].startswith("lm-eval hallu_xsum (lm_eval_yaml/")


def test_summarize_rebuilds_the_metrics_from_the_written_records(tmp_path: Path) -> None:
    _, document, result_path = _run(tmp_path, "hallu_squadv2", limit=6)
    entry = document["tasks"]["hallu_squadv2"]
    written = [json.loads(line) for line in (result_path.parent / entry["samples_file"]).read_text().splitlines()]
    from bench.tasks.hallucination import HalluSquadv2Task

    config = HalluSquadv2Task.config_class()
    again = HalluSquadv2Task().summarize(canonical_samples(written), config, SummaryContext(0, tmp_path))
    assert [m.value for m in again.metrics] == pytest.approx([m["value"] for m in entry["metrics"]])


def test_the_reconstructed_squad_prompt_is_lm_evals_layout_with_its_demos() -> None:
    config = HalluSquadv2Task.config_class()
    items, pool = load_items(PROBES["hallu_squadv2"], "sample")
    demos = demos_for(items[0], pool, 4)
    assert len(demos) == 4 and items[0] not in demos and demos == demos_for(items[0], pool, 4)
    prompt = build_prompt(items[0], demos, config.instruction, config.query, config.target,
                          config.fewshot_delimiter, config.target_delimiter)
    assert prompt.count("Background: ") == 5 and prompt.endswith('Answer (or "unanswerable"):')
    assert prompt.split(config.fewshot_delimiter)[0].startswith("Title: ")
    assert f'Answer (or "unanswerable"):{config.target_delimiter}{demos[0]["answer"]}' in prompt
    assert [name for name, probe in PROBES.items() if probe.lm_eval is None] == ["hallu_squadv2"]


def test_hub_data_offline_is_one_clear_data_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError, match=r"hallu_squadv2.*rajpurkar/squad_v2.*data=sample"):
        load_items(PROBES["hallu_squadv2"], "hub")


def test_every_shipped_sample_loads_and_matches_its_sha256() -> None:
    import hashlib

    folder = Path(load_items.__globals__["DATA_DIR"])
    source = (folder / "SOURCE.md").read_text()
    for probe in PROBES.values():
        if probe.lm_eval is not None:  # lm-eval loads those (test_bridged_probes)
            continue
        items, _ = load_items(probe, "sample")
        assert items and len({i["id"] for i in items}) == len(items)
        digest = hashlib.sha256((folder / probe.sample_file).read_bytes()).hexdigest()
        assert f"{digest}  {probe.sample_file}" in source, probe.sample_file


def _context(backend: FakeBackend, config: Any, limit: int | None = None) -> TaskContext:
    return TaskContext(model=ModelClient(backend), config=config, seed=0, limit=limit, artifacts_dir=Path("."),
                       progress=Progress(enabled=False), rng=random.Random(0), log=logging.getLogger("test"))


def test_recurrent_models_get_the_batching_check_and_attention_models_do_not() -> None:
    recurrent = FakeBackend("fake-mamba")
    recurrent.info = dataclasses.replace(recurrent.info, architecture=ArchitectureInfo(family="recurrent"))
    task = HalluFaithdialTask()
    records = asyncio.run(task.run(_context(recurrent, task.config_class(batch_check_n=3), limit=5)))
    checked = [r for r in records if "batch_equal" in r]
    assert len(checked) == 3 and all(r["batch_equal"] for r in checked)  # the fake backend is batch-invariant
    summary = task.summarize(canonical_samples(records), task.config_class(), SummaryContext(0, Path(".")))
    assert summary.metric("batch_mismatches").value == 0 and summary.extra["batch_check"] == {"checked": 3, "differing": 0}
    attention = FakeBackend("fake-llama")
    attention.info = dataclasses.replace(attention.info, architecture=ArchitectureInfo(family="attention"))
    records = asyncio.run(task.run(_context(attention, task.config_class(), limit=5)))
    assert not any("batch_equal" in r for r in records)


def test_a_batch_difference_is_counted_beside_the_majority_baseline() -> None:
    key = "hallu_faithdial/acc"
    records = [{"id": f"hallu_faithdial/{i}", "task": "hallu_faithdial", "doc_id": i, "shots": 8, key: float(i < 2),
                "aggregation": {key: ["mean", True]}, "gold": ["true", "false"][i % 2], "batch_equal": i != 1}
               for i in range(4)]
    summary = HalluFaithdialTask().summarize(records, HalluFaithdialTask.config_class(), SummaryContext(0, Path(".")))
    assert summary.metric("batch_mismatches").value == 1
    assert summary.metric("acc").value == 0.5 and summary.metric("majority_baseline").value == 0.5


def test_prompts_longer_than_the_context_are_counted_as_truncated() -> None:
    backend = FakeBackend("fake-short-context")
    backend.info = dataclasses.replace(backend.info, architecture=ArchitectureInfo(family="attention", context_length=40))
    task = HalluXsumTask()
    records = asyncio.run(task.run(_context(backend, task.config_class(), limit=3)))
    assert all(r["truncated"] for r in records)  # 2-shot article prompts + 256 new tokens > 40
    summary = task.summarize(canonical_samples(records), task.config_class(), SummaryContext(0, Path(".")))
    assert summary.metric("truncated_prompts").value == 3 and summary.extra["truncated_prompts"] == 3


def test_log_likelihood_prompts_longer_than_the_context_are_counted() -> None:
    backend = FakeBackend("fake-short-context")
    task = HalluFaithdialTask()  # 8-shot prompts, far over 40 tokens
    for length, expected in ((40, True), (100_000, False)):
        backend.info = dataclasses.replace(backend.info, architecture=ArchitectureInfo("attention", context_length=length))
        records = asyncio.run(task.run(_context(backend, task.config_class(), limit=3)))
        if expected:  # the fake backend has no tokenizer: long prompts cannot be measured, so none is flagged
            assert not any("truncated" in r for r in records)
        else:  # short enough by byte count alone: measured without a tokenizer
            assert all(r["truncated"] is False for r in records)
    # With a tokenizer (one token per word here), long prompts are counted against the context.
    backend.info = dataclasses.replace(backend.info, architecture=ArchitectureInfo("attention", context_length=40))
    ctx = _context(backend, task.config_class(), limit=3)
    ctx.model.tokenizer = lambda: (lambda text, add_special_tokens: {"input_ids": text.split()})  # type: ignore[method-assign]
    records = asyncio.run(task.run(ctx))
    assert all(r["truncated"] is True for r in records)
    summary = task.summarize(canonical_samples(records), task.config_class(), SummaryContext(0, Path(".")))
    assert summary.metric("truncated_prompts").value == 3

