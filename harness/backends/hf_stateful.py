"""The hf backend's path for recurrent and hybrid models (Mamba, RWKV, Jamba, RecurrentGemma, ...).

bench's own decode loop and log-likelihood scorer batch rows with left padding and reuse
transformers' `past_key_values` KV caches; recurrent models keep a fixed-size state instead
(`cache_params`), and padding tokens run through that state, which can change greedy outputs
(spec pitfall 3 of the hallucination probes). So these models are served one request at a time,
unpadded: generation through transformers' own `model.generate`, a log-likelihood from one forward
pass over context + continuation,

    logprob = sum_{t = start}^{n-1} log softmax(logits[t - 1])[token_t],
    is_greedy = every continuation token is the argmax of its position.

Slower than the batched path (no prefix reuse), independent of batch-mates by construction.
Constrained generation is not served here (CapabilityError).
"""

from __future__ import annotations

from typing import Any

from bench.harness.backends.prompting import ScoredTokens
from bench.harness.errors import CapabilityError
from bench.harness.requests import GenerationParams, LoglikelihoodAnswer


def generate_one(model: Any, tokens: list[int], params: GenerationParams, eos_ids: set[int], pad_id: int | None,
                 device: Any) -> list[int]:
    """The new token ids of one unpadded prompt (the caller cuts at EOS and stop strings)."""
    import torch

    if params.constraint is not None:
        raise CapabilityError("constrained generation is not served for recurrent/hybrid models by the hf backend")
    input_ids = torch.tensor([tokens], device=device)
    kwargs: dict[str, Any] = {"max_new_tokens": params.max_tokens, "eos_token_id": sorted(eos_ids),
                              "pad_token_id": pad_id, "do_sample": not params.greedy}
    if not params.greedy:
        kwargs.update(temperature=params.temperature, top_p=params.top_p, top_k=params.top_k or 0)
        if params.seed is not None:
            torch.manual_seed(params.seed)
    with torch.inference_mode():
        output = model.generate(input_ids, attention_mask=torch.ones_like(input_ids), **kwargs)
    return [int(t) for t in output[0, len(tokens):].tolist()]


def loglikelihood_one(model: Any, scored: ScoredTokens, device: Any) -> LoglikelihoodAnswer:
    """Summed log-probability of the continuation tokens of one unpadded sequence."""
    import torch

    ids = torch.tensor([scored.tokens], device=device)
    start = scored.continuation_start
    with torch.inference_mode():
        logits = model(ids).logits[0].float()
    logprobs = torch.log_softmax(logits[start - 1 : -1], dim=-1)
    targets = ids[0, start:]
    chosen = logprobs.gather(1, targets.unsqueeze(1)).squeeze(1)
    greedy = bool((logprobs.argmax(dim=-1) == targets).all())
    return LoglikelihoodAnswer(logprob=float(chosen.sum()), is_greedy=greedy, continuation_tokens=int(targets.numel()))
