"""Batched forwards over rows that continue cached prefixes, and the plan that cuts rows into forwards.

Both request kinds of the hf backend run token rows that may continue a prefix whose key/values
are already computed (a `RowKV`, from the prefix store or a shared few-shot prefix). One forward
lays row i out as

    [pad][prefix i][pad][suffix i]

(the prefixes left-padded to the widest prefix, the suffixes to the longest suffix; padding
masked, positions explicit), so every row's last column is its last token. The cost of a forward
on a CPU is its padded suffix tokens (rows x longest suffix, prefill is compute-bound) plus a fixed
cost per forward; `forward_chunks` cuts rows of different lengths into the forwards that run the
fewest padded tokens, so one long prompt does not pad fifteen short ones to its length.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import DynamicCache

# Tokens of model input (rows x (prefix + suffix) columns) one forward may hold; bounds the memory
# of the expanded prefix key/values and of the activations.
MAX_FORWARD_TOKENS = 8192
# Rows one forward may hold, whatever their length.
MAX_FORWARD_ROWS = 256
# A forward's fixed cost (launching ~10 kernels per layer), in tokens, for the plans.
FORWARD_OVERHEAD_TOKENS = 16


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


def left_padded_cache(rows: Sequence[RowKV | None], width: int, device: torch.device) -> DynamicCache:
    """One batched cache of `rows` (None: a row with nothing cached), each left-padded with zeros
    to `width` columns. At least one row must be a RowKV (it gives the layer shapes)."""
    template = next(row for row in rows if row is not None)
    cache = DynamicCache()
    for layer in range(len(template.keys)):
        keys = [_left_pad(row.keys[layer] if row else None, template.keys[layer], width) for row in rows]
        values = [_left_pad(row.values[layer] if row else None, template.values[layer], width) for row in rows]
        cache.update(torch.cat(keys).to(device), torch.cat(values).to(device), layer)
    return cache


def _left_pad(kv: torch.Tensor | None, template: torch.Tensor, width: int) -> torch.Tensor:
    """(1, heads, n, dim) keys or values, left-padded with zeros to `width` columns."""
    n = 0 if kv is None else int(kv.shape[2])
    if kv is not None and n == width:
        return kv
    pad = template.new_zeros(template.shape[0], template.shape[1], width - n, template.shape[3])
    return pad if kv is None else torch.cat([pad, kv], dim=2)


def row_kv(cache: DynamicCache, index: int, mask: torch.Tensor) -> RowKV:
    """Row `index` of a batched cache without its masked (padding) columns (`mask`: that row's mask)."""
    keep = mask.bool()
    layers = [layer_tensors(layer) for layer in cache.layers]
    return RowKV([k[index : index + 1, :, keep] for k, _ in layers], [v[index : index + 1, :, keep] for _, v in layers])


def layer_tensors(layer: object) -> tuple[torch.Tensor, torch.Tensor]:
    """A cache layer's (keys, values), each (rows, kv_heads, columns, head_dim). Attention layers only:
    the batched paths serve no recurrent model (hf_stateful.py does)."""
    keys, values = getattr(layer, "keys", None), getattr(layer, "values", None)
    if not isinstance(keys, torch.Tensor) or not isinstance(values, torch.Tensor):
        raise TypeError(f"cache layer {type(layer).__name__} holds no key/value tensors")
    return keys, values


def _takes_logits_to_keep(model: Any) -> bool:
    return "logits_to_keep" in inspect.signature(model.forward).parameters


def forward_rows(
    model: Any,
    pasts: Sequence[RowKV | None],
    suffixes: Sequence[Sequence[int]],
    pad_id: int,
    device: torch.device,
    keep: int,
    want_cache: bool,
) -> tuple[DynamicCache | None, torch.Tensor, torch.Tensor]:
    """One forward; row i = [pad][pasts[i]][pad][suffixes[i]] (see the module docstring).

    Returns (the cache, None unless a prefix was given or `want_cache`; the attention mask; the
    logits of the last `keep` columns, in the model's dtype). The caller runs it under
    `torch.inference_mode()`.
    """
    prefix_width = max((kv.length for kv in pasts if kv is not None), default=0)
    suffix_width = max(len(s) for s in suffixes)
    cache = left_padded_cache(pasts, prefix_width, device) if prefix_width else DynamicCache() if want_cache else None
    ids, mask, positions = [], [], []
    for kv, suffix in zip(pasts, suffixes):
        p = kv.length if kv is not None else 0
        pad = suffix_width - len(suffix)
        ids.append([pad_id] * pad + list(suffix))
        mask.append([0] * (prefix_width - p) + [1] * p + [0] * pad + [1] * len(suffix))
        positions.append([0] * pad + list(range(p, p + len(suffix))))
    mask_tensor = torch.tensor(mask, device=device)
    kwargs: dict[str, Any] = {"logits_to_keep": keep} if _takes_logits_to_keep(model) else {}
    output = model(
        input_ids=torch.tensor(ids, device=device),
        attention_mask=mask_tensor,
        position_ids=torch.tensor(positions, device=device),
        past_key_values=cache,
        use_cache=cache is not None,
        **kwargs,
    )
    return output.past_key_values, mask_tensor, output.logits[:, -keep:]


def forward_chunks(widths: Sequence[tuple[int, int]], kept: Sequence[int] | None = None, max_kept: int | None = None) -> list[list[int]]:
    """Split rows of (prefix, suffix) token counts into forwards that run the fewest padded tokens.

    A forward of rows R costs len(R) x max suffix + FORWARD_OVERHEAD_TOKENS (the prefixes are
    cached, the suffixes are run, padded to the longest). With the rows sorted by suffix length the
    best split is contiguous: a dynamic programme over the sorted rows. Bounds per forward:
    rows x (widest prefix + widest suffix) <= MAX_FORWARD_TOKENS, rows <= MAX_FORWARD_ROWS and,
    where given, rows x max(kept) <= max_kept (`kept[r]`: trailing columns of row r whose logits are
    read; bounds the vocabulary-wide logits). A row that alone breaks a bound runs on its own.
    """
    n = len(widths)
    kept = kept if kept is not None else [0] * n
    order = sorted(range(n), key=lambda r: (-widths[r][1], r))
    best = [0] * (n + 1)
    start = [0] * (n + 1)
    for j in range(1, n + 1):
        best[j], start[j] = -1, j - 1
        widest_prefix = widest_kept = 0
        for i in range(j - 1, -1, -1):
            r = order[i]
            widest_prefix, widest_kept = max(widest_prefix, widths[r][0]), max(widest_kept, kept[r])
            rows, suffix = j - i, widths[order[i]][1]  # sorted: row i has the longest suffix
            too_big = (
                rows > MAX_FORWARD_ROWS
                or rows * (widest_prefix + suffix) > MAX_FORWARD_TOKENS
                or (max_kept is not None and rows * widest_kept > max_kept)
            )
            if too_big and rows > 1:
                break
            cost = best[i] + rows * suffix + FORWARD_OVERHEAD_TOKENS
            if best[j] < 0 or cost < best[j]:
                best[j], start[j] = cost, i
    chunks: list[list[int]] = []
    j = n
    while j > 0:
        chunks.append(order[start[j] : j])
        j = start[j]
    return chunks[::-1]


__all__ = [
    "FORWARD_OVERHEAD_TOKENS",
    "MAX_FORWARD_ROWS",
    "MAX_FORWARD_TOKENS",
    "RowKV",
    "forward_chunks",
    "forward_rows",
    "layer_tensors",
    "left_padded_cache",
    "row_kv",
]
