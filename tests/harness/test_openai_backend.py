"""The openai backend against a real OpenAI-compatible server process on 127.0.0.1 (vLLM's server
serving the embedded model), plus its failure modes."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bench.harness.errors import BackendError
from bench.harness.requests import GenerationParams, LoglikelihoodRequest, Message, ScoreRequest
from bench.harness.results import load_result

pytestmark = [pytest.mark.slow, pytest.mark.vllm]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    from bench.harness.embedded_model import embedded_model_dir

    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(embedded_model_dir()),
             "--served-model-name", "smollm2", "--host", "127.0.0.1", "--port", str(port), "--dtype", "float32",
             "--enforce-eager", "--max-model-len", "2048"],
            stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1"},
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(1)
    else:
        proc.kill()
        pytest.fail("server did not come up in 300 s")
    yield base_url
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_chat_completion_and_loglikelihood_through_a_real_server(server, embedded_hf):
    from bench.harness.backends.openai import OpenAIBackend
    from bench.harness.client import ModelClient

    backend = OpenAIBackend("smollm2", {"base_url": server, "loglikelihood": True, "max_concurrency": 4})
    client = ModelClient(backend)

    async def scenario():
        chats = await asyncio.gather(*(client.chat([Message("user", f"What is {i} + {i}?")], GenerationParams(max_tokens=12)) for i in range(6)))
        capital = await client.chat([Message("user", "What is the capital of France?")], GenerationParams(max_tokens=20))
        ll = await client.loglikelihood("The capital of France is", " Paris")
        await backend.aclose()
        return chats, capital, ll

    chats, capital, ll = asyncio.run(scenario())
    assert all(c.text.strip() and c.completion_tokens > 0 for c in chats)
    assert "Paris" in capital.text
    [hf_ll] = embedded_hf.loglikelihood([LoglikelihoodRequest("The capital of France is", " Paris")])
    assert ll.logprob == pytest.approx(hf_ll.logprob, abs=1e-3)
    assert backend.info.fingerprint.startswith("openai:")


def test_bench_eval_through_the_openai_backend(server, bench_cli, tmp_path: Path):
    result = bench_cli("eval", "--backend", "openai", "--model", "smollm2", "--model-args", f"base_url={server}",
                       "--tasks", "arithmetic_dialogue", "--task-args", "arithmetic_dialogue.episodes=2,arithmetic_dialogue.turns=2",
                       "--output-path", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stderr[-2000:]
    document = load_result(next(tmp_path.rglob("result.json")))
    assert document["model"]["backend"] == "openai" and document["tasks"]["arithmetic_dialogue"]["n_samples"] == 4
    assert "api_key" not in str(document["model"]["backend_args"]).lower()


def test_unknown_model_on_the_server_lists_what_it_serves(server):
    from bench.harness.backends.openai import OpenAIBackend

    with pytest.raises(BackendError, match="does not serve model 'gpt-9'; it serves: smollm2"):
        OpenAIBackend("gpt-9", {"base_url": server})


def test_unreachable_server_is_one_clear_error():
    from bench.harness.backends.openai import OpenAIBackend

    with pytest.raises(BackendError, match=r"OpenAI-compatible server at http://127.0.0.1:\d+/v1 is unreachable"):
        OpenAIBackend("smollm2", {"base_url": f"http://127.0.0.1:{_free_port()}/v1"})


def test_reward_scores_are_refused_with_a_reason(server):
    from bench.harness.backends.openai import OpenAIBackend
    from bench.harness.client import ModelClient
    from bench.harness.errors import CapabilityError

    client = ModelClient(OpenAIBackend("smollm2", {"base_url": server}))
    with pytest.raises(CapabilityError, match="cannot serve score requests"):
        asyncio.run(client.submit(ScoreRequest([Message("user", "x"), Message("assistant", "y")])))
