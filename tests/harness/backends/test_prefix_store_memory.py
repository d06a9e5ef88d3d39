"""The hf backend's PrefixKVStore stays inside its byte bound and keeps a sequence's key/values once:
an entry that another entry extends (a prompt, then the same prompt with its generated answer) is
dropped, and lookups still reuse the longest stored prefix."""

from __future__ import annotations

import torch
from bench.harness.backends.hf_generation import PrefixKVStore, RowKV


def kv(length: int, layers: int = 2) -> RowKV:
    return RowKV([torch.full((1, 1, length, 4), float(length)) for _ in range(layers)],
                 [torch.zeros(1, 1, length, 4) for _ in range(layers)])


def test_an_entry_extended_by_a_newer_one_is_dropped():
    store = PrefixKVStore(max_bytes=10**6, min_reuse=2)
    prompt = list(range(20))
    store.put(prompt, kv(20))
    store.put(prompt + [100, 101, 102], kv(23))  # the same row after generating
    assert len(store) == 1 and store._bytes == kv(23).nbytes()
    length, reused = store.lookup(prompt + [7, 8])  # a later turn of the same chat
    assert length == 20 and reused is not None and reused.length == 20
    store.put([5, 6, 7, 8], kv(4))  # unrelated prefixes stay
    assert len(store) == 2


def test_the_store_never_holds_more_bytes_than_its_bound():
    one = kv(10).nbytes()
    store = PrefixKVStore(max_bytes=3 * one, min_reuse=2)
    for start in range(0, 100, 10):
        store.put(list(range(start + 1000, start + 1010)), kv(10))
        assert store._bytes <= 3 * one
    assert len(store) == 3
    assert store.lookup(list(range(1090, 1100)) + [1])[0] == 10  # the newest survive
    assert store.lookup(list(range(1000, 1010)) + [1])[0] == 0
