"""The project's shipped samples (../data/, see data/SOURCE.md) as the hub datasets' splits, for the
`*_sample` variants of the YAML tasks here (`custom_dataset: !function shipped_samples.<name>`).

Each returns a `datasets.DatasetDict` with the split names the hub task reads, in the hub dataset's
row schema, so the hub YAML runs unchanged on the sample. Every split holds the same rows, so each
`*_sample` YAML with shots and a test split names it as `fewshot_split`: lm-eval then draws the demos
without the evaluated document (it drops that document only when `fewshot_split == test_split`).
Paths are relative to this file, so the variants run from any working directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data"


def _rows(name: str) -> list[dict[str, Any]]:
    with (DATA / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _splits(rows: list[dict[str, Any]], *names: str) -> Any:
    from datasets import Dataset, DatasetDict

    return DatasetDict({name: Dataset.from_list(rows) for name in names})


def halueval_qa(**_: Any) -> Any:
    return _splits(_rows("halueval_qa.jsonl"), "data")


def halueval_dialogue(**_: Any) -> Any:
    return _splits(_rows("halueval_dialogue.jsonl"), "data")


def halueval_summarization(**_: Any) -> Any:
    return _splits(_rows("halueval_summarization.jsonl"), "data")


def faithdial(**_: Any) -> Any:
    return _splits(_rows("faithdial.jsonl"), "train", "validation", "test")


def fever(**_: Any) -> Any:
    return _splits(_rows("fever.jsonl"), "train", "dev")


def true_false(**_: Any) -> Any:
    return _splits(_rows("true_false.jsonl"), "cieacf")


def popqa(**_: Any) -> Any:
    """closed_book_qa.jsonl (NQ-Open's schema: answer = [aliases]) as PopQA rows: possible_answers is a
    JSON list in a string, as on the hub."""
    rows = [{"id": r["id"], "question": r["question"], "possible_answers": json.dumps(r["answer"])}
            for r in _rows("closed_book_qa.jsonl")]
    return _splits(rows, "test")


def xsum(**_: Any) -> Any:
    return _splits(_rows("xsum.jsonl"), "train", "validation", "test")
