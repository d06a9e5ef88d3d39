"""A backend that loads its model on the first request that reaches it.

The model client needs a backend's identity (`info`, which keys the request cache), its request
kinds and batch size before any request is served; `Backend.describe` gives those without
loading weights. `LazyBackend` stands in with that description and constructs the real backend
only when the client sends it work, i.e. on the first cache miss. A run whose requests are all
in the cache never loads the model (no torch/transformers import, no weight read), and records
the same `ModelInfo` a loaded run records: the real backend's description is checked against
the one the run started with, and a difference is a BackendError rather than a cache namespace
that silently changed under the run.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from bench.harness.backends.base import Backend, BackendDescription
from bench.harness.errors import BackendError
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

log = logging.getLogger(__name__)


class LazyBackend(Backend):
    """Serves as `backend_class` described by `description`; `factory()` builds the real one on demand."""

    def __init__(
        self, backend_class: type[Backend], description: BackendDescription, factory: Callable[[], Backend]
    ) -> None:
        self.backend_class = backend_class
        self.info = description.info
        self.capabilities = description.capabilities
        self.constraint_kinds = (
            description.constraint_kinds if description.constraint_kinds is not None else backend_class.constraint_kinds
        )
        self.max_batch_size = description.max_batch_size
        self._description = description
        self._factory = factory
        self._backend: Backend | None = None
        self._lock = threading.Lock()  # serve_batch runs in worker threads

    # The client reads these class-level facts from the instance.
    @property  # type: ignore[misc]
    def name(self) -> str:  # type: ignore[override]
        return self.backend_class.name

    @property  # type: ignore[misc]
    def continuous(self) -> bool:  # type: ignore[override]
        return self.backend_class.continuous

    @property
    def opened(self) -> bool:
        """Whether the real backend (and its model) has been loaded."""
        return self._backend is not None

    def open(self) -> Backend:
        """The real backend, constructing it on the first call (thread-safe)."""
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    log.info("loading %s with backend %s (first request not in the cache)", self.info.name, self.name)
                    backend = self._factory()
                    _check_same(self._description, backend)
                    self._backend = backend
        return self._backend

    def __getattr__(self, attribute: str) -> Any:
        # Anything else a caller reads (a tokenizer, an engine handle) belongs to the real backend.
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return getattr(self.open(), attribute)

    def serve_batch(self, kind: RequestKind, requests: Sequence[Request]) -> list[Answer]:
        return self.open().serve_batch(kind, requests)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationAnswer]:
        return self.open().generate(requests)

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[LoglikelihoodAnswer]:
        return self.open().loglikelihood(requests)

    def score(self, requests: Sequence[ScoreRequest]) -> list[ScoreAnswer]:
        return self.open().score(requests)

    async def asubmit(self, request: Request) -> Answer:
        backend = self._backend if self._backend is not None else await asyncio.to_thread(self.open)
        return await backend.asubmit(request)

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()

    async def aclose(self) -> None:
        if self._backend is not None:
            await self._backend.aclose()


def _check_same(description: BackendDescription, backend: Backend) -> None:
    """The loaded backend must be what `describe` said: the cache was keyed on that description."""
    differences = [
        f"{field}: described {getattr(description.info, field)!r}, loaded {getattr(backend.info, field)!r}"
        for field in description.info.__dataclass_fields__
        if getattr(description.info, field) != getattr(backend.info, field)
    ]
    if description.capabilities != backend.capabilities:
        differences.append(
            f"request kinds: described {sorted(k.value for k in description.capabilities)}, "
            f"loaded {sorted(k.value for k in backend.capabilities)}"
        )
    if differences:
        backend.close()
        raise BackendError(
            f"backend {backend.name!r} loaded model {description.info.name!r} differently from its description "
            f"({'; '.join(differences)}); run with --no-cache or report this as a bug"
        )
