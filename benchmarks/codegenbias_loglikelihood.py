"""CodeGenBias log-likelihood scoring: lm-eval's HFLM.loglikelihood vs bench's model client, same requests.

The requests are the he/she forms of the first N prompts of the CodeGenBias test split (few-shot
code prompts whose two demonstrations are shared by every prompt of a template family). Three
runs on the embedded SmolLM2-135M-Instruct, float32, CPU, no request cache:

    lm-eval      lm_eval.models.huggingface.HFLM(...).loglikelihood(instances)
    bench        ModelClient(HFBackend) -- the hf backend runs each shared prefix once and only
                 the suffixes per request (harness/backends/hf.py)
    bench-noreuse  the same backend with shared-prefix reuse off (min_shared_prefix huge): a plain
                 batched forward, the naive limit

Prints seconds, requests/s, the speed-up of bench over lm-eval (target >= 3x) and the largest
log-probability difference to lm-eval (target <= 1e-4).

    .venv/bin/python benchmarks/codegenbias_loglikelihood.py [--prompts 256] [--batch-size 32]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from bench.harness.backends.hf import HFBackend
from bench.harness.client import ModelClient
from bench.harness.embedded_model import embedded_model_dir
from bench.harness.requests import LoglikelihoodAnswer, LoglikelihoodRequest
from bench.tasks.codegenbias.dataset import build_split
from bench.tasks.codegenbias.scoring import scoring_order
from bench.tasks.codegenbias.templates import PRONOUNS


def codegenbias_requests(n_prompts: int) -> list[LoglikelihoodRequest]:
    probes = scoring_order(build_split("test", 0)[:n_prompts])  # the order the task submits them in
    return [LoglikelihoodRequest(p.prompt, p.family.slot.form(pronoun)) for p in probes for pronoun in PRONOUNS]


def run_bench(requests: list[LoglikelihoodRequest], batch_size: int, model_args: dict[str, object]) -> tuple[float, float, list[float]]:
    backend = HFBackend("smollm2", model_args=model_args, batch_size=batch_size)

    async def score(batch: list[LoglikelihoodRequest]) -> list[float]:
        client = ModelClient(backend)
        try:
            answers = await client.gather(batch)
        finally:
            await client.aclose()
        return [a.logprob for a in answers if isinstance(a, LoglikelihoodAnswer)]

    asyncio.run(score(requests[:4]))  # warm-up
    if backend.prefix_store is not None:
        backend.prefix_store.clear()
    start, cpu_start = time.perf_counter(), time.process_time()
    logprobs = asyncio.run(score(requests))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    backend.close()
    return seconds, cpu, logprobs


def run_lm_eval(requests: list[LoglikelihoodRequest], batch_size: int) -> tuple[float, float, list[float]]:
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=str(embedded_model_dir()), batch_size=batch_size, device="cpu", dtype="float32")
    instances = [
        Instance(request_type="loglikelihood", doc={}, arguments=(r.context, r.continuation), idx=i)
        for i, r in enumerate(requests)
    ]
    lm.loglikelihood(instances[:4], disable_tqdm=True)  # warm-up
    start, cpu_start = time.perf_counter(), time.process_time()
    results = lm.loglikelihood(instances, disable_tqdm=True)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return seconds, cpu, [float(logprob) for logprob, _ in results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--skip-noreuse", action="store_true", help="skip the bench run without prefix reuse")
    args = parser.parse_args()
    requests = codegenbias_requests(args.prompts)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(embedded_model_dir())
    lengths = [len(tokenizer(r.context + r.continuation)["input_ids"]) for r in requests]
    print(f"{args.prompts} prompts x 2 forms = {len(requests)} log-likelihood requests, "
          f"mean {statistics.mean(lengths):.0f} tokens (min {min(lengths)}, max {max(lengths)}), batch size {args.batch_size}")

    rows = [("lm-eval HFLM", *run_lm_eval(requests, args.batch_size))]
    rows.append(("bench (prefix reuse)", *run_bench(requests, args.batch_size, {})))
    if not args.skip_noreuse:
        rows.append(("bench (no reuse)", *run_bench(requests, args.batch_size, {"min_shared_prefix": 10**9})))

    # On a shared machine wall time depends on the neighbours; process CPU time much less.
    lm_eval_lp = rows[0][3]
    print(f"{'run':22s} {'wall s':>8s} {'CPU s':>8s} {'requests/s':>11s} {'max |dlogprob| vs lm-eval':>26s}")
    for name, seconds, cpu, logprobs in rows:
        diff = max(abs(a - b) for a, b in zip(logprobs, lm_eval_lp))
        print(f"{name:22s} {seconds:8.1f} {cpu:8.1f} {len(requests) / seconds:11.1f} {diff:26.2e}")
    print(f"speed-up bench / lm-eval: {rows[0][1] / rows[1][1]:.2f}x wall, {rows[0][2] / rows[1][2]:.2f}x CPU (target >= 3x)")


if __name__ == "__main__":
    main()
