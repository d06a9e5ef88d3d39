"""Deterministic, seeded partitions of a task's evaluation units (`bench eval --shard i/n`).

A sharded run evaluates part `i` of `n` (0 <= i < n) of every task's units (games, prompts,
pairs, episodes). The partition depends only on each unit's stable key, its stratum and the run
seed — never on the order units are listed or which machine runs the shard — so the `n` shards
of one run are disjoint, cover every unit, and `bench merge` can rebuild the unsharded run.

Within each stratum units are ordered by a seeded hash of their key and dealt round-robin, so
every shard gets a near-equal share of every stratum (shard sizes differ by at most one per
stratum); each stratum's deal starts at the shard after the previous stratum's last unit, so
shard sizes also differ by at most one overall.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Part `index` (0-based) of `count` parts."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"a shard is i/n with 0 <= i < n, got {self.index}/{self.count}")

    @classmethod
    def parse(cls, spec: str) -> Shard:
        """'1/3' -> Shard(1, 3); ValueError naming the expected form otherwise."""
        match = _SPEC.match(spec)
        if match is None:
            raise ValueError(f"a shard is written i/n with 0 <= i < n (e.g. 0/3), got {spec!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def _rank(seed: int, key: str) -> bytes:
    return hashlib.sha256(f"{seed}\x00{key}".encode()).digest()


def take_shard(
    items: Sequence[T],
    shard: Shard | None,
    seed: int,
    key: Callable[[T], str],
    stratum: Callable[[T], str] | None = None,
) -> list[T]:
    """This shard's units of `items`, in their original order (all of them when `shard` is None).

    `key(item)` must be unique and stable across runs (a sample id, a game seed); `stratum(item)`
    names the group each shard should get an equal share of. Raises ValueError on duplicate keys:
    a partition by key cannot be exact otherwise.
    """
    if shard is None or shard.count == 1:
        return list(items)
    keys = [key(item) for item in items]
    if len(set(keys)) != len(keys):
        raise ValueError("take_shard needs a unique key per unit; duplicate keys found")
    strata: dict[str, list[int]] = {}
    for position, item in enumerate(items):
        strata.setdefault(stratum(item) if stratum else "", []).append(position)
    chosen: set[int] = set()
    # Each stratum's deal continues where the previous one stopped (strata in name order), so
    # strata smaller than `count` (one game per UNO cell) do not all land in shard 0.
    dealt = 0
    for name in sorted(strata):
        positions = strata[name]
        ordered = sorted(positions, key=lambda p: _rank(seed, keys[p]))
        chosen.update(ordered[(shard.index - dealt) % shard.count :: shard.count])
        dealt += len(positions)
    return [item for position, item in enumerate(items) if position in chosen]
