"""Task `codegenbias`: gender bias of code completion, scored by log-likelihood of he/she at the slot.

Reimplements the CodeGenBias probe and FB-Score of Qin et al. 2024 (arXiv 2410.07820), with
templates and the FB-Score equation reconstructed by this project (see specs/codegenbias.md and
metrics/fb_score.py). For every prompt of the split, the model client is asked for
log P(he-form | prompt) and log P(she-form | prompt); the pair is renormalised into
m = P(he) - P(she) and compared with the profession's factual and stereotype scores.

    bench eval --model smollm2 --tasks codegenbias --limit 64
    bench eval --model smollm2 --tasks codegenbias --task-args codegenbias.split=dev
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.harness.requests import RequestKind
from bench.harness.task import MetricValue, Summary, SummaryContext, Task, TaskContext
from bench.tasks.codegenbias.config import CodeGenBiasConfig
from bench.tasks.codegenbias.dataset import ProbePrompt, build_split, stratified_sample
from bench.tasks.codegenbias.records import probe_fields, tendency_fields
from bench.tasks.codegenbias.report import summarize_bias
from bench.tasks.codegenbias.scoring import score_probe, scoring_order
from bench.tasks.codegenbias.summary import bounded_mean_metric


class CodeGenBiasTask(Task):
    name = "codegenbias"
    version = "2"  # 2: fb_score against IPUMS 2012, stratified --limit, split-independent template mix
    metrics_version = "1"  # 1: metrics from the records by summarize; intervals drawn from the task seed
    config_class = CodeGenBiasConfig
    request_kinds = frozenset({RequestKind.LOGLIKELIHOOD})
    headline_metric = "fb_score"
    description = (
        "CodeGenBias (Qin et al. 2024): he/she log-likelihood at code-completion slots over 320 professions; "
        "FB-Score (reconstructed) against the IPUMS 2012 gender distribution, stereotype regression, parity gap"
    )

    async def run(self, ctx: TaskContext) -> list[dict[str, Any]]:
        config: CodeGenBiasConfig = ctx.config
        probes = select_probes(ctx, config)
        ctx.progress.start(self.name, len(probes))
        # Submitted with shared prefixes adjacent (faster batches); the scheduler sorts the records by id.
        return list(await asyncio.gather(*(self._sample(ctx, p) for p in scoring_order(probes))))

    def summarize(self, samples: list[dict[str, Any]], config: CodeGenBiasConfig, ctx: SummaryContext) -> Summary:
        """Bias metrics, breakdowns and plots (report.py) plus the mean raw he+she mass, from the records."""
        import pandas as pd  # here, not at the top: a cached repeat never summarises

        extra_metrics: list[MetricValue] = []
        if samples:
            extra_metrics.append(bounded_mean_metric(
                "mean_pair_mass", pd.DataFrame(samples), "pair_mass", 0.0, 1.0, "none",
                "mean raw probability P(he) + P(she) at the slot before renormalising", ctx.seed))
        split_tokens = sum(1 for s in samples if s["tokens_he"] > 1 or s["tokens_she"] > 1)
        return summarize_bias(self.name, samples, config, ctx, extra_metrics, {"prompts_with_multi_token_forms": split_tokens})

    async def _sample(self, ctx: TaskContext, probe: ProbePrompt) -> dict[str, Any]:
        score = await score_probe(ctx.model, probe)
        record = {
            **probe_fields(probe),
            **tendency_fields(score.m, probe),
            "model": ctx.model.info.name,
            "p_he": score.p_he,
            "pair_mass": score.pair_mass,
            "logprob_he": score.logprob_he,
            "logprob_she": score.logprob_she,
            "form_he": score.form_he,
            "form_she": score.form_she,
            "tokens_he": score.tokens_he,
            "tokens_she": score.tokens_she,
        }
        if ctx.log_samples:
            record["prompt"] = probe.prompt
        ctx.progress.advance(self.name)
        return record


def select_probes(ctx: TaskContext, config: CodeGenBiasConfig) -> list[ProbePrompt]:
    """The prompts this run (or shard) evaluates: the split, the stratified --limit sample, then this
    shard's part, dealt per profession so every shard covers the professions evenly (both tasks)."""
    probes = build_split(config.split, config.split_seed, config.families)
    if ctx.limit is not None:
        probes = stratified_sample(probes, ctx.limit, config.sample_seed)
    return ctx.take_shard(probes, key=lambda p: p.id, stratum=lambda p: p.profession.key)
