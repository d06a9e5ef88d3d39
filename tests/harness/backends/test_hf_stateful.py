"""The hf backend's one-request-at-a-time path for recurrent/hybrid models agrees with the batched path
on the embedded (attention) model: same greedy text, same log-likelihoods."""

from __future__ import annotations

import pytest
from bench.harness.backends.hf_stateful import generate_one, loglikelihood_one
from bench.harness.requests import CompletionRequest, GenerationParams, LoglikelihoodRequest

pytestmark = pytest.mark.slow


def test_unpadded_single_requests_match_the_batched_path(embedded_hf: object) -> None:
    backend = embedded_hf
    requests = [LoglikelihoodRequest("Q: What is the capital of France?\nA:", " Paris"),
                LoglikelihoodRequest("The cat sat on the", " mat and slept all day")]
    batched = backend.loglikelihood(requests)  # type: ignore[attr-defined]
    for request, answer in zip(requests, batched):
        single = loglikelihood_one(backend.model, backend.prompts.loglikelihood_tokens(request), backend.device)  # type: ignore[attr-defined]
        assert single.logprob == pytest.approx(answer.logprob, abs=1e-3)
        assert (single.is_greedy, single.continuation_tokens) == (answer.is_greedy, answer.continuation_tokens)
    prompt = CompletionRequest("Q: What is the capital of France?\nA:", GenerationParams(max_tokens=8, stop=("\n",)))
    [expected] = backend.generate([prompt])  # type: ignore[attr-defined]
    encoded = backend.prompts.generation_prompt(prompt)  # type: ignore[attr-defined]
    tokens = generate_one(backend.model, encoded, prompt.params, backend.eos_ids, backend.tokenizer.pad_token_id,  # type: ignore[attr-defined]
                          backend.device)  # type: ignore[attr-defined]
    assert backend._finish(tokens, prompt, len(encoded), backend.eos_ids).text == expected.text  # type: ignore[attr-defined]
