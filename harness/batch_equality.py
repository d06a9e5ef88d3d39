"""Does batching change a model's greedy outputs? One batch vs one request at a time, on a sample.

Recurrent and hybrid models (Mamba, RWKV, Jamba, RecurrentGemma) can give different greedy text
when prompts are left-padded into one batch (the padding runs through the recurrent state), and
some kernels differ between batch sizes. bench's batching is only sound where it does not: tasks
that report by architecture (the hallucination probes) check a sample of their own prompts on
recurrent and hybrid models and record the outcome.

    equal[i] = text(generate([r_1..r_k])[i]) == text(generate([r_i]))

The requests bypass the cache (both answers must come from the backend now). The backend is
called under the same lock as the client's batches, so no two calls ever run concurrently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.harness.backends.base import Backend
from bench.harness.requests import GenerationRequest


@dataclass(frozen=True)
class BatchComparison:
    """Per request: the batched text, the one-at-a-time text, and whether they are equal."""

    batched: tuple[str, ...]
    single: tuple[str, ...]

    @property
    def equal(self) -> tuple[bool, ...]:
        return tuple(a == b for a, b in zip(self.batched, self.single))

    @property
    def differing(self) -> int:
        return sum(not same for same in self.equal)


def compare_batched_with_single(backend: Backend, requests: Sequence[GenerationRequest]) -> BatchComparison:
    """Serve `requests` as one batch, then each alone, with the backend's synchronous `generate`."""
    batched = backend.generate(list(requests))
    single = [backend.generate([request])[0] for request in requests]
    return BatchComparison(tuple(a.text for a in batched), tuple(a.text for a in single))
