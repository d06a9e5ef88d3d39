"""LLM players: the vanilla player and TuTri, as async coroutines awaiting a chat model.

`decide(state, legal, rng)` is called by match.py for every decision of the seat that has at
least two candidates (card: >= 2 distinct playable cards; colour after the seat's black card;
challenge on a Wild Draw Four played on it). Each model answer is parsed strictly
(answer_parsing.py); an unusable answer is followed by a correction turn, up to `max_retries`
times; then the action is drawn uniformly from the candidates and recorded as a fallback.

TuTri (official code: prompt_TR.py) asks three turns in the same chat for every decision: the vanilla prompt, a
reflection on game-history statistics, a reflection on strategy tips; the last usable action
wins (a reflection turn whose answers stay unusable keeps the action in force).
The model is anything with `async chat(messages, params) -> GenerationAnswer` (ModelClient).

`answer_mode` (answer_modes.py) says how each answer is got: `free` generation (the paper's
protocol above), `constrained` generation (a JSON schema admits only well-formed answers naming a
legal action; parsing and correction turns stay as a safety net) or `choose` (the legal answers are
ranked by log-likelihood through the `chooser` the task passes in, bench.harness.choosing; no
generation, no parse error, no fallback). The mode is recorded in every decision.
"""

from __future__ import annotations

import dataclasses
import json
import random
from dataclasses import dataclass, field

from bench.arenas.model_protocols import ChatModel, Chooser
from bench.arenas.uno.actions import COLOUR_ACTIONS, Phase
from bench.arenas.uno.answer_modes import (
    ANSWER_MODES,
    FRAME_TOKENS,
    AnswerMode,
    answer_constraint,
    candidate_answers,
)
from bench.arenas.uno.answer_parsing import parse_answer
from bench.arenas.uno.cards import COLOURS, card_name
from bench.arenas.uno.engine import UnoState
from bench.arenas.uno.prompts import (
    SYSTEM_PROMPT,
    decision_kind,
    history_reflection_prompt,
    strategy_reflection_prompt,
    vanilla_prompt,
)
from bench.harness.requests import GenerationParams, Message


@dataclass(frozen=True)
class Attempt:
    """One model call: the stage ("initial", "history", "strategy"), its answer and parse error."""

    stage: str
    response: str
    error: str | None
    error_kind: str | None
    prompt_tokens: int
    completion_tokens: int
    logprobs: tuple[float, ...] = ()  # choose mode: log-likelihood of each candidate answer


@dataclass(frozen=True)
class LLMDecision:
    """The outcome of one decision. `action` is what was played."""

    kind: str  # "card" | "colour" | "challenge"
    candidates: tuple[int, ...]  # engine actions, in the order shown to the model
    action: int
    fallback: bool  # the initial answer stayed unusable after all retries: random candidate
    attempts: tuple[Attempt, ...]
    stage_actions: tuple[int, ...] = ()  # TuTri: the action in force after each of the 3 stages
    conversation: tuple[Message, ...] = field(default=(), repr=False)  # empty unless the player keeps them
    answer_mode: AnswerMode = "free"

    @property
    def model_calls(self) -> int:
        return len(self.attempts)

    @property
    def invalid_answers(self) -> int:
        return sum(1 for a in self.attempts if a.error is not None)


def candidate_labels(state: UnoState, candidates: list[int], kind: str) -> list[str]:
    if kind == "card":
        return [card_name(a) for a in candidates]
    if kind == "colour":
        return list(COLOURS)
    return ["No", "Yes"]


def ordered_candidates(state: UnoState, legal: list[int]) -> list[int]:
    """Candidates in the order the answer refers to them: cards sorted by kind; colours
    Red..Green; challenge No, Yes."""
    if state.phase == Phase.COLOUR:
        return list(COLOUR_ACTIONS)
    return sorted(legal)


class LLMPlayer:
    """The vanilla LLM player.

    answer_mode: "free", "constrained" or "choose" (module docstring); `chooser` is required for
    "choose". thoughts_max_chars: the longest free text a constrained answer may hold (it must fit
    max_tokens). keep_conversations: keep each decision's chat in its record (for --log-samples;
    off, a long run does not hold every prompt in memory).
    """

    name = "llm"

    def __init__(
        self,
        model: ChatModel,
        max_tokens: int = 256,
        temperature: float = 0.0,
        max_retries: int = 2,
        history_window: int = 20,
        answer_mode: AnswerMode = "free",
        chooser: Chooser | None = None,
        thoughts_max_chars: int = 80,
        keep_conversations: bool = True,
    ) -> None:
        if answer_mode not in ANSWER_MODES:
            raise ValueError(f"answer_mode must be one of {', '.join(ANSWER_MODES)}, got {answer_mode!r}")
        if answer_mode == "choose" and chooser is None:
            raise ValueError("the choose answer mode needs a chooser (bench.harness.choosing.choose bound to a model)")
        if answer_mode == "constrained" and max_tokens < thoughts_max_chars + FRAME_TOKENS:
            raise ValueError(f"constrained answers of up to {thoughts_max_chars} characters need max_tokens >= "
                             f"{thoughts_max_chars + FRAME_TOKENS}, got {max_tokens}")
        self.model = model
        self.params = GenerationParams(max_tokens=max_tokens, temperature=temperature)
        self.max_retries = max_retries
        self.history_window = history_window
        self.answer_mode: AnswerMode = answer_mode
        self.chooser = chooser
        self.thoughts_max_chars = thoughts_max_chars
        self.keep_conversations = keep_conversations

    async def decide(self, state: UnoState, legal: list[int], rng: random.Random) -> LLMDecision:
        kind = decision_kind(state)
        candidates = ordered_candidates(state, legal)
        labels = candidate_labels(state, candidates, kind)
        messages = [Message("system", SYSTEM_PROMPT), Message("user", vanilla_prompt(state, labels, kind, self.history_window))]
        attempts: list[Attempt] = []
        index, messages = await self._ask(messages, kind, len(candidates), "initial", attempts)
        fallback = index is None
        if index is None:
            index = int(rng.random() * len(candidates))
        return await self._finish(state, kind, candidates, index, fallback, attempts, messages)

    async def _finish(
        self, state: UnoState, kind: str, candidates: list[int], index: int, fallback: bool,
        attempts: list[Attempt], messages: list[Message],
    ) -> LLMDecision:
        return self._decision(kind, candidates, candidates[index], fallback, attempts, (candidates[index],), messages)

    def _decision(
        self, kind: str, candidates: list[int], action: int, fallback: bool, attempts: list[Attempt],
        stage_actions: tuple[int, ...], messages: list[Message],
    ) -> LLMDecision:
        conversation = tuple(messages) if self.keep_conversations else ()
        return LLMDecision(kind, tuple(candidates), action, fallback, tuple(attempts), stage_actions, conversation,
                           self.answer_mode)

    async def _ask(
        self, messages: list[Message], kind: str, num_candidates: int, stage: str, attempts: list[Attempt]
    ) -> tuple[int | None, list[Message]]:
        """Ask, then re-ask with the parse error up to max_retries times. Returns (index or None,
        the conversation including the last answer). In the choose mode: one choice, never None."""
        conversation = list(messages)
        if self.answer_mode == "choose":
            assert self.chooser is not None
            texts = candidate_answers(kind, num_candidates, stage)
            choice = await self.chooser(conversation, texts)
            attempts.append(Attempt(stage, texts[choice.index], None, None, 0, 0, tuple(choice.logprobs)))
            return choice.index, [*conversation, Message("assistant", texts[choice.index])]
        params = self.params
        if self.answer_mode == "constrained":
            constraint = answer_constraint(kind, num_candidates, stage, self.thoughts_max_chars)
            params = dataclasses.replace(params, constraint=constraint)
        for attempt in range(self.max_retries + 1):
            answer = await self.model.chat(conversation, params=params)
            parsed = parse_answer(answer.text, kind, num_candidates)
            attempts.append(Attempt(stage, answer.text, parsed.error, parsed.error_kind, answer.prompt_tokens,
                                    answer.completion_tokens))
            conversation.append(Message("assistant", answer.text))
            if parsed.index is not None:
                return parsed.index, conversation
            if attempt < self.max_retries:
                conversation.append(Message("user", f"Your answer could not be used: {parsed.error}. "
                                                    "Answer again with the JSON object only."))
        # Drop the failed exchange so later turns see a clean conversation.
        return None, list(messages)


class TuTriPlayer(LLMPlayer):
    """TuTri: the vanilla answer, then reflection on game-history statistics, then on strategy tips."""

    name = "tutri"

    async def _finish(
        self, state: UnoState, kind: str, candidates: list[int], index: int, fallback: bool,
        attempts: list[Attempt], messages: list[Message],
    ) -> LLMDecision:
        if fallback:
            # The model's own answer was unusable: show it the action actually in force.
            messages = [*messages, Message("assistant", json.dumps({"thoughts": "", "action": _action_value(kind, index)}))]
        stage_actions = [candidates[index]]
        for stage, prompt in (
            ("history", history_reflection_prompt(state, kind, self.history_window)),
            ("strategy", strategy_reflection_prompt(kind)),
        ):
            asked = [*messages, Message("user", prompt)]
            new_index, conversation = await self._ask(asked, kind, len(candidates), stage, attempts)
            if new_index is None:
                conversation = [*asked, Message("assistant", json.dumps({"reflection": "", "action": _action_value(kind, index)}))]
            else:
                index = new_index
            messages = conversation
            stage_actions.append(candidates[index])
        return self._decision(kind, candidates, candidates[index], fallback, attempts, tuple(stage_actions), messages)


def _action_value(kind: str, index: int) -> int | str:
    if kind == "card":
        return index
    if kind == "colour":
        return COLOURS[index]
    return ["No", "Yes"][index]
