"""OpenAI-compatible HTTP backend: vLLM serve, llama.cpp server, hosted APIs.

Each request goes out as soon as a task makes it (`continuous = True`), at most
`max_concurrency` at a time; the server batches. Failures that are worth retrying (HTTP 429,
5xx, timeouts, dropped connections) are retried with exponential backoff and jitter, honouring
`Retry-After` up to `max_retry_after` seconds; other HTTP errors fail at once with the server's
message. Every attempt and every wait of one request counts against `request_deadline`: a
request that cannot be answered within it fails with a BackendError instead of waiting longer
(a server asking for `Retry-After: 86400` never parks a run for a day). A 200 answer that is not
the JSON object the API defines (invalid JSON, a list, no `choices`, a choice without its text)
is a BackendError too (exit 3): the server is at fault, not the task.

Model args (`OpenAIArgs`, validated before anything connects): base_url (default
$OPENAI_BASE_URL or http://127.0.0.1:8000/v1), api_key_env (name of the environment variable
holding the key; default OPENAI_API_KEY; the key itself is never recorded), max_concurrency
(default batch_size, else 8), timeout (120 s per attempt), max_retries (5), max_retry_after
(60 s), request_deadline (600 s per request, retries included), loglikelihood (false: set true
for servers that return prompt log-probabilities with `echo` on /completions, like vLLM serve).
Credentials inside base_url (`https://user:pass@host/v1`, `?api_key=...`) are used for the
requests but redacted wherever the URL is recorded or reported.

Constrained generation depends on what the server accepts, declared with `structured_outputs`
(it sets `constraint_kinds`, which the scheduler checks before any request): `openai` (default)
sends a JSON-schema constraint as `response_format` (OpenAI's API, vLLM, llama.cpp server) and
serves no choice / regex constraints; `vllm` sends every kind as vLLM serve's `structured_outputs`
field (`{"choice": [...]}`, `{"regex": ...}`, `{"json": schema}`) and passes `top_k`; `none`
serves no constraints. Servers accept unknown fields silently (vLLM drops them with a warning), so
a constrained answer that ends on its own (not at max_tokens or a stop string) is checked against
its constraint, and one that violates it is a BackendError naming the setting to change.
`top_k` goes out only with `structured_outputs=vllm`; with the others a sampling request with
top_k is refused (greedy requests need no top_k).

Reward scores are not served: no OpenAI-compatible endpoint returns a reward model's scalar score.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import random
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from bench.harness.backends.args import OpenAIArgs
from bench.harness.backends.base import Backend, ModelInfo
from bench.harness.errors import BackendError
from bench.harness.redaction import RedactingFilter, redact_text, redact_url
from bench.harness.requests import (
    Answer,
    ChatRequest,
    CompletionRequest,
    Constraint,
    GenerationAnswer,
    GenerationParams,
    LoglikelihoodAnswer,
    LoglikelihoodRequest,
    Request,
    RequestKind,
)

log = logging.getLogger(__name__)
# httpx logs every request's full URL at INFO: credentials in base_url must not reach a log file.
logging.getLogger("httpx").addFilter(RedactingFilter())

_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}

# The constraint kinds each `structured_outputs` setting serves (see the module docstring).
STRUCTURED_OUTPUT_KINDS: dict[str, frozenset[str]] = {
    "openai": frozenset({"json"}),
    "vllm": frozenset({"choice", "regex", "json"}),
    "none": frozenset(),
}


class OpenAIBackend(Backend):
    name = "openai"
    continuous = True
    args_class = OpenAIArgs

    def __init__(self, model: str, model_args: dict[str, Any] | None = None, batch_size: int = 8) -> None:
        import httpx

        raw_args = dict(model_args or {})
        args: OpenAIArgs = self.parse_args(raw_args)
        self.model = model
        given_url = str(args.base_url or os.environ.get("OPENAI_BASE_URL") or "http://127.0.0.1:8000/v1")
        # Query parameters of base_url (`?api-version=...`, `?api_key=...`) go with every request.
        parts = urlsplit(given_url)
        self.base_url = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        self.params = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.shown_url = redact_url(given_url.rstrip("/"))  # what messages and records say
        api_key = os.environ.get(args.api_key_env, "")
        self.max_concurrency = args.max_concurrency or args.batch_size or batch_size
        self.max_batch_size = self.max_concurrency
        self.timeout = args.timeout
        self.max_retries = args.max_retries
        self.max_retry_after = args.max_retry_after
        self.request_deadline = args.request_deadline
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        kinds = {RequestKind.CHAT, RequestKind.COMPLETION}
        if args.loglikelihood:
            kinds.add(RequestKind.LOGLIKELIHOOD)
        self.capabilities = frozenset(kinds)
        self.structured_outputs = args.structured_outputs
        self.constraint_kinds = STRUCTURED_OUTPUT_KINDS[args.structured_outputs]
        self._httpx = httpx
        self._client: Any = None
        self._semaphore: asyncio.Semaphore | None = None
        model_entry = self._describe_model()
        # The fingerprint hashes the URL without its credentials: a rotated password is the same model.
        fingerprint = "openai:" + hashlib.sha256(
            json.dumps({"base_url": self.shown_url, "model": model_entry}, sort_keys=True).encode()
        ).hexdigest()
        recorded = {k: v for k, v in raw_args.items() if k not in ("batch_size",)}
        recorded["base_url"] = self.shown_url
        self.info = ModelInfo(
            name=model, source=f"{self.shown_url} ({model})", fingerprint=fingerprint, backend=self.name,
            backend_args=recorded, revision=str(model_entry.get("root") or model_entry.get("created") or "") or None,
        )

    def _describe_model(self) -> dict[str, Any]:
        """GET /models once, synchronously: checks the server is up and the model is served."""
        url = f"{self.base_url}/models"
        try:
            response = self._httpx.get(url, headers=self.headers, params=self.params, timeout=min(self.timeout, 30.0))
        except self._httpx.HTTPError as exc:
            raise BackendError(
                f"OpenAI-compatible server at {self.shown_url} is unreachable: {type(exc).__name__}: {redact_text(str(exc))}"
            ) from exc
        if response.status_code != 200:
            raise BackendError(f"GET {self.shown_url}/models answered HTTP {response.status_code}: {_excerpt(response.text)}")
        body = _json_object(response, f"GET {self.shown_url}/models")
        served = body.get("data")
        if not isinstance(served, list) or not all(isinstance(e, dict) for e in served):
            raise BackendError(f"GET {self.shown_url}/models answered 200 without a list of models in 'data'")
        for entry in served:
            if entry.get("id") == self.model:
                return dict(entry)
        ids = [str(e.get("id")) for e in served]
        raise BackendError(
            f"server at {self.shown_url} does not serve model {self.model!r}; it serves: {', '.join(ids) or '(none)'}"
        )

    # ---- HTTP --------------------------------------------------------------------------------
    async def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST with retries; every attempt and wait counts against `request_deadline`."""
        if self._client is None:
            self._client = self._httpx.AsyncClient(
                base_url=self.base_url, headers=self.headers, params=self.params, timeout=self.timeout
            )
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        assert self._semaphore is not None
        where = f"POST {self.shown_url}{path}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.request_deadline
        delay = 1.0
        for attempt in range(self.max_retries + 1):
            retry_after: float | None = None
            remaining = deadline - loop.time()
            try:
                async with asyncio.timeout(remaining):
                    async with self._semaphore:
                        response = await self._client.post(path, json=payload)
            except TimeoutError:
                raise BackendError(
                    f"{where} got no answer within request_deadline={self.request_deadline:g} s "
                    f"({attempt + 1} attempt(s))"
                ) from None
            except (self._httpx.TimeoutException, self._httpx.TransportError) as exc:
                problem = f"{type(exc).__name__}: {redact_text(str(exc))}"
            else:
                if response.status_code == 200:
                    return _json_object(response, where)
                if response.status_code not in _RETRY_STATUS:
                    raise BackendError(f"{where} answered HTTP {response.status_code}: {_excerpt(response.text)}")
                problem = f"HTTP {response.status_code}"
                retry_after = _retry_after_seconds(response.headers.get("retry-after"))
            if attempt == self.max_retries:
                raise BackendError(f"{where} failed after {attempt + 1} attempts: {problem}")
            wait = min(retry_after if retry_after is not None else delay * (1 + random.random()), self.max_retry_after)
            if loop.time() + wait >= deadline:
                raise BackendError(
                    f"{where} failed ({problem}) and a retry in {wait:.1f} s would pass "
                    f"request_deadline={self.request_deadline:g} s ({attempt + 1} attempt(s))"
                )
            log.warning("%s from %s; retrying in %.1f s (attempt %d/%d)", problem, path, wait, attempt + 1, self.max_retries)
            await asyncio.sleep(wait)
            delay = min(delay * 2, 30.0)
        raise AssertionError("unreachable")

    def _sampling(self, params: GenerationParams) -> dict[str, Any]:
        """The request body's decoding fields: sampling, stop strings, and the constraint if any."""
        payload: dict[str, Any] = {"max_tokens": params.max_tokens, "temperature": params.temperature, "top_p": params.top_p}
        if params.stop:
            payload["stop"] = list(params.stop)
        if params.seed is not None:
            payload["seed"] = params.seed
        if params.top_k is not None:
            if self.structured_outputs == "vllm":
                payload["top_k"] = params.top_k
            elif not params.greedy:  # greedy decoding is the same with or without top_k
                raise BackendError(
                    f"top_k is a vLLM server extra: --model-args structured_outputs=vllm sends it "
                    f"(the server at {self.shown_url} is set to structured_outputs={self.structured_outputs})"
                )
        if params.constraint is not None:
            payload.update(self._constraint_fields(params.constraint))
        return payload

    def _constraint_fields(self, constraint: Constraint) -> dict[str, Any]:
        """The request fields that carry `constraint` in this server's dialect."""
        if constraint.kind not in self.constraint_kinds:
            served = ", ".join(sorted(self.constraint_kinds)) or "none"
            raise BackendError(
                f"backend 'openai' with structured_outputs={self.structured_outputs} cannot serve a "
                f"{constraint.kind!r} constraint (it serves: {served}; structured_outputs=vllm serves "
                "choice, regex and json on a vLLM server)"
            )
        if self.structured_outputs == "vllm":
            if constraint.kind == "choice":
                return {"structured_outputs": {"choice": list(constraint.choices)}}
            if constraint.kind == "regex":
                return {"structured_outputs": {"regex": constraint.pattern}}
            return {"structured_outputs": {"json": constraint.schema()}}
        return {"response_format": {
            "type": "json_schema", "json_schema": {"name": "answer", "schema": constraint.schema(), "strict": True},
        }}

    def _checked(self, answer: GenerationAnswer, params: GenerationParams) -> GenerationAnswer:
        """`answer`, unless it ended on its own and still violates its constraint (an ignored field)."""
        if params.constraint is None or params.stop or answer.finish_reason == "length":
            return answer  # cut short by max_tokens or a stop string: a prefix need not satisfy it
        problem = constraint_violation(params.constraint, answer.text)
        if problem is None:
            return answer
        field = "structured_outputs" if self.structured_outputs == "vllm" else "response_format"
        raise BackendError(
            f"server at {self.shown_url} ignored the {params.constraint.kind!r} constraint ({problem}): "
            f"it may not support `{field}`; choose what it accepts with --model-args structured_outputs=openai|vllm|none"
        )

    async def asubmit(self, request: Request) -> Answer:
        if isinstance(request, ChatRequest):
            messages = [{"role": m.role, "content": m.content} for m in request.messages]
            path = "/chat/completions"
            body = await self._post(path, {"model": self.model, "messages": messages, **self._sampling(request.params)})
            choice = self._first_choice(body, path)
            message = choice.get("message")
            if not isinstance(message, dict) or not isinstance(message.get("content"), (str, type(None))):
                raise BackendError(f"POST {self.shown_url}{path} answered 200 without a message text in choices[0]")
            return self._checked(self._answer(message.get("content") or "", choice, body, path), request.params)
        if isinstance(request, CompletionRequest):
            path = "/completions"
            body = await self._post(path, {"model": self.model, "prompt": request.prompt, **self._sampling(request.params)})
            choice = self._first_choice(body, path)
            text = choice.get("text")
            if not isinstance(text, (str, type(None))) or "text" not in choice:
                raise BackendError(f"POST {self.shown_url}{path} answered 200 without a text in choices[0]")
            return self._checked(self._answer(text or "", choice, body, path), request.params)
        if isinstance(request, LoglikelihoodRequest) and RequestKind.LOGLIKELIHOOD in self.capabilities:
            return await self._loglikelihood(request)
        raise BackendError(
            f"backend 'openai' cannot serve {request.kind.value} requests"
            + ("" if request.kind is not RequestKind.SCORE else ": no OpenAI-compatible endpoint returns reward scores")
        )

    def _first_choice(self, body: dict[str, Any], path: str) -> dict[str, Any]:
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise BackendError(f"POST {self.shown_url}{path} answered 200 without choices (a malformed response)")
        return dict(choices[0])

    def _answer(self, text: str, choice: dict[str, Any], body: dict[str, Any], path: str) -> GenerationAnswer:
        usage = body.get("usage") or {}
        try:
            prompt_tokens = int(usage.get("prompt_tokens") or 0)
            completion_tokens = int(usage.get("completion_tokens") or 0)
        except (AttributeError, TypeError, ValueError):
            raise BackendError(f"POST {self.shown_url}{path} answered 200 with a malformed 'usage'") from None
        finish = "length" if choice.get("finish_reason") == "length" else "stop"
        return GenerationAnswer(text, prompt_tokens, completion_tokens, finish)

    async def _loglikelihood(self, request: LoglikelihoodRequest) -> LoglikelihoodAnswer:
        """Prompt log-probs via /completions with echo; the continuation is the tokens past the context's text."""
        if not isinstance(request.context, str):
            raise BackendError("the openai backend scores log-likelihoods of text contexts only (no chat template access)")
        body = await self._post(
            "/completions",
            {"model": self.model, "prompt": request.context + request.continuation, "max_tokens": 1,
             "temperature": 0, "echo": True, "logprobs": 1},
        )
        logprobs = self._first_choice(body, "/completions").get("logprobs") or {}
        if not isinstance(logprobs, dict):
            raise BackendError(f"server at {self.shown_url} returned malformed log-probabilities")
        offsets, token_logprobs = logprobs.get("text_offset"), logprobs.get("token_logprobs")
        top = logprobs.get("top_logprobs")
        if not offsets or token_logprobs is None:
            raise BackendError(f"server at {self.shown_url} returned no prompt log-probabilities (echo+logprobs unsupported)")
        if not isinstance(offsets, list) or not isinstance(token_logprobs, list) or len(token_logprobs) < len(offsets):
            raise BackendError(f"server at {self.shown_url} returned malformed log-probabilities")
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


def constraint_violation(constraint: Constraint, text: str) -> str | None:
    """Why `text` does not satisfy `constraint` (None when it does, or when Python cannot tell).

    choice: exact membership; regex: `re.fullmatch` (a pattern Python's `re` cannot compile is not
    judged: grammar engines accept dialects `re` does not); json: parses and validates against
    the schema (jsonschema).
    """
    if constraint.kind == "choice":
        return None if text in constraint.choices else f"{_excerpt(text, 60)!r} is not one of the choices"
    if constraint.kind == "regex":
        assert constraint.pattern is not None
        try:
            pattern = re.compile(constraint.pattern)
        except re.error:
            return None
        return None if pattern.fullmatch(text) else f"{_excerpt(text, 60)!r} does not match the pattern"
    try:
        document = json.loads(text)
    except ValueError:
        return f"{_excerpt(text, 60)!r} is not JSON"
    import jsonschema

    try:
        jsonschema.validate(document, constraint.schema())
    except jsonschema.ValidationError as exc:
        return f"the JSON does not match the schema: {_excerpt(exc.message, 100)}"
    return None


def _retry_after_seconds(header: str | None) -> float | None:
    """`Retry-After` as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not header:
        return None
    header = header.strip()
    try:
        seconds = float(header)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return None
        import datetime as _dt

        if when.tzinfo is None:
            when = when.replace(tzinfo=_dt.UTC)
        seconds = (when - _dt.datetime.now(_dt.UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _json_object(response: Any, where: str) -> dict[str, Any]:
    """The body of a 200 answer as a JSON object; BackendError (the server's fault) otherwise."""
    try:
        body = response.json()
    except ValueError:
        raise BackendError(f"{where} answered 200 with a body that is not JSON: {_excerpt(response.text)}") from None
    if not isinstance(body, dict):
        raise BackendError(f"{where} answered 200 with a JSON {type(body).__name__}, not an object")
    return body


def _excerpt(text: str, limit: int = 200) -> str:
    """A one-line, bounded, credential-free excerpt of a server's answer for an error message."""
    flat = " ".join(text.split())
    return redact_text(flat[:limit] + ("..." if len(flat) > limit else ""))
