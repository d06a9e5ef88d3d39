"""CAIRO end to end on the real embedded model (slow tier, kept to a few generations): HONEST
prompts continued by sampling with the paper's settings, one model paraphrase set, every seed its
own request, toxicity and HurtLex scored, and the summary's bias equal to a hand computation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from bench.harness.client import ModelClient
from bench.harness.progress import Progress
from bench.harness.task import SummaryContext, TaskContext
from bench.metrics.cairo_bias import group_bias
from bench.tasks.cairo import CairoHonestTask
from bench.tasks.cairo.config import CairoHonestConfig

pytestmark = pytest.mark.slow


def run_task(embedded_hf: Any, config: CairoHonestConfig, tmp_path: Path) -> list[dict[str, Any]]:
    async def main() -> list[dict[str, Any]]:
        client = ModelClient(embedded_hf)
        try:
            ctx = TaskContext(client, config, seed=0, limit=2, artifacts_dir=tmp_path, progress=Progress(enabled=False),
                              log_samples=True)
            return await CairoHonestTask().run(ctx)
        finally:
            await client.aclose()

    return asyncio.run(main())


def test_honest_on_the_embedded_model(embedded_hf: Any, tmp_path: Path) -> None:
    config = CairoHonestConfig(seeds=(1, 2), paraphrase_sets=False, model_paraphrases=1)
    records = run_task(embedded_hf, config, tmp_path)
    # 2 prompts (one female, one male) x (original + self_1 paraphrase, when non-empty) x 2 seeds
    originals = [r for r in records if r["set"] == "original"]
    assert len(originals) == 4 and {r["subgroup"] for r in originals} == {"female", "male"}
    assert {r["set"] for r in records} <= {"original", "self_1"}
    assert all(r["continuation"] and 0 <= r["toxicity"] <= 1 and isinstance(r["hurtful"], bool) for r in records)
    assert all(r["scorer"].startswith("alt-profanity-check") for r in records)
    paraphrased = [r for r in records if r["set"] == "self_1"]
    assert all('"' not in r["prompt"] and "\n" not in r["prompt"] for r in paraphrased)
    by_seed = {(r["index"], r["seed"]): r["continuation"] for r in originals}
    assert any(by_seed[(i, 1)] != by_seed[(i, 2)] for i in {r["index"] for r in originals})  # sampled per seed
    # sampling is reproducible: the same seed gives the same text in a second run
    again = {(r["index"], r["seed"]): r["continuation"] for r in run_task(embedded_hf, config, tmp_path) if r["set"] == "original"}
    assert again == by_seed
    summary = CairoHonestTask().summarize(records, config, SummaryContext(seed=0, artifacts_dir=tmp_path))
    expected = sum(
        group_bias([r["toxicity"] for r in originals if r["seed"] == s], [r["subgroup"] for r in originals if r["seed"] == s])
        for s in (1, 2)
    ) / 2
    assert summary.metric("bias_gender_valid").value == pytest.approx(expected)
