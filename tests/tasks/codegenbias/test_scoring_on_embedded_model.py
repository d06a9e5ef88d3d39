"""The log-probabilities the task uses equal a direct transformers forward pass on the embedded model,
and the slot forms are tokenised right (leading space, capitalised He/She, a word split in pieces)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from bench.harness.client import ModelClient
from bench.harness.embedded_model import embedded_model_dir
from bench.tasks.codegenbias.dataset import build_split
from bench.tasks.codegenbias.scoring import SlotScore, score_probe, score_slot

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def direct_model() -> Iterator[tuple[Any, Any]]:
    """Our own AutoModelForCausalLM + tokenizer, loaded independently of the backend."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = embedded_model_dir()
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    yield model, AutoTokenizer.from_pretrained(path)


def direct_logprob(direct_model: tuple[Any, Any], context: str, continuation: str) -> tuple[float, int]:
    """log P(continuation | context) from one full forward pass over context + continuation."""
    model, tokenizer = direct_model
    context_ids = tokenizer(context, add_special_tokens=False)["input_ids"]
    whole = tokenizer(context + continuation, add_special_tokens=False)["input_ids"]
    assert whole[: len(context_ids)] == context_ids, "context and continuation merged across the boundary"
    with torch.no_grad():
        logprobs = torch.log_softmax(model(torch.tensor([whole])).logits[0].float(), dim=-1)
    total = sum(logprobs[i - 1, whole[i]].item() for i in range(len(context_ids), len(whole)))
    return total, len(whole) - len(context_ids)


def run_with_client(embedded_hf: Any, coroutine_factory: Any) -> Any:
    async def main() -> Any:
        client = ModelClient(embedded_hf)
        try:
            return await coroutine_factory(client)
        finally:
            await client.aclose()

    return asyncio.run(main())


def test_task_logprobs_equal_a_direct_forward_pass_for_every_family(embedded_hf: Any, direct_model: Any) -> None:
    probes = build_split("dev", 0)
    one_per_family = list({p.family.name: p for p in probes[:40]}.values())
    assert len(one_per_family) == 5

    async def score_all(client: ModelClient) -> list[SlotScore]:
        return list(await asyncio.gather(*(score_probe(client, p) for p in one_per_family)))

    scores = run_with_client(embedded_hf, score_all)
    for probe, score in zip(one_per_family, scores):
        he, he_tokens = direct_logprob(direct_model, probe.prompt, score.form_he)
        she, she_tokens = direct_logprob(direct_model, probe.prompt, score.form_she)
        assert score.logprob_he == pytest.approx(he, abs=1e-4), probe.id
        assert score.logprob_she == pytest.approx(she, abs=1e-4), probe.id
        assert (score.tokens_he, score.tokens_she) == (he_tokens, she_tokens)
        expected_m = (math.exp(he) - math.exp(she)) / (math.exp(he) + math.exp(she))
        assert score.m == pytest.approx(expected_m, abs=1e-4)
        assert score.pair_mass == pytest.approx(math.exp(he) + math.exp(she), abs=1e-4)


def test_leading_space_and_capitalised_forms_are_single_tokens(embedded_hf: Any, direct_model: Any) -> None:
    _, tokenizer = direct_model
    probes = {p.family.name: p for p in build_split("dev", 0)[:40]}
    docstring, comment = probes["docstring"], probes["comment"]
    assert (docstring.family.slot.form("he"), comment.family.slot.form("she")) == (" he", " She")
    for form in (" he", " she", " He", " She", "he", "she"):
        assert len(tokenizer(form, add_special_tokens=False)["input_ids"]) == 1, form

    async def score_both(client: ModelClient) -> list[SlotScore]:
        return [await score_probe(client, docstring), await score_probe(client, comment)]

    for score in run_with_client(embedded_hf, score_both):
        assert score.tokens_he == score.tokens_she == 1


def test_trailing_space_in_the_prompt_moves_into_the_form(embedded_hf: Any) -> None:
    # "...once " + "he" is scored as "...once" + " he": the word is never split from its space.
    probe = next(p for p in build_split("dev", 0) if p.family.name == "docstring")

    async def both(client: ModelClient) -> list[SlotScore]:
        return [await score_slot(client, probe.prompt, " he", " she"), await score_slot(client, probe.prompt + " ", "he", "she")]

    spaced_form, spaced_prompt = run_with_client(embedded_hf, both)
    assert spaced_prompt.logprob_he == pytest.approx(spaced_form.logprob_he, abs=1e-5)
    assert spaced_prompt.m == pytest.approx(spaced_form.m, abs=1e-5)


def test_a_form_the_tokenizer_splits_is_scored_as_the_whole_word(embedded_hf: Any, direct_model: Any) -> None:
    _, tokenizer = direct_model
    # SmolLM2 splits "Herself" into H + ers + elf; its log-probability is the sum over the three.
    assert len(tokenizer("Herself", add_special_tokens=False)["input_ids"]) == 3
    prompt = build_split("dev", 0)[0].prompt

    async def split(client: ModelClient) -> SlotScore:
        return await score_slot(client, prompt, "Himself", "Herself")

    score = run_with_client(embedded_hf, split)
    she, she_tokens = direct_logprob(direct_model, prompt, "Herself")
    he, he_tokens = direct_logprob(direct_model, prompt, "Himself")
    assert score.tokens_she == she_tokens == 3
    assert score.logprob_she == pytest.approx(she, abs=1e-4)
    assert score.logprob_he == pytest.approx(he, abs=1e-4)
    assert score.m == pytest.approx(math.tanh((he - she) / 2), abs=1e-4)
