"""The fake backend: deterministic answers for every request kind, limits, scripted replies, failures."""

from __future__ import annotations

import asyncio
import math
import time

import pytest
from bench.harness import registry
from bench.harness.backends.fake import ContinuousFakeBackend, FakeBackend
from bench.harness.client import ModelClient
from bench.harness.errors import BackendError, CapabilityError, ConfigError
from bench.harness.requests import (
    ChatRequest,
    CompletionRequest,
    GenerationParams,
    LoglikelihoodRequest,
    Message,
    RequestKind,
    ScoreRequest,
)

CHAT = ChatRequest((Message("user", "What is 2 + 3?"),), GenerationParams(max_tokens=50))
COMPLETION = CompletionRequest("Once upon a time", GenerationParams(max_tokens=50))
LOGLIK = LoglikelihoodRequest("The capital of France is", " Paris")
SCORE = ScoreRequest((Message("user", "hi"), Message("assistant", "hello there")))
ALL_REQUESTS = (CHAT, COMPLETION, LOGLIK, SCORE)


def serve(backend: FakeBackend, request):  # type: ignore[no-untyped-def]
    return backend.serve_batch(request.kind if request.kind is not RequestKind.CHAT else RequestKind.COMPLETION, [request])[0]


def test_registered_under_fake_in_the_registry() -> None:
    assert "fake" in registry.backend_names()
    assert registry.load_backend_class("fake") is FakeBackend


def test_every_request_kind_is_answered_identically_by_two_instances() -> None:
    first, second = FakeBackend("m"), FakeBackend("m")
    for request in ALL_REQUESTS:
        assert serve(first, request) == serve(second, request)
    assert first.capabilities == frozenset(RequestKind)


def test_seed_changes_answers_and_fingerprint() -> None:
    base, reseeded = FakeBackend("m"), FakeBackend("m", {"seed": 1})
    assert base.info.fingerprint != reseeded.info.fingerprint
    assert [serve(base, r) for r in ALL_REQUESTS] != [serve(reseeded, r) for r in ALL_REQUESTS]


def test_fingerprint_depends_on_answer_args_only() -> None:
    plain = FakeBackend("m").info.fingerprint
    assert FakeBackend("m", {"delay": 0.01, "fail_at": 3, "batch_size": 2}).info.fingerprint == plain
    assert FakeBackend("m", {"text": "x"}).info.fingerprint != plain
    assert FakeBackend("other").info.fingerprint != plain


def test_different_requests_get_different_answers() -> None:
    backend = FakeBackend("m")
    texts = {serve(backend, ChatRequest((Message("user", f"q{i}"),))).text for i in range(20)}
    assert len(texts) > 10


def test_fixed_text_is_cut_at_the_first_stop_string() -> None:
    backend = FakeBackend("m", {"text": "Answer: 5\nReason: maths END more"})
    request = ChatRequest((Message("user", "q"),), GenerationParams(stop=("END", "\n")))
    answer = serve(backend, request)
    assert answer.text == "Answer: 5"
    assert answer.finish_reason == "stop"


def test_max_tokens_cuts_words_and_reports_length() -> None:
    backend = FakeBackend("m", {"text": "one two three four five"})
    answer = serve(backend, CompletionRequest("p", GenerationParams(max_tokens=3)))
    assert (answer.text, answer.finish_reason, answer.completion_tokens) == ("one two three", "length", 3)
    untouched = serve(backend, CompletionRequest("p", GenerationParams(max_tokens=5)))
    assert (untouched.text, untouched.finish_reason) == ("one two three four five", "stop")


def test_hashed_replies_respect_max_tokens() -> None:
    backend = FakeBackend("m")
    for i in range(30):
        answer = serve(backend, CompletionRequest(f"prompt {i}", GenerationParams(max_tokens=2)))
        assert 1 <= answer.completion_tokens <= 2


def test_scripted_replies_come_in_order_and_cycle() -> None:
    backend = FakeBackend("m", {"replies": "red|blue"})
    texts = [serve(backend, ChatRequest((Message("user", f"q{i}"),))).text for i in range(3)]
    assert texts == ["red", "blue", "red"]


def test_loglikelihood_is_negative_and_scales_with_continuation_words() -> None:
    backend = FakeBackend("m")
    short = serve(backend, LoglikelihoodRequest("ctx", " a"))
    long = serve(backend, LoglikelihoodRequest("ctx", " a b c d e f g h"))
    assert -1.5 <= short.logprob < -0.5 and short.continuation_tokens == 1
    assert -12.0 <= long.logprob < -4.0 and long.continuation_tokens == 8


def test_length_bias_adds_to_the_score_per_character() -> None:
    plain, biased = FakeBackend("m"), FakeBackend("m", {"length_bias": 0.5})
    messages = (Message("user", "q"), Message("assistant", "x" * 10))
    unbiased_score = serve(plain, ScoreRequest(messages)).score
    assert -4.0 <= unbiased_score < 4.0
    # The hash differs with the seed only, so the same request's base score is shared.
    assert serve(biased, ScoreRequest(messages)).score == pytest.approx(unbiased_score + 5.0)


def test_garbage_mode_returns_symbols_and_nan() -> None:
    backend = FakeBackend("m", {"garbage": True})
    assert not any(ch.isalnum() for ch in serve(backend, CHAT).text)
    assert math.isnan(serve(backend, LOGLIK).logprob)
    assert math.isnan(serve(backend, SCORE).score)


def test_fail_at_raises_on_the_nth_request_only() -> None:
    backend = FakeBackend("m", {"fail_at": 2})
    serve(backend, CHAT)
    with pytest.raises(BackendError, match="request 2"):
        serve(backend, COMPLETION)
    assert serve(backend, LOGLIK).continuation_tokens == 1
    assert backend.requests_served == 3


def test_fail_with_crash_raises_a_plain_runtime_error() -> None:
    backend = FakeBackend("m", {"fail_at": 1, "fail_with": "crash"})
    with pytest.raises(RuntimeError) as info:
        serve(backend, CHAT)
    assert not isinstance(info.value, BackendError)


def test_fail_at_inside_a_batch_fails_the_whole_batch() -> None:
    backend = FakeBackend("m", {"fail_at": 3})
    batch = [CompletionRequest(f"p{i}") for i in range(4)]
    with pytest.raises(BackendError):
        backend.serve_batch(RequestKind.COMPLETION, batch)


def test_declared_capabilities_limit_what_is_served() -> None:
    backend = FakeBackend("m", {"capabilities": "chat|completion"})
    assert backend.capabilities == {RequestKind.CHAT, RequestKind.COMPLETION}
    with pytest.raises(CapabilityError):
        serve(backend, LOGLIK)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ({"colour": "red"}, "colour"),
        ({"capabilities": "chat|telepathy"}, "telepathy"),
        ({"fail_with": "explode"}, "explode"),
        ({"fail_at": 0}, "fail_at"),
        ({"delay": -1}, "delay"),
        ({"garbage": "maybe"}, "garbage"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_bad_model_args_raise_one_config_error_naming_them(args: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        FakeBackend("m", args)


def test_delay_sleeps_per_request() -> None:
    backend = FakeBackend("m", {"delay": 0.05})
    started = time.perf_counter()
    backend.serve_batch(RequestKind.COMPLETION, [CompletionRequest("a"), CompletionRequest("b")])
    assert time.perf_counter() - started >= 0.1


def test_describe_matches_the_constructed_backend_without_serving() -> None:
    args = {"seed": 3, "capabilities": "score", "batch_size": 5, "delay": 0.5}
    description = FakeBackend.describe("m", args, None)
    backend = FakeBackend("m", args)
    assert (description.info, description.capabilities, description.max_batch_size) == (
        backend.info, backend.capabilities, backend.max_batch_size,
    )
    assert backend.info.backend_args == {"seed": 3}
    assert FakeBackend.describe("m", {"continuous": True}, None) is None  # opened eagerly: see describe


def test_model_args_from_the_command_line_are_parsed_and_checked() -> None:
    from bench.harness.backends.base import parse_model_args

    backend = FakeBackend("m", parse_model_args("text=ok,garbage=false,fail_at=2,continuous=true,capabilities=chat"))
    assert isinstance(backend, ContinuousFakeBackend)
    assert (backend.text, backend.fail_at, backend.capabilities) == ("ok", 2, {RequestKind.CHAT})


def test_answer_predicts_served_answers_without_counting() -> None:
    backend = FakeBackend("m")
    expected = [backend.answer(r) for r in ALL_REQUESTS]
    assert backend.requests_served == 0
    assert [serve(backend, r) for r in ALL_REQUESTS] == expected


def test_batched_backend_gets_concurrent_requests_in_batches() -> None:
    backend = FakeBackend("m", {"batch_size": 4})

    async def run() -> list[str]:
        client = ModelClient(backend, None)
        answers = await asyncio.gather(*(client.complete(f"prompt {i}") for i in range(10)))
        await client.aclose()
        return [a.text for a in answers]

    texts = asyncio.run(run())
    assert texts == [backend.answer(CompletionRequest(f"prompt {i}")).text for i in range(10)]
    assert sorted(backend.batch_sizes, reverse=True) == [4, 4, 2]


def test_continuous_backend_serves_each_request_through_asubmit() -> None:
    backend = FakeBackend("m", {"continuous": True, "delay": 0.01})
    assert isinstance(backend, ContinuousFakeBackend) and backend.continuous

    async def run() -> list[float]:
        client = ModelClient(backend, None)
        answers = await asyncio.gather(*(client.loglikelihood("ctx", f" w{i}") for i in range(5)))
        await client.aclose()
        return [a.logprob for a in answers]

    logprobs = asyncio.run(run())
    assert logprobs == [FakeBackend("m").answer(LoglikelihoodRequest("ctx", f" w{i}")).logprob for i in range(5)]
    assert backend.requests_served == 5 and backend.batch_sizes == []
