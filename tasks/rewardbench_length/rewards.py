"""The request coroutine: one pair's rewards for the chosen and the rejected response.

Three reward kinds, as RewardBench (allenai/reward-bench, rewardbench/dpo.py) defines them:

    classifier  a sequence-classifier reward model's score of the conversation [user prompt,
                assistant response] (ScoreRequest; the backend applies the chat template and
                reports truncation)
    ref_free    implicit reward of a causal LM without a reference model, from the response's
                token log-probabilities lp_t = log pi(y_t | x, y_<t) (LoglikelihoodRequest on the
                chat-templated prompt with the generation prompt, continuation = the response):
                    avg (default, RewardBench's `--ref_free_type avg`):  r = (1/T) * sum_t lp_t
                    sum:                                                   r = sum_t lp_t
    dpo         implicit DPO reward without beta (RewardBench sums log-ratios, no averaging):
                    r(x, y) = sum_t log pi(y_t | ...) - sum_t log pi_ref(y_t | ...)

RewardBench appends the EOS token to the response, so its T counts one token more and its sum
includes log pi(EOS); our continuation is the response text alone. An empty response (T = 0)
gets its summed log-probability, 0, under both aggregations.

"auto" picks classifier when the model client can serve SCORE requests, else ref_free.
Chosen and rejected share their prompt, so the backend's shared-prefix reuse applies.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.harness.errors import CapabilityError
from bench.harness.requests import LoglikelihoodAnswer, Message, RequestKind
from bench.tasks.rewardbench_length.data import RewardBenchPair

if TYPE_CHECKING:
    from bench.harness.client import ModelClient

REWARD_KINDS = ("auto", "classifier", "ref_free", "dpo")
REF_FREE_TYPES = ("avg", "sum")


@dataclass(frozen=True)
class PairRewards:
    chosen: float
    rejected: float
    chosen_truncated: bool = False
    rejected_truncated: bool = False


def resolve_reward_kind(requested: str, capabilities: frozenset[RequestKind], model_name: str) -> str:
    """The concrete reward kind for `requested` on a client with `capabilities`, or CapabilityError."""
    if requested not in REWARD_KINDS:
        raise ValueError(f"unknown reward kind {requested!r}; choices: {', '.join(REWARD_KINDS)}")
    kind = requested
    if kind == "auto":
        kind = "classifier" if RequestKind.SCORE in capabilities else "ref_free"
    needed = RequestKind.SCORE if kind == "classifier" else RequestKind.LOGLIKELIHOOD
    if needed not in capabilities:
        served = ", ".join(sorted(k.value for k in capabilities)) or "nothing"
        raise CapabilityError(
            f"rewardbench_length reward={kind} needs {needed.value} requests, which model {model_name!r} "
            f"cannot serve on its backend (it serves: {served})"
        )
    return kind


def conversation(pair: RewardBenchPair, response: str) -> tuple[Message, ...]:
    return (Message("user", pair.prompt), Message("assistant", response))


def ref_free_reward(answer: LoglikelihoodAnswer, ref_free_type: str) -> float:
    """The reference-free reward of one response: its mean ("avg") or summed ("sum") token log-prob."""
    if ref_free_type == "avg":
        return answer.logprob / max(answer.continuation_tokens, 1)
    if ref_free_type == "sum":
        return answer.logprob
    raise ValueError(f"unknown ref_free_type {ref_free_type!r}; choices: {', '.join(REF_FREE_TYPES)}")


async def pair_rewards(
    model: ModelClient, pair: RewardBenchPair, kind: str, reference: ModelClient | None = None, ref_free_type: str = "avg"
) -> PairRewards:
    """Rewards of both responses of `pair` under reward kind `kind` (already resolved)."""
    if kind == "classifier":
        chosen, rejected = await asyncio.gather(
            model.score(conversation(pair, pair.chosen)), model.score(conversation(pair, pair.rejected))
        )
        return PairRewards(chosen.score, rejected.score, chosen.truncated, rejected.truncated)
    prompt = (Message("user", pair.prompt),)
    policy = await asyncio.gather(model.loglikelihood(prompt, pair.chosen), model.loglikelihood(prompt, pair.rejected))
    if kind == "ref_free":
        return PairRewards(ref_free_reward(policy[0], ref_free_type), ref_free_reward(policy[1], ref_free_type))
    chosen_reward, rejected_reward = policy[0].logprob, policy[1].logprob
    if kind == "dpo":
        if reference is None:
            raise ValueError("reward=dpo needs a reference model")
        ref = await asyncio.gather(
            reference.loglikelihood(prompt, pair.chosen), reference.loglikelihood(prompt, pair.rejected)
        )
        chosen_reward -= ref[0].logprob
        rejected_reward -= ref[1].logprob
    return PairRewards(chosen_reward, rejected_reward)
