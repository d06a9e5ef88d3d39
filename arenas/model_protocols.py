"""What the arenas' LLM players and agents need from a model, as structural types.

Players and agents (UNO, TextWorld) are written against these protocols, not against the
harness's `ModelClient`, so an arena runs with any object that chats and chooses: the client in a
task, a scripted stand-in in a test. `bench.harness.choosing.choose` bound to a client is a
`Chooser`; its `Choice` is a `ChosenAnswer`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bench.harness.requests import GenerationAnswer, GenerationParams, Message


class ChatModel(Protocol):
    async def chat(self, messages: list[Message], params: GenerationParams | None = None) -> GenerationAnswer: ...


class ChosenAnswer(Protocol):
    """What a chooser returns (bench.harness.choosing.Choice has these fields)."""

    @property
    def index(self) -> int: ...

    @property
    def logprobs(self) -> tuple[float, ...]: ...

    @property
    def scores(self) -> tuple[float, ...]: ...


class Chooser(Protocol):
    """Picks the candidate reply the model finds most likely after `messages` (the `choose` mode)."""

    async def __call__(self, messages: Sequence[Message], candidates: Sequence[str]) -> ChosenAnswer: ...
