"""Batched decoding for the hf backend with reuse of previously computed prompt prefixes.

On a CPU, prefill (running the prompt through the model) is compute-bound: it costs the same per
token at batch 1 or 16, so batching only speeds up the decode steps. Games and multi-turn
episodes send prompts that mostly repeat earlier ones (the conversation so far, the rules
preamble), so recomputing them dominates. `PrefixKVStore` keeps the key/value cache of recent
sequences (prompt + generated tokens); a new prompt reuses the longest stored token prefix and
prefills only the rest — the idea of vLLM's automatic prefix caching, in plain transformers.

`generate_batch` then runs one decode loop over all rows: per-row caches are left-padded into one
batch, each row carries its own positions and stops on its own EOS, stop strings, max_tokens or
(constrained rows) the end of its grammar, and finished rows leave the batch. The per-token work
is batched across rows: one grammar-mask operation for all constrained rows (each row its own
xgrammar matcher, harness/backends/grammar.py), one argmax for the greedy rows, one batched
temperature / top-k / top-p transform for the sampled ones, EOS and length checks as tensor ops,
one device-to-host copy per step, one batched decode for the rows with stop strings. A row's
tokens never depend on which other rows share the batch beyond float rounding of padded
attention (greedy texts were identical in every comparison we ran; see
tests/harness/backends/test_hf_generation.py); a sampled row draws from its own generator,
seeded by its request.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from bench.harness.backends.hf_prefix_sharing import plan_prefix_groups, shared_prefix_kvs
from bench.harness.backends.hf_rows import (
    RowKV,
    forward_chunks,
    forward_rows,
    layer_tensors,
    left_padded_cache,
    row_kv,
)
from bench.harness.backends.prompting import common_prefix_len
from bench.harness.requests import GenerationParams
from transformers import DynamicCache

if TYPE_CHECKING:
    from bench.harness.backends.grammar import ConstraintGrammars


class PrefixKVStore:
    """LRU store of RowKV entries keyed by their token sequence, bounded in bytes."""

    def __init__(self, max_bytes: int, min_reuse: int = 16) -> None:
        self.max_bytes, self.min_reuse = max_bytes, min_reuse
        self._entries: OrderedDict[tuple[int, ...], RowKV] = OrderedDict()
        self._bytes = 0
        self.reused_tokens = 0
        self.prefilled_tokens = 0

    def lookup(self, tokens: Sequence[int]) -> tuple[int, RowKV | None]:
        """Longest stored prefix of `tokens` usable for a prefill: (length, kv cropped to it).

        At least one token of the prompt is always left to prefill (its logits start decoding).
        """
        limit = len(tokens) - 1
        best_len, best_key = 0, None
        probe = list(tokens[:limit])
        for key in self._entries:
            if min(len(key), limit) <= best_len:
                continue
            shared = common_prefix_len(key, probe)
            if shared > best_len:
                best_len, best_key = shared, key
        if best_key is None or best_len < self.min_reuse:
            return 0, None
        self._entries.move_to_end(best_key)
        return best_len, self._entries[best_key].cropped(best_len)

    def put(self, tokens: Sequence[int], kv: RowKV) -> None:
        key = tuple(tokens[: kv.length])
        if len(key) < self.min_reuse or key in self._entries:
            return
        size = kv.nbytes()
        if size > self.max_bytes:
            return
        # A stored entry whose key is a prefix of this one serves no lookup this one cannot (lookups
        # crop): drop it, so a finished row does not keep its prompt's key/values twice (helper UNO).
        for shorter in [k for k in self._entries if len(k) < len(key) and key[: len(k)] == k]:
            self._bytes -= self._entries.pop(shorter).nbytes()
        self._entries[key] = kv
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.nbytes()

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class _Row:
    prompt: list[int]
    params: GenerationParams
    generated: list[int]


def generate_batch(
    model: Any,
    tokenizer: Any,
    prompts: list[list[int]],
    params: list[GenerationParams],
    eos_ids: set[int],
    store: PrefixKVStore | None,
    device: torch.device,
    grammars: ConstraintGrammars | None = None,
) -> list[list[int]]:
    """Generate for every prompt; returns each row's new tokens, ending with the EOS token if it
    stopped there (stop strings are detected but cut by the caller).

    Rows with a `params.constraint` are decoded under their grammar (`grammars` must be given):
    only tokens the grammar allows are picked, and the row ends when the grammar has accepted an
    EOS token (or at max_tokens, unfinished).
    """
    rows = [_Row(p, g, []) for p, g in zip(prompts, params)]
    constrained = [g.constraint for g in params]
    row_constraints = None
    if any(c is not None for c in constrained):
        if grammars is None:
            raise ValueError("constrained rows need the tokenizer's ConstraintGrammars")
        from bench.harness.backends.grammar import RowConstraints

        row_constraints = RowConstraints(grammars, constrained)
    with torch.inference_mode():
        cache, mask, logits = _prefill(model, rows, store, device)
        _decode(model, tokenizer, rows, cache, mask, logits, eos_ids, store, device, row_constraints)
    return [row.generated for row in rows]


def _prefill(
    model: Any, rows: list[_Row], store: PrefixKVStore | None, device: torch.device
) -> tuple[DynamicCache, torch.Tensor, torch.Tensor]:
    """Every row's prompt through the model: shared prefixes once, rows of similar length together.

    Each row reuses the longest prefix the store holds; prefixes that rows of this batch share
    beyond that (a probe's instructions or demonstrations, the same conversation) run once
    (hf_prefix_sharing.py) and go into the store. Each row then runs only the rest, the rows cut
    into forwards by `hf_rows.forward_chunks` (fewest padded tokens): prefill is compute-bound on a
    CPU, so a 1,100-token few-shot prompt in one forward with fifteen 150-token prompts would make
    each of them cost its length seven times over. The decode batch then holds each row's prompt
    key/values left-padded to the longest prompt: row i is [pad][prompt i], its last column the
    last prompt token. Returns (cache, attention mask, the last prompt token's logits in float32).
    """
    reused = [store.lookup(row.prompt) if store is not None else (0, None) for row in rows]
    if store is not None and len(rows) > 1:
        reused = _share_prefixes(model, rows, reused, store, device)
    widths = [(n, len(row.prompt) - n) for row, (n, _) in zip(rows, reused)]
    prompts: list[RowKV | None] = [None] * len(rows)
    last: list[torch.Tensor] = [torch.empty(0)] * len(rows)
    for chunk in forward_chunks(widths):
        suffixes = [rows[i].prompt[reused[i][0] :] for i in chunk]
        cache, mask, logits = forward_rows(model, [reused[i][1] for i in chunk], suffixes, 0, device, 1, want_cache=True)
        assert cache is not None
        for position, i in enumerate(chunk):
            prompts[i] = row_kv(cache, position, mask[position])
            last[i] = logits[position, -1]
    if store is not None:
        for i, row in enumerate(rows):
            store.reused_tokens += widths[i][0]
            store.prefilled_tokens += widths[i][1]
            kv = prompts[i]
            assert kv is not None
            store.put(row.prompt, kv)
    width = max(len(row.prompt) for row in rows)
    mask_tensor = torch.tensor([[0] * (width - len(row.prompt)) + [1] * len(row.prompt) for row in rows], device=device)
    return left_padded_cache(prompts, width, device), mask_tensor, torch.stack(last).float()


def _share_prefixes(
    model: Any, rows: list[_Row], reused: list[tuple[int, RowKV | None]], store: PrefixKVStore, device: torch.device
) -> list[tuple[int, RowKV | None]]:
    """`reused` with the prefixes that two or more rows share beyond what the store gave them, each
    computed once (and stored); every row keeps at least its last prompt token to run."""
    order = sorted(range(len(rows)), key=lambda i: rows[i].prompt)
    prompts = [rows[i].prompt for i in order]
    groups = plan_prefix_groups(prompts, [len(p) - 1 for p in prompts], store.min_reuse)
    wanted = [g for g in groups if sum(reused[order[r]][0] < g.prefix_len for r in g.rows) >= 2]
    if not wanted:
        return reused

    def forward(pasts: list[RowKV | None], suffixes: list[list[int]], keep: int, want_cache: bool) -> Any:
        store.prefilled_tokens += sum(len(s) for s in suffixes)
        return forward_rows(model, pasts, suffixes, 0, device, keep, want_cache)

    kvs = shared_prefix_kvs([prompts[g.rows[0]][: g.prefix_len] for g in wanted], store, store.min_reuse, forward)
    shared = list(reused)
    for group, kv in zip(wanted, kvs):
        for r in group.rows:
            if shared[order[r]][0] < group.prefix_len:
                shared[order[r]] = (group.prefix_len, kv)
    return shared


def _drop_leading_padding(cache: DynamicCache, mask: torch.Tensor) -> tuple[DynamicCache, torch.Tensor]:
    """Without the leading columns that no row attends to (left by longer rows that have finished):
    each decode step copies and attends over every column of the cache. Only plain (not
    sliding-window) cache layers are cut; the positions are explicit, so nothing else changes."""
    from transformers.cache_utils import DynamicLayer

    used = mask.any(dim=0).nonzero()
    cut = int(used[0]) if len(used) else 0
    if cut == 0 or any(type(layer) is not DynamicLayer for layer in cache.layers):
        return cache, mask
    for layer in cache.layers:
        keys, values = layer_tensors(layer)
        layer.keys, layer.values = keys[:, :, cut:], values[:, :, cut:]
    return cache, mask[:, cut:]


class _Sampler:
    """Next tokens for a batch of rows from their logits: argmax for greedy rows; for sampled rows
    temperature, top-k and top-p as batched tensor ops, then one uniform draw per row from the
    row's own generator (inverse CDF), so a sampled row's tokens depend on its seed, not its
    batch-mates."""

    def __init__(self, rows: list[_Row], device: torch.device) -> None:
        self.sampled = [i for i, row in enumerate(rows) if not row.params.greedy]
        self.generators: dict[int, torch.Generator] = {}
        for i in self.sampled:
            seed = rows[i].params.seed
            self.generators[i] = torch.Generator().manual_seed(seed if seed is not None else 0)
        params = [row.params for row in rows]
        self.temperature = torch.tensor([p.temperature or 1.0 for p in params], device=device)
        self.top_p = torch.tensor([p.top_p for p in params], device=device)
        self.top_k = torch.tensor([p.top_k or 0 for p in params], device=device)
        self.device = device

    def pick(self, logits: torch.Tensor, active: list[int], index: torch.Tensor) -> torch.Tensor:
        """Tokens (len(active),) for `logits` (len(active), vocab); `index` is `active` as a tensor."""
        tokens = logits.argmax(dim=-1)
        if not self.sampled:
            return tokens
        positions = [p for p, i in enumerate(active) if i in self.generators]
        if not positions:
            return tokens
        rows = index[positions] if len(positions) < len(active) else index
        chosen = logits[positions] if len(positions) < len(active) else logits
        probs = self._probabilities(chosen, rows)
        draws = torch.tensor(
            [float(torch.rand(1, generator=self.generators[active[p]])) for p in positions], device=self.device
        )
        cumulative = probs.cumsum(dim=-1)
        picked = torch.searchsorted(cumulative, (draws * cumulative[:, -1])[:, None], right=True).squeeze(1)
        picked = picked.clamp(max=logits.shape[-1] - 1)
        impossible = probs.gather(1, picked[:, None]).squeeze(1) <= 0  # float rounding at the very top
        tokens[positions] = torch.where(impossible, probs.argmax(dim=-1), picked)
        return tokens

    def _probabilities(self, logits: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """softmax(logits / T) restricted to each row's top-k tokens and its top-p nucleus
        (the smallest set of most likely tokens whose probability reaches top_p), renormalised."""
        scaled = logits / self.temperature[rows, None]
        top_k = self.top_k[rows]
        limited = (top_k > 0) & (top_k < scaled.shape[-1])
        if bool(limited.any()):
            # torch.topk of the largest k asked for, not a sort of the vocabulary: a full sort of
            # 49k logits per row per step cost ~50x more than the forward's share on a CPU.
            k = torch.where(limited, top_k, 1)
            largest = scaled.topk(int(k[limited].max()), dim=-1).values
            kth = largest.gather(1, (k - 1)[:, None])
            kth = kth.masked_fill(~limited[:, None], float("-inf"))  # rows without top-k keep every token
            scaled = scaled.masked_fill(scaled < kth, float("-inf"))
        probs = torch.softmax(scaled, dim=-1)
        top_p = self.top_p[rows]
        if bool((top_p < 1.0).any()):
            sorted_probs, order = probs.sort(dim=-1, descending=True)
            drop = sorted_probs.cumsum(dim=-1) - sorted_probs >= top_p[:, None]
            drop[:, 0] = False  # the most likely token always stays (top_p=0 means greedy, not nothing)
            probs = probs.scatter(1, order, sorted_probs.masked_fill(drop, 0.0))
        return probs


def _decode(
    model: Any,
    tokenizer: Any,
    rows: list[_Row],
    cache: DynamicCache,
    mask: torch.Tensor,
    logits: torch.Tensor,
    eos_ids: set[int],
    store: PrefixKVStore | None,
    device: torch.device,
    constraints: Any = None,
) -> None:
    """The decode loop (see the module docstring); `constraints` is a RowConstraints or None."""
    sampler = _Sampler(rows, device)
    eos = torch.tensor(sorted(eos_ids), device=device)
    active = list(range(len(rows)))  # rows still in the batch, in batch order
    index = torch.arange(len(rows), device=device)
    limits = torch.tensor([row.params.max_tokens for row in rows], device=device)
    positions = torch.tensor([[len(row.prompt)] for row in rows], device=device)
    with_stops = {i for i, row in enumerate(rows) if row.params.stop}
    steps = 0
    while True:
        if constraints:
            constraints.mask_logits(logits, active)
        tokens = sampler.pick(logits, active, index)
        steps += 1
        done = torch.isin(tokens, eos) | (limits[index] <= steps)
        token_list, done_list = torch.stack((tokens, done.to(tokens.dtype))).tolist()  # one sync per step
        for i, token in zip(active, token_list):
            rows[i].generated.append(token)
        finished = {i for i, d in zip(active, done_list) if d}
        if with_stops:
            finished |= _rows_at_stop(tokenizer, rows, [i for i in active if i in with_stops and i not in finished])
        if constraints:
            finished |= constraints.accept(active, token_list)
        keep = [p for p, i in enumerate(active) if i not in finished]
        if store is not None:
            for p, i in enumerate(active):
                if i in finished and len(rows[i].generated) > 1:
                    store.put(rows[i].prompt + rows[i].generated, row_kv(cache, p, mask[p]))
        if not keep:
            break
        if len(keep) < len(active):
            select = torch.tensor(keep, device=device)
            cache.batch_select_indices(select)
            mask, tokens, positions, index = mask[select], tokens[select], positions[select], index[select]
            cache, mask = _drop_leading_padding(cache, mask)
            active = [active[p] for p in keep]
        mask = torch.cat([mask, mask.new_ones(len(active), 1)], dim=1)
        out = model(
            input_ids=tokens[:, None],
            attention_mask=mask,
            position_ids=positions,
            past_key_values=cache,
            use_cache=True,
        )
        positions = positions + 1
        cache = out.past_key_values
        logits = out.logits[:, -1].float()


def _rows_at_stop(tokenizer: Any, rows: list[_Row], candidates: list[int]) -> set[int]:
    """The rows among `candidates` whose recent text contains one of their stop strings (one batched
    decode of each row's last 32 tokens)."""
    if not candidates:
        return set()
    texts = tokenizer.batch_decode([rows[i].generated[-32:] for i in candidates], skip_special_tokens=True)
    return {i for i, text in zip(candidates, texts) if any(s in text for s in rows[i].params.stop)}
