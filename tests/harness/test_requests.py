from __future__ import annotations

import pytest
from bench.harness.requests import (
    ChatRequest,
    GenerationAnswer,
    GenerationParams,
    LoglikelihoodRequest,
    Message,
    RequestKind,
    answer_from_json,
    answer_to_json,
    as_messages,
    request_key_payload,
)


def test_equal_requests_have_equal_key_payloads_and_hash():
    a = ChatRequest([Message("user", "hi")], GenerationParams(max_tokens=5, stop=["\n"]))
    b = ChatRequest((Message("user", "hi"),), GenerationParams(max_tokens=5, stop=("\n",)))
    assert a == b and hash(a) == hash(b)
    assert request_key_payload(a) == request_key_payload(b)


def test_decoding_parameters_change_the_key_payload():
    base = ChatRequest([Message("user", "hi")], GenerationParams(max_tokens=5))
    other = ChatRequest([Message("user", "hi")], GenerationParams(max_tokens=6))
    assert request_key_payload(base) != request_key_payload(other)


def test_chat_context_and_text_context_are_different_loglikelihood_requests():
    text = LoglikelihoodRequest("hi", " there")
    chat = LoglikelihoodRequest([Message("user", "hi")], " there")
    assert request_key_payload(text) != request_key_payload(chat)
    assert chat.kind is RequestKind.LOGLIKELIHOOD


@pytest.mark.parametrize(
    "kwargs", [{"max_tokens": 0}, {"temperature": -0.1}]
)
def test_invalid_generation_params_are_rejected(kwargs):
    with pytest.raises(ValueError):
        GenerationParams(**kwargs)


def test_empty_chat_and_empty_continuation_are_rejected():
    with pytest.raises(ValueError):
        ChatRequest([])
    with pytest.raises(ValueError):
        LoglikelihoodRequest("context", "")


def test_answers_round_trip_through_json():
    answer = GenerationAnswer("Paris", 10, 2, "stop")
    assert answer_from_json(RequestKind.CHAT, answer_to_json(answer)) == answer


def test_openai_style_dicts_become_messages():
    assert as_messages([{"role": "user", "content": "x"}]) == (Message("user", "x"),)
