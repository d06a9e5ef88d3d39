"""The lm-eval YAML versions of the probes lm-eval lacks render the same prompts, choices and targets as
bench's tasks, on the shipped samples (the hub dataset swapped for the local file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from bench.tasks.hallucination.data import DATA_DIR, build_prompt, load_items
from bench.tasks.hallucination.probes import PROBES

YAML_DIR = Path(__file__).resolve().parents[3] / "tasks" / "hallucination" / "lm_eval_yaml"
NAMES = sorted(p.stem for p in YAML_DIR.glob("*.yaml"))


def _lm_eval_task(name: str) -> Any:
    from lm_eval.api.task import ConfigurableTask

    config = yaml.safe_load((YAML_DIR / f"{name}.yaml").read_text())
    sample = str(DATA_DIR / PROBES[name].sample_file)
    config.update(dataset_path="json", dataset_name=None, dataset_kwargs={"data_files": {"test": sample}},
                  test_split="test", fewshot_split="test", num_fewshot=0)
    return ConfigurableTask(config=config)


def test_every_probe_lm_eval_lacks_has_a_yaml() -> None:
    assert NAMES == ["hallu_faithdial", "hallu_fever", "hallu_halueval_dialogue", "hallu_halueval_qa",
                     "hallu_halueval_summarization", "hallu_true_false"]


@pytest.mark.parametrize("name", NAMES)
def test_yaml_renders_bench_prompts_choices_and_targets(name: str) -> None:
    task = _lm_eval_task(name)
    probe = PROBES[name]
    items, _ = load_items(probe, "sample")
    docs = list(task.test_docs())
    assert len(docs) == len(items)
    for doc, item in zip(docs, items):
        ours = build_prompt(item, [], probe.instruction, probe.query, probe.target, probe.fewshot_delimiter,
                            probe.target_delimiter)
        assert task.doc_to_text(doc) == ours
        assert task.doc_to_choice(doc) == item["choices"]
        assert int(task.doc_to_target(doc)) == item["gold"]
