"""The model client that every task awaits: gathers requests from all coroutines into batches.

Tasks call `await client.chat(...)`, `.complete`, `.loglikelihood`, `.score` from as many
concurrent coroutines as they like (64 UNO games, 4,000 prompts, several tasks at once). Each
call becomes a future. A single dispatcher coroutine

1. waits until every runnable coroutine has had its turn (the event loop has settled), so all
   requests that can be made now have been made;
2. answers cache hits at once and merges identical requests into one;
3. sends the rest to the backend in full batches (one request kind per batch, up to
   `max_batch_size`), in a worker thread, so coroutines keep running and queue more requests
   while the batch computes;
4. resolves each future with its answer and commits the answers to the cache.

A backend that batches continuously by itself (`backend.continuous`, e.g. vLLM's async engine or
an HTTP server) gets every request as soon as the loop has settled (no waiting for a batch to
fill or for earlier requests to finish; requests made in the same tick go over in one burst, so
the engine can schedule them into one step), bounded by `max_concurrency`.

Greedy answers do not depend on how requests were batched (the backends guarantee it), so a
resumed or re-batched run gives identical results.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.harness.backends.base import Backend, ModelInfo
from bench.harness.batch_equality import BatchComparison
from bench.harness.cache import RequestCache, request_cache_key
from bench.harness.errors import BackendError, CapabilityError
from bench.harness.requests import (
    Answer,
    ChatRequest,
    CompletionRequest,
    GenerationAnswer,
    GenerationParams,
    LoglikelihoodAnswer,
    LoglikelihoodRequest,
    Message,
    Request,
    RequestKind,
    ScoreAnswer,
    ScoreRequest,
    as_messages,
)

log = logging.getLogger(__name__)

# Rounds of `sleep(0)` with no new request before a batch is cut. One round lets every ready
# coroutine run once; a second catches coroutines woken by the first.
_SETTLE_ROUNDS = 2


@dataclass
class ClientStats:
    """Counters recorded in the result's provenance."""

    requests: int = 0  # calls made by tasks
    cache_hits: int = 0  # answered from the persistent cache
    deduplicated: int = 0  # identical to a request already in flight
    backend_requests: int = 0  # sent to the backend
    batches: int = 0
    backend_seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class _Pending:
    key: str
    request: Request
    future: asyncio.Future[Answer]


class ModelClient:
    def __init__(
        self,
        backend: Backend,
        cache: RequestCache | None = None,
        max_batch_size: int | None = None,
        max_concurrency: int = 64,
    ) -> None:
        self.backend = backend
        self.cache = cache
        self.max_batch_size = max_batch_size or backend.max_batch_size
        self.stats = ClientStats()
        self._namespace = f"{backend.info.fingerprint}|{backend.name}|{_cache_relevant_args(backend.info)}"
        self._inflight: dict[str, asyncio.Future[Answer]] = {}
        self._queue: list[_Pending] = []
        self._wakeup: asyncio.Event | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._stream_tasks: set[asyncio.Task[None]] = set()
        self._backend_lock = threading.Lock()  # one backend call at a time (batches, batching checks)

    # ---- the API tasks use -------------------------------------------------------------------
    @property
    def info(self) -> ModelInfo:
        return self.backend.info

    @property
    def capabilities(self) -> frozenset[RequestKind]:
        return self.backend.capabilities

    async def chat(
        self, messages: Sequence[Message] | Sequence[dict[str, str]], params: GenerationParams | None = None
    ) -> GenerationAnswer:
        answer = await self.submit(ChatRequest(as_messages(messages), params or GenerationParams()))
        assert isinstance(answer, GenerationAnswer)
        return answer

    async def complete(self, prompt: str, params: GenerationParams | None = None) -> GenerationAnswer:
        answer = await self.submit(CompletionRequest(prompt, params or GenerationParams()))
        assert isinstance(answer, GenerationAnswer)
        return answer

    async def loglikelihood(
        self, context: str | Sequence[Message] | Sequence[dict[str, str]], continuation: str
    ) -> LoglikelihoodAnswer:
        ctx = context if isinstance(context, str) else as_messages(context)
        answer = await self.submit(LoglikelihoodRequest(ctx, continuation))
        assert isinstance(answer, LoglikelihoodAnswer)
        return answer

    async def score(self, messages: Sequence[Message] | Sequence[dict[str, str]]) -> ScoreAnswer:
        answer = await self.submit(ScoreRequest(as_messages(messages)))
        assert isinstance(answer, ScoreAnswer)
        return answer

    def tokenizer(self) -> Any:
        """The model's own tokenizer (a transformers tokenizer) for tasks that count tokens;
        CapabilityError when the backend has none (remote APIs). A lazily opened backend loads
        its model for it."""
        tokenizer = getattr(self.backend, "tokenizer", None)
        if tokenizer is None:
            raise CapabilityError(f"backend {self.backend.name!r} exposes no tokenizer for model {self.info.name!r}")
        return tokenizer

    async def compare_batched_with_single(self, requests: Sequence[ChatRequest | CompletionRequest]) -> BatchComparison:
        """Greedy texts of `requests` served as one batch and one at a time (bench.harness.batch_equality),
        bypassing the cache; CapabilityError for continuous backends, which choose their own batches."""
        from bench.harness.batch_equality import compare_batched_with_single

        if self.backend.continuous:
            raise CapabilityError(f"backend {self.backend.name!r} batches by itself: batching cannot be compared")

        def locked() -> BatchComparison:
            with self._backend_lock:
                return compare_batched_with_single(self.backend, requests)

        return await asyncio.to_thread(locked)

    async def gather(self, requests: Sequence[Request]) -> list[Answer]:
        return list(await asyncio.gather(*(self.submit(r) for r in requests)))

    async def submit(self, request: Request) -> Answer:
        """Answer one request: from the cache, from an identical request in flight, or the backend."""
        if request.kind not in self.backend.capabilities:
            raise CapabilityError(
                f"backend {self.backend.name!r} cannot serve {request.kind.value} requests; "
                f"it serves: {', '.join(sorted(k.value for k in self.backend.capabilities))}"
            )
        self.stats.requests += 1
        key = request_cache_key(self._namespace, request)
        if self.cache is not None:
            cached = self.cache.get(key, request)
            if cached is not None:
                self.stats.cache_hits += 1
                return cached
        existing = self._inflight.get(key)
        if existing is not None:
            self.stats.deduplicated += 1
            return await asyncio.shield(existing)
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        self._queue.append(_Pending(key, request, future))
        self._ensure_dispatcher()
        return await asyncio.shield(future)

    async def aclose(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            try:
                await self._dispatcher
            except asyncio.CancelledError:
                pass
            self._dispatcher = None

    # ---- batching ----------------------------------------------------------------------------
    def _ensure_dispatcher(self) -> None:
        if self._dispatcher is None or self._dispatcher.done():
            # A new dispatcher may run on a new event loop (a client used by two asyncio.run calls):
            # its Event must be bound to that loop, not the one the previous dispatcher died with.
            self._wakeup = asyncio.Event()
            self._dispatcher = asyncio.create_task(self._dispatch_forever(), name="bench-model-dispatcher")
        assert self._wakeup is not None
        self._wakeup.set()

    async def _settle(self) -> None:
        stable, seen = 0, -1
        while stable < _SETTLE_ROUNDS:
            await asyncio.sleep(0)
            if len(self._queue) == seen:
                stable += 1
            else:
                stable, seen = 0, len(self._queue)

    async def _dispatch_forever(self) -> None:
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            try:
                while self._queue:
                    await self._settle()
                    if self.backend.continuous:
                        self._hand_over_all()
                    else:
                        batch = self._take_batch()
                        if batch:
                            await self._run_batch(batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a dispatcher bug must fail the waiting requests, never strand them
                log.error("model client dispatcher failed", exc_info=True)
                self._fail_all(exc)

    def _hand_over_all(self) -> None:
        """Continuous backends: every queued request goes to the engine now, in one burst."""
        queued, self._queue = self._queue, []
        for pending in queued:
            task = asyncio.create_task(self._serve_one(pending))
            self._stream_tasks.add(task)
            task.add_done_callback(self._stream_tasks.discard)

    def _fail_all(self, exc: BaseException) -> None:
        """Fail every queued request and every request in flight with `exc`."""
        queued, self._queue = self._queue, []
        for pending in queued:
            if not pending.future.done():
                pending.future.set_exception(exc)
        inflight, self._inflight = self._inflight, {}
        for future in inflight.values():
            if not future.done():
                future.set_exception(exc)

    def _take_batch(self) -> list[_Pending]:
        """Up to max_batch_size requests of the kind with most waiting (first come first served)."""
        if not self._queue:
            return []
        counts: dict[RequestKind, int] = {}
        for p in self._queue:
            group = _batch_group(p.request.kind)
            counts[group] = counts.get(group, 0) + 1
        kind = max(counts, key=lambda k: counts[k])
        waiting = [p for p in self._queue if _batch_group(p.request.kind) is kind]
        if kind is RequestKind.LOGLIKELIHOOD:
            # Neighbours in text order share prefixes (few-shot demonstrations, one prompt with
            # several answers): cutting batches from the sorted queue lets the backend reuse them.
            waiting.sort(key=lambda p: _context_text(p.request))
        elif kind is RequestKind.COMPLETION and len(waiting) > self.max_batch_size:
            # Every decode step of a generation batch attends over its longest prompt's columns in every
            # row (the hf backend prefills rows by length, but decodes them as one left-padded batch):
            # serve the oldest request with the waiting ones nearest its length (the hallucination suite
            # mixes 150- and 1,100-token few-shot prompts).
            anchor = _prompt_chars(waiting[0].request)
            waiting = [waiting[0]] + sorted(waiting[1:], key=lambda p: abs(_prompt_chars(p.request) - anchor))
        batch = waiting[: self.max_batch_size]
        taken = {id(p) for p in batch}
        self._queue = [p for p in self._queue if id(p) not in taken]
        return batch

    async def _run_batch(self, batch: list[_Pending]) -> None:
        kind = _batch_group(batch[0].request.kind)
        requests = [p.request for p in batch]
        started = time.perf_counter()
        try:
            answers = await asyncio.to_thread(self._serve_locked, kind, requests)
            if len(answers) != len(requests):
                raise BackendError(
                    f"backend {self.backend.name!r} returned {len(answers)} answers for {len(requests)} requests"
                )
            self._record(batch, answers, time.perf_counter() - started)
        except BaseException as exc:  # hand the failure (backend or cache) to every waiting coroutine
            self._fail(batch, exc)
            if isinstance(exc, asyncio.CancelledError):
                raise

    def _serve_locked(self, kind: RequestKind, requests: list[Request]) -> list[Answer]:
        with self._backend_lock:
            return self.backend.serve_batch(kind, requests)

    async def _serve_one(self, pending: _Pending) -> None:
        started = time.perf_counter()
        try:
            async with self._semaphore:
                answer = await self.backend.asubmit(pending.request)
            self._record([pending], [answer], time.perf_counter() - started, batched=False)
        except BaseException as exc:
            self._fail([pending], exc)
            if isinstance(exc, asyncio.CancelledError):
                raise

    def _fail(self, batch: list[_Pending], exc: BaseException) -> None:
        for p in batch:
            self._inflight.pop(p.key, None)
            if not p.future.done():
                p.future.set_exception(exc)

    def _record(self, batch: list[_Pending], answers: list[Answer], seconds: float, batched: bool = True) -> None:
        if batched:
            self.stats.batches += 1
            self.stats.backend_seconds += seconds
        self.stats.backend_requests += len(batch)
        for answer in answers:
            if isinstance(answer, GenerationAnswer):
                self.stats.prompt_tokens += answer.prompt_tokens
                self.stats.completion_tokens += answer.completion_tokens
        if self.cache is not None:
            self.cache.put_many((p.key, p.request, a) for p, a in zip(batch, answers))
        for p, answer in zip(batch, answers):
            self._inflight.pop(p.key, None)
            if not p.future.done():
                p.future.set_result(answer)


def _context_text(request: Request) -> str:
    assert isinstance(request, LoglikelihoodRequest)
    context = request.context if isinstance(request.context, str) else "\n".join(m.content for m in request.context)
    return context + request.continuation


def _prompt_chars(request: Request) -> int:
    """The length of a generation request's prompt in characters (a proxy for its tokens)."""
    if isinstance(request, CompletionRequest):
        return len(request.prompt)
    assert isinstance(request, ChatRequest)
    return sum(len(m.content) for m in request.messages)


def _batch_group(kind: RequestKind) -> RequestKind:
    """Chat and completion requests are both generation and share batches."""
    return RequestKind.COMPLETION if kind is RequestKind.CHAT else kind


def _cache_relevant_args(info: ModelInfo) -> str:
    """Backend arguments that change answers (dtype, max length...), not ones that only change speed."""
    speed_only = {
        "batch_size", "max_batch_size", "device", "max_concurrency", "timeout", "gpu_memory_utilization",
        "max_retries", "max_retry_after", "request_deadline", "request_timeout",
        # how vLLM spreads the work (replicas, worker processes), not what a forward pass computes;
        # tensor/pipeline sizes stay in the key: they can change the last bits of the numbers
        "data_parallel_size", "distributed_executor_backend", "data_parallel_backend",
    }
    return ",".join(f"{k}={info.backend_args[k]}" for k in sorted(info.backend_args) if k not in speed_only)
