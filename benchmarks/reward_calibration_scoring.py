"""Reward scoring throughput: the task's path (model client + hf backend) vs a plain batched
transformers loop on the same pairs.

Two reward kinds on RewardBench-shaped pairs (the shipped sample, optionally with a long shared
preamble in every prompt, as multi-turn MT-Bench prompts have):

- classifier: SmolLM2-135M's backbone with a (random) one-logit sequence-classification head,
  saved once to a temporary folder. bench: `pair_rewards(kind="classifier")` for every pair
  concurrently through `ModelClient` -> `HFBackend.score`. Plain: chat template, right-padded
  batches of `--batch-size`, `model(...).logits[:, 0]` (transformers pools the last non-pad token).
- ref_free: the embedded SmolLM2-135M-Instruct. bench: `pair_rewards(kind="ref_free")` ->
  `HFBackend.loglikelihood` (chosen and rejected share their prompt's key/value cache). Plain:
  prompt + response encoded, right-padded batches, log-softmax, sum over the response tokens.

Prints pairs/s for both (best of --repeats rounds, plain first in each round) and the ratio
(target >= 1.0x). Same batch size, float32, CPU, no request cache.

    .venv/bin/python benchmarks/reward_calibration_scoring.py [--pairs 39] [--batch-size 16] [--preamble-chars 0]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import torch
from bench.harness.backends.hf import HFBackend
from bench.harness.client import ModelClient
from bench.harness.embedded_model import embedded_model_dir
from bench.tasks.rewardbench_length.data import RewardBenchPair, load_sample_pairs
from bench.tasks.rewardbench_length.rewards import pair_rewards

PREAMBLE = (
    "You are reviewing an exchange between a user and an assistant. The conversation so far covered the "
    "user's background, their constraints and what they already tried. "
)


def make_pairs(n: int, preamble_chars: int) -> list[RewardBenchPair]:
    base = load_sample_pairs()
    preamble = (PREAMBLE * (preamble_chars // len(PREAMBLE) + 1))[:preamble_chars]
    pairs = [base[i % len(base)] for i in range(n)]
    return [
        RewardBenchPair(f"{p.id}-{i}", f"{preamble}\n\n{p.prompt}" if preamble else p.prompt, p.chosen, p.rejected, p.subset)
        for i, p in enumerate(pairs)
    ]


def classifier_folder(tmp: Path) -> Path:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(embedded_model_dir(), num_labels=1)
    model.config.pad_token_id = 2
    model.save_pretrained(tmp)
    AutoTokenizer.from_pretrained(embedded_model_dir()).save_pretrained(tmp)
    return tmp


def bench_rewards(backend: HFBackend, pairs: list[RewardBenchPair], kind: str, batch_size: int) -> list[tuple[float, float]]:
    async def run() -> list[tuple[float, float]]:
        client = ModelClient(backend, max_batch_size=batch_size)
        answers = await asyncio.gather(*(pair_rewards(client, p, kind) for p in pairs))
        await client.aclose()
        return [(a.chosen, a.rejected) for a in answers]

    return asyncio.run(run())


def plain_classifier(model, tokenizer, pairs: list[RewardBenchPair], batch_size: int) -> list[float]:  # type: ignore[no-untyped-def]
    texts = [
        tokenizer.apply_chat_template([{"role": "user", "content": p.prompt}, {"role": "assistant", "content": r}], tokenize=False)
        for p in pairs for r in (p.chosen, p.rejected)
    ]
    tokenizer.padding_side = "right"
    scores: list[float] = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(texts[start : start + batch_size], add_special_tokens=False, padding=True, return_tensors="pt")
        with torch.inference_mode():
            scores += model(**batch).logits[:, 0].float().tolist()
    return scores


def plain_ref_free(model, tokenizer, pairs: list[RewardBenchPair], batch_size: int) -> list[float]:  # type: ignore[no-untyped-def]
    items = []
    for p in pairs:
        context = tokenizer.apply_chat_template([{"role": "user", "content": p.prompt}], tokenize=False, add_generation_prompt=True)
        context_ids = tokenizer(context, add_special_tokens=False)["input_ids"]
        for response in (p.chosen, p.rejected):
            response_ids = tokenizer(response, add_special_tokens=False)["input_ids"]
            items.append((context_ids + response_ids, len(context_ids)))
    sums: list[float] = []
    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]
        width = max(len(ids) for ids, _ in batch)
        ids = torch.tensor([x + [2] * (width - len(x)) for x, _ in batch])
        mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x, _ in batch])
        with torch.inference_mode():
            logprobs = torch.log_softmax(model(input_ids=ids, attention_mask=mask).logits.float(), dim=-1)
        for row, (x, context_len) in enumerate(batch):
            targets = torch.tensor(x[context_len:])
            picked = logprobs[row, context_len - 1 : len(x) - 1].gather(1, targets[:, None])
            sums.append(float(picked.sum()))
    return sums


def timed(fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def compare(label: str, backend: HFBackend, plain, pairs: list[RewardBenchPair], kind: str, batch_size: int, repeats: int) -> None:  # type: ignore[no-untyped-def]
    bench_rewards(backend, pairs[:2], kind, batch_size)  # warm-up
    plain(pairs[:2])
    # Alternate the order (machine load drifts); keep each side's best time.
    bench_s = plain_s = float("inf")
    for _ in range(repeats):
        if backend.prefix_store is not None:
            backend.prefix_store.clear()
        theirs, seconds = timed(plain, pairs)
        plain_s = min(plain_s, seconds)
        if backend.prefix_store is not None:
            backend.prefix_store.clear()
        ours, seconds = timed(bench_rewards, backend, pairs, kind, batch_size)
        bench_s = min(bench_s, seconds)
    flat = [x for pair in ours for x in pair]
    worst = max(abs(a - b) for a, b in zip(flat, theirs))
    n = len(pairs)
    print(
        f"{label:10s} {n} pairs: bench {n / bench_s:6.2f} pairs/s ({bench_s:.1f} s), plain transformers "
        f"{n / plain_s:6.2f} pairs/s ({plain_s:.1f} s), ratio {plain_s / bench_s:.2f}x; max |reward diff| {worst:.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=39)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--preamble-chars", type=int, default=0, help="shared preamble prepended to every prompt")
    parser.add_argument("--kinds", default="classifier,ref_free")
    parser.add_argument("--repeats", type=int, default=2, help="timed rounds per side (best kept), order alternated")
    args = parser.parse_args()
    pairs = make_pairs(args.pairs, args.preamble_chars)
    kinds = args.kinds.split(",")
    if "classifier" in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            backend = HFBackend(str(classifier_folder(Path(tmp))), batch_size=args.batch_size)
            plain = lambda ps: plain_classifier(backend.model, backend.tokenizer, ps, args.batch_size)  # noqa: E731
            compare("classifier", backend, plain, pairs, "classifier", args.batch_size, args.repeats)
            backend.close()
    if "ref_free" in kinds:
        backend = HFBackend("smollm2", batch_size=args.batch_size)
        plain = lambda ps: plain_ref_free(backend.model, backend.tokenizer, ps, args.batch_size)  # noqa: E731
        compare("ref_free", backend, plain, pairs, "ref_free", args.batch_size, args.repeats)


if __name__ == "__main__":
    main()
