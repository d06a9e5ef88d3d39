"""A six-document local lm-eval task (capitals, multiple choice) for the tests that run the lm_eval bridge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ITEMS: list[dict[str, Any]] = [
    {"country": "France", "choices": ["Paris", "Berlin", "Madrid"], "gold": 0},
    {"country": "Germany", "choices": ["Rome", "Berlin", "Lisbon"], "gold": 1},
    {"country": "Spain", "choices": ["Madrid", "Oslo", "Vienna"], "gold": 0},
    {"country": "Italy", "choices": ["Athens", "Dublin", "Rome"], "gold": 2},
    {"country": "Japan", "choices": ["Seoul", "Tokyo", "Beijing"], "gold": 1},
    {"country": "Norway", "choices": ["Helsinki", "Stockholm", "Oslo"], "gold": 2},
]


def write_capitals_task(folder: Path, task: str, items: list[dict[str, Any]] = ITEMS) -> str:
    """Write the task's YAML and data into `folder`; returns the `--task-args` that run it."""
    data = folder / "capitals.jsonl"
    data.write_text("".join(json.dumps(item) + "\n" for item in items))
    (folder / "capitals.yaml").write_text(
        f"task: {task}\n"
        "dataset_path: json\n"
        f"dataset_kwargs:\n  data_files:\n    test: {data}\n"
        "test_split: test\n"
        "output_type: multiple_choice\n"
        "doc_to_text: \"Q: What is the capital of {{country}}?\\nA:\"\n"
        "doc_to_choice: \"{{choices}}\"\n"
        "doc_to_target: \"{{gold}}\"\n"
        "metric_list:\n  - metric: acc\n    aggregation: mean\n    higher_is_better: true\n"
        "metadata:\n  version: 1.0\n"
    )
    return f"lm_eval.tasks={task},lm_eval.include_path={folder}"
