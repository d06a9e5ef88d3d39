"""Typed records that tasks send to the model client, and the answers they get back.

Every request is a frozen dataclass, hashable and canonically serialisable (`request_key_payload`),
so identical requests are answered once and the cache can key on them. Four request kinds:

- `ChatRequest`: a conversation, rendered with the model's chat template, answered with text.
- `CompletionRequest`: a raw prompt string continued as text (no template).
- `LoglikelihoodRequest`: log P(continuation | context), summed over the continuation's tokens;
  the context is raw text or a conversation (rendered with the chat template and the generation
  prompt, so the continuation is an assistant reply).
- `ScoreRequest`: a reward model's scalar score for a conversation (prompt + response).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Union

Role = Literal["system", "user", "assistant"]


class RequestKind(str, enum.Enum):
    """What a backend must be able to do to serve a request."""

    CHAT = "chat"
    COMPLETION = "completion"
    LOGLIKELIHOOD = "loglikelihood"
    SCORE = "score"


@dataclass(frozen=True)
class Message:
    """One chat turn."""

    role: Role
    content: str


ConstraintKind = Literal["choice", "regex", "json"]
CONSTRAINT_KINDS: frozenset[str] = frozenset({"choice", "regex", "json"})


@dataclass(frozen=True)
class Constraint:
    """A structured-output constraint on generated text; the backend guarantees the answer satisfies it.

    - choice: the text is exactly one of `choices`;
    - regex: the text fully matches `pattern`;
    - json: the text is a JSON document valid against `json_schema` (compact JSON text, so the
      record stays hashable and its cache key is stable). Key order is kept, not sorted: grammar
      engines (xgrammar, vLLM) generate an object's properties in the schema's order, so
      {"thoughts", "action"} makes the model reason before it acts.

    Build one with `Constraint.choice([...])`, `Constraint.regex("...")` or
    `Constraint.json_schema_of({...})`. A constraint is part of the request, hence of its cache key.
    """

    kind: ConstraintKind
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    json_schema: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "choices", tuple(self.choices))
        if self.kind not in CONSTRAINT_KINDS:
            raise ValueError(f"constraint kind must be one of {sorted(CONSTRAINT_KINDS)}, got {self.kind!r}")
        given = {"choice": bool(self.choices), "regex": self.pattern is not None, "json": self.json_schema is not None}
        if not given[self.kind] or sum(given.values()) != 1:
            raise ValueError(f"a {self.kind!r} constraint needs exactly its own field set (choices / pattern / json_schema)")
        if self.kind == "choice" and any(not c for c in self.choices):
            raise ValueError("a choice constraint's options must be non-empty strings")

    @classmethod
    def choice(cls, options: Sequence[str]) -> Constraint:
        """The answer is exactly one of `options` (order kept, duplicates dropped)."""
        return cls("choice", choices=tuple(dict.fromkeys(options)))

    @classmethod
    def regex(cls, pattern: str) -> Constraint:
        """The answer fully matches the regular expression `pattern`."""
        return cls("regex", pattern=pattern)

    @classmethod
    def json_schema_of(cls, schema: Mapping[str, Any]) -> Constraint:
        """The answer is JSON valid against `schema` (a JSON Schema object); properties keep their order."""
        return cls("json", json_schema=json.dumps(schema, separators=(",", ":")))

    def schema(self) -> dict[str, Any]:
        """The JSON schema of a json constraint, parsed."""
        if self.json_schema is None:
            raise ValueError(f"a {self.kind!r} constraint has no JSON schema")
        return json.loads(self.json_schema)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class GenerationParams:
    """Decoding parameters. Greedy (temperature 0) by default, so results are reproducible.

    `stop` strings end generation and are not part of the returned text. `seed` only matters
    when sampling (temperature > 0); `top_k` (None = off) keeps the k most likely tokens when
    sampling. `constraint` restricts the answer (choice / regex / JSON schema); backends declare
    which kinds they serve (`Backend.constraint_kinds`) and the scheduler checks before loading.
    """

    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    top_k: int | None = None
    constraint: Constraint | None = None

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"top_k must be >= 1 or None, got {self.top_k}")
        # Accept lists from callers but store a tuple so the record stays hashable.
        object.__setattr__(self, "stop", tuple(self.stop))

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[Message, ...]
    params: GenerationParams = field(default_factory=GenerationParams)
    kind: RequestKind = field(default=RequestKind.CHAT, init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "messages", tuple(self.messages))
        if not self.messages:
            raise ValueError("a ChatRequest needs at least one message")


@dataclass(frozen=True)
class CompletionRequest:
    prompt: str
    params: GenerationParams = field(default_factory=GenerationParams)
    kind: RequestKind = field(default=RequestKind.COMPLETION, init=False)


@dataclass(frozen=True)
class LoglikelihoodRequest:
    """log P(continuation | context). A tuple-of-messages context is chat-templated first."""

    context: str | tuple[Message, ...]
    continuation: str
    kind: RequestKind = field(default=RequestKind.LOGLIKELIHOOD, init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.context, str):
            object.__setattr__(self, "context", tuple(self.context))
        if not self.continuation:
            raise ValueError("a LoglikelihoodRequest needs a non-empty continuation")


@dataclass(frozen=True)
class ScoreRequest:
    """A reward model's score of `messages` (the last message is normally the assistant's response)."""

    messages: tuple[Message, ...]
    kind: RequestKind = field(default=RequestKind.SCORE, init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "messages", tuple(self.messages))


Request = Union[ChatRequest, CompletionRequest, LoglikelihoodRequest, ScoreRequest]
GenerationRequest = Union[ChatRequest, CompletionRequest]


@dataclass(frozen=True)
class GenerationAnswer:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"  # "stop" (EOS or a stop string) or "length"


@dataclass(frozen=True)
class LoglikelihoodAnswer:
    logprob: float  # summed over the continuation's tokens
    is_greedy: bool  # every continuation token was the argmax
    continuation_tokens: int


@dataclass(frozen=True)
class ScoreAnswer:
    score: float
    truncated: bool = False  # the input was cut to the model's maximum length


Answer = Union[GenerationAnswer, LoglikelihoodAnswer, ScoreAnswer]

_ANSWER_TYPES: dict[RequestKind, type] = {
    RequestKind.CHAT: GenerationAnswer,
    RequestKind.COMPLETION: GenerationAnswer,
    RequestKind.LOGLIKELIHOOD: LoglikelihoodAnswer,
    RequestKind.SCORE: ScoreAnswer,
}


# Generation fields added after the cache format was fixed: left out of the key while unset, so
# requests made before they existed keep their cached answers.
_OPTIONAL_PARAM_FIELDS = ("top_k", "constraint")


def request_key_payload(request: Request) -> str:
    """Canonical JSON of a request: equal requests give equal strings (the cache key's body)."""
    payload = asdict(request)
    params = payload.get("params")
    if isinstance(params, dict):
        for name in _OPTIONAL_PARAM_FIELDS:
            if params.get(name) is None:
                params.pop(name, None)
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)


def answer_to_json(answer: Answer) -> str:
    return json.dumps(asdict(answer), ensure_ascii=False)


def answer_from_json(kind: RequestKind, payload: str) -> Answer:
    answer_type = _ANSWER_TYPES[kind]
    return answer_type(**json.loads(payload))  # type: ignore[no-any-return]


def as_messages(messages: Sequence[Message] | Sequence[dict[str, str]]) -> tuple[Message, ...]:
    """Accept Message records or OpenAI-style {"role", "content"} dicts."""
    return tuple(m if isinstance(m, Message) else Message(role=m["role"], content=m["content"]) for m in messages)  # type: ignore[arg-type]
