"""Batched decoding for the hf backend with reuse of previously computed prompt prefixes.

On a CPU, prefill (running the prompt through the model) is compute-bound: it costs the same per
token at batch 1 or 16, so batching only speeds up the decode steps. Games and multi-turn
episodes send prompts that mostly repeat earlier ones (the conversation so far, the rules
preamble), so recomputing them dominates. `PrefixKVStore` keeps the key/value cache of recent
sequences (prompt + generated tokens); a new prompt reuses the longest stored token prefix and
prefills only the rest — the idea of vLLM's automatic prefix caching, in plain transformers.

`generate_batch` then runs one greedy (or sampled) decode loop over all rows: per-row caches are
left-padded into one batch, each row carries its own positions and stops on its own EOS, stop
strings or max_tokens, and finished rows leave the batch. A row's tokens never depend on which
other rows share the batch beyond float rounding of padded attention (greedy texts were
identical in every comparison we ran; see tests/harness/test_hf_backend.py).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from bench.harness.backends.prompting import common_prefix_len
from bench.harness.requests import GenerationParams
from transformers import DynamicCache


@dataclass
class RowKV:
    """One sequence's key/value tensors per layer, each (1, kv_heads, length, head_dim), unpadded."""

    keys: list[torch.Tensor]
    values: list[torch.Tensor]

    @property
    def length(self) -> int:
        return int(self.keys[0].shape[2])

    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (*self.keys, *self.values))

    def cropped(self, length: int) -> RowKV:
        return RowKV([k[:, :, :length] for k in self.keys], [v[:, :, :length] for v in self.values])


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


def _cache_from_rows(rows: list[RowKV], width: int, device: torch.device) -> DynamicCache:
    """Left-pad each row's KV to `width` with zeros and stack them into one batched cache."""
    cache = DynamicCache()
    for layer in range(len(rows[0].keys)):
        keys, values = [], []
        for row in rows:
            pad = width - row.length
            k, v = row.keys[layer], row.values[layer]
            if pad:
                k = torch.cat([k.new_zeros(k.shape[0], k.shape[1], pad, k.shape[3]), k], dim=2)
                v = torch.cat([v.new_zeros(v.shape[0], v.shape[1], pad, v.shape[3]), v], dim=2)
            keys.append(k)
            values.append(v)
        cache.update(torch.cat(keys).to(device), torch.cat(values).to(device), layer)
    return cache


def _row_from_cache(cache: DynamicCache, index: int, mask: torch.Tensor) -> RowKV:
    """Row `index` of a batched cache without its masked (padding) columns."""
    keep = mask.bool()
    keys = [layer.keys[index : index + 1, :, keep] for layer in cache.layers]
    values = [layer.values[index : index + 1, :, keep] for layer in cache.layers]
    return RowKV(keys, values)


@dataclass
class _Row:
    prompt: list[int]
    params: GenerationParams
    generated: list[int]
    finished: bool = False


def generate_batch(
    model: Any,
    tokenizer: Any,
    prompts: list[list[int]],
    params: list[GenerationParams],
    eos_ids: set[int],
    store: PrefixKVStore | None,
    device: torch.device,
) -> list[list[int]]:
    """Generate for every prompt; returns each row's new tokens, ending with the EOS token if it
    stopped there (stop strings are detected but cut by the caller)."""
    rows = [_Row(p, g, []) for p, g in zip(prompts, params)]
    with torch.inference_mode():
        cache, mask, logits = _prefill(model, rows, store, device)
        _decode(model, tokenizer, rows, cache, mask, logits, eos_ids, store, device)
    return [row.generated for row in rows]


def _prefill(
    model: Any, rows: list[_Row], store: PrefixKVStore | None, device: torch.device
) -> tuple[DynamicCache, torch.Tensor, torch.Tensor]:
    """One batched forward over every row's not-yet-cached prompt suffix.

    Layout of row i in the resulting cache (columns): [pad][reused prefix r_i][pad][suffix s_i],
    both paddings masked out and positions given explicitly, so the last column holds each row's
    last prompt token and its logits start decoding. Returns (cache, attention mask, logits).
    """
    reused: list[tuple[int, RowKV | None]] = [
        store.lookup(row.prompt) if store is not None else (0, None) for row in rows
    ]
    prefix_width = max(n for n, _ in reused)
    suffixes = [row.prompt[n:] for row, (n, _) in zip(rows, reused)]
    suffix_width = max(len(x) for x in suffixes)
    if prefix_width:
        template = next(kv for _, kv in reused if kv is not None)
        prefixes = [kv if kv is not None else _empty_like(template) for _, kv in reused]
        cache = _cache_from_rows(prefixes, prefix_width, device)
    else:
        cache = DynamicCache()
    ids, mask, positions = [], [], []
    for (n, _), suffix in zip(reused, suffixes):
        pad = suffix_width - len(suffix)
        ids.append([0] * pad + suffix)
        mask.append([0] * (prefix_width - n) + [1] * n + [0] * pad + [1] * len(suffix))
        positions.append([0] * pad + list(range(n, n + len(suffix))))
    mask_tensor = torch.tensor(mask, device=device)
    out = model(
        input_ids=torch.tensor(ids, device=device),
        attention_mask=mask_tensor,
        position_ids=torch.tensor(positions, device=device),
        past_key_values=cache,
        use_cache=True,
        logits_to_keep=1,
    )
    if store is not None:
        for i, row in enumerate(rows):
            store.reused_tokens += reused[i][0]
            store.prefilled_tokens += len(suffixes[i])
            store.put(row.prompt, _row_from_cache(out.past_key_values, i, mask_tensor[i]))
    return out.past_key_values, mask_tensor, out.logits[:, -1].float()


def _empty_like(template: RowKV) -> RowKV:
    """A zero-length RowKV with the template's layer shapes (a row that reuses nothing)."""
    return RowKV([k[:, :, :0] for k in template.keys], [v[:, :, :0] for v in template.values])


def _pick(logits: torch.Tensor, params: GenerationParams, generator: torch.Generator | None) -> int:
    if params.greedy:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits / params.temperature, dim=-1)
    if params.top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        keep = torch.cumsum(sorted_probs, dim=-1) - sorted_probs < params.top_p
        probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_probs[keep])
        probs = probs / probs.sum()
    return int(torch.multinomial(probs, 1, generator=generator))


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
) -> None:
    generators = {}
    for i, row in enumerate(rows):
        if not row.params.greedy:
            generator = torch.Generator()
            generator.manual_seed(row.params.seed if row.params.seed is not None else 0)
            generators[i] = generator
    active = list(range(len(rows)))  # rows still in the batch, in batch order
    while True:
        next_tokens = []
        for position, i in enumerate(active):
            token = _pick(logits[position], rows[i].params, generators.get(i))
            row = rows[i]
            row.generated.append(token)
            row.finished = (
                token in eos_ids or len(row.generated) >= row.params.max_tokens or _hit_stop(tokenizer, row)
            )
            next_tokens.append(token)
        keep = [p for p, i in enumerate(active) if not rows[i].finished]
        if store is not None:
            for p, i in enumerate(active):
                if rows[i].finished and len(rows[i].generated) > 1:
                    store.put(rows[i].prompt + rows[i].generated, _row_from_cache(cache, p, mask[p]))
        if not keep:
            return
        if len(keep) < len(active):
            index = torch.tensor(keep, device=device)
            cache.batch_select_indices(index)
            mask = mask[index]
            next_tokens = [next_tokens[p] for p in keep]
            active = [active[p] for p in keep]
        positions = torch.tensor([[len(rows[i].prompt) + len(rows[i].generated) - 1] for i in active], device=device)
        mask = torch.cat([mask, mask.new_ones(len(active), 1)], dim=1)
        out = model(
            input_ids=torch.tensor([[t] for t in next_tokens], device=device),
            attention_mask=mask,
            position_ids=positions,
            past_key_values=cache,
            use_cache=True,
        )
        cache = out.past_key_values
        logits = out.logits[:, -1].float()


def _hit_stop(tokenizer: Any, row: _Row) -> bool:
    if not row.params.stop:
        return False
    text = tokenizer.decode(row.generated[-32:], skip_special_tokens=True)
    return any(s in text for s in row.params.stop)
