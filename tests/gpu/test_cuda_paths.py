"""The hf backend's CUDA paths, on tiny random-weight models built here (no download, no claims about scores).

Deselected unless pytest gets `--gpu-device cuda` (tests/conftest.py): CI has no GPU. Run them on a
GPU machine with `python -m pytest -q tests/gpu --gpu-device cuda`. They check what a CPU run cannot:
`device=auto` picks the GPU and bfloat16, bench's decode loop gives transformers' own greedy tokens on
the GPU, batching changes neither texts nor log-likelihoods there, GPU and CPU agree, grammar masks
work on GPU logits, a recurrent model is served, a GPU index that is not there is one line, and a
`bench eval` run on the GPU records the device, the GPU's name and the CUDA version.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import torch
from bench.harness.backends.hf import HFBackend
from bench.harness.backends.hf_generation import generate_batch
from bench.harness.batch_equality import compare_batched_with_single
from bench.harness.errors import BackendError
from bench.harness.requests import CompletionRequest, Constraint, GenerationParams, LoglikelihoodRequest
from tiny_models import byte_tokenizer, tiny_llama

pytestmark = pytest.mark.gpu

PROMPTS = (
    "The capital of France is",
    "Once upon a time, in a land far away, there lived a",
    "def add(a, b):",
    "Q: What is two plus two?\nA:",
    "A list of colours: red, green,",
)
SCHEMA = {
    "type": "object",
    "properties": {"move": {"enum": ["play", "draw"]}, "card": {"type": "integer"}},
    "required": ["move", "card"],
}


@pytest.fixture(scope="module")
def gpu(pytestconfig: pytest.Config) -> torch.device:
    device = torch.device(pytestconfig.getoption("--gpu-device"))
    if device.type == "cuda" and not torch.cuda.is_available():
        pytest.fail(f"--gpu-device {device} but torch {torch.__version__} sees no CUDA GPU")
    return device


@pytest.fixture(scope="module")
def llama_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer Llama over byte tokens, weights large enough that greedy logits are not near ties."""
    folder = tmp_path_factory.mktemp("tiny-llama")
    tokenizer = byte_tokenizer(chat_template=True)
    tiny_llama(tokenizer).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def llama_fp32(llama_folder: Path, gpu: torch.device) -> Any:
    backend = HFBackend(str(llama_folder), {"device": str(gpu), "dtype": "float32"})
    yield backend
    backend.close()


def test_auto_takes_the_gpu_in_bfloat16(llama_folder: Path, gpu: torch.device) -> None:
    backend = HFBackend(str(llama_folder), {"device": "auto"})
    weights = next(backend.model.parameters())
    assert backend.device.type == gpu.type == weights.device.type
    expected = torch.bfloat16 if gpu.type == "cuda" else torch.float32
    assert weights.dtype == expected and backend.info.dtype == str(expected).removeprefix("torch.")
    answer = backend.generate([CompletionRequest(PROMPTS[0], GenerationParams(max_tokens=8))])[0]
    assert answer.prompt_tokens == len(PROMPTS[0]) and 1 <= answer.completion_tokens <= 8


def test_the_decode_loop_gives_transformers_greedy_tokens_on_the_gpu(llama_fp32: Any, gpu: torch.device) -> None:
    model, tokenizer = llama_fp32.model, llama_fp32.tokenizer
    encoded = [tokenizer.encode(p) for p in PROMPTS]
    params = [GenerationParams(max_tokens=16)] * len(PROMPTS)
    ours = generate_batch(model, tokenizer, encoded, params, llama_fp32.eos_ids, None, gpu)
    for ids, got in zip(encoded, ours):
        with torch.no_grad():
            out = model.generate(
                torch.tensor([ids], device=gpu), max_new_tokens=16, do_sample=False, pad_token_id=tokenizer.eos_token_id
            )
        theirs = out[0, len(ids):].tolist()
        assert got[: len(theirs)] == theirs and len(got) >= len(theirs)


def test_batching_changes_no_greedy_text_on_the_gpu(llama_fp32: Any) -> None:
    requests = [CompletionRequest(p, GenerationParams(max_tokens=24)) for p in PROMPTS]
    comparison = compare_batched_with_single(llama_fp32, requests)
    assert comparison.differing == 0, list(zip(comparison.batched, comparison.single))
    assert all(text for text in comparison.single)


def _loglikelihood_requests() -> list[LoglikelihoodRequest]:
    return [LoglikelihoodRequest(p, c) for p in PROMPTS[:3] for c in (" Paris", " a dragon and a cat", " return a + b")]


def test_loglikelihoods_on_the_gpu_match_the_cpu_and_do_not_depend_on_the_batch(
    llama_folder: Path, llama_fp32: Any
) -> None:
    requests = _loglikelihood_requests()
    batched = [a.logprob for a in llama_fp32.loglikelihood(requests)]
    single = [llama_fp32.loglikelihood([r])[0].logprob for r in requests]
    assert batched == pytest.approx(single, abs=1e-4)
    cpu = HFBackend(str(llama_folder), {"device": "cpu", "dtype": "float32"})
    on_cpu = [a.logprob for a in cpu.loglikelihood(requests)]
    assert batched == pytest.approx(on_cpu, abs=1e-3, rel=1e-4)
    assert all(value < 0 for value in batched)


def test_grammar_masks_apply_to_gpu_logits(llama_fp32: Any) -> None:
    constraint = Constraint.json_schema_of(SCHEMA)
    requests = [CompletionRequest(p, GenerationParams(max_tokens=64, constraint=constraint)) for p in PROMPTS]
    for answer in llama_fp32.generate(requests):
        jsonschema.validate(json.loads(answer.text), SCHEMA)


def test_a_recurrent_model_is_served_on_the_gpu(tmp_path: Path, gpu: torch.device) -> None:
    from transformers import MambaConfig, MambaForCausalLM

    tokenizer = byte_tokenizer(chat_template=True)
    eos = tokenizer.eos_token_id
    torch.manual_seed(0)
    config = MambaConfig(vocab_size=len(tokenizer), hidden_size=32, state_size=4, num_hidden_layers=2, expand=2,
                         conv_kernel=4, bos_token_id=eos, eos_token_id=eos, pad_token_id=eos)  # fmt: skip
    MambaForCausalLM(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    backend = HFBackend(str(tmp_path), {"device": str(gpu), "dtype": "float32"})
    assert backend.stateful and backend.info.architecture.family == "recurrent"
    assert next(backend.model.parameters()).device.type == gpu.type
    comparison = compare_batched_with_single(backend, [CompletionRequest(p, GenerationParams(max_tokens=8)) for p in PROMPTS])
    assert comparison.differing == 0  # served one request at a time: nothing is padded into the state
    [answer] = backend.loglikelihood([LoglikelihoodRequest(PROMPTS[0], " Paris")])
    assert answer.logprob < 0 and answer.continuation_tokens == len(" Paris")


def test_a_gpu_index_that_is_not_there_is_one_line(llama_folder: Path) -> None:
    missing = f"cuda:{torch.cuda.device_count()}"
    with pytest.raises(BackendError, match=rf"device={missing}: \d+ CUDA GPU\(s\) visible; choices: .*cuda:0"):
        HFBackend(str(llama_folder), {"device": missing})


def test_bench_eval_on_the_gpu_records_device_gpu_and_cuda(
    llama_folder: Path, gpu: torch.device, bench_main: Callable[..., Any], tmp_path: Path
) -> None:
    from bench.harness.results import load_result

    run = bench_main(
        "eval", "--model", str(llama_folder), "--tasks", "example_capitals", "--model-args", f"device={gpu}",
        "--no-progress", "--output-path", str(tmp_path / "results"),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    [result_file] = list((tmp_path / "results").rglob("result.json"))
    document = load_result(result_file)
    assert document["model"]["device"] == str(gpu) and document["model"]["dtype"] == "bfloat16"
    hardware = document["provenance"]["hardware"]
    assert hardware["gpu"] == [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    assert hardware["cuda"] == torch.version.cuda
    entry = document["tasks"]["example_capitals"]
    assert entry["status"] == "ok" and entry["metrics"][0]["n"] == 6
