"""The model client's batching, de-duplication and caching, on the real embedded model."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from bench.harness.cache import RequestCache
from bench.harness.client import ModelClient
from bench.harness.errors import CapabilityError
from bench.harness.requests import ChatRequest, GenerationParams, Message, ScoreRequest

pytestmark = pytest.mark.slow

QUESTIONS = [
    "What is 2 + 2?",
    "Name a colour.",
    "Say hello in French.",
    "What is the capital of Italy?",
    "Write one word that rhymes with cat.",
    "How many legs does a spider have?",
]
PARAMS = GenerationParams(max_tokens=8)


async def _ask_all(client: ModelClient, questions: list[str]) -> list[str]:
    answers = await asyncio.gather(*(client.chat([Message("user", q)], PARAMS) for q in questions))
    return [a.text for a in answers]


def test_concurrent_coroutines_share_one_batch(embedded_hf):
    client = ModelClient(embedded_hf, max_batch_size=8)
    asyncio.run(_ask_all(client, QUESTIONS))
    assert client.stats.batches == 1
    assert client.stats.backend_requests == len(QUESTIONS)


def test_full_batches_are_cut_at_max_batch_size(embedded_hf):
    client = ModelClient(embedded_hf, max_batch_size=4)
    asyncio.run(_ask_all(client, QUESTIONS))
    assert client.stats.batches == 2


def test_greedy_answers_do_not_depend_on_batch_composition(embedded_hf):
    by_size = {}
    for size in (1, 4, 6):
        by_size[size] = asyncio.run(_ask_all(ModelClient(embedded_hf, max_batch_size=size), QUESTIONS))
    assert by_size[1] == by_size[4] == by_size[6]
    assert all(text.strip() for text in by_size[1])


def test_identical_requests_in_flight_are_sent_once(embedded_hf):
    client = ModelClient(embedded_hf, max_batch_size=8)
    texts = asyncio.run(_ask_all(client, ["What is 2 + 2?"] * 5))
    assert len(set(texts)) == 1
    assert client.stats.backend_requests == 1
    assert client.stats.deduplicated == 4


def test_second_client_on_the_same_cache_answers_without_the_backend(embedded_hf, tmp_path: Path):
    first = ModelClient(embedded_hf, RequestCache(tmp_path / "c.sqlite"))
    texts = asyncio.run(_ask_all(first, QUESTIONS[:3]))
    second = ModelClient(embedded_hf, RequestCache(tmp_path / "c.sqlite"))
    assert asyncio.run(_ask_all(second, QUESTIONS[:3])) == texts
    assert second.stats.cache_hits == 3 and second.stats.backend_requests == 0


def test_sequential_turns_of_many_episodes_are_batched_per_turn(embedded_hf):
    """8 dialogues of 3 turns each: every turn of all dialogues goes out as one batch."""
    client = ModelClient(embedded_hf, max_batch_size=16)

    async def dialogue(i: int) -> None:
        history = [Message("user", f"Pick a number above {i}.")]
        for _ in range(3):
            answer = await client.chat(history, PARAMS)
            history += [Message("assistant", answer.text), Message("user", "And one more?")]

    async def main() -> None:
        await asyncio.gather(*(dialogue(i) for i in range(8)))

    asyncio.run(main())
    assert client.stats.backend_requests == 24
    assert client.stats.batches == 3


def test_request_kind_the_backend_cannot_serve_is_refused_with_its_choices(embedded_hf):
    client = ModelClient(embedded_hf)
    with pytest.raises(CapabilityError, match="cannot serve score requests; it serves: chat, completion, loglikelihood"):
        asyncio.run(client.submit(ScoreRequest([Message("user", "x"), Message("assistant", "y")])))


def test_chat_request_records_are_accepted_directly(embedded_hf):
    client = ModelClient(embedded_hf)
    answer = asyncio.run(client.submit(ChatRequest([Message("user", "Say yes.")], PARAMS)))
    assert answer.text.strip()
