"""The model client's batching, de-duplication and caching, on the real embedded model (slow), and
its failure handling on the fake backend (fast): nothing a dispatcher or cache failure does may
leave a waiting request pending for ever."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from bench.harness.cache import RequestCache
from bench.harness.client import ModelClient
from bench.harness.errors import BackendError, CacheError, CapabilityError
from bench.harness.requests import ChatRequest, GenerationParams, Message, ScoreRequest

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


@pytest.mark.slow
def test_concurrent_coroutines_share_one_batch(embedded_hf):
    client = ModelClient(embedded_hf, max_batch_size=8)
    asyncio.run(_ask_all(client, QUESTIONS))
    assert client.stats.batches == 1
    assert client.stats.backend_requests == len(QUESTIONS)


@pytest.mark.slow
def test_full_batches_are_cut_at_max_batch_size(embedded_hf):
    client = ModelClient(embedded_hf, max_batch_size=4)
    asyncio.run(_ask_all(client, QUESTIONS))
    assert client.stats.batches == 2


@pytest.mark.slow
def test_greedy_answers_do_not_depend_on_batch_composition(embedded_hf):
    by_size = {}
    for size in (1, 4, 6):
        by_size[size] = asyncio.run(_ask_all(ModelClient(embedded_hf, max_batch_size=size), QUESTIONS))
    assert by_size[1] == by_size[4] == by_size[6]
    assert all(text.strip() for text in by_size[1])


@pytest.mark.slow
def test_identical_requests_in_flight_are_sent_once(embedded_hf):
    client = ModelClient(embedded_hf, max_batch_size=8)
    texts = asyncio.run(_ask_all(client, ["What is 2 + 2?"] * 5))
    assert len(set(texts)) == 1
    assert client.stats.backend_requests == 1
    assert client.stats.deduplicated == 4


@pytest.mark.slow
def test_second_client_on_the_same_cache_answers_without_the_backend(embedded_hf, tmp_path: Path):
    first = ModelClient(embedded_hf, RequestCache(tmp_path / "c.sqlite"))
    texts = asyncio.run(_ask_all(first, QUESTIONS[:3]))
    second = ModelClient(embedded_hf, RequestCache(tmp_path / "c.sqlite"))
    assert asyncio.run(_ask_all(second, QUESTIONS[:3])) == texts
    assert second.stats.cache_hits == 3 and second.stats.backend_requests == 0


@pytest.mark.slow
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


@pytest.mark.slow
def test_request_kind_the_backend_cannot_serve_is_refused_with_its_choices(embedded_hf):
    client = ModelClient(embedded_hf)
    with pytest.raises(CapabilityError, match="cannot serve score requests; it serves: chat, completion, loglikelihood"):
        asyncio.run(client.submit(ScoreRequest([Message("user", "x"), Message("assistant", "y")])))


@pytest.mark.slow
def test_chat_request_records_are_accepted_directly(embedded_hf):
    client = ModelClient(embedded_hf)
    answer = asyncio.run(client.submit(ChatRequest([Message("user", "Say yes.")], PARAMS)))
    assert answer.text.strip()


# ---- failures, on the fake backend ---------------------------------------------------------------
def _bounded(coro: object, seconds: float = 10.0) -> object:
    """Run `coro` with a bound: a hang is a test failure, not a stuck test suite."""

    async def main() -> object:
        return await asyncio.wait_for(coro, seconds)  # type: ignore[arg-type]

    return asyncio.run(main())


def test_an_exception_inside_the_dispatcher_fails_every_waiting_request(fake_backend, monkeypatch):
    client = ModelClient(fake_backend())

    def broken_take_batch() -> list[object]:
        raise RuntimeError("dispatcher bug")

    monkeypatch.setattr(client, "_take_batch", broken_take_batch)

    async def ask_many() -> list[object]:
        return await asyncio.gather(*(client.chat([Message("user", f"q{i}")], PARAMS) for i in range(5)),
                                    return_exceptions=True)

    results = _bounded(ask_many())
    assert len(results) == 5 and all(isinstance(r, RuntimeError) and "dispatcher bug" in str(r) for r in results)
    assert not client._inflight and not client._queue


def test_dispatcher_keeps_serving_after_a_failure(fake_backend, monkeypatch):
    client = ModelClient(fake_backend(text="ok"))
    original = client._take_batch
    calls = {"n": 0}

    def fails_once() -> list[object]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("transient")
        return original()

    monkeypatch.setattr(client, "_take_batch", fails_once)

    async def scenario() -> tuple[object, str]:
        first = await asyncio.gather(client.chat([Message("user", "a")], PARAMS), return_exceptions=True)
        second = await client.chat([Message("user", "b")], PARAMS)
        return first[0], second.text

    first, second = _bounded(scenario())
    assert isinstance(first, RuntimeError) and second == "ok"


def test_an_empty_batch_never_kills_the_dispatcher(fake_backend):
    client = ModelClient(fake_backend(text="ok"))
    assert client._take_batch() == []

    async def scenario() -> str:
        client._ensure_dispatcher()  # woken with nothing queued
        await asyncio.sleep(0.01)
        return (await client.chat([Message("user", "a")], PARAMS)).text

    assert _bounded(scenario()) == "ok"


def test_backend_failure_fails_its_batch_and_later_batches_still_run(fake_backend):
    client = ModelClient(fake_backend(fail_at=1, text="ok"), max_batch_size=2)

    async def scenario() -> list[object]:
        first = await asyncio.gather(*(client.chat([Message("user", f"q{i}")], PARAMS) for i in range(2)),
                                     return_exceptions=True)
        second = await client.chat([Message("user", "later")], PARAMS)
        return [*first, second.text]

    a, b, later = _bounded(scenario())
    assert isinstance(a, BackendError) and isinstance(b, BackendError) and later == "ok"


def test_cache_locked_past_its_timeout_fails_the_waiting_requests_with_one_line(fake_backend, tmp_path: Path):
    path = tmp_path / "requests.sqlite"
    cache = RequestCache(path, busy_timeout_s=0.2)
    client = ModelClient(fake_backend(text="ok"), cache)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a second writer holds the lock for longer than the timeout
    try:
        async def ask_many() -> list[object]:
            return await asyncio.gather(*(client.chat([Message("user", f"q{i}")], PARAMS) for i in range(3)),
                                        return_exceptions=True)

        results = _bounded(ask_many())
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert all(isinstance(r, CacheError) for r in results)
    message = str(results[0])
    assert f"request cache {path} is locked by another writer" in message and "\n" not in message
    # once the lock is released, the same client answers and caches again
    assert _bounded(client.chat([Message("user", "q0")], PARAMS)).text == "ok"
    assert len(cache) == 1


def test_locked_cache_in_a_run_is_one_line_and_exit_2(bench_main, tmp_path: Path, monkeypatch):
    import bench.harness.cache as cache_module

    monkeypatch.setattr(cache_module, "DEFAULT_BUSY_TIMEOUT_S", 0.2)
    monkeypatch.setattr(cache_module.RequestCache.__init__, "__defaults__", (0.2,))
    monkeypatch.setattr(cache_module.open_request_cache, "__defaults__", (False, 0.2))  # what the run opens
    path = tmp_path / "locked.sqlite"
    RequestCache(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = bench_main("eval", "--backend", "fake", "--model", "m", "--tasks", "arithmetic_dialogue",
                            "--task-args", "arithmetic_dialogue.episodes=2,arithmetic_dialogue.turns=2",
                            "--cache-path", str(path), "--output-path", str(tmp_path / "out"), "--no-progress")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 2, result.stderr
    assert f"request cache {path} is locked by another writer" in result.stderr
    assert "Traceback" not in result.stderr
