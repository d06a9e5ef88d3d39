"""Engine failures of the vllm backend are one BackendError line (exit 3), never a traceback: a
configuration vLLM refuses at start-up (here a real refusal: tensor_parallel_size=2 for a model with
9 attention heads, which also shows the argument reaches vLLM's config) and an engine that dies
while serving."""

from __future__ import annotations

import asyncio

import pytest
from bench.harness.errors import BackendError

pytestmark = pytest.mark.vllm


@pytest.mark.slow  # imports vLLM and reads the model's config in the CLI (~30 s on two cores)
def test_a_parallel_layout_vllm_refuses_is_one_line_and_exit_3(bench_main, tmp_path):
    result = bench_main("eval", "--backend", "vllm", "--model-args", "dtype=float32,kv_cache_gb=1,tensor_parallel_size=2",
                        "--tasks", "arithmetic_dialogue", "--task-args", "arithmetic_dialogue.episodes=1,arithmetic_dialogue.turns=1",
                        "--output-path", str(tmp_path / "out"), "--no-progress")
    assert result.returncode == 3, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("bench: error:")]
    assert lines == [lines[0]] and "Traceback" not in result.stderr
    assert lines[0].endswith("vLLM engine failed to start for 'smollm2': ValidationError: Value error, "
                             "Total number of attention heads (9) must be divisible by tensor parallel size (2).")


class _DyingEngine:
    """Stands in for vLLM's AsyncLLM whose engine core process has crashed."""

    async def generate(self, prompt, sampling, request_id):  # noqa: ANN001 - mirrors AsyncLLM.generate
        from vllm.v1.engine.exceptions import EngineDeadError

        raise EngineDeadError()
        yield None  # pragma: no cover - makes this an async generator like the real one

    async def abort(self, request_id: str) -> None:
        pass


def test_an_engine_that_dies_mid_run_is_a_backend_error():
    from bench.harness.backends.args import VLLMArgs
    from bench.harness.backends.base import ModelInfo
    from bench.harness.backends.vllm import VLLMBackend

    backend = object.__new__(VLLMBackend)  # no engine start: only the error path is under test
    backend.args = VLLMArgs()
    backend.info = ModelInfo(name="m", source="m", fingerprint="f", backend="vllm")

    async def ensure_engine() -> _DyingEngine:
        return _DyingEngine()

    backend._ensure_engine = ensure_engine  # type: ignore[method-assign]
    with pytest.raises(BackendError, match=r"vLLM's engine for 'm' died while serving requests .*: EngineDeadError: EngineCore encountered an issue"):
        asyncio.run(backend._final_output([1, 2, 3], sampling=None))
