"""Published RewardBench per-sample score files, and joining them with the responses on `id`.

Format (allenai/reward-bench-results, `eval-set-scores/<org>/<model>.json`, written by reward-bench's
scripts/run_rm.py): one JSON object, columnar (a `datasets.Dataset.to_dict()`: each column a list
of equal length: id, subset, results, scores_chosen, scores_rejected, text_chosen, text_rejected,
...) plus scalar keys model, model_type, chat_template. Some files store each score as a
one-element list; we take element 0. A list of row objects is accepted too.

Every problem is a DataError whose one-line message names the file: not JSON, not columnar, a
column missing, a row without id, a duplicated id, a NaN or non-numeric score, an unknown subset,
ids the responses do not have, responses the file does not cover (unless allowed), or no overlap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from bench.harness.errors import DataError
from bench.harness.json_files import read_json
from bench.metrics.rewardbench_scoring import SUBSET_SECTION
from bench.tasks.rewardbench_length.analysis import ScoredPairs, response_feature
from bench.tasks.rewardbench_length.data import RewardBenchPair, columns_to_rows

_REQUIRED = ("id", "subset", "scores_chosen", "scores_rejected")


@dataclass(frozen=True)
class ScoreFile:
    path: Path
    model: str
    model_type: str | None
    ids: tuple[str, ...]
    subsets: tuple[str, ...]
    chosen: np.ndarray
    rejected: np.ndarray
    text_chosen: tuple[str, ...] | None  # the chat-templated conversations (for the length penalty)
    text_rejected: tuple[str, ...] | None


def find_score_files(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given; folders are searched recursively for *.json (an eval-set-scores/ tree)."""
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.json") if p.is_file())
            if not files:
                raise DataError(f"score folder {str(path)!r} holds no .json files")
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            raise DataError(f"score file {str(path)!r} does not exist")
    return found


def read_score_file(path: Path, only_model_type: str | None = None) -> ScoreFile | None:
    """The checked contents of one score file; None when `only_model_type` is given and the file's
    `model_type` differs (checked first, so e.g. Custom Classifier files without scores are skipped)."""
    where = f"score file {str(path)!r}"
    document = read_json(path, "score file", DataError)
    scalars: Mapping[str, Any] = {}
    if only_model_type is not None:
        found = document.get("model_type") if isinstance(document, Mapping) else None
        if found != only_model_type:
            return None
    if isinstance(document, Mapping):
        scalars = document
        rows = columns_to_rows(document, where)
    elif isinstance(document, list):
        rows = document
    else:
        raise DataError(f"{where} must hold a columnar object or a list of rows")
    if not rows:
        raise DataError(f"{where} holds no rows")
    missing = [c for c in _REQUIRED if not isinstance(rows[0], Mapping) or c not in rows[0]]
    if missing:
        raise DataError(f"{where} lacks the column(s) {', '.join(missing)}")
    ids: list[str] = []
    subsets: list[str] = []
    chosen: list[float] = []
    rejected: list[float] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, 1):
        if not isinstance(row, Mapping):
            raise DataError(f"{where}: row {number} is not an object")
        if row.get("id") is None or str(row["id"]).strip() == "":
            raise DataError(f"{where}: row {number} has no id")
        row_id = str(row["id"])
        if row_id in seen:
            raise DataError(f"{where}: id {row_id} appears twice")
        seen.add(row_id)
        subset = str(row.get("subset"))
        if subset not in SUBSET_SECTION:
            raise DataError(f"{where}: id {row_id} has unknown subset {subset!r}")
        ids.append(row_id)
        subsets.append(subset)
        chosen.append(_score(row.get("scores_chosen"), where, row_id, "scores_chosen"))
        rejected.append(_score(row.get("scores_rejected"), where, row_id, "scores_rejected"))
    has_text = all(isinstance(r, Mapping) and isinstance(r.get("text_chosen"), str) and isinstance(r.get("text_rejected"), str) for r in rows)
    model = scalars.get("model") if isinstance(scalars.get("model"), str) else None
    model_type = scalars.get("model_type") if isinstance(scalars.get("model_type"), str) else None
    return ScoreFile(
        path=path,
        model=model or _model_from_path(path),
        model_type=model_type,
        ids=tuple(ids),
        subsets=tuple(subsets),
        chosen=np.array(chosen, float),
        rejected=np.array(rejected, float),
        text_chosen=tuple(r["text_chosen"] for r in rows) if has_text else None,
        text_rejected=tuple(r["text_rejected"] for r in rows) if has_text else None,
    )


def _score(value: Any, where: str, row_id: str, column: str) -> float:
    if isinstance(value, list):  # some published files store [score]
        if len(value) < 1:
            raise DataError(f"{where}: id {row_id} has an empty {column} list")
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataError(f"{where}: id {row_id} has a non-numeric {column} ({value!r})")
    if not math.isfinite(float(value)):
        raise DataError(f"{where}: id {row_id} has a NaN or infinite {column}")
    return float(value)


def _model_from_path(path: Path) -> str:
    """eval-set-scores/<org>/<model>.json -> org/model."""
    return f"{path.parent.name}/{path.stem}" if path.parent.name else path.stem


def join_with_responses(
    scores: ScoreFile,
    responses: Mapping[str, RewardBenchPair],
    features: Sequence[str],
    tokenizer: Any = None,
    allow_partial: bool = False,
) -> ScoredPairs:
    """Join one score file with the responses on `id` (never by row position)."""
    where = f"score file {str(scores.path)!r}"
    unknown = [i for i in scores.ids if i not in responses]
    if len(unknown) == len(scores.ids):
        raise DataError(f"{where} has no id in common with the responses (e.g. id {unknown[0]})")
    if unknown:
        raise DataError(f"{where} has {len(unknown)} ids that are not in the responses (e.g. id {unknown[0]})")
    if not allow_partial and len(scores.ids) < len(responses):
        covered = set(scores.ids)
        absent = next(i for i in responses if i not in covered)
        raise DataError(
            f"{where} misses {len(responses) - len(scores.ids)} of the {len(responses)} response ids "
            f"(e.g. id {absent}); pass --allow-partial to score the pairs it has"
        )
    pairs = [responses[i] for i in scores.ids]
    for pair, subset in zip(pairs, scores.subsets):
        if pair.subset != subset:
            raise DataError(f"{where}: id {pair.id} is subset {subset!r} there but {pair.subset!r} in the responses")
    if scores.text_chosen is not None and scores.text_rejected is not None:
        full_chosen = np.array([len(t) for t in scores.text_chosen], float)
        full_rejected = np.array([len(t) for t in scores.text_rejected], float)
    else:  # no templated texts published: prompt + response characters
        full_chosen = np.array([len(p.prompt) + len(p.chosen) for p in pairs], float)
        full_rejected = np.array([len(p.prompt) + len(p.rejected) for p in pairs], float)
    try:
        feature_values = {
            name: (
                response_feature([p.chosen for p in pairs], name, tokenizer),
                response_feature([p.rejected for p in pairs], name, tokenizer),
            )
            for name in features
        }
    except ValueError as exc:
        raise DataError(str(exc)) from exc
    return ScoredPairs(
        ids=scores.ids,
        subsets=scores.subsets,
        chosen_scores=scores.chosen,
        rejected_scores=scores.rejected,
        features=feature_values,
        chosen_full_lengths=full_chosen,
        rejected_full_lengths=full_rejected,
    )
