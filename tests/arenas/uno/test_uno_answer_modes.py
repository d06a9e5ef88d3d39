"""The UNO players' answer modes without a model: the constrained mode's schema admits exactly the
legal answers, the choose mode plays the chooser's pick from complete candidate answers, the free
mode sends no constraint, and every decision records its mode (TuTri: in each of its three turns)."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass

import jsonschema
import pytest
from bench.arenas.uno.actions import COLOUR_BASE, Phase
from bench.arenas.uno.answer_modes import (
    FRAME_TOKENS,
    action_values,
    answer_constraint,
    answer_schema,
    candidate_answers,
)
from bench.arenas.uno.answer_parsing import parse_answer
from bench.arenas.uno.cards import WILD
from bench.arenas.uno.engine import UnoState
from bench.arenas.uno.llm_player import LLMPlayer, TuTriPlayer
from bench.arenas.uno.rules import UnoRules
from bench.harness.requests import GenerationAnswer, GenerationParams, Message

R, B = 0, 2


def card(colour: int, trait: int) -> int:
    return colour * 13 + trait


def card_decision() -> UnoState:
    return UnoState.from_position(
        UnoRules(), [[card(R, 1), card(R, 2), card(B, 5)], [card(B, 1)] * 4], list(range(20)), [card(R, 5)],
        record_history=True,
    )


def colour_decision() -> UnoState:
    state = UnoState.from_position(UnoRules(), [[WILD, card(R, 1)], [card(B, 1)] * 4], list(range(20)), [card(R, 5)],
                                   record_history=True)
    state.step(WILD)
    assert state.phase == Phase.COLOUR
    return state


@pytest.mark.parametrize("kind,n", [("card", 3), ("colour", 4), ("challenge", 2)])
@pytest.mark.parametrize("stage", ["initial", "history"])
def test_schema_admits_exactly_the_legal_answers(kind: str, n: int, stage: str):
    schema = answer_schema(kind, n, stage, max_chars=10)
    key = "thoughts" if stage == "initial" else "reflection"
    for index, value in enumerate(action_values(kind, n)):
        answer = {key: "short", "action": value}
        jsonschema.validate(answer, schema)
        assert parse_answer(json.dumps(answer), kind, n).index == index  # the parser maps it back
    illegal = {"card": n, "colour": "Purple", "challenge": "Maybe"}[kind]
    for bad in ({key: "x", "action": illegal}, {key: "x" * 11, "action": action_values(kind, n)[0]},
                {"action": action_values(kind, n)[0]}, {key: "x", "action": action_values(kind, n)[0], "extra": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
    constraint = answer_constraint(kind, n, stage, 10)
    assert constraint.kind == "json" and json.loads(constraint.json_schema or "") == json.loads(json.dumps(schema))


@pytest.mark.parametrize("kind,n", [("card", 3), ("colour", 4), ("challenge", 2)])
def test_candidate_answers_are_complete_answers_in_candidate_order(kind: str, n: int):
    answers = candidate_answers(kind, n, "initial")
    assert [parse_answer(a, kind, n).index for a in answers] == list(range(n))
    assert answers[0].startswith('{"thoughts": "", "action": ')  # the prompt's answer form
    assert all(json.loads(a)["reflection"] == "" for a in candidate_answers(kind, n, "strategy"))


@dataclass
class RecordingModel:
    """Answers every chat with `reply` and keeps the params it was asked with."""

    reply: str
    params: list[GenerationParams]

    async def chat(self, messages: list[Message], params: GenerationParams | None = None) -> GenerationAnswer:
        assert params is not None
        self.params.append(params)
        return GenerationAnswer(self.reply, 10, 5)


@dataclass(frozen=True)
class Picked:
    index: int
    logprobs: tuple[float, ...]


class ScriptedChooser:
    """Picks the candidate at position `pick` of each call and records what it was offered."""

    def __init__(self, picks: Sequence[int]) -> None:
        self.picks = list(picks)
        self.calls: list[tuple[list[Message], list[str]]] = []

    async def __call__(self, messages: Sequence[Message], candidates: Sequence[str]) -> Picked:
        self.calls.append((list(messages), list(candidates)))
        index = self.picks[len(self.calls) - 1]
        return Picked(index, tuple(-float(i + 1) for i in range(len(candidates))))


def test_choose_mode_plays_the_choosers_pick_without_generating():
    chooser = ScriptedChooser([2])
    model = RecordingModel("unused", [])
    player = LLMPlayer(model, answer_mode="choose", chooser=chooser)
    state = card_decision()
    decision = asyncio.run(player.decide(state, state.legal_actions(), random.Random(0)))
    assert model.params == []  # no generation at all
    [(messages, offered)] = chooser.calls
    assert [m.role for m in messages] == ["system", "user"] and offered == candidate_answers("card", 3, "initial")
    assert decision.action == decision.candidates[2] == card(B, 5)
    assert not decision.fallback and decision.invalid_answers == 0 and decision.model_calls == 1
    assert decision.answer_mode == "choose" and decision.attempts[0].logprobs == (-1.0, -2.0, -3.0)
    assert decision.conversation[-1] == Message("assistant", offered[2])


def test_tutri_choose_mode_chooses_in_each_of_its_three_turns():
    chooser = ScriptedChooser([0, 3, 1])
    player = TuTriPlayer(RecordingModel("unused", []), answer_mode="choose", chooser=chooser)
    state = colour_decision()
    decision = asyncio.run(player.decide(state, state.legal_actions(), random.Random(0)))
    assert [a.stage for a in decision.attempts] == ["initial", "history", "strategy"]
    assert [json.loads(c[1][0]).keys() for c in chooser.calls][1:] == [{"reflection", "action"}] * 2
    # Each turn sees the previous turns' chosen answers in the chat.
    assert chooser.calls[1][0][-2] == Message("assistant", candidate_answers("colour", 4, "initial")[0])
    assert decision.stage_actions == (COLOUR_BASE + 0, COLOUR_BASE + 3, COLOUR_BASE + 1)
    assert decision.action == COLOUR_BASE + 1 and not decision.fallback


def test_constrained_mode_sends_the_answer_schema_and_free_mode_sends_none():
    state = card_decision()
    constrained = RecordingModel('{"thoughts": "low card", "action": 1}', [])
    player = LLMPlayer(constrained, answer_mode="constrained", thoughts_max_chars=40, max_tokens=40 + FRAME_TOKENS)
    decision = asyncio.run(player.decide(state, state.legal_actions(), random.Random(0)))
    [params] = constrained.params
    assert params.constraint == answer_constraint("card", 3, "initial", 40)
    assert decision.action == card(R, 2) and decision.answer_mode == "constrained" and not decision.fallback
    free = RecordingModel('{"thoughts": "", "action": 0}', [])
    decision = asyncio.run(LLMPlayer(free).decide(state, state.legal_actions(), random.Random(0)))
    assert free.params[0].constraint is None and decision.answer_mode == "free"


def test_tutri_constrained_turns_use_the_reflection_schema():
    model = RecordingModel('{"reflection": "ok", "action": "Blue"}', [])
    player = TuTriPlayer(model, answer_mode="constrained", thoughts_max_chars=20, max_tokens=64, max_retries=0)
    state = colour_decision()
    decision = asyncio.run(player.decide(state, state.legal_actions(), random.Random(0)))
    schemas = [p.constraint.schema() for p in model.params if p.constraint is not None]
    assert [sorted(s["properties"]) for s in schemas] == [["action", "thoughts"]] + [["action", "reflection"]] * 2
    assert not decision.fallback and decision.stage_actions == (COLOUR_BASE + 2,) * 3
    assert decision.answer_mode == "constrained" and decision.model_calls == 3


def test_player_refuses_inconsistent_modes():
    with pytest.raises(ValueError, match="answer_mode must be one of"):
        LLMPlayer(RecordingModel("", []), answer_mode="json")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a chooser"):
        LLMPlayer(RecordingModel("", []), answer_mode="choose")
    with pytest.raises(ValueError, match="max_tokens >= 184"):
        LLMPlayer(RecordingModel("", []), answer_mode="constrained", thoughts_max_chars=160, max_tokens=100)


def test_conversations_are_kept_only_on_request():
    state = card_decision()
    player = LLMPlayer(RecordingModel('{"thoughts": "", "action": 0}', []), keep_conversations=False)
    decision = asyncio.run(player.decide(state, state.legal_actions(), random.Random(0)))
    assert decision.conversation == () and decision.attempts[0].response.startswith("{")


def test_constrained_answers_reason_before_they_act():
    # Grammar engines generate properties in the schema's order: the free text must come first.
    text = answer_constraint("card", 3, "initial", 40).json_schema or ""
    assert text.index('"thoughts"') < text.index('"action"')
    assert list(answer_constraint("colour", 4, "history", 40).schema()["properties"]) == ["reflection", "action"]
