"""CodeGenBias log-likelihood scoring: lm-eval's HFLM.loglikelihood vs bench's model client, same requests.

The requests are the he/she forms of the first N prompts of the CodeGenBias test split (few-shot
code prompts whose demonstrations are shared by every prompt of a template family). Three sides
on the embedded SmolLM2-135M-Instruct, float32, CPU, no request cache:

    lm-eval          lm_eval.models.huggingface.HFLM(...).loglikelihood(instances)
    bench            ModelClient(HFBackend): each distinct input once, shared prefixes once (kept
                     across batches), suffixes batched by length (harness/backends/hf_loglikelihood.py)
    bench-noreuse    the same backend with prefix sharing off (min_shared_prefix huge, no prefix
                     store): plain batched forwards, the naive limit

Each side loads its model once and is timed `--repeats` times, the sides interleaved (lm-eval,
bench, bench-noreuse, lm-eval, ...) so a change in the machine's load hits all of them alike;
bench's prefix store is emptied before every repeat. Prints per side the median and range of
wall and process CPU seconds, the load average around the runs, and the speed-up of each bench
side over lm-eval (targets: >= 3x with reuse, >= 1x without), and the largest log-probability
difference to lm-eval (target <= 1e-4). On a shared machine wall time follows the neighbours;
CPU time much less (torch's threads spin while they wait, so it too rises under heavy load).

    .venv/bin/python benchmarks/codegenbias_loglikelihood.py [--prompts 128] [--repeats 3] [--batch-size 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.harness.backends.hf import HFBackend
from bench.harness.client import ModelClient
from bench.harness.embedded_model import embedded_model_dir
from bench.harness.requests import LoglikelihoodAnswer, LoglikelihoodRequest
from bench.tasks.codegenbias.dataset import build_split
from bench.tasks.codegenbias.scoring import scoring_order
from bench.tasks.codegenbias.templates import PRONOUNS


@dataclass
class Side:
    name: str
    score: Callable[[list[LoglikelihoodRequest]], list[float]]
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)


def codegenbias_requests(n_prompts: int) -> list[LoglikelihoodRequest]:
    probes = scoring_order(build_split("test", 0)[:n_prompts])  # the order the task submits them in
    return [LoglikelihoodRequest(p.prompt, p.family.slot.form(pronoun)) for p in probes for pronoun in PRONOUNS]


def bench_side(name: str, batch_size: int, model_args: dict[str, object]) -> Side:
    backend = HFBackend("smollm2", model_args=model_args, batch_size=batch_size)

    def score(requests: list[LoglikelihoodRequest]) -> list[float]:
        if backend.prefix_store is not None:
            backend.prefix_store.clear()  # every repeat starts cold

        async def gather() -> list[float]:
            client = ModelClient(backend)
            try:
                answers = await client.gather(requests)
            finally:
                await client.aclose()
            return [a.logprob for a in answers if isinstance(a, LoglikelihoodAnswer)]

        return asyncio.run(gather())

    return Side(name, score)


def lm_eval_side(batch_size: int) -> Side:
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=str(embedded_model_dir()), batch_size=batch_size, device="cpu", dtype="float32")

    def score(requests: list[LoglikelihoodRequest]) -> list[float]:
        instances = [
            Instance(request_type="loglikelihood", doc={}, arguments=(r.context, r.continuation), idx=i)
            for i, r in enumerate(requests)
        ]
        return [float(logprob) for logprob, _ in lm.loglikelihood(instances, disable_tqdm=True)]

    return Side("lm-eval HFLM", score)


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):7.1f} [{min(values):.1f}-{max(values):.1f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--prompts", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--skip-noreuse", action="store_true", help="skip the bench side without prefix reuse")
    args = parser.parse_args()
    import torch
    from transformers import AutoTokenizer

    requests = codegenbias_requests(args.prompts)
    tokenizer = AutoTokenizer.from_pretrained(embedded_model_dir())
    lengths = [len(tokenizer(r.context + r.continuation)["input_ids"]) for r in requests]
    print(f"{args.prompts} prompts x 2 forms = {len(requests)} log-likelihood requests, "
          f"mean {statistics.mean(lengths):.0f} tokens (min {min(lengths)}, max {max(lengths)}), "
          f"batch size {args.batch_size}, torch threads {torch.get_num_threads()}, {os.cpu_count()} CPUs")

    sides = [lm_eval_side(args.batch_size), bench_side("bench (prefix reuse)", args.batch_size, {})]
    if not args.skip_noreuse:
        sides.append(bench_side("bench (no reuse)", args.batch_size, {"min_shared_prefix": 10**9, "prefix_cache_gb": 0}))
    for side in sides:
        side.score(requests[:4])  # warm-up: first-call allocations, lazy imports
    loads = [os.getloadavg()[0]]
    for _ in range(args.repeats):
        for side in sides:
            start, cpu_start = time.perf_counter(), time.process_time()
            side.logprobs = side.score(requests)
            side.walls.append(time.perf_counter() - start)
            side.cpus.append(time.process_time() - cpu_start)
            loads.append(os.getloadavg()[0])

    reference = sides[0]
    print(f"load average (1 min) during the runs: {min(loads):.1f}-{max(loads):.1f}")
    print(f"{'side':22s} {'wall s median [range]':>24s} {'CPU s median [range]':>24s} {'max |dlogp| vs lm-eval':>24s}")
    for side in sides:
        diff = max(abs(a - b) for a, b in zip(side.logprobs, reference.logprobs))
        print(f"{side.name:22s} {_spread(side.walls):>24s} {_spread(side.cpus):>24s} {diff:24.2e}")
    for side in sides[1:]:
        wall = statistics.median(reference.walls) / statistics.median(side.walls)
        cpu = statistics.median(reference.cpus) / statistics.median(side.cpus)
        target = ">= 3x" if "reuse)" in side.name and "no" not in side.name else ">= 1x"
        print(f"speed-up {side.name} over lm-eval: {wall:.2f}x wall, {cpu:.2f}x CPU (target {target})")


if __name__ == "__main__":
    main()
