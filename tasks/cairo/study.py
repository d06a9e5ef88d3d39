"""CAIRO across models: from each model's CAIRO sample records to the correlation of every metric
pair, the combination search and its held-out check (the report of `bench study cairo`).

For a bias group (gender, religion, race) and a metric pair (M1, M2), the paraphrase-set pool is
the sets every model has for both metrics; combinations of k = 1..max_k sets (originals + a
multiset of k - 1 pool sets, with replacement) are scored for every model from the cached
per-prompt toxicities (never re-generating), the seeds averaged per (k, combination, model)
(spec pitfall 4: each seed's bias first, keyed by its axis, then the mean). The correlation over
models is computed per combination; CAIRO picks the highest on the SELECTION prompts and the
same combination is re-scored on HELD-OUT prompts (pitfall 5):

- `heldout = "test"`: selection on the valid split, held out = the test split (when every model
  has test records of both metrics with the pool's sets);
- `heldout = "half"`: otherwise the valid prompts of each subgroup are split alternately (1st,
  3rd, ... select; 2nd, 4th, ... are held out), so the check needs no extra generations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from bench.harness.errors import DataError
from bench.metrics.cairo_bias import combination_biases, combination_count, combinations
from bench.metrics.cairo_correlation import (
    CorrelationMethod,
    columnwise_correlation,
    correlate,
    finite_mean,
    select_combination,
)
from bench.tasks.cairo.prompts import ORIGINAL
from bench.tasks.cairo.table import BiasTable

METRICS = ("bold", "holistic", "honest")
PAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    "gender": (("holistic", "bold"), ("honest", "holistic"), ("honest", "bold")),
    "religion": (("holistic", "bold"),),
    "race": (("holistic", "bold"),),
}


@dataclass(frozen=True)
class ModelRun:
    """One model's CAIRO records, as tables: `tables[metric][(split, group)]`."""

    label: str
    tables: Mapping[str, Mapping[tuple[str, str], BiasTable]]
    scorers: frozenset[str]


def _mask(table: BiasTable, part: str) -> np.ndarray | None:
    if part == "all":
        return None
    parity = 0 if part == "even" else 1
    rank = np.zeros(len(table.prompts), dtype=int)
    for subgroup in range(len(table.subgroups)):
        members = np.flatnonzero(table.prompt_subgroup == subgroup)
        rank[members] = np.arange(len(members))
    return rank % 2 == parity  # type: ignore[no-any-return]


def combination_matrix(table: BiasTable, pool: Sequence[str], max_k: int, part: str = "all") -> np.ndarray:
    """Seed-averaged bias of every combination of k = 1..max_k (concatenated in k order), for the
    prompts of `part` ("all"; "even"/"odd": alternate prompts within each subgroup)."""
    sums, counts = table.by_set([ORIGINAL, *pool], _mask(table, part))
    blocks = [combination_biases(sums, counts, k).mean(axis=0) for k in range(1, max_k + 1)]
    return np.concatenate(blocks)


def ks_of(n_sets: int, max_k: int) -> np.ndarray:
    """Each column's k, in `combination_matrix` order."""
    return np.concatenate([np.full(combination_count(n_sets, k), k) for k in range(1, max_k + 1)])


def _combination_names(pool: Sequence[str], max_k: int, column: int) -> list[str]:
    for k in range(1, max_k + 1):
        combos = combinations(len(pool), k)
        if column < len(combos):
            return [ORIGINAL] + [pool[i] for i in combos[column]]
        column -= len(combos)
    raise IndexError(column)


def _table(run: ModelRun, metric: str, split: str, group: str) -> BiasTable | None:
    return run.tables.get(metric, {}).get((split, group))


def analyse(
    runs: Sequence[ModelRun], *, max_k: int = 6, method: CorrelationMethod = "pearson",
    n_permutations: int = 1000, seed: int = 0,
) -> dict[str, Any]:
    """The study report (JSON-serialisable): per-model biases and, per group and metric pair,
    the correlations, the selected combination and its held-out value."""
    if len(runs) < 3:
        raise DataError(f"a correlation across models needs at least 3 models, got {len(runs)}")
    labels = [r.label for r in runs]
    if len(set(labels)) != len(labels):
        raise DataError(f"model labels must be distinct, got {labels}")
    scorers = {s for r in runs for s in r.scorers}
    if len(scorers) != 1:
        raise DataError(f"every run must use the same toxicity scorer (biases are not comparable otherwise), got {sorted(scorers)}")
    report: dict[str, Any] = {
        "models": labels, "scorer": scorers.pop(), "method": method, "max_k": max_k,
        "n_permutations": n_permutations, "bias": {}, "pairs": [],
    }
    for metric in METRICS:
        for run in runs:
            for (split, group), table in run.tables.get(metric, {}).items():
                value = float(combination_matrix(table, [], 1)[0])
                report["bias"].setdefault(metric, {}).setdefault(f"{group}/{split}", {})[run.label] = value
    for group, pairs in PAIRS.items():
        for first, second in pairs:
            entry = _pair(runs, group, first, second, max_k, method, n_permutations, seed)
            if entry is not None:
                report["pairs"].append(entry)
    if not report["pairs"]:
        raise DataError("no metric pair has valid-split records for every model (run `bench eval --tasks cairo` on each)")
    return report


def _pair(
    runs: Sequence[ModelRun], group: str, first: str, second: str, max_k: int, method: CorrelationMethod,
    n_permutations: int, seed: int,
) -> dict[str, Any] | None:
    valid = [(_table(r, first, "valid", group), _table(r, second, "valid", group)) for r in runs]
    if any(a is None or b is None for a, b in valid):
        return None
    pool_sets = [set(t.set_names) - {ORIGINAL} for pair in valid for t in pair if t is not None]
    pool = sorted(set.intersection(*pool_sets))
    k_max = max_k if pool else 1
    tests = [(_table(r, first, "test", group), _table(r, second, "test", group)) for r in runs]
    use_test = all(a is not None and b is not None and set(pool) <= set(a.set_names) & set(b.set_names) for a, b in tests)
    select_part, held_part = ("all", "all") if use_test else ("even", "odd")
    held = tests if use_test else valid

    def matrix(tables: Sequence[tuple[BiasTable | None, BiasTable | None]], which: int, part: str, k: int = k_max) -> np.ndarray:
        return np.stack([combination_matrix(pair[which], pool, k, part) for pair in tables])  # type: ignore[arg-type]

    xs, ys = matrix(valid, 0, select_part), matrix(valid, 1, select_part)
    xh, yh = matrix(held, 0, held_part), matrix(held, 1, held_part)
    ks = ks_of(len(pool), k_max)
    original = correlate(matrix(valid, 0, "all", 1)[:, 0], matrix(valid, 1, "all", 1)[:, 0], method, n_resamples=n_permutations, seed=seed)
    try:
        selection = select_combination(xs, ys, xh, yh, ks, method, n_permutations=n_permutations, seed=seed)
    except ValueError as exc:
        return {"group": group, "metrics": [first, second], "pool": pool, "error": str(exc)}
    correlations = _columns(xs, ys, method)
    heldout = _columns(xh, yh, method)
    by_k = {int(k): _summary(correlations[ks == k], heldout[ks == k]) for k in np.unique(ks)}
    return {
        "group": group, "metrics": [first, second], "pool": pool, "heldout": "test" if use_test else "half",
        "n_combinations": int(len(ks)),
        "original": {"r": _finite(original.value), "ci": [original.ci_low, original.ci_high], "p_value": original.p_value},
        "selected": {
            "combination": _combination_names(pool, k_max, selection.index), "k": selection.k,
            "r_selection": selection.selected_r, "r_heldout": _finite(selection.heldout_r),
            "p_value_with_search": selection.selection_p_value,
        },
        "average": {"r_selection_by_k": {str(k): v for k, v in selection.average_r_by_k.items()},
                    "r_heldout_all": _finite(selection.heldout_average_r)},
        "by_k": {str(k): v for k, v in by_k.items()},
        "biases_selected": {
            first: dict(zip([r.label for r in runs], xs[:, selection.index].tolist(), strict=True)),
            second: dict(zip([r.label for r in runs], ys[:, selection.index].tolist(), strict=True)),
        },
    }


def _columns(x: np.ndarray, y: np.ndarray, method: CorrelationMethod) -> np.ndarray:
    return columnwise_correlation(x, y, method)


def _summary(values: np.ndarray, heldout: np.ndarray) -> dict[str, Any]:
    """n, mean, sd, min, max of one k's correlations (finite ones; None when there are none)."""
    finite = values[np.isfinite(values)]
    stats = (finite.mean(), finite.std(), finite.min(), finite.max()) if finite.size else (np.nan,) * 4
    summary = {name: _finite(v) for name, v in zip(("mean", "sd", "min", "max"), stats, strict=True)}
    return {"n": int(values.size), **summary, "heldout_mean": _finite(finite_mean(heldout))}


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
