"""OpenAI-compatible HTTP backend: vLLM serve, llama.cpp server, hosted APIs.

Each request goes out as soon as a task makes it (`continuous = True`), at most
`max_concurrency` at a time; the server batches. Failures that are worth retrying (HTTP 429,
5xx, timeouts, dropped connections) are retried with exponential backoff and jitter, honouring
`Retry-After`; other HTTP errors fail at once with the server's message.

Model args: base_url (default $OPENAI_BASE_URL or http://127.0.0.1:8000/v1), api_key_env (name of
the environment variable holding the key; default OPENAI_API_KEY; the key itself is never
recorded), max_concurrency (8), timeout (120 s), max_retries (5), loglikelihood (false: set true
for servers that return prompt log-probabilities with `echo` on /completions, like vLLM serve).

Reward scores are not served: no OpenAI-compatible endpoint returns a reward model's scalar score.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import random
from typing import Any

from bench.harness.backends.base import Backend, ModelInfo
from bench.harness.errors import BackendError, ConfigError
from bench.harness.requests import (
    Answer,
    ChatRequest,
    CompletionRequest,
    GenerationAnswer,
    GenerationParams,
    LoglikelihoodAnswer,
    LoglikelihoodRequest,
    Request,
    RequestKind,
)

log = logging.getLogger(__name__)

_KNOWN_ARGS = {"base_url", "api_key_env", "max_concurrency", "timeout", "max_retries", "loglikelihood", "batch_size"}
_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class OpenAIBackend(Backend):
    name = "openai"
    continuous = True

    def __init__(self, model: str, model_args: dict[str, Any] | None = None, batch_size: int = 8) -> None:
        import httpx

        args = dict(model_args or {})
        unknown = set(args) - _KNOWN_ARGS
        if unknown:
            raise ConfigError(f"unknown openai model-args {sorted(unknown)}; choices: {', '.join(sorted(_KNOWN_ARGS))}")
        self.model = model
        self.base_url = str(args.get("base_url") or os.environ.get("OPENAI_BASE_URL") or "http://127.0.0.1:8000/v1").rstrip("/")
        key_env = str(args.get("api_key_env", "OPENAI_API_KEY"))
        api_key = os.environ.get(key_env, "")
        self.max_concurrency = int(args.get("max_concurrency", args.get("batch_size", batch_size)))
        self.max_batch_size = self.max_concurrency
        self.timeout = float(args.get("timeout", 120.0))
        self.max_retries = int(args.get("max_retries", 5))
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        kinds = {RequestKind.CHAT, RequestKind.COMPLETION}
        if args.get("loglikelihood"):
            kinds.add(RequestKind.LOGLIKELIHOOD)
        self.capabilities = frozenset(kinds)
        self._httpx = httpx
        self._client: Any = None
        self._semaphore: asyncio.Semaphore | None = None
        model_entry = self._describe_model()
        fingerprint = "openai:" + hashlib.sha256(
            json.dumps({"base_url": self.base_url, "model": model_entry}, sort_keys=True).encode()
        ).hexdigest()
        recorded = {k: v for k, v in args.items() if k not in ("batch_size",)}
        recorded["base_url"] = self.base_url
        self.info = ModelInfo(
            name=model, source=f"{self.base_url} ({model})", fingerprint=fingerprint, backend=self.name,
            backend_args=recorded, revision=str(model_entry.get("root") or model_entry.get("created") or "") or None,
        )

    def _describe_model(self) -> dict[str, Any]:
        """GET /models once, synchronously: checks the server is up and the model is served."""
        try:
            response = self._httpx.get(f"{self.base_url}/models", headers=self.headers, timeout=min(self.timeout, 30.0))
        except self._httpx.HTTPError as exc:
            raise BackendError(f"OpenAI-compatible server at {self.base_url} is unreachable: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise BackendError(f"GET {self.base_url}/models answered HTTP {response.status_code}: {response.text[:200]}")
        served = response.json().get("data", [])
        for entry in served:
            if entry.get("id") == self.model:
                return dict(entry)
        ids = [str(e.get("id")) for e in served]
        raise BackendError(f"server at {self.base_url} does not serve model {self.model!r}; it serves: {', '.join(ids) or '(none)'}")

    # ---- HTTP --------------------------------------------------------------------------------
    async def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        if self._client is None:
            self._client = self._httpx.AsyncClient(base_url=self.base_url, headers=self.headers, timeout=self.timeout)
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        assert self._semaphore is not None
        delay = 1.0
        for attempt in range(self.max_retries + 1):
            retry_after: float | None = None
            try:
                async with self._semaphore:
                    response = await self._client.post(path, json=payload)
                if response.status_code == 200:
                    return dict(response.json())
                if response.status_code not in _RETRY_STATUS:
                    raise BackendError(f"POST {self.base_url}{path} answered HTTP {response.status_code}: {response.text[:300]}")
                problem = f"HTTP {response.status_code}"
                header = response.headers.get("retry-after")
                retry_after = float(header) if header and header.replace(".", "", 1).isdigit() else None
            except (self._httpx.TimeoutException, self._httpx.TransportError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if attempt == self.max_retries:
                raise BackendError(f"POST {self.base_url}{path} failed after {attempt + 1} attempts: {problem}")
            wait = retry_after if retry_after is not None else delay * (1 + random.random())
            log.warning("%s from %s; retrying in %.1f s (attempt %d/%d)", problem, path, wait, attempt + 1, self.max_retries)
            await asyncio.sleep(wait)
            delay = min(delay * 2, 30.0)
        raise AssertionError("unreachable")

    @staticmethod
    def _sampling(params: GenerationParams) -> dict[str, Any]:
        payload: dict[str, Any] = {"max_tokens": params.max_tokens, "temperature": params.temperature, "top_p": params.top_p}
        if params.stop:
            payload["stop"] = list(params.stop)
        if params.seed is not None:
            payload["seed"] = params.seed
        return payload

    async def asubmit(self, request: Request) -> Answer:
        if isinstance(request, ChatRequest):
            messages = [{"role": m.role, "content": m.content} for m in request.messages]
            body = await self._post("/chat/completions", {"model": self.model, "messages": messages, **self._sampling(request.params)})
            choice = body["choices"][0]
            text = (choice.get("message") or {}).get("content") or ""
            return self._answer(text, choice, body)
        if isinstance(request, CompletionRequest):
            body = await self._post("/completions", {"model": self.model, "prompt": request.prompt, **self._sampling(request.params)})
            choice = body["choices"][0]
            return self._answer(choice.get("text") or "", choice, body)
        if isinstance(request, LoglikelihoodRequest) and RequestKind.LOGLIKELIHOOD in self.capabilities:
            return await self._loglikelihood(request)
        raise BackendError(
            f"backend 'openai' cannot serve {request.kind.value} requests"
            + ("" if request.kind is not RequestKind.SCORE else ": no OpenAI-compatible endpoint returns reward scores")
        )

    @staticmethod
    def _answer(text: str, choice: dict[str, Any], body: dict[str, Any]) -> GenerationAnswer:
        usage = body.get("usage") or {}
        finish = "length" if choice.get("finish_reason") == "length" else "stop"
        return GenerationAnswer(text, int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0), finish)

    async def _loglikelihood(self, request: LoglikelihoodRequest) -> LoglikelihoodAnswer:
        """Prompt log-probs via /completions with echo; the continuation is the tokens past the context's text."""
        if not isinstance(request.context, str):
            raise BackendError("the openai backend scores log-likelihoods of text contexts only (no chat template access)")
        body = await self._post(
            "/completions",
            {"model": self.model, "prompt": request.context + request.continuation, "max_tokens": 1,
             "temperature": 0, "echo": True, "logprobs": 1},
        )
        logprobs = body["choices"][0].get("logprobs") or {}
        offsets, token_logprobs = logprobs.get("text_offset"), logprobs.get("token_logprobs")
        top = logprobs.get("top_logprobs")
        if not offsets or token_logprobs is None:
            raise BackendError(f"server at {self.base_url} returned no prompt log-probabilities (echo+logprobs unsupported)")
        boundary = len(request.context)
        total, greedy, count = 0.0, True, 0
        prompt_tokens = len(offsets) - 1  # the last entry is the generated token
        for i in range(prompt_tokens):
            if offsets[i] < boundary or token_logprobs[i] is None:
                continue
            total += float(token_logprobs[i])
            count += 1
            if top and top[i]:
                best = max(top[i].values())
                greedy = greedy and float(token_logprobs[i]) >= best - 1e-6
        if count == 0:
            raise BackendError("continuation produced no tokens of its own in the server's tokenisation")
        return LoglikelihoodAnswer(total, greedy, count)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
