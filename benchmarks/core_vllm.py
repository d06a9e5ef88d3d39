"""vLLM benchmark: bench's vllm backend vs vLLM's own `LLM.generate`, and vllm vs hf through bench.

Same 64 prompts x 32 new tokens, greedy, after a warm-up call each:
1. `vllm.LLM.generate` called directly (offline batch API);
2. bench's `vllm` backend (async engine, requests streamed in by the model client);
3. bench's `hf` backend (batch 16).
Prints tokens/s and the ratios bench-vllm / direct-vllm (target >= 0.95x) and vllm / hf.

    .venv/bin/python benchmarks/core_vllm.py [--prompts 64] [--max-tokens 32] [--dtype bfloat16]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time

os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")

from bench.harness.backends.hf import HFBackend  # noqa: E402
from bench.harness.backends.vllm import VLLMBackend  # noqa: E402
from bench.harness.client import ModelClient  # noqa: E402
from bench.harness.embedded_model import embedded_model_dir  # noqa: E402
from bench.harness.requests import CompletionRequest, GenerationParams  # noqa: E402

TOPICS = ["rivers", "prime numbers", "volcanoes", "chess", "bread", "comets", "bees", "bridges"]


def prompts(n: int) -> list[str]:
    return [f"Here is an interesting fact number {i} about {TOPICS[i % len(TOPICS)]}:" for i in range(n)]


def direct_vllm(texts: list[str], max_tokens: int, dtype: str) -> tuple[float, int]:
    from vllm import LLM, SamplingParams
    from vllm.inputs import TokensPrompt

    llm = LLM(model=str(embedded_model_dir()), dtype=dtype, max_model_len=2048, enforce_eager=True, seed=0)
    tokenizer = llm.get_tokenizer()
    inputs = [TokensPrompt(prompt_token_ids=tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
    params = SamplingParams(max_tokens=max_tokens, temperature=0)
    llm.generate(inputs[:2], params, use_tqdm=False)
    start = time.perf_counter()
    outputs = llm.generate(inputs, params, use_tqdm=False)
    seconds = time.perf_counter() - start
    tokens = sum(len(o.outputs[0].token_ids) for o in outputs)
    llm.llm_engine.engine_core.shutdown()  # stop the engine process before the next measurement
    del llm
    gc.collect()
    return seconds, tokens


async def through_bench(client: ModelClient, texts: list[str], max_tokens: int) -> int:
    params = GenerationParams(max_tokens=max_tokens)
    answers = await client.gather([CompletionRequest(t, params) for t in texts])
    return sum(a.completion_tokens for a in answers)  # type: ignore[union-attr]


def bench_backend(backend, texts: list[str], max_tokens: int) -> tuple[float, int]:
    async def scenario() -> tuple[float, int]:
        await through_bench(ModelClient(backend, max_batch_size=16), texts[:2], max_tokens)
        client = ModelClient(backend, max_batch_size=16)
        start = time.perf_counter()
        tokens = await through_bench(client, texts, max_tokens)
        seconds = time.perf_counter() - start
        await client.aclose()
        await backend.aclose()
        return seconds, tokens

    return asyncio.run(scenario())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--dtype", default="bfloat16")
    args = parser.parse_args()
    texts = prompts(args.prompts)
    hf_s, hf_tokens = bench_backend(HFBackend("smollm2"), texts, args.max_tokens)
    direct_s, direct_tokens = direct_vllm(texts, args.max_tokens, args.dtype)
    vllm_s, vllm_tokens = bench_backend(VLLMBackend("smollm2", {"dtype": args.dtype}), texts, args.max_tokens)
    rate = {"direct": direct_tokens / direct_s, "vllm": vllm_tokens / vllm_s, "hf": hf_tokens / hf_s}
    print(f"{args.prompts} prompts x {args.max_tokens} new tokens, greedy; vLLM dtype {args.dtype}, hf float32 batch 16")
    print(f"{'engine':28s} {'seconds':>8s} {'tokens':>7s} {'tokens/s':>9s}")
    print(f"{'vLLM LLM.generate (direct)':28s} {direct_s:8.2f} {direct_tokens:7d} {rate['direct']:9.1f}")
    print(f"{'bench vllm backend':28s} {vllm_s:8.2f} {vllm_tokens:7d} {rate['vllm']:9.1f}")
    print(f"{'bench hf backend':28s} {hf_s:8.2f} {hf_tokens:7d} {rate['hf']:9.1f}")
    print(f"bench-vllm / direct-vllm: {rate['vllm'] / rate['direct']:.3f}x (target >= 0.95x)")
    print(f"vllm / hf through bench: {rate['vllm'] / rate['hf']:.2f}x")


if __name__ == "__main__":
    main()
