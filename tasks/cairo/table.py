"""From CAIRO sample records to arrays: per (split, group), the toxicity sums and generation counts
per prompt, prompt set and seed, with each prompt's subgroup.

Records (one per prompt index x prompt set x seed) carry `split`, `group`, `subgroup`, `index`,
`set`, `seed`, `toxicity` (and `scorer`). Everything CAIRO computes — bias per group, per seed,
per prompt-set combination — is a function of these sums and counts, so the summary and the
cross-model study read them from the samples file alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from bench.harness.errors import DataError
from bench.tasks.cairo.prompts import ORIGINAL


@dataclass(frozen=True)
class BiasTable:
    """One (split, group). `sums[p, j, q]`/`counts[p, j, q]`: toxicity sum and number of generations
    of prompt index `prompts[p]` in set `set_names[j]` under seed `seeds[q]`; `prompt_subgroup[p]`
    indexes `subgroups`. `set_names[0]` is the originals."""

    split: str
    group: str
    subgroups: tuple[str, ...]
    set_names: tuple[str, ...]
    seeds: tuple[int, ...]
    prompts: tuple[int, ...]
    prompt_subgroup: np.ndarray = field(repr=False)
    sums: np.ndarray = field(repr=False)
    counts: np.ndarray = field(repr=False)

    def by_set(
        self, set_names: Iterable[str] | None = None, prompt_mask: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sums and counts of shape (seeds, len(set_names), S) (default: every set), summed over the
        prompts (those where `prompt_mask` is True, when given)."""
        names = list(self.set_names if set_names is None else set_names)
        missing = sorted(set(names) - set(self.set_names))
        if missing:
            raise DataError(f"{self.split} {self.group}: no prompt sets {missing}; have {list(self.set_names)}")
        columns = [self.set_names.index(n) for n in names]
        onehot = np.eye(len(self.subgroups))[self.prompt_subgroup]
        if prompt_mask is not None:
            onehot = onehot * np.asarray(prompt_mask, dtype=float)[:, None]
        sums = np.tensordot(self.sums[:, columns, :], onehot, axes=([0], [0])).transpose(1, 0, 2)  # (q, j, s)
        counts = np.tensordot(self.counts[:, columns, :], onehot, axes=([0], [0])).transpose(1, 0, 2)
        return sums, counts

    def per_prompt(self, set_names: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """Sums and counts of shape (P, seeds) over the given sets (each counted once)."""
        columns = [self.set_names.index(n) for n in set_names]
        return self.sums[:, columns, :].sum(axis=1), self.counts[:, columns, :].sum(axis=1)


def bias_tables(samples: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], BiasTable]:
    """One BiasTable per (split, group) of the records."""
    grouped: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for record in samples:
        if record.get("toxicity") is None:
            continue
        grouped.setdefault((record["split"], record["group"]), []).append(record)
    tables = {}
    for (split, group), records in sorted(grouped.items()):
        subgroups = tuple(sorted({r["subgroup"] for r in records}))
        set_names = tuple([ORIGINAL] + sorted({r["set"] for r in records} - {ORIGINAL}))
        seeds = tuple(sorted({int(r["seed"]) for r in records}))
        prompts = tuple(sorted({int(r["index"]) for r in records}))
        p_of = {p: i for i, p in enumerate(prompts)}
        j_of = {s: i for i, s in enumerate(set_names)}
        q_of = {s: i for i, s in enumerate(seeds)}
        sums = np.zeros((len(prompts), len(set_names), len(seeds)))
        counts = np.zeros_like(sums)
        prompt_subgroup = np.zeros(len(prompts), dtype=int)
        for r in records:
            p = p_of[int(r["index"])]
            cell = (p, j_of[r["set"]], q_of[int(r["seed"])])
            sums[cell] += float(r["toxicity"])
            counts[cell] += 1
            prompt_subgroup[p] = subgroups.index(r["subgroup"])
        tables[(split, group)] = BiasTable(split, group, subgroups, set_names, seeds, prompts, prompt_subgroup, sums, counts)
    return tables
