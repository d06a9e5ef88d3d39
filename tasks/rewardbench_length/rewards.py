"""The request coroutine: one pair's rewards for the chosen and the rejected response.

Three reward kinds, as RewardBench defines them:

    classifier  a sequence-classifier reward model's score of the conversation [user prompt,
                assistant response] (ScoreRequest; the backend applies the chat template and
                reports truncation)
    ref_free    implicit reward of a causal LM, reference-free:
                    r(x, y) = sum_t log pi(y_t | x, y_<t)       (LoglikelihoodRequest on the
                chat-templated prompt with the generation prompt, continuation = the response)
    dpo         implicit DPO reward without beta:
                    r(x, y) = sum_t log pi(y_t | ...) - sum_t log pi_ref(y_t | ...)

"auto" picks classifier when the model client can serve SCORE requests, else ref_free.
Chosen and rejected share their prompt, so the backend's shared-prefix reuse applies.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.harness.errors import CapabilityError
from bench.harness.requests import Message, RequestKind
from bench.tasks.rewardbench_length.data import RewardBenchPair

if TYPE_CHECKING:
    from bench.harness.client import ModelClient

REWARD_KINDS = ("auto", "classifier", "ref_free", "dpo")


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


async def pair_rewards(
    model: ModelClient, pair: RewardBenchPair, kind: str, reference: ModelClient | None = None
) -> PairRewards:
    """Rewards of both responses of `pair` under reward kind `kind` (already resolved)."""
    if kind == "classifier":
        chosen, rejected = await asyncio.gather(
            model.score(conversation(pair, pair.chosen)), model.score(conversation(pair, pair.rejected))
        )
        return PairRewards(chosen.score, rejected.score, chosen.truncated, rejected.truncated)
    prompt = (Message("user", pair.prompt),)
    policy = await asyncio.gather(model.loglikelihood(prompt, pair.chosen), model.loglikelihood(prompt, pair.rejected))
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
