"""Choosing among candidate answers by log-likelihood: the "choose" answer mode of agents.

An agent that must pick one of a known set of legal answers (an UNO move, a TextWorld command)
asks the model for log P(candidate | conversation) for every candidate and takes the most likely,
as lm-eval scores multiple choice. The candidates share the conversation as their context, so a
backend with prefix reuse (hf) runs the shared prefix once per decision and batches the
candidates' suffixes; every request is cached like any other.

Scores are summed token log-probabilities (`normalize="sum"`, lm-eval's `acc`) or divided by
the candidate's token count (`"mean"`, closer to lm-eval's `acc_norm`, which divides by
characters) so long candidates are not penalised for their length. Ties go to the earlier
candidate, so the choice is deterministic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bench.harness.requests import Message, as_messages

if TYPE_CHECKING:
    from bench.harness.client import ModelClient

Normalization = Literal["sum", "mean"]


@dataclass(frozen=True)
class Choice:
    """The chosen candidate and every candidate's score (in the order given)."""

    index: int
    text: str
    logprobs: tuple[float, ...]  # summed log-probability per candidate
    token_counts: tuple[int, ...]
    normalize: Normalization
    method: str = "loglikelihood"

    @property
    def scores(self) -> tuple[float, ...]:
        """What the choice maximised: the summed, or the per-token mean, log-probability."""
        return _scores(self.logprobs, self.token_counts, self.normalize)


def _scores(logprobs: tuple[float, ...], token_counts: tuple[int, ...], normalize: Normalization) -> tuple[float, ...]:
    if normalize == "sum":
        return logprobs
    return tuple(lp / max(n, 1) for lp, n in zip(logprobs, token_counts))


async def choose(
    model: ModelClient,
    messages: Sequence[Message] | Sequence[dict[str, str]],
    candidates: Sequence[str],
    normalize: Normalization = "sum",
) -> Choice:
    """The candidate the model finds most likely as its reply to `messages`.

    `messages` is the conversation so far (rendered with the chat template and the generation
    prompt); each candidate is scored as the assistant's whole reply. Raises ValueError when
    there is no candidate.
    """
    if not candidates:
        raise ValueError("choose needs at least one candidate")
    conversation = as_messages(messages)
    answers = await asyncio.gather(*(model.loglikelihood(conversation, text) for text in candidates))
    logprobs = tuple(a.logprob for a in answers)
    counts = tuple(a.continuation_tokens for a in answers)
    scores = _scores(logprobs, counts, normalize)
    best = max(range(len(candidates)), key=lambda i: (scores[i], -i))
    return Choice(index=best, text=candidates[best], logprobs=logprobs, token_counts=counts, normalize=normalize)
