"""Strict JSON parsing of LLM answers."""

from __future__ import annotations

import pytest
from bench.arenas.uno.answer_parsing import parse_answer


@pytest.mark.parametrize(
    ("text", "kind", "n", "index"),
    [
        ('{"thoughts": "low card first", "action": 1}', "card", 3, 1),
        ('```json\n{"thoughts": "x", "action": 0}\n```', "card", 2, 0),
        ('Sure! {"thoughts": "x", "action": 2} Good luck.', "card", 3, 2),
        ('{"thoughts": "", "action": "blue"}', "colour", 4, 2),
        ('{"reflection": "keep", "action": "Green"}', "colour", 4, 3),
        ('{"thoughts": "risky", "action": "Yes"}', "challenge", 2, 1),
        ('{"thoughts": "", "action": " no "}', "challenge", 2, 0),
    ],
)
def test_valid_answers_map_to_candidate_indices(text, kind, n, index):
    parsed = parse_answer(text, kind, n)
    assert parsed.index == index and parsed.error is None


@pytest.mark.parametrize(
    ("text", "kind", "n", "error_kind"),
    [
        ("I play the red seven", "card", 3, "json"),
        ('{"thoughts": "cut off', "card", 3, "json"),
        ('{"thoughts": "x", "card": 1}', "card", 3, "json"),
        ('["action", 1]', "card", 3, "json"),
        ('{"thoughts": "x", "action": 3}', "card", 3, "choice"),
        ('{"thoughts": "x", "action": -1}', "card", 3, "choice"),
        ('{"thoughts": "x", "action": "1"}', "card", 3, "choice"),
        ('{"thoughts": "x", "action": true}', "card", 3, "choice"),
        ('{"thoughts": "x", "action": 1.0}', "card", 3, "choice"),
        ('{"thoughts": "x", "action": "Purple"}', "colour", 4, "choice"),
        ('{"thoughts": "x", "action": true}', "challenge", 2, "choice"),
    ],
)
def test_invalid_answers_are_errors_of_the_right_kind(text, kind, n, error_kind):
    parsed = parse_answer(text, kind, n)
    assert parsed.index is None and parsed.error_kind == error_kind and parsed.error
