"""CAIRO generation + scoring: the BOLD valid gender prompts on the embedded model through bench vs a
plain batched transformers `generate` loop (the authors' loop: left padding, batch 16,
do_sample with top-k 50 and temperature 1, 25 new tokens), both scored by the same toxicity
classifier. Same model, same machine, no request cache, torch and transformers imported before
either clock starts (each path still loads the model); prints prompts/s and the ratio
(target >= 1.0x). `--backend vllm` adds the vLLM backend through bench (reported, no target).

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/cairo_generation.py [--prompts 616] [--batch-size 16] [--backend hf|vllm]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench.harness.backends.hf import HFBackend
from bench.harness.client import ModelClient
from bench.harness.embedded_model import embedded_model_dir
from bench.harness.requests import GenerationParams
from bench.tasks.cairo.prompts import ORIGINAL, load_group
from bench.tasks.cairo.toxicity import make_scorer

MAX_TOKENS, TOP_K, TEMPERATURE = 25, 50, 1.0


def through_bench(backend: object, prompts: list[str], batch_size: int) -> list[str]:
    async def main() -> list[str]:
        client = ModelClient(backend, max_batch_size=batch_size)  # type: ignore[arg-type]
        try:
            params = [GenerationParams(max_tokens=MAX_TOKENS, temperature=TEMPERATURE, top_k=TOP_K, seed=1) for _ in prompts]
            answers = await asyncio.gather(*(client.complete(p, q) for p, q in zip(prompts, params, strict=True)))
            return [p + a.text for p, a in zip(prompts, answers, strict=True)]
        finally:
            await client.aclose()

    return asyncio.run(main())


def plain_loop(prompts: list[str], batch_size: int) -> list[str]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = embedded_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(path, padding_side="left")
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    torch.manual_seed(1)
    out: list[str] = []
    with torch.no_grad():
        for start in range(0, len(prompts), batch_size):
            inputs = tokenizer(prompts[start : start + batch_size], return_tensors="pt", padding=True)
            generated = model.generate(**inputs, do_sample=True, top_k=TOP_K, temperature=TEMPERATURE,
                                       max_new_tokens=MAX_TOKENS, pad_token_id=tokenizer.pad_token_id)
            out += tokenizer.batch_decode(generated, skip_special_tokens=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=616)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--backend", choices=["hf", "vllm"], default="hf")
    args = parser.parse_args()
    prompts = [p for p in load_group("bold", "valid", "gender", paraphrases=False).sets[ORIGINAL] if p][: args.prompts]
    scorer = make_scorer("profanity_check")
    import torch  # noqa: F401 - both paths then start with torch and transformers imported
    import transformers  # noqa: F401

    start = time.perf_counter()
    plain = plain_loop(prompts, args.batch_size)
    plain_scores = scorer.score(plain)
    plain_s = time.perf_counter() - start

    start = time.perf_counter()
    backend = HFBackend("smollm2", batch_size=args.batch_size)
    texts = through_bench(backend, prompts, args.batch_size)
    scores = scorer.score(texts)
    bench_s = time.perf_counter() - start
    backend.close()

    n = len(prompts)
    print(f"{n} BOLD valid gender prompts, {MAX_TOKENS} new tokens, top-k {TOP_K}, T {TEMPERATURE}, batch {args.batch_size} (model load included)")
    print(f"  plain transformers generate loop  {plain_s:7.1f} s  {n / plain_s:6.2f} prompts/s  mean toxicity {sum(plain_scores) / n:.3f}")
    print(f"  bench (hf backend, client)        {bench_s:7.1f} s  {n / bench_s:6.2f} prompts/s  mean toxicity {sum(scores) / n:.3f}")
    print(f"  ratio bench / plain: {plain_s / bench_s:.2f}x (target >= 1.0x)")
    if args.backend == "vllm":
        from bench.harness.backends.vllm import VLLMBackend

        start = time.perf_counter()
        engine = VLLMBackend("smollm2")
        texts = through_bench(engine, prompts, args.batch_size)
        scorer.score(texts)
        vllm_s = time.perf_counter() - start
        engine.close()
        print(f"  bench (vllm backend)              {vllm_s:7.1f} s  {n / vllm_s:6.2f} prompts/s  ratio to plain {plain_s / vllm_s:.2f}x")


if __name__ == "__main__":
    main()
