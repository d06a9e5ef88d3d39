"""Generation batches are cut by prompt length: the oldest waiting request is always served, with the
waiting ones nearest its length, so short prompts are not padded to a long one's width (fast, fake backend)."""

from __future__ import annotations

import asyncio
from typing import Any

from bench.harness.client import ModelClient, _Pending
from bench.harness.requests import (
    ChatRequest,
    CompletionRequest,
    GenerationParams,
    LoglikelihoodRequest,
    Message,
)

PARAMS = GenerationParams(max_tokens=4)


def _queue(client: ModelClient, requests: list[Any]) -> None:
    loop = asyncio.new_event_loop()
    try:
        client._queue = [_Pending(str(i), r, loop.create_future()) for i, r in enumerate(requests)]
    finally:
        loop.close()


def test_the_oldest_generation_request_is_batched_with_those_nearest_its_length(fake_backend: Any) -> None:
    client = ModelClient(fake_backend(text="ok"), max_batch_size=2)
    prompts = ["x" * 1000, "y" * 10, "z" * 990, "w" * 12]
    _queue(client, [CompletionRequest(p, PARAMS) for p in prompts])
    first = [p.request.prompt for p in client._take_batch()]
    assert first == ["x" * 1000, "z" * 990]
    second = [p.request.prompt for p in client._take_batch()]
    assert second == ["y" * 10, "w" * 12]


def test_chat_requests_are_measured_by_their_messages(fake_backend: Any) -> None:
    client = ModelClient(fake_backend(text="ok"), max_batch_size=2)
    chats = [ChatRequest((Message("user", "a" * n),), PARAMS) for n in (5, 800, 7)]
    _queue(client, chats)
    assert [len(p.request.messages[0].content) for p in client._take_batch()] == [5, 7]


def test_a_queue_that_fits_one_batch_keeps_its_order(fake_backend: Any) -> None:
    client = ModelClient(fake_backend(text="ok"), max_batch_size=8)
    prompts = ["x" * 1000, "y" * 10, "z" * 990]
    _queue(client, [CompletionRequest(p, PARAMS) for p in prompts])
    assert [p.request.prompt for p in client._take_batch()] == prompts


def test_loglikelihood_batches_still_follow_text_order(fake_backend: Any) -> None:
    client = ModelClient(fake_backend(text="ok"), max_batch_size=2)
    _queue(client, [LoglikelihoodRequest(c, " a") for c in ("b long context", "a", "a longer one")])
    assert [p.request.context for p in client._take_batch()] == ["a", "a longer one"]
