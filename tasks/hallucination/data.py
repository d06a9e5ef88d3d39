"""Items and prompts of a probe: the shipped sample or the hub dataset, and the few-shot prompt.

`load_items(probe, source)` returns (items to evaluate, demo pool). With source "sample" both
come from the file shipped in data/ (demos are never the evaluated item itself); with "hub" the
items come from the probe's hub dataset through `datasets` (its own cache), and the demos from
its few-shot split. Offline, a hub dataset that is not cached fails with one line (DataError).

`build_prompt` lays out lm-eval's few-shot format: instruction, k demos (query + target delimiter +
target) joined and followed by the few-shot delimiter, then the query. Demos are drawn with a
random.Random seeded by the item id, so a prompt depends on nothing but the item, the pool and k.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

from bench.harness.errors import DataError
from bench.tasks.hallucination.probes import Item, Probe

DATA_DIR = Path(__file__).resolve().parent / "data"
SOURCES = ("sample", "hub")


def load_items(probe: Probe, source: str) -> tuple[list[Item], list[Item]]:
    """(evaluated items, demo pool) of `probe` from the shipped sample or the hub."""
    if source == "sample":
        assert probe.from_sample is not None
        rows = [json.loads(line) for line in (DATA_DIR / probe.sample_file).read_text(encoding="utf-8").splitlines() if line.strip()]
        items = [probe.from_sample(row, i) for i, row in enumerate(rows)]
        return items, items
    if source != "hub":
        raise DataError(f"task {probe.name!r}: unknown data source {source!r}; choices: {', '.join(SOURCES)}")
    assert probe.from_hub is not None
    items = [probe.from_hub(row, i) for i, row in enumerate(_hub_rows(probe, probe.hub_split))]
    pool = items if probe.fewshot_split is None or probe.shots == 0 else [
        probe.from_hub(row, i) for i, row in enumerate(_hub_rows(probe, probe.fewshot_split))
    ]
    return items, pool


def _hub_rows(probe: Probe, split: str) -> list[dict[str, Any]]:
    try:
        import datasets

        data = datasets.load_dataset(probe.hub_path, probe.hub_config, split=split)
    except Exception as exc:  # noqa: BLE001 - datasets raises many types when offline or when an id moved
        where = f"{probe.hub_path}" + (f" ({probe.hub_config})" if probe.hub_config else "") + f" split {split!r}"
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise DataError(
            f"task {probe.name!r}: cannot load {where} through datasets ({type(exc).__name__}: {first}); "
            f"offline, run the shipped sample with --task-args {probe.name}.data=sample"
        ) from exc
    return [dict(row) for row in data]


def _fill(template: str, item: Item) -> str:
    try:
        return template.format(**item)
    except KeyError as exc:
        raise DataError(f"prompt template {template[:40]!r} needs field {exc} that the item lacks") from exc


def demos_for(item: Item, pool: list[Item], shots: int) -> list[Item]:
    """`shots` demos from `pool` (never `item` itself), chosen by a RNG seeded with the item's id.

    Fewer when the pool is smaller; the sample records say how many were used.
    """
    candidates = [demo for demo in pool if demo["id"] != item["id"]]
    if shots <= 0 or not candidates:
        return []
    seed = int.from_bytes(hashlib.sha256(str(item["id"]).encode()).digest()[:8], "big")
    return random.Random(seed).sample(candidates, min(shots, len(candidates)))


def build_prompt(item: Item, demos: list[Item], instruction: str, query: str, target: str,
                 fewshot_delimiter: str, target_delimiter: str) -> str:
    """instruction + demo_1 + d + ... + demo_k + d + query (d = few-shot delimiter)."""
    shown = [_fill(query, demo) + target_delimiter + _fill(target, demo) for demo in demos]
    return instruction + "".join(text + fewshot_delimiter for text in shown) + _fill(query, item)
