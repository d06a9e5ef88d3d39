"""CAIRO's combination search: every combination of k = 1..6 prompt sets out of 15 paraphrase sets
(15,504 combinations), for 10 models and two metrics, from cached per-prompt toxicities — never
re-generating. Target (issue 14): <= 10 s.

Synthetic tables shaped like the paper's: per model, metric, seed (5) and prompt set (16 = the
originals + 15 paraphrase sets), the toxicity sums and generation counts of each subgroup (2 for
BOLD gender, 10 for HONEST's test identities). Measures

1. the bias of every combination for every model, seed and metric (`combination_biases`), seeds
   averaged;
2. the correlation of the two metrics over the 10 models for every combination, the CAIRO choice,
   its held-out re-score and the p-value that repeats the whole search under N model permutations;
3. the same with the study's code path (`tasks/cairo/study.py`) end to end on BiasTables built
   from per-prompt records (616 BOLD-like prompts).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/cairo_combination_search.py [--permutations 1000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench.metrics.cairo_bias import combination_biases, combination_count
from bench.metrics.cairo_correlation import select_combination
from bench.tasks.cairo.study import ModelRun, analyse
from bench.tasks.cairo.table import BiasTable

MODELS, SEEDS, SETS, MAX_K = 10, 5, 15, 6


def synthetic_sums(rng: np.random.Generator, subgroups: int, prompts_per_subgroup: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.full((MODELS, SEEDS, SETS + 1, subgroups), float(prompts_per_subgroup))
    level = rng.random((MODELS, 1, 1, subgroups)) * 0.2
    sums = counts * (level + rng.random(counts.shape) * 0.05)
    return sums, counts


def all_combinations(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return np.concatenate([combination_biases(sums, counts, k).mean(axis=1) for k in range(1, MAX_K + 1)], axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--permutations", type=int, default=1000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    total = sum(combination_count(SETS, k) for k in range(1, MAX_K + 1))
    ks = np.concatenate([np.full(combination_count(SETS, k), k) for k in range(1, MAX_K + 1)])

    start = time.perf_counter()
    valid = [all_combinations(*synthetic_sums(rng, s, 300)) for s in (2, 10)]
    test = [all_combinations(*synthetic_sums(rng, s, 300)) for s in (2, 10)]
    biases_s = time.perf_counter() - start
    start = time.perf_counter()
    selection = select_combination(valid[0], valid[1], test[0], test[1], ks, n_permutations=args.permutations)
    select_s = time.perf_counter() - start
    print(f"{total} combinations x {MODELS} models x {SEEDS} seeds, 2 metrics x (valid + test)")
    print(f"  biases of every combination         {biases_s:7.2f} s")
    print(f"  correlations + choice + {args.permutations} permutations {select_s:7.2f} s")
    print(f"  total                               {biases_s + select_s:7.2f} s   (target <= 10 s: ratio {10 / (biases_s + select_s):.1f}x)")
    print(f"  (null data: chosen r {selection.selected_r:.2f}, held out {selection.heldout_r:.2f}, p with search {selection.selection_p_value:.3f})")

    # The study's own path on per-prompt tables: 616 prompts, 16 sets, 5 seeds, 10 models.
    runs = []
    for m in range(MODELS):
        tables = {}
        for metric in ("honest", "bold"):
            prompts = 616
            sums = rng.random((prompts, SETS + 1, SEEDS)) * 0.2
            counts = np.ones_like(sums)
            names = ("original", *(f"p_{i:02d}" for i in range(SETS)))
            table = BiasTable("valid", "gender", ("f", "m"), names, tuple(range(1, SEEDS + 1)), tuple(range(prompts)),
                              np.arange(prompts) % 2, sums, counts)
            tables[metric] = {("valid", "gender"): table}
        runs.append(ModelRun(f"m{m}", tables, frozenset({"synthetic"})))
    start = time.perf_counter()
    report = analyse(runs, max_k=MAX_K, n_permutations=args.permutations)
    study_s = time.perf_counter() - start
    print(f"study end to end (analyse, held-out halves, {report['pairs'][0]['n_combinations']} combinations): {study_s:.2f} s")


if __name__ == "__main__":
    main()
