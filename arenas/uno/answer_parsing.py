"""Strict parsing of an LLM player's JSON answer into one of the candidate options.

Accepted: a JSON object, alone or wrapped in a ``` code fence or surrounded by text (the span
from the first "{" to the last "}" is parsed), with an "action" member that is
- for a card decision: an integer index into the candidate list (no strings, no booleans);
- for a colour decision: one of "Red", "Yellow", "Blue", "Green" (case-insensitive);
- for a challenge decision: "Yes" or "No" (case-insensitive).
Anything else is an error of kind "json" (no parseable object / no "action") or "choice"
(an action outside the candidates).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bench.arenas.uno.cards import COLOURS


@dataclass(frozen=True)
class ParsedAnswer:
    index: int | None  # position in the candidate list, None on error
    error: str | None = None
    error_kind: str | None = None  # "json" | "choice"


def parse_answer(text: str, kind: str, num_candidates: int) -> ParsedAnswer:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return ParsedAnswer(None, "no JSON object in the answer", "json")
    try:
        payload = json.loads(text[start : end + 1])
    except json.JSONDecodeError as exc:
        return ParsedAnswer(None, f"invalid JSON ({exc.msg})", "json")
    if not isinstance(payload, dict) or "action" not in payload:
        return ParsedAnswer(None, 'the JSON object has no "action"', "json")
    action = payload["action"]
    if kind == "card":
        if isinstance(action, bool) or not isinstance(action, int):
            return ParsedAnswer(None, f'"action" must be an integer card index, got {action!r}', "choice")
        if not 0 <= action < num_candidates:
            return ParsedAnswer(None, f"card index {action} is not between 0 and {num_candidates - 1}", "choice")
        return ParsedAnswer(action)
    options = [c.lower() for c in COLOURS] if kind == "colour" else ["no", "yes"]
    if not isinstance(action, str) or action.strip().lower() not in options:
        allowed = "Red, Yellow, Blue, Green" if kind == "colour" else "Yes, No"
        return ParsedAnswer(None, f'"action" must be one of {allowed}, got {action!r}', "choice")
    return ParsedAnswer(options.index(action.strip().lower()))
