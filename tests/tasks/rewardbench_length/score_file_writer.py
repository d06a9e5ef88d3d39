"""Writes score files in the published allenai/reward-bench-results `eval-set-scores` format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from bench.tasks.rewardbench_length.data import RewardBenchPair


def synthetic_scores(pairs: list[RewardBenchPair], bias_per_char: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Chosen is better by 1.0 on average; both sides get bias_per_char * response characters."""
    rng = np.random.default_rng(seed)
    chosen = np.array([1.0 + rng.normal(0, 0.7) + bias_per_char * len(p.chosen) for p in pairs])
    rejected = np.array([rng.normal(0, 0.7) + bias_per_char * len(p.rejected) for p in pairs])
    return chosen, rejected


def write_score_file(
    path: Path,
    pairs: list[RewardBenchPair],
    chosen: np.ndarray,
    rejected: np.ndarray,
    model: str,
    list_valued: bool = False,
    with_text: bool = True,
    **overrides: Any,
) -> Path:
    """Columnar, sort_keys, indent 4, with the scalar keys model / model_type / chat_template, as
    reward-bench's scripts/run_rm.py writes it. `overrides` replace whole columns."""
    columns: dict[str, Any] = {
        "id": [int(p.id) for p in pairs],
        "subset": [p.subset for p in pairs],
        "results": [int(c > r) for c, r in zip(chosen, rejected)],
        "scores_chosen": [[float(c)] if list_valued else float(c) for c in chosen],
        "scores_rejected": [[float(r)] if list_valued else float(r) for r in rejected],
    }
    if with_text:
        columns["text_chosen"] = [f"<|user|>\n{p.prompt}\n<|assistant|>\n{p.chosen}" for p in pairs]
        columns["text_rejected"] = [f"<|user|>\n{p.prompt}\n<|assistant|>\n{p.rejected}" for p in pairs]
    columns.update(overrides)
    document = {**columns, "model": model, "model_type": "Seq. Classifier", "chat_template": "tulu"}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=4, sort_keys=True))
    return path
