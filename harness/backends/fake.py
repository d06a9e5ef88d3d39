"""A deterministic fake model backend for tests, examples and plumbing checks (no weights, no engine).

Like lm-eval's dummy LM or inspect_ai's mock model: every answer is a pure function of the
request and the backend's arguments (a SHA-256 of both), so a run on `--backend fake` is
reproducible to the byte, takes milliseconds, and exercises the whole harness (client batching,
cache, scheduler, result documents) without loading a model.

    bench eval --backend fake --model any-name --tasks ... --model-args text=42,delay=0.05

What it answers:

- chat/completion: `text` (the same reply to everything), else the next of `replies` (in the
  order requests reach the backend, cycling), else 1..12 words drawn from a small vocabulary by
  the request's hash. Replies are cut at the first stop string (`finish_reason="stop"`) and to
  `max_tokens` words, one word = one token (`finish_reason="length"`). `top_k` and `temperature`
  change nothing but the hash.
- constrained chat/completion (`params.constraint`): that reply where it satisfies the constraint,
  else a deterministic valid answer: the choice picked by the request's hash, a short match of the
  regex, a short JSON document valid against the schema (harness/backends/grammar.py,
  minimal_text.py). Constrained answers are never cut (a model that finishes its grammar in time).
- loglikelihood: a log-probability of -(0.5 + u) per continuation word, u in [0, 1) from the hash;
  `is_greedy` when u < 0.25.
- score: a value in [-4, 4) from the hash, plus `length_bias` x the characters of the last message
  (a reward model with a known length bias).

Model args (`--model-args k=v,...`, checked by `FakeArgs` before anything runs):

    seed=0                 changes every hashed answer (and the fingerprint)
    text=STR               reply to every generation request with STR
    replies=a|b|c          scripted generation replies, served in order, cycling
    length_bias=0.0        score += length_bias * len(last message)
    garbage=false          generations are random symbol soup; log-likelihoods and scores are NaN
    capabilities=chat|completion|loglikelihood|score   the request kinds it declares (default all)
    continuous=false       serve each request at once through `asubmit` (like vLLM / HTTP) instead of batches
    delay=0.0              seconds of sleep per request (progress and Ctrl-C tests)
    fail_at=N              the N-th request reaching the backend (1-based) raises; its batch fails with it
    fail_with=backend      `backend` raises BackendError (exit 3); `crash` raises RuntimeError (a bug)
    batch_size=16          the batch size the client uses (default: the constructor's `batch_size`)

The fingerprint, and `ModelInfo.backend_args`, hold only the arguments that change answers
(`seed`, `text`, `replies`, `length_bias`, `garbage`): a run that failed on `fail_at` or was
slowed by `delay` resumes from the request cache when run again without them. The backend
describes itself without loading anything (`describe`), so the client opens it lazily like hf
(except with `continuous=true`).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bench.harness.backends.args import require
from bench.harness.backends.base import Backend, BackendDescription, ModelInfo
from bench.harness.errors import BackendError, CapabilityError
from bench.harness.requests import (
    Answer,
    ChatRequest,
    GenerationAnswer,
    GenerationParams,
    GenerationRequest,
    LoglikelihoodAnswer,
    LoglikelihoodRequest,
    Request,
    RequestKind,
    ScoreAnswer,
    ScoreRequest,
    request_key_payload,
)

ANSWER_ARGS = ("seed", "text", "replies", "length_bias", "garbage")

# Words of the hashed replies: digits so number parsers find something, a few game and bias words.
VOCABULARY = (
    "the", "a", "model", "answer", "is", "yes", "no", "play", "draw", "red", "blue", "green",
    "yellow", "card", "he", "she", "they", "0", "1", "2", "3", "7", "12", "42",
)  # fmt: skip
_GARBAGE = "#%&*@~^|<>{}[]\\¤§¶¬\u200b\ufffd"


@dataclass(frozen=True)
class FakeArgs:
    """`--model-args` of the fake backend; see the module docstring for what each one does."""

    seed: int = 0
    text: str | None = None
    replies: str = ""  # a|b|c
    length_bias: float = 0.0
    garbage: bool = False
    capabilities: str = "chat|completion|loglikelihood|score"
    continuous: bool = False
    delay: float = 0.0
    fail_at: int | None = None
    fail_with: Literal["backend", "crash"] = "backend"
    batch_size: int | None = None

    def __post_init__(self) -> None:
        require(0 <= self.delay < float("inf"), f"delay must be >= 0 seconds, got {self.delay}")
        require(self.fail_at is None or self.fail_at >= 1, f"fail_at counts requests from 1, got {self.fail_at}")
        require(self.batch_size is None or self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}")
        _parse_capabilities(self.capabilities)

    @property
    def reply_list(self) -> tuple[str, ...]:
        return tuple(self.replies.split("|")) if self.replies else ()


class FakeBackend(Backend):
    """Deterministic answers from hashes; see the module docstring for its arguments."""

    name = "fake"
    args_class = FakeArgs
    constraint_kinds = frozenset({"choice", "regex", "json"})

    def __new__(cls, model: str = "fake", model_args: dict[str, Any] | None = None, batch_size: int = 16) -> FakeBackend:
        # `continuous` is a class-level fact the client reads; pick the subclass that declares it.
        args: FakeArgs = cls.parse_args(model_args)
        return super().__new__(ContinuousFakeBackend if args.continuous else cls)

    @classmethod
    def describe(cls, model: str, model_args: dict[str, Any], batch_size: int | None) -> BackendDescription | None:
        """The fake backend knows itself without loading anything, so the client opens it lazily.

        Not with `continuous=true` (None: opened at once): the lazy stand-in reads `continuous`
        from the registered class, and only the constructed instance is the continuous subclass.
        """
        args: FakeArgs = cls.parse_args(model_args)
        if args.continuous:
            return None
        return cls._description(model, model_args, args, batch_size)

    @classmethod
    def _description(cls, model: str, model_args: dict[str, Any], args: FakeArgs, batch_size: int | None) -> BackendDescription:
        answer_args = {k: model_args[k] for k in ANSWER_ARGS if k in model_args}
        fingerprint = "fake:" + hashlib.sha256(
            json.dumps({"model": model, **answer_args}, sort_keys=True, default=str).encode()
        ).hexdigest()
        info = ModelInfo(
            name=model, source=f"fake backend ({model})", fingerprint=fingerprint, backend=cls.name,
            backend_args=answer_args, dtype=None, device="none",
        )
        return BackendDescription(info, _parse_capabilities(args.capabilities), args.batch_size or batch_size or 16)

    def __init__(self, model: str = "fake", model_args: dict[str, Any] | None = None, batch_size: int = 16) -> None:
        args: FakeArgs = self.parse_args(model_args)
        description = self._description(model, dict(model_args or {}), args, batch_size)
        self.model = model
        self.args = args
        self.seed = args.seed
        self.text = args.text
        self.replies = args.reply_list
        self.length_bias = args.length_bias
        self.garbage = args.garbage
        self.delay = args.delay
        self.fail_at = args.fail_at
        self.fail_with = args.fail_with
        self.info = description.info
        self.capabilities = description.capabilities
        self.max_batch_size = description.max_batch_size

        self._lock = threading.Lock()  # serve_batch runs in worker threads
        self._reply_cycle = itertools.cycle(self.replies) if self.replies else None
        self.requests_served = 0  # requests that reached this backend (cache hits never do)
        self.batch_sizes: list[int] = []  # one entry per serve_batch call, for batching tests

    # -- the Backend interface -------------------------------------------------------------

    def serve_batch(self, kind: RequestKind, requests: Sequence[Request]) -> list[Answer]:
        with self._lock:
            self.batch_sizes.append(len(requests))
        return super().serve_batch(kind, requests)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationAnswer]:
        self._check(requests)
        time.sleep(self.delay * len(requests))
        return [self._generate_one(r) for r in requests]

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[LoglikelihoodAnswer]:
        self._check(requests)
        time.sleep(self.delay * len(requests))
        return [self._loglikelihood_one(r) for r in requests]

    def score(self, requests: Sequence[ScoreRequest]) -> list[ScoreAnswer]:
        self._check(requests)
        time.sleep(self.delay * len(requests))
        return [self._score_one(r) for r in requests]

    # -- answers ------------------------------------------------------------------------------

    def answer(self, request: Request) -> Answer:
        """The answer to one request, without counting, failing or sleeping (for tests' expectations).

        Raises ValueError for generation with scripted `replies`: those depend on arrival order.
        """
        return self._answer_one(request, peek=True)

    def _answer_one(self, request: Request, peek: bool = False) -> Answer:
        if isinstance(request, LoglikelihoodRequest):
            return self._loglikelihood_one(request)
        if isinstance(request, ScoreRequest):
            return self._score_one(request)
        return self._generate_one(request, peek=peek)

    def _generate_one(self, request: GenerationRequest, peek: bool = False) -> GenerationAnswer:
        digest = self._digest(request)
        params = request.params
        if self.garbage:
            raw = "".join(_GARBAGE[b % len(_GARBAGE)] for b in digest[: 4 + digest[0] % 24])
        elif self.text is not None:
            raw = self.text
        elif self._reply_cycle is not None:
            if peek:
                raise ValueError("scripted replies depend on arrival order; answer() cannot predict them")
            with self._lock:
                raw = next(self._reply_cycle)
        else:
            n_words = 1 + digest[0] % 12
            raw = " ".join(VOCABULARY[b % len(VOCABULARY)] for b in digest[1 : 1 + n_words])
        if params.constraint is not None:
            from bench.harness.backends.grammar import fake_constrained_text
            from bench.harness.backends.minimal_text import satisfies

            text = raw if satisfies(params.constraint, raw) else fake_constrained_text(params.constraint, digest)
            finish_reason = "stop"
        else:
            text, finish_reason = _apply_limits(raw, params.stop, params.max_tokens)
        return GenerationAnswer(
            text=text,
            prompt_tokens=len(_prompt_text(request).split()),
            completion_tokens=len(text.split()),
            finish_reason=finish_reason,
        )

    def _loglikelihood_one(self, request: LoglikelihoodRequest) -> LoglikelihoodAnswer:
        u = self._unit(request)
        n_tokens = max(1, len(request.continuation.split()))
        logprob = math.nan if self.garbage else -(0.5 + u) * n_tokens
        return LoglikelihoodAnswer(logprob=logprob, is_greedy=u < 0.25, continuation_tokens=n_tokens)

    def _score_one(self, request: ScoreRequest) -> ScoreAnswer:
        if self.garbage:
            return ScoreAnswer(score=math.nan)
        last = request.messages[-1].content if request.messages else ""
        return ScoreAnswer(score=8.0 * self._unit(request) - 4.0 + self.length_bias * len(last))

    def _digest(self, request: Request) -> bytes:
        return hashlib.sha256(f"{self.seed}\n{request_key_payload(request)}".encode()).digest()

    def _unit(self, request: Request) -> float:
        """A number in [0, 1) fixed by the request and the seed."""
        return int.from_bytes(self._digest(request)[:8], "big") / 2**64

    def _check(self, requests: Sequence[Request]) -> None:
        """Check the declared capabilities, count the requests and fail on the `fail_at`-th."""
        for request in requests:
            if request.kind not in self.capabilities:  # the client checks first; this guards direct calls
                raise CapabilityError(f"fake backend declared {sorted(k.value for k in self.capabilities)}, not {request.kind.value}")
            params = getattr(request, "params", None)
            constraint = params.constraint if isinstance(params, GenerationParams) else None
            if constraint is not None and constraint.kind not in self.constraint_kinds:  # the scheduler checks first
                raise CapabilityError(f"fake backend serves {sorted(self.constraint_kinds)} constraints, not {constraint.kind}")
        with self._lock:
            first = self.requests_served + 1
            self.requests_served += len(requests)
            last = self.requests_served
        if self.fail_at is not None and first <= self.fail_at <= last:
            message = f"fake backend failing on request {self.fail_at} as told (fail_at={self.fail_at})"
            raise BackendError(message) if self.fail_with == "backend" else RuntimeError(message)


class ContinuousFakeBackend(FakeBackend):
    """The fake backend with `continuous=true`: each request is served on its own, like vLLM or a server."""

    continuous = True

    async def asubmit(self, request: Request) -> Answer:
        await asyncio.sleep(self.delay)  # sleeps without blocking the event loop, like a server
        self._check([request])
        return self._answer_one(request)


def _apply_limits(text: str, stops: Sequence[str], max_tokens: int) -> tuple[str, str]:
    """Cut at the first stop string, then to `max_tokens` whitespace-separated words."""
    cut = min((i for i in (text.find(s) for s in stops if s) if i >= 0), default=None)
    if cut is not None:
        text = text[:cut]
    words = text.split()
    if len(words) > max_tokens:
        return " ".join(words[:max_tokens]), "length"
    return text, "stop"


def _prompt_text(request: GenerationRequest) -> str:
    if isinstance(request, ChatRequest):
        return "\n".join(m.content for m in request.messages)
    return request.prompt


def _parse_capabilities(value: str) -> frozenset[RequestKind]:
    """'chat|completion' -> the request kinds; ValueError naming an unknown kind and the choices."""
    choices = {k.value: k for k in RequestKind}
    names = [item.strip() for item in value.split("|") if item.strip()]
    unknown = [n for n in names if n not in choices]
    require(not unknown, f"capabilities: unknown request kind {', '.join(unknown)}; choices: {', '.join(choices)}")
    require(bool(names), f"capabilities is empty; choices: {', '.join(choices)}")
    return frozenset(choices[n] for n in names)
