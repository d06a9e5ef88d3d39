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

The tokenisation convention (trailing context whitespace moves into the continuation, the
pair encoded together) is lm-eval's own, applied by bench's backends, so log-likelihoods equal
lm-eval's HFLM on the same model (tested within 1e-4).
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.harness.client import ModelClient
from bench.harness.requests import CompletionRequest, GenerationParams, LoglikelihoodRequest, Request
from lm_eval.api.model import LM


class BenchLM(LM):
    def __init__(self, client: ModelClient, loop: asyncio.AbstractEventLoop, default_max_tokens: int = 256) -> None:
        super().__init__()
        self.client, self.loop, self.default_max_tokens = client, loop, default_max_tokens

    def _answer(self, requests: list[Request]) -> list[Any]:
        if not requests:
            return []
        return asyncio.run_coroutine_threadsafe(self.client.gather(requests), self.loop).result()

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        answers = self._answer([LoglikelihoodRequest(context, continuation) for context, continuation in (r.args for r in requests)])
        return [(a.logprob, a.is_greedy) for a in answers]

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        """Whole-string log-likelihood conditioned on the prefix token; strings must fit the context window."""
        answers = self._answer([LoglikelihoodRequest("", text) for (text,) in (r.args for r in requests)])
        return [a.logprob for a in answers]

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
        return [a.text for a in self._answer(batch)]
