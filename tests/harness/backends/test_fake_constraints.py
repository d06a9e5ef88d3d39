"""The fake backend honours constraints deterministically (choice by hash, short regex matches, short
JSON valid against the schema), keeps a scripted reply that already satisfies one, and the
short-text builders (harness/backends/minimal_text.py) on hand-checked cases."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from bench.harness.backends.fake import FakeBackend
from bench.harness.backends.grammar import fake_constrained_text
from bench.harness.backends.minimal_text import minimal_json_text, minimal_regex_text, satisfies
from bench.harness.errors import BackendError
from bench.harness.requests import ChatRequest, CompletionRequest, Constraint, GenerationParams, Message

SCHEMA = {
    "type": "object",
    "properties": {
        "move": {"enum": ["play", "draw"]},
        "card": {"type": "string", "pattern": "^[RGBY][0-9]$"},
        "count": {"type": "integer", "minimum": 2, "maximum": 9},
        "tags": {"type": "array", "items": {"type": "string", "minLength": 2}, "minItems": 2},
        "note": {"type": "string"},
    },
    "required": ["move", "card", "count", "tags"],
    "additionalProperties": False,
}


def _ask(backend: FakeBackend, constraint: Constraint, n: int = 12, max_tokens: int = 2) -> list[str]:
    requests = [ChatRequest((Message("user", f"question {i}"),), GenerationParams(max_tokens=max_tokens, constraint=constraint))
                for i in range(n)]  # fmt: skip
    return [a.text for a in backend.generate(requests)]


def test_fake_backend_declares_and_honours_every_constraint_kind() -> None:
    backend = FakeBackend("m")
    assert backend.constraint_kinds == frozenset({"choice", "regex", "json"})
    choices = _ask(backend, Constraint.choice(["red", "green", "blue", "wild draw four"]))
    assert set(choices) <= {"red", "green", "blue", "wild draw four"} and len(set(choices)) > 1  # picked by hash
    for text in _ask(backend, Constraint.regex(r"(play|draw) [RGBY][0-9]{1,2}")):
        assert re.fullmatch(r"(play|draw) [RGBY][0-9]{1,2}", text)
    for text in _ask(backend, Constraint.json_schema_of(SCHEMA)):  # never cut to max_tokens words
        jsonschema.validate(json.loads(text), SCHEMA)
    assert _ask(backend, Constraint.regex("[a-z]+")) == _ask(FakeBackend("m"), Constraint.regex("[a-z]+"))  # deterministic


def test_a_scripted_reply_is_kept_only_where_it_satisfies_the_constraint() -> None:
    backend = FakeBackend("m", {"replies": "blue|purple"})
    assert _ask(backend, Constraint.choice(["red", "blue"]), n=2) == ["blue", _ask(FakeBackend("m"), Constraint.choice(["red", "blue"]), n=2)[1]]
    text_backend = FakeBackend("m", {"text": '{"a": 1}'})
    request = CompletionRequest("p", GenerationParams(constraint=Constraint.json_schema_of({"type": "object"})))
    assert text_backend.generate([request])[0].text == '{"a": 1}'


def test_minimal_regex_text_takes_minimum_repeats_first_branches_and_class_members() -> None:
    assert minimal_regex_text(r"[a-z]+@[a-z]+\.com") == "a@a.com"
    assert minimal_regex_text(r"(a|b)*cd") == "cd"
    assert minimal_regex_text(r"^(red|blue) \d{3}$") == "red 000"
    assert minimal_regex_text(r"(x)\1[^a0]") == "xx "
    assert minimal_regex_text(r"(?=a)a") is None  # lookarounds are not modelled


def test_minimal_json_text_fills_required_properties_with_minimal_values() -> None:
    assert json.loads(minimal_json_text(SCHEMA) or "null") == {"move": "play", "card": "R0", "count": 2, "tags": ["aa", "aa"]}
    ref = {"type": "object", "properties": {"c": {"$ref": "#/$defs/n"}}, "required": ["c"], "$defs": {"n": {"type": "number", "exclusiveMinimum": 0.5, "multipleOf": 0.25}}}
    assert json.loads(minimal_json_text(ref) or "null") == {"c": 0.75}


def test_the_grammar_walk_covers_what_the_builders_cannot() -> None:
    negated = Constraint.regex(r"[^a0 bxA_\-.]{2}q")  # no candidate of the builder is outside the class
    assert minimal_regex_text(negated.pattern or "") is None
    text = fake_constrained_text(negated, b"digest")
    assert satisfies(negated, text) and text == fake_constrained_text(negated, b"digest")
    with pytest.raises(BackendError, match="regex constraint"):
        fake_constrained_text(Constraint.regex("(?=a)a"), b"digest")  # xgrammar has no lookahead either


def test_satisfies_checks_like_a_task_would() -> None:
    assert satisfies(Constraint.choice(["a", "b"]), "b") and not satisfies(Constraint.choice(["a", "b"]), "ab")
    assert satisfies(Constraint.regex(r"\d+"), "12") and not satisfies(Constraint.regex(r"\d+"), "12a")
    schema = Constraint.json_schema_of({"type": "object", "required": ["x"]})
    assert satisfies(schema, '{"x": 1}') and not satisfies(schema, "{}") and not satisfies(schema, "not json")
