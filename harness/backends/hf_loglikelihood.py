"""Log-likelihood scoring for the hf backend: each distinct input runs once, shared prefixes once.

The cost of scoring on a CPU is the number of tokens run through the model, so the plan is to run
as few as possible, in as few forwards as possible:

1. **Distinct inputs.** A request's input is its context + continuation without the last token
   (that token is only predicted). An input that is a prefix of another input (a prompt scored
   with " he" and " she", one-token answers; a short answer that begins a longer one) reads its
   log-probs from the longer row: every distinct input runs once, as in lm-eval's context grouping.
2. **Shared prefixes** (hf_prefix_sharing.py). Rows sorted by their tokens put rows with long common
   prefixes (few-shot demonstrations, one conversation with several candidate answers) next to each
   other; a dynamic programme cuts the sorted rows into groups that minimise tokens run (a group of
   k rows with a common prefix of P tokens costs P + sum(L_i - P) instead of sum(L_i)), so two
   prompt families that share only a short header are not forced into one group with a short
   prefix. Each group's prefix key/values are computed once (all groups' prefixes in batched
   forwards) and kept in the backend's `PrefixKVStore`, so a prefix cut across two client batches
   — the "choose" answer mode's conversation with many candidates — is computed once, not once per batch.
3. **Batched suffixes.** Every row's remaining tokens run in batched forwards sorted by length
   (little padding, hf_rows.forward_chunks), with rows of different groups mixed: row i of a forward
   is laid out as [pad][prefix i][pad][suffix i] (padding masked, positions explicit; hf_rows.py),
   the layout of the generation prefill. Only the trailing columns whose logits some request reads go through the
   language-model head (`logits_to_keep`), which also keeps the full-vocabulary logits of every
   position out of memory.

Results equal one plain forward per request to float rounding (tests/harness/test_hf_loglikelihood.py;
benchmarks/codegenbias_loglikelihood.py compares them with lm-eval's HFLM).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.harness.backends.hf_prefix_sharing import PrefixGroup, plan_prefix_groups, shared_prefix_kvs
from bench.harness.backends.hf_rows import forward_chunks, forward_rows
from bench.harness.backends.prompting import ScoredTokens
from bench.harness.requests import LoglikelihoodAnswer

# Bytes of float32 logits (positions x vocabulary) one forward may produce.
MAX_LOGIT_BYTES = 2**28


@dataclass(frozen=True)
class InputRows:
    """The distinct model inputs of a batch of scored requests.

    `rows[r]` is a token sequence run through the model; request i reads its log-probs from row
    `host[i]` (its input is a prefix of that row); `first_needed[r]` is the earliest position of
    row r whose logits some request reads.
    """

    rows: list[list[int]]
    host: list[int]
    first_needed: list[int]


def distinct_inputs(items: Sequence[ScoredTokens]) -> InputRows:
    """Collapse the requests' inputs to the distinct rows that must run, in sorted token order.

    In sorted order an input that is a prefix of any other input is directly followed by one that
    extends it (everything between x and an extension of x also starts with x), so one backward
    pass finds each input's host row.
    """
    inputs = sorted({tuple(item.tokens[:-1]) for item in items})
    owner = list(range(len(inputs)))  # index of the longest input that extends inputs[k]
    for k in range(len(inputs) - 2, -1, -1):
        nxt = inputs[k + 1]
        if len(nxt) > len(inputs[k]) and nxt[: len(inputs[k])] == inputs[k]:
            owner[k] = owner[k + 1]
    kept = sorted(set(owner))
    row_of = {old: new for new, old in enumerate(kept)}
    index = {seq: row_of[owner[k]] for k, seq in enumerate(inputs)}
    host = [index[tuple(item.tokens[:-1])] for item in items]
    first_needed = [len(inputs[old]) - 1 for old in kept]
    for item, row in zip(items, host):
        first_needed[row] = min(first_needed[row], item.continuation_start - 1)
    return InputRows([list(inputs[old]) for old in kept], host, first_needed)


class LoglikelihoodScorer:
    """Scores tokenised log-likelihood requests on a causal LM (see the module docstring).

    `store` (optional) is the backend's PrefixKVStore: group prefixes are looked up there first and
    put there after they are computed. `min_shared_prefix` is the shortest prefix worth sharing.
    """

    def __init__(self, model: Any, pad_token_id: int, device: Any, min_shared_prefix: int, store: Any | None) -> None:
        self.model, self.pad, self.device = model, pad_token_id, device
        self.min_shared_prefix, self.store = min_shared_prefix, store
        vocabulary = int(getattr(model.config, "vocab_size", 0) or 2**17)
        self.max_logit_positions = max(1, MAX_LOGIT_BYTES // (4 * vocabulary))
        self.forwards = 0  # model forwards run (prefix and scoring), for tests and benchmarks
        self.tokens_run = 0  # input tokens run through the model, padding excluded

    def score(self, items: Sequence[ScoredTokens]) -> list[LoglikelihoodAnswer]:
        import torch

        answers: list[LoglikelihoodAnswer | None] = [
            LoglikelihoodAnswer(0.0, True, 0) if item.continuation_start >= len(item.tokens) else None for item in items
        ]  # a continuation the tokeniser encodes to no token has probability 1 and needs no forward
        scored = [i for i, answer in enumerate(answers) if answer is None]
        if not scored:
            return [a for a in answers if a is not None]
        plan = distinct_inputs([items[i] for i in scored])
        groups = plan_prefix_groups(plan.rows, plan.first_needed, self.min_shared_prefix)
        with torch.inference_mode():
            prefixes = self._group_prefixes(plan.rows, groups)
            row_prefix: dict[int, tuple[int, Any]] = {}
            for group, kv in zip(groups, prefixes):
                for r in group.rows:
                    row_prefix[r] = (group.prefix_len, kv)
                if group.prefix_len == 0 and self.store is not None:
                    # a lone row may continue a prefix an earlier batch stored (the last candidate
                    # of a "choose" decision cut off into the next batch)
                    [r] = group.rows
                    reused, kv = self.store.lookup(plan.rows[r][: plan.first_needed[r] + 1])
                    if kv is not None:
                        row_prefix[r] = (reused, kv)
            hosted: dict[int, list[int]] = {}
            for i, r in zip(scored, plan.host):
                hosted.setdefault(r, []).append(i)
            widths = [(row_prefix[r][0], len(plan.rows[r]) - row_prefix[r][0]) for r in range(len(plan.rows))]
            kept = [len(plan.rows[r]) - plan.first_needed[r] for r in range(len(plan.rows))]
            for chunk in forward_chunks(widths, kept, self.max_logit_positions):
                pasts = [row_prefix[r][1] for r in chunk]
                suffixes = [plan.rows[r][row_prefix[r][0] :] for r in chunk]
                keep = max(kept[r] for r in chunk)
                _, _, logits = self._forward(pasts, suffixes, keep=keep, want_cache=False)
                logits = logits.float()
                normaliser = torch.logsumexp(logits, dim=-1)  # log_softmax without a second (rows, keep, V) tensor
                greedy = logits.argmax(dim=-1)
                for position, r in enumerate(chunk):
                    first_column = keep - len(plan.rows[r])  # column of absolute position 0 (may be negative)
                    for i in hosted[r]:
                        item = items[i]
                        targets = torch.tensor(item.tokens[item.continuation_start :], device=logits.device)
                        columns = torch.arange(len(targets), device=logits.device) + (first_column + item.continuation_start - 1)
                        token_logprobs = logits[position, columns, targets] - normaliser[position, columns]
                        is_greedy = bool((greedy[position, columns] == targets).all())
                        answers[i] = LoglikelihoodAnswer(float(token_logprobs.sum()), is_greedy, len(targets))
        return [a for a in answers if a is not None]

    def _group_prefixes(self, rows: list[list[int]], groups: list[PrefixGroup]) -> list[Any]:
        """Each group's prefix key/values (a RowKV; None for a prefix of 0)."""
        shared = [g for g in groups if g.prefix_len > 0]
        kvs = iter(self._prefix_kvs([rows[g.rows[0]][: g.prefix_len] for g in shared]))
        return [next(kvs) if g.prefix_len > 0 else None for g in groups]

    def _prefix_kvs(self, sequences: list[list[int]]) -> list[Any]:
        """Key/values of each sequence, computed once and kept in the store (hf_prefix_sharing.py)."""
        return shared_prefix_kvs(sequences, self.store, self.min_shared_prefix, self._forward)

    def _forward(self, pasts: list[Any], suffixes: list[list[int]], keep: int, want_cache: bool) -> tuple[Any, Any, Any]:
        """One forward of hf_rows.forward_rows' layout, counted in `forwards` and `tokens_run`."""
        self.forwards += 1
        self.tokens_run += sum(len(s) for s in suffixes)
        return forward_rows(self.model, pasts, suffixes, self.pad, self.device, keep, want_cache)


__all__ = ["MAX_LOGIT_BYTES", "InputRows", "LoglikelihoodScorer", "distinct_inputs"]
