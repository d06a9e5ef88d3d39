"""RewardBench pairs: the hub dataset, a local file, or the small sample shipped with bench.

Sources (`source` option / `--responses`):

    "sample"                the RewardBench-shaped sample written by this project (data/sample_pairs.json):
                            3 pairs per subset for 13 subsets covering all four sections, chosen longer
                            in some pairs and shorter in others; runs offline.
    "allenai/reward-bench"  the real benchmark, split "filtered" (2985 pairs), through `datasets`
                            (hub when reachable, else its local cache); one-line DataError otherwise.
    a path                  a .json (list of rows, or {"pairs": [...]}, or columnar {col: [...]}),
                            .jsonl or .parquet file with the columns id, prompt, chosen, rejected, subset.

Pairs are joined with score files on `id`, never by row position (the authors' loader aligned by
position, which silently mis-pairs rows when a file is filtered or reordered).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bench.harness.errors import DataError
from bench.metrics.rewardbench_scoring import SECTIONS, SUBSET_SECTION

log = logging.getLogger(__name__)

HUB_DATASET = "allenai/reward-bench"
HUB_SPLIT = "filtered"
SAMPLE = "sample"
_COLUMNS = ("id", "prompt", "chosen", "rejected", "subset")


@dataclass(frozen=True)
class RewardBenchPair:
    id: str  # kept as text: RewardBench ids are ints, score files sometimes store them as strings
    prompt: str
    chosen: str
    rejected: str
    subset: str

    @property
    def section(self) -> str:
        return SUBSET_SECTION[self.subset]


def load_pairs(source: str = SAMPLE, limit: int | None = None) -> list[RewardBenchPair]:
    """Pairs from `source` (see the module docstring); `limit` keeps the first N in section and subset
    round-robin order, so a small limit still spans every section present."""
    if source == SAMPLE:
        pairs = load_sample_pairs()
    elif source == HUB_DATASET:
        pairs = load_hub_pairs()
    elif Path(source).exists():
        pairs = load_pairs_file(Path(source))
    else:
        raise DataError(
            f"responses source {source!r} is neither {SAMPLE!r}, {HUB_DATASET!r} nor an existing file"
        )
    return spread_over_subsets(pairs)[:limit] if limit is not None else pairs


def load_sample_pairs() -> list[RewardBenchPair]:
    text = resources.files("bench.tasks.rewardbench_length").joinpath("data/sample_pairs.json").read_text()
    return pairs_from_rows(json.loads(text)["pairs"], "the shipped sample")


def load_hub_pairs() -> list[RewardBenchPair]:
    """allenai/reward-bench split 'filtered' through `datasets` (its cache is used offline)."""
    try:
        import datasets

        dataset = datasets.load_dataset(HUB_DATASET, split=HUB_SPLIT)
    except Exception as exc:  # offline, gated, renamed: datasets raises many types
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"cannot load {HUB_DATASET} split {HUB_SPLIT!r} through datasets ({first_line[:200]}); "
            f"without hub access use --responses/source=sample or a local file with columns {', '.join(_COLUMNS)}"
        ) from exc
    return pairs_from_rows(dataset.to_list(), f"{HUB_DATASET}:{HUB_SPLIT}")


def load_pairs_file(path: Path) -> list[RewardBenchPair]:
    where = f"responses file {str(path)!r}"
    try:
        if path.suffix == ".parquet":
            import pandas as pd

            rows: Any = pd.read_parquet(path).to_dict(orient="records")
        elif path.suffix == ".jsonl":
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        else:
            rows = json.loads(path.read_text())
    except (OSError, ValueError, ImportError) as exc:
        raise DataError(f"{where} cannot be read: {' '.join(str(exc).split())[:200]}") from exc
    if isinstance(rows, Mapping) and "pairs" in rows:
        rows = rows["pairs"]
    elif isinstance(rows, Mapping):
        rows = columns_to_rows(rows, where)
    if not isinstance(rows, list):
        raise DataError(f"{where} must hold a list of rows or a columnar object")
    return pairs_from_rows(rows, where)


def columns_to_rows(columns: Mapping[str, Any], where: str) -> list[dict[str, Any]]:
    """A `datasets.Dataset.to_dict()` object (each column a list) -> rows; scalar keys are ignored."""
    lists = {k: v for k, v in columns.items() if isinstance(v, list)}
    lengths = {len(v) for v in lists.values()}
    if not lists or len(lengths) != 1:
        raise DataError(f"{where} is not columnar: its list columns differ in length or there are none")
    n = lengths.pop()
    return [{k: v[i] for k, v in lists.items()} for i in range(n)]


def pairs_from_rows(rows: Iterable[Mapping[str, Any]], where: str) -> list[RewardBenchPair]:
    pairs: list[RewardBenchPair] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, 1):
        if not isinstance(row, Mapping):
            raise DataError(f"{where}: row {number} is not an object")
        missing = [c for c in _COLUMNS if row.get(c) is None]
        if missing:
            raise DataError(f"{where}: row {number} lacks {', '.join(missing)}")
        pair = RewardBenchPair(
            id=str(row["id"]), prompt=str(row["prompt"]), chosen=str(row["chosen"]),
            rejected=str(row["rejected"]), subset=str(row["subset"]),
        )
        if pair.subset not in SUBSET_SECTION:
            raise DataError(f"{where}: row {number} (id {pair.id}) has unknown subset {pair.subset!r}")
        if pair.id in seen:
            raise DataError(f"{where}: id {pair.id} appears twice")
        seen.add(pair.id)
        pairs.append(pair)
    if not pairs:
        raise DataError(f"{where} holds no pairs")
    return pairs


def spread_over_subsets(pairs: list[RewardBenchPair]) -> list[RewardBenchPair]:
    """Interleave sections, and within a section its subsets: limit 4 gives one pair per section,
    limit 13 on the sample one pair per subset."""
    sections: dict[str, list[RewardBenchPair]] = {}
    for section in SECTIONS:
        by_subset = [[p for p in pairs if p.subset == s] for s in SECTIONS[section]]
        sections[section] = _round_robin([group for group in by_subset if group])
    return _round_robin([queue for queue in sections.values() if queue])


def _round_robin(queues: list[list[RewardBenchPair]]) -> list[RewardBenchPair]:
    ordered: list[RewardBenchPair] = []
    depth = max((len(q) for q in queues), default=0)
    for index in range(depth):
        ordered.extend(q[index] for q in queues if index < len(q))
    return ordered
