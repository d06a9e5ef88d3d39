"""Shared prefixes for the hf backend: which rows of a batch share which prefix, and its key/values, once.

Rows sorted by their tokens put rows with long common prefixes (few-shot demonstrations, a probe's
fixed instructions, one conversation with several candidate answers) next to each other.
`plan_prefix_groups` cuts the sorted rows into groups that minimise tokens run: a group of k rows
with a common prefix of P tokens costs P + sum(L_i - P) instead of sum(L_i), so two prompt families
that share only a short header are not forced into one group with a short prefix.
`shared_prefix_kvs` computes the groups' prefixes once (what the backend's `PrefixKVStore` already
holds is reused, sub-prefixes the prefixes share among themselves run once, the rest in batched
forwards) and puts each in the store, so a prefix cut across two client batches also runs once.
Log-likelihood scoring (hf_loglikelihood.py) and the generation prefill (hf_generation.py) both
use them; the rows then run only their suffixes (hf_rows.py's layout).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench.harness.backends.hf_rows import FORWARD_OVERHEAD_TOKENS, RowKV, forward_chunks, row_kv
from bench.harness.backends.prompting import common_prefix_len

if TYPE_CHECKING:
    from bench.harness.backends.hf_generation import PrefixKVStore

# How far back the grouping plan looks for a group's first row (keeps it linear in the batch).
_PLAN_WINDOW = 512

# forward(pasts, suffixes, keep, want_cache) -> (cache, mask, logits): hf_rows.forward_rows on a model
Forward = Callable[[list[RowKV | None], list[list[int]], int, bool], tuple[Any, Any, Any]]


@dataclass(frozen=True)
class PrefixGroup:
    """Rows (indices into the sorted rows) that share their first `prefix_len` tokens, run once."""

    rows: list[int]
    prefix_len: int


def plan_prefix_groups(rows: Sequence[Sequence[int]], first_needed: Sequence[int], min_prefix: int) -> list[PrefixGroup]:
    """Cut the (sorted) rows into groups that each run their common prefix once; fewest tokens.

    A group of rows i..j shares P = min(common prefix of its rows, first_needed of its rows) (each
    row keeps at least one position whose logits are read in its suffix) and costs
    P + sum(L - P) + FORWARD_OVERHEAD_TOKENS; it needs two or more rows and P >= min_prefix. A row
    in no group costs its length. Dynamic programme over the sorted order: best[j] = cheapest
    plan for rows[:j]. Rows outside every group come back as groups of one with prefix_len 0.
    """
    n = len(rows)
    adjacent = [common_prefix_len(rows[k], rows[k + 1]) for k in range(n - 1)]
    best = [0] * (n + 1)
    choice = [(0, 0)] * (n + 1)  # (start of the last group, its prefix length; 0 = a lone row)
    for j in range(1, n + 1):
        best[j], choice[j] = best[j - 1] + len(rows[j - 1]), (j - 1, 0)
        shared, cap, total = len(rows[j - 1]), first_needed[j - 1], len(rows[j - 1])
        for i in range(j - 2, max(-1, j - 1 - _PLAN_WINDOW), -1):
            shared = min(shared, adjacent[i])
            cap = min(cap, first_needed[i])
            prefix = min(shared, cap)
            if prefix < min_prefix:
                break  # it only shrinks as the group grows
            total += len(rows[i])
            size = j - i
            cost = best[i] + prefix + total - size * prefix + FORWARD_OVERHEAD_TOKENS
            if cost < best[j]:
                best[j], choice[j] = cost, (i, prefix)
    groups: list[PrefixGroup] = []
    j = n
    while j > 0:
        start, prefix = choice[j]
        groups.append(PrefixGroup(list(range(start, j)), prefix))
        j = start
    return groups[::-1]


def shared_prefix_kvs(sequences: list[list[int]], store: PrefixKVStore | None, min_prefix: int,
                      forward: Forward) -> list[RowKV]:
    """Key/values (RowKV) of each token sequence, run as little as possible: what the store holds
    is reused; sub-prefixes the sequences share among themselves (the demonstrations of prompt
    families that differ further on) are computed once, recursively, then each remainder runs in
    batched forwards. Every computed sequence is put in the store."""
    found: dict[tuple[int, ...], RowKV] = {}
    todo: list[tuple[list[int], int, RowKV | None]] = []  # (tokens, reused length, reused kv)
    for seq in sorted({tuple(s) for s in sequences}):
        reused, kv = store.lookup([*seq, -1]) if store is not None else (0, None)
        if reused == len(seq) and kv is not None:
            found[seq] = kv
        else:
            todo.append((list(seq), reused, kv))
    if todo:
        tokens = [t for t, _, _ in todo]
        groups = plan_prefix_groups(tokens, [len(t) - 1 for t in tokens], min_prefix)
        deeper = [g for g in groups if g.prefix_len > max(todo[t][1] for t in g.rows)]
        sub_kvs = shared_prefix_kvs([tokens[g.rows[0]][: g.prefix_len] for g in deeper], store, min_prefix, forward)
        for group, sub in zip(deeper, sub_kvs):
            for t in group.rows:
                todo[t] = (todo[t][0], group.prefix_len, sub)
        for chunk in forward_chunks([(reused, len(seq) - reused) for seq, reused, _ in todo]):
            pasts = [todo[t][2] for t in chunk]
            cache, mask, _ = forward(pasts, [todo[t][0][todo[t][1] :] for t in chunk], 1, True)
            for position, t in enumerate(chunk):
                kv = row_kv(cache, position, mask[position])
                found[tuple(todo[t][0])] = kv
                if store is not None:
                    store.put(todo[t][0], kv)
    return [found[tuple(s)] for s in sequences]


__all__ = ["PrefixGroup", "plan_prefix_groups", "shared_prefix_kvs"]
