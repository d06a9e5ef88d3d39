"""How an LLM player's answer is obtained: the three answer modes of the UNO players.

Every mode keeps the paper's prompts (prompts.py) and answer format, a JSON object
`{"thoughts" | "reflection": str, "action": value}`, where the value is a card index (card
decision), a colour name (colour) or "Yes"/"No" (challenge). They differ in how the answer is got:

- `free`: plain generation, parsed strictly (answer_parsing.py); an unusable answer gets a
  correction turn, then a recorded random fallback. The paper's protocol: its invalid-answer and
  fallback rates are metrics of the model.
- `constrained`: generation under a JSON-schema constraint (`answer_constraint`): the object must
  have the answer key (a string of at most `max_chars` characters, so the answer always fits the
  token budget) and an "action" among the legal values. The model still writes its thoughts, then
  can only name a legal action; the answer is parsed the same way.
- `choose`: no generation. Each legal answer `{"<key>": "", "action": value}` (`candidate_answers`)
  is scored by its log-likelihood as the assistant's reply to the conversation, and the most likely
  is played (bench.harness.choosing). The candidates differ only in the action, so this ranks the
  actions by the model's probability of naming them.

For TuTri's three turns the same mode applies to every turn, each with its own answer key
("thoughts" in the first turn, "reflection" in the two reflection turns).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from bench.arenas.uno.cards import COLOURS
from bench.harness.requests import Constraint

AnswerMode = Literal["free", "constrained", "choose"]
ANSWER_MODES: tuple[AnswerMode, ...] = ("free", "constrained", "choose")

# Tokens a constrained answer needs beyond its free text: '{"reflection": "', '", "action": ',
# the longest value ("Yellow", "No"/"Yes", an index) and '}' with the end-of-turn token.
FRAME_TOKENS = 24


def answer_key(stage: str) -> str:
    """The free-text member of the answer: "thoughts" in the first turn, "reflection" after."""
    return "thoughts" if stage == "initial" else "reflection"


def action_values(kind: str, num_candidates: int) -> list[int | str]:
    """The legal "action" values in candidate order (what answer_parsing maps back to an index)."""
    if kind == "card":
        return list(range(num_candidates))
    if kind == "colour":
        return list(COLOURS)
    if kind == "challenge":
        return ["No", "Yes"]
    raise ValueError(f"unknown decision kind {kind!r}")


def answer_schema(kind: str, num_candidates: int, stage: str, max_chars: int) -> dict[str, Any]:
    """JSON schema of a legal answer: {key: string of <= max_chars, "action": one legal value}."""
    key = answer_key(stage)
    return {
        "type": "object",
        "properties": {
            key: {"type": "string", "maxLength": max_chars},
            "action": {"enum": action_values(kind, num_candidates)},
        },
        "required": [key, "action"],
        "additionalProperties": False,
    }


def answer_constraint(kind: str, num_candidates: int, stage: str, max_chars: int) -> Constraint:
    """The generation constraint of the `constrained` mode (a JSON schema, kind "json")."""
    return Constraint.json_schema_of(answer_schema(kind, num_candidates, stage, max_chars))


def candidate_answers(kind: str, num_candidates: int, stage: str) -> list[str]:
    """The `choose` mode's candidates: one complete answer per legal action, in candidate order,
    written exactly as the prompt's answer form (empty free text)."""
    key = answer_key(stage)
    return [json.dumps({key: "", "action": value}) for value in action_values(kind, num_candidates)]
