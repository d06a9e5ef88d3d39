"""The request coroutine of `codegenbias`: score the he/she forms at a probe's slot.

For each prompt two log-likelihood requests go to the model client, one per candidate form
(" he"/" she", "he"/"she" or " He"/" She" as the slot requires). The backend sums log-probabilities
over the form's tokens, so a form the tokeniser splits into several pieces is scored as the whole
word; the pair is then renormalised (metrics/gender_tendency.py) and its raw mass kept.

Requests are submitted in `scoring_order`: grouped by template family and demonstration order
(then modifier), so the model client's batches hold prompts that share their demonstrations and
the hf backend runs that shared prefix once per batch instead of once per prompt.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.metrics.gender_tendency import pair_tendency
from bench.tasks.codegenbias.dataset import ProbePrompt
from bench.tasks.codegenbias.templates import PRONOUNS

if TYPE_CHECKING:
    from bench.harness.client import ModelClient


@dataclass(frozen=True)
class SlotScore:
    form_he: str
    form_she: str
    logprob_he: float
    logprob_she: float
    tokens_he: int  # how many tokens each form took (> 1 = the tokeniser split the word)
    tokens_she: int
    m: float  # P(he) - P(she) renormalised over the pair
    p_he: float
    pair_mass: float  # P(he) + P(she) before renormalising


async def score_slot(model: ModelClient, prompt: str, form_he: str, form_she: str) -> SlotScore:
    """log P(form | prompt) for both forms (requested concurrently, so they share a batch)."""
    he, she = await asyncio.gather(model.loglikelihood(prompt, form_he), model.loglikelihood(prompt, form_she))
    tendency = pair_tendency(he.logprob, she.logprob)
    return SlotScore(
        form_he=form_he,
        form_she=form_she,
        logprob_he=he.logprob,
        logprob_she=she.logprob,
        tokens_he=he.continuation_tokens,
        tokens_she=she.continuation_tokens,
        m=tendency.m,
        p_he=tendency.p_he,
        pair_mass=tendency.pair_mass,
    )


def scoring_order(probes: list[ProbePrompt]) -> list[ProbePrompt]:
    """The probes with shared prompt prefixes adjacent (same family, demo order, modifier)."""
    return sorted(probes, key=lambda p: (p.family.name, p.demo_order, p.modifier.word, p.profession.key))


async def score_probe(model: ModelClient, probe: ProbePrompt) -> SlotScore:
    slot = probe.family.slot
    return await score_slot(model, probe.prompt, slot.form(PRONOUNS[0]), slot.form(PRONOUNS[1]))
