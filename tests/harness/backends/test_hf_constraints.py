"""The hf backend on the embedded SmolLM2-135M-Instruct: every constraint kind honoured through
`HFBackend.generate`, greedy answers the same in one batch as one at a time, stop strings in a
batch, top_k reaching the sampler."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from bench.harness.requests import ChatRequest, CompletionRequest, Constraint, GenerationParams, Message

pytestmark = pytest.mark.slow

CARD = {
    "type": "object",
    "properties": {"action": {"enum": ["play", "draw"]}, "colour": {"enum": ["red", "green", "blue", "yellow"]},
                   "number": {"type": "integer", "minimum": 0, "maximum": 9}},
    "required": ["action", "colour", "number"],
    "additionalProperties": False,
}  # fmt: skip


def _chat(prompt: str, **params: object) -> ChatRequest:
    return ChatRequest((Message("user", prompt),), GenerationParams(**params))  # type: ignore[arg-type]


def test_every_constraint_kind_is_honoured_on_the_embedded_model(embedded_hf) -> None:
    assert embedded_hf.constraint_kinds == frozenset({"choice", "regex", "json"})
    requests = [
        _chat("Is fire cold? Answer yes or no.", max_tokens=8, constraint=Constraint.choice(["yes", "no"])),
        _chat("Name a primary colour.", max_tokens=8, constraint=Constraint.choice(["red", "blue", "yellow", "dark green"])),
        _chat("Write an e-mail address.", max_tokens=32, constraint=Constraint.regex(r"[a-z]{1,10}@[a-z]{1,10}\.(com|org)")),
        _chat("Give the time as HH:MM.", max_tokens=16, constraint=Constraint.regex(r"([01][0-9]|2[0-3]):[0-5][0-9]")),
        _chat("Your UNO move as JSON.", max_tokens=64, constraint=Constraint.json_schema_of(CARD)),
    ]
    yes_no, colour, email, clock, move = (a.text for a in embedded_hf.generate(requests))
    assert yes_no in ("yes", "no") and colour in ("red", "blue", "yellow", "dark green")
    assert re.fullmatch(r"[a-z]{1,10}@[a-z]{1,10}\.(com|org)", email)
    assert re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", clock)
    jsonschema.validate(json.loads(move), CARD)


def test_greedy_answers_are_the_same_batched_and_alone(embedded_hf) -> None:
    requests = [
        _chat("What is the capital of France?", max_tokens=12),
        _chat("Pick a card colour.", max_tokens=8, constraint=Constraint.choice(["red", "green", "blue", "yellow"])),
        CompletionRequest("def add(a, b):\n", GenerationParams(max_tokens=24, stop=("\n\n",))),
        _chat("Your UNO move as JSON.", max_tokens=64, constraint=Constraint.json_schema_of(CARD)),
        _chat("Count from one to five in words.", max_tokens=20, constraint=Constraint.regex(r"[a-z]+(, [a-z]+){4}")),
    ]
    batched = [a.text for a in embedded_hf.generate(requests)]
    alone = [embedded_hf.generate([r])[0].text for r in requests]
    assert batched == alone
    assert "\n\n" not in batched[2] and batched[2]  # the stop string cut that row only


def test_top_k_one_samples_the_greedy_answer(embedded_hf) -> None:
    prompt = "Write one sentence about the sea."
    greedy = embedded_hf.generate([_chat(prompt, max_tokens=16)])[0].text
    sampled = embedded_hf.generate([_chat(prompt, max_tokens=16, temperature=1.5, top_k=1, seed=s) for s in range(3)])
    assert [a.text for a in sampled] == [greedy] * 3
    free = embedded_hf.generate([_chat(prompt, max_tokens=16, temperature=1.5, seed=s) for s in range(3)])
    assert any(a.text != greedy for a in free)  # without top_k the same temperature does sample
