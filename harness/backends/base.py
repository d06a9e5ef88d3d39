"""The one interface every model backend implements.

A backend serves batches of typed requests synchronously (`generate`, `loglikelihood`, `score`);
the `ModelClient` calls these from a worker thread with batches it has gathered. A backend whose
engine batches continuously by itself (vLLM's async engine, an HTTP server) sets
`continuous = True` and implements `async asubmit(request)`; the client then hands each request
over as it comes instead of waiting for a batch to fill.

Contract: answers come back in the order of the requests; greedy generation must not depend on
which other requests share the batch.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bench.harness.architecture import ArchitectureInfo
from bench.harness.errors import BackendError, CapabilityError
from bench.harness.requests import (
    Answer,
    GenerationAnswer,
    GenerationRequest,
    LoglikelihoodAnswer,
    LoglikelihoodRequest,
    Request,
    RequestKind,
    ScoreAnswer,
    ScoreRequest,
)


@dataclass(frozen=True)
class ModelInfo:
    """Identity of the model under test, recorded in every result document.

    `fingerprint` identifies the weights (a hash of the weight files, or a hub revision, or the
    server's model id when nothing better is known); the request cache keys on it.
    """

    name: str
    source: str
    fingerprint: str
    backend: str
    backend_args: dict[str, Any] = field(default_factory=dict)
    revision: str | None = None
    dtype: str | None = None
    device: str | None = None
    # Family, parameter count, context length (harness/architecture.py); None where not known (APIs).
    architecture: ArchitectureInfo | None = None


@dataclass(frozen=True)
class BackendDescription:
    """What the client needs before the first cache miss: identity, request kinds, batch size."""

    info: ModelInfo
    capabilities: frozenset[RequestKind]
    max_batch_size: int
    constraint_kinds: frozenset[str] | None = None  # None: the backend class's own `constraint_kinds`


class Backend(ABC):
    """Constructed as `Backend(model, model_args, batch_size=...)` (see harness/registry.py).

    `args_class` is the frozen dataclass of the `--model-args` the backend accepts (see
    harness/backends/args.py); `parse_args` validates a `--model-args` dict against it without
    loading anything, so the planning step can reject bad arguments before any model loads.
    A backend that can identify its model without loading it (`describe`) is opened lazily by
    the client: a run answered entirely from the request cache never loads the weights.
    """

    name: ClassVar[str]
    continuous: ClassVar[bool] = False
    args_class: ClassVar[type[Any] | None] = None

    capabilities: frozenset[RequestKind]
    info: ModelInfo
    max_batch_size: int = 16
    # The structured-output constraints its generation honours ("choice", "regex", "json"; see
    # bench.harness.requests.Constraint); a class default, or set per instance when it depends on
    # the model arguments (e.g. what an OpenAI-compatible server accepts).
    constraint_kinds: frozenset[str] = frozenset()

    @classmethod
    def parse_args(cls, model_args: dict[str, Any] | None) -> Any:
        """The validated `args_class` record of `model_args`; ConfigError naming the key and the choices."""
        from bench.harness.backends.args import parse_backend_args

        if cls.args_class is None:
            return dict(model_args or {})
        return parse_backend_args(cls.args_class, cls.name, model_args)

    @classmethod
    def describe(cls, model: str, model_args: dict[str, Any], batch_size: int | None) -> BackendDescription | None:
        """Identity and capabilities of `model` without loading it (None: only a real load can tell).

        Must equal what the constructed backend reports (`info`, `capabilities`, `max_batch_size`):
        the request cache keys on `info`, and the result document records it.
        """
        return None

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationAnswer]:
        raise CapabilityError(f"backend {self.name!r} cannot generate text")

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[LoglikelihoodAnswer]:
        raise CapabilityError(f"backend {self.name!r} cannot compute log-likelihoods")

    def score(self, requests: Sequence[ScoreRequest]) -> list[ScoreAnswer]:
        raise CapabilityError(f"backend {self.name!r} cannot score with a reward model")

    async def asubmit(self, request: Request) -> Answer:
        """Serve one request (continuous backends only; the client never calls it on the others)."""
        raise BackendError(f"backend {self.name!r} is not continuous: it serves batches through serve_batch")

    def serve_batch(self, kind: RequestKind, requests: Sequence[Request]) -> list[Answer]:
        """Dispatch a batch of requests of one kind to the matching method."""
        if kind in (RequestKind.CHAT, RequestKind.COMPLETION):
            return list(self.generate(requests))  # type: ignore[arg-type]
        if kind is RequestKind.LOGLIKELIHOOD:
            return list(self.loglikelihood(requests))  # type: ignore[arg-type]
        return list(self.score(requests))  # type: ignore[arg-type]

    def close(self) -> None:
        """Release the model/engine. Safe to call twice."""

    async def aclose(self) -> None:
        """Release resources bound to the event loop (HTTP clients, engines), then `close()`."""
        self.close()


def parse_model_args(text: str | None) -> dict[str, Any]:
    """`k=v,k2=v2` (lm-eval's --model_args syntax) -> dict with ints, floats and booleans converted."""
    from bench.harness.errors import ConfigError

    args: dict[str, Any] = {}
    if not text:
        return args
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ConfigError(f"malformed --model-args item {part!r}: expected key=value")
        key, value = part.split("=", 1)
        args[key.strip()] = _coerce(value.strip())
    return args


def _coerce(value: str) -> Any:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value
