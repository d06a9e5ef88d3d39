"""The hf backend's decode loop vs transformers' own `model.generate`, same model, same prompts, greedy.

A random-weight model shaped like the embedded SmolLM2-135M-Instruct (its config.json, seeded
weights) and its tokenizer; the prompts are tokenised once and both sides get the same token ids,
in batches of --batch-size, left-padded:

    bench   bench.harness.backends.hf_generation.generate_batch (what HFBackend.generate runs: the
            batched per-token work, finished rows leaving the batch, the prefix KV store as the
            backend configures it, emptied before each run)
    raw     model.generate(input_ids, attention_mask, max_new_tokens, do_sample=False)
    masked  bench with every row under a grammar (the regex `[^\n]*`: one xgrammar matcher per row,
            the masks applied as one batched op each step): the cost of constrained decoding
            (its tokens differ from the others', so it is timed, not compared)

The greedy tokens of both sides are asserted equal (each row up to and including its first EOS).
Runs alternate between the sides (--runs each, the order flipped every run); prints the median
and range of wall and CPU seconds per side and dtype, the ratios bench/raw (goal <= 1.05) and
masked/bench, and the load average before and after.

    .venv/bin/python benchmarks/hf_decode_loop.py [--prompts 32] [--max-tokens 32] [--batch-size 16]
        [--runs 3] [--dtypes float32,bfloat16] [--device cpu] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from bench.harness.backends.grammar import ConstraintGrammars
from bench.harness.backends.hf_generation import PrefixKVStore, generate_batch
from bench.harness.embedded_model import embedded_model_dir
from bench.harness.requests import Constraint, GenerationParams
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

TOPICS = ("the weather", "a card game", "gender bias in code", "reward models", "prime numbers", "a river", "UNO rules")


def build(dtype: torch.dtype, device: torch.device) -> tuple[Any, Any]:
    folder = embedded_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(folder), dtype=dtype).to(device).eval()
    model.generation_config.pad_token_id = tokenizer.eos_token_id
    return model, tokenizer


def prompts(tokenizer: Any, n: int) -> list[list[int]]:
    texts = [f"Question {i}: tell me about {TOPICS[i % len(TOPICS)]}." + " Be brief." * (i % 5) for i in range(n)]
    return [tokenizer.encode(t) for t in texts]


def run_bench(model: Any, tokenizer: Any, batches: list[list[list[int]]], max_tokens: int, device: torch.device,
              store: PrefixKVStore, grammars: ConstraintGrammars | None = None) -> list[list[int]]:  # fmt: skip
    store.clear()
    eos = {tokenizer.eos_token_id}
    params = GenerationParams(max_tokens=max_tokens, constraint=Constraint.regex(r"[^\n]*") if grammars else None)
    out: list[list[int]] = []
    for batch in batches:
        out += generate_batch(model, tokenizer, batch, [params] * len(batch), eos, store, device, grammars)
    return out


def run_raw(model: Any, tokenizer: Any, batches: list[list[list[int]]], max_tokens: int, device: torch.device) -> list[list[int]]:
    eos, out = tokenizer.eos_token_id, []
    for batch in batches:
        width = max(len(p) for p in batch)
        ids = torch.tensor([[eos] * (width - len(p)) + p for p in batch], device=device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in batch], device=device)
        with torch.inference_mode():
            generated = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_tokens, do_sample=False,
                                       eos_token_id=eos, pad_token_id=eos)  # fmt: skip
        for row in generated[:, width:].tolist():
            out.append(row[: row.index(eos) + 1] if eos in row else row)
    return out


def timed(fn: Callable[[], list[list[int]]], device: torch.device) -> tuple[float, float, list[list[int]]]:
    if device.type == "cuda":
        torch.cuda.synchronize()
    start, cpu_start = time.perf_counter(), time.process_time()
    tokens = fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, time.process_time() - cpu_start, tokens


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f} [{min(values):.2f}-{max(values):.2f}]"


def compare(name: str, args: argparse.Namespace, device: torch.device) -> None:
    """Warm both sides up, assert equal greedy tokens, then time interleaved runs and print them."""
    model, tokenizer = build(getattr(torch, name), device)
    encoded = prompts(tokenizer, args.prompts)
    batches = [encoded[i : i + args.batch_size] for i in range(0, len(encoded), args.batch_size)]
    store = PrefixKVStore(2 * 2**30)  # the backend's default prefix_cache_gb=2
    grammars = ConstraintGrammars.for_hf_tokenizer(tokenizer, model.config.vocab_size, [tokenizer.eos_token_id])
    sides: dict[str, Callable[[], list[list[int]]]] = {
        "bench": lambda: run_bench(model, tokenizer, batches, args.max_tokens, device, store),
        "raw": lambda: run_raw(model, tokenizer, batches, args.max_tokens, device),
        "masked": lambda: run_bench(model, tokenizer, batches, args.max_tokens, device, store, grammars),
    }
    reference = {side: fn() for side, fn in sides.items()}  # warm-up, and the tokens to compare
    assert reference["bench"] == reference["raw"], f"{name}: bench and raw greedy tokens differ"
    wall: dict[str, list[float]] = {side: [] for side in sides}
    cpu: dict[str, list[float]] = {side: [] for side in sides}
    for run in range(args.runs):
        for side in list(sides) if run % 2 == 0 else list(sides)[::-1]:
            seconds, cpu_seconds, tokens = timed(sides[side], device)
            assert tokens == reference[side], f"{name}: {side} tokens changed between runs"
            wall[side].append(seconds)
            cpu[side].append(cpu_seconds)
    for side in sides:
        print(f"{name:9s} {side:6s} {summary(wall[side]):>24s} {summary(cpu[side]):>24s}")
    ratio = statistics.median(wall["bench"]) / statistics.median(wall["raw"])
    cpu_ratio = statistics.median(cpu["bench"]) / statistics.median(cpu["raw"])
    print(f"{name:9s} ratio bench/raw: wall {ratio:.3f}x, cpu {cpu_ratio:.3f}x (goal <= 1.05); greedy tokens identical")
    masked = statistics.median(wall["masked"]) / statistics.median(wall["bench"])
    masked_cpu = statistics.median(cpu["masked"]) / statistics.median(cpu["bench"])
    print(f"{name:9s} ratio masked/bench: wall {masked:.3f}x, cpu {masked_cpu:.3f}x (the grammar masks' cost)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dtypes", default="float32,bfloat16")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    load_before = os.getloadavg()
    print(f"{args.prompts} prompts x {args.max_tokens} new tokens, batch {args.batch_size}, {args.runs} runs per side, "
          f"device {device}, torch threads {torch.get_num_threads()}")  # fmt: skip
    print(f"{'dtype':9s} {'side':6s} {'wall s median [range]':>24s} {'cpu s median [range]':>24s}")
    for name in args.dtypes.split(","):
        compare(name, args, device)
    load_after = os.getloadavg()
    print(f"load average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
          f"after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
