"""lm-eval's model interface on top of bench's model client.

`BenchLM` implements lm-evaluation-harness's `lm_eval.api.model.LM` (loglikelihood,
loglikelihood_rolling, generate_until) by turning each lm-eval `Instance` into a bench request
and awaiting the run's `ModelClient` on the event loop that owns it. So every lm-eval task runs
through bench's backends (hf, vllm, openai), request cache and batching — its requests share
batches with the other tasks of the same run — while lm-eval does what it already does well:
task definitions, few-shot sampling, filters, metrics and their standard errors.

lm-eval calls the model synchronously; `BenchLM` is therefore used from a worker thread
(`asyncio.to_thread`) and hands each call's requests to the loop with
`asyncio.run_coroutine_threadsafe`.

Sharding (`answered`): lm-eval draws few-shot demonstrations from one random stream in document
order, so a shard must walk every document to build the same prompts as the unsharded run. With
`answered(task_name, doc_id)` given, only those documents' requests reach the model; the others get
a placeholder answer (log-likelihood 0.0, empty text) whose records the caller drops.
`observe(instance, request, answer)` sees every answered request (the hallucination probes use
it to count prompts over the context length and to re-ask prompts for the batching check).

The tokenisation convention (trailing context whitespace moves into the continuation, the
pair encoded together) is lm-eval's own, applied by bench's backends, so log-likelihoods equal
lm-eval's HFLM on the same model (tested within 1e-4).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from bench.harness.client import ModelClient
from bench.harness.requests import CompletionRequest, GenerationParams, LoglikelihoodRequest, Request
from lm_eval.api.model import LM

Answered = Callable[[str, int], bool]
Observer = Callable[[Any, Request, Any], None]
_PLACEHOLDER = SimpleNamespace(logprob=0.0, is_greedy=False, text="")


class BenchLM(LM):
    def __init__(self, client: ModelClient, loop: asyncio.AbstractEventLoop, default_max_tokens: int = 256,
                 answered: Answered | None = None, observe: Observer | None = None) -> None:
        super().__init__()
        self.client, self.loop, self.default_max_tokens = client, loop, default_max_tokens
        self.answered, self.observe = answered, observe

    def _answer(self, instances: list[Any], requests: list[Request]) -> list[Any]:
        """The answers in order; requests of documents outside `answered` get the placeholder."""
        asked = [i for i, instance in enumerate(instances) if self._asked(instance)]
        answers: list[Any] = [_PLACEHOLDER] * len(requests)
        if asked:
            got = asyncio.run_coroutine_threadsafe(self.client.gather([requests[i] for i in asked]), self.loop).result()
            for i, answer in zip(asked, got):
                answers[i] = answer
                if self.observe is not None:
                    self.observe(instances[i], requests[i], answer)
        return answers

    def _asked(self, instance: Any) -> bool:
        if self.answered is None:
            return True
        return self.answered(str(getattr(instance, "task_name", "")), int(getattr(instance, "doc_id", -1)))

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        asked = [LoglikelihoodRequest(context, continuation) for context, continuation in (r.args for r in requests)]
        return [(a.logprob, a.is_greedy) for a in self._answer(requests, list(asked))]

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        """Whole-string log-likelihood conditioned on the prefix token; strings must fit the context window."""
        asked = [LoglikelihoodRequest("", text) for (text,) in (r.args for r in requests)]
        return [a.logprob for a in self._answer(requests, list(asked))]

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        batch: list[Request] = []
        for context, gen_kwargs in (r.args for r in requests):
            kwargs = dict(gen_kwargs or {})
            until = kwargs.get("until") or []
            until = [until] if isinstance(until, str) else list(until)
            do_sample = bool(kwargs.get("do_sample", False))
            params = GenerationParams(
                max_tokens=int(kwargs.get("max_gen_toks", self.default_max_tokens)),
                temperature=float(kwargs.get("temperature", 1.0 if do_sample else 0.0)) if do_sample else 0.0,
                top_p=float(kwargs.get("top_p", 1.0)),
                stop=tuple(until),
            )
            batch.append(CompletionRequest(context, params))
        return [a.text for a in self._answer(requests, batch)]
