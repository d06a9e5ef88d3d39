"""The `rewardbench_length` task: RewardBench accuracy of a reward model, its length bias, and the
same scores after post-hoc calibration (Huang et al., ICLR 2025).

Flow: `run` loads the pairs (this shard's, stratified by subset), scores chosen and rejected of
every pair concurrently through `ctx.model` (classifier score or implicit reward, see
rewards.py) and returns one record per pair (rewards, length features); `summarize` computes
the per-method calibrated rewards and RewardBench scores from the records (analysis.py) ->
metrics, extra tables, a plot (report.py). Calibration fits over every pair of the run, so
`bench merge` of shards gives the unsharded numbers.
Options are in config.py.

Request kinds: SCORE for classifiers, LOGLIKELIHOOD for implicit rewards. `request_kinds` names
both (what the task may ask for); `request_kinds_for(config, capabilities)` names the one a
configuration asks for, which the scheduler checks against the backend before the run.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import numpy as np
from bench.harness.errors import CapabilityError, ConfigError
from bench.harness.requests import RequestKind
from bench.harness.task import Summary, SummaryContext, Task, TaskContext
from bench.tasks.rewardbench_length.analysis import (
    ScoredPairs,
    evaluate_methods,
    pair_records,
    response_feature,
    scored_pairs_from_records,
)
from bench.tasks.rewardbench_length.config import RewardBenchLengthConfig
from bench.tasks.rewardbench_length.data import RewardBenchPair, load_pairs
from bench.tasks.rewardbench_length.report import build_extra, build_metrics, build_plots, reward_label
from bench.tasks.rewardbench_length.rewards import PairRewards, pair_rewards, resolve_reward_kind

log = logging.getLogger(__name__)


class RewardBenchLengthTask(Task):
    name = "rewardbench_length"
    # 2.0: reference-free rewards default to RewardBench's per-token mean (ref_free_type=avg);
    # intervals from metrics/intervals.py (none when a subset has < 5 pairs).
    version = "2.0"
    # summarize: scores from the records (inputs only since the run/summarize split; the
    # calibrated per-pair margins are no longer stored per record).
    metrics_version = "1"
    config_class = RewardBenchLengthConfig
    request_kinds = frozenset({RequestKind.SCORE, RequestKind.LOGLIKELIHOOD})
    headline_metric = "score_original"
    description = (
        "RewardBench score of a reward model (classifier or implicit DPO/ref-free reward), its length bias "
        "(Spearman length vs reward) and the scores after post-hoc calibration (RC-Mean, RC-LWR, length penalty)"
    )

    def request_kinds_for(self, config: RewardBenchLengthConfig, capabilities: frozenset[RequestKind]) -> frozenset[RequestKind]:
        return frozenset({config.request_kind(capabilities)})

    async def run(self, ctx: TaskContext) -> list[dict[str, Any]]:
        """Score chosen and rejected of every pair (this shard's pairs, stratified by subset); one
        record per pair with the rewards and length features (analysis.pair_records)."""
        config: RewardBenchLengthConfig = ctx.config
        kind = resolve_reward_kind(config.reward, ctx.model.capabilities, ctx.model.info.name)
        reference = self._reference(ctx, config) if kind == "dpo" else None
        pairs = ctx.take_shard(load_pairs(config.source, ctx.limit), key=lambda p: p.id, stratum=lambda p: p.subset)
        tokenizer = _tokenizer(ctx, config) if "tokens" in config.features else None
        ctx.progress.start(self.name, len(pairs))

        async def one(pair: RewardBenchPair) -> PairRewards:
            rewards = await pair_rewards(ctx.model, pair, kind, reference, config.ref_free_type)
            ctx.progress.advance(self.name)
            return rewards

        rewards = await asyncio.gather(*(one(p) for p in pairs))
        samples = pair_records(_scored_pairs(config, pairs, rewards, tokenizer))
        label = reward_label(kind, config.ref_free_type)
        for record, pair, reward in zip(samples, pairs, rewards):
            record["truncated"] = reward.chosen_truncated or reward.rejected_truncated
            # The same for every record; summarize reads them back (extra tables, plot title).
            record.update(reward_kind=kind, reward=label, model=ctx.model.info.name)
            if ctx.log_samples:
                record.update(prompt=pair.prompt, chosen=pair.chosen, rejected=pair.rejected)
        truncated = sum(1 for r in rewards if r.chosen_truncated or r.rejected_truncated)
        if truncated:
            log.warning("%d of %d pairs were truncated to the reward model's maximum length", truncated, len(pairs))
        return samples

    def summarize(self, samples: list[dict[str, Any]], config: RewardBenchLengthConfig, ctx: SummaryContext) -> Summary:
        """Per-method calibrated rewards and RewardBench scores (analysis.evaluate_methods) from the records."""
        scored = scored_pairs_from_records(samples, config.features)
        settings = config.settings(seed=ctx.seed)
        outcomes = evaluate_methods(scored, settings, ("original", *config.methods))
        first = samples[0] if samples else {}
        kind = str(first.get("reward_kind", config.reward))
        label = str(first.get("reward", reward_label(kind, config.ref_free_type)))
        title = f"{first.get('model', 'model')} ({label}), {scored.n} pairs"
        plots = build_plots(ctx.artifacts_dir, scored, outcomes, settings, title)
        extra = build_extra(
            outcomes, scored, settings, reward_kind=kind, ref_free_type=config.ref_free_type if kind == "ref_free" else None,
            reward=label, source=config.source, truncated_pairs=sum(1 for s in samples if s.get("truncated")),
            reference_model=config.reference_model or None,
        )
        return Summary(metrics=build_metrics(outcomes, scored.subsets, label, settings.n_boot), plots=plots, extra=extra)

    def _reference(self, ctx: TaskContext, config: RewardBenchLengthConfig) -> Any:
        if ctx.load_model is None:
            raise ConfigError("reward=dpo needs a reference model, but this run cannot open a second model")
        # k=v;k2=v2 on the command line (',' separates task arguments); the run parses k=v,k2=v2.
        reference = ctx.load_model(
            config.reference_model, config.reference_backend or None, config.reference_model_args.replace(";", ",")
        )
        resolve_reward_kind("ref_free", reference.capabilities, config.reference_model)
        return reference


def _tokenizer(ctx: TaskContext, config: RewardBenchLengthConfig) -> Any:
    """The tokenizer of the tokens feature: `config.tokenizer` if given, else the model's own."""
    if not config.tokenizer:
        try:
            return ctx.model.tokenizer()
        except CapabilityError as exc:
            raise ConfigError(f"the tokens feature needs rewardbench_length.tokenizer=NAME: {exc}") from exc
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(config.tokenizer)
    except OSError as exc:
        raise ConfigError(f"cannot load tokenizer {config.tokenizer!r} for the tokens feature: {str(exc).splitlines()[0]}") from exc


def _scored_pairs(
    config: RewardBenchLengthConfig, pairs: list[RewardBenchPair], rewards: list[PairRewards], tokenizer: Any
) -> ScoredPairs:
    features = {
        name: (
            response_feature([p.chosen for p in pairs], name, tokenizer),
            response_feature([p.rejected for p in pairs], name, tokenizer),
        )
        for name in config.features
    }
    # Full-text length for the penalty: prompt + response characters. The task does not see the
    # backend's chat template; its characters are a per-conversation constant that cancels
    # within a pair (bench calibrate uses the published templated texts instead).
    return ScoredPairs(
        ids=tuple(p.id for p in pairs),
        subsets=tuple(p.subset for p in pairs),
        chosen_scores=np.array([r.chosen for r in rewards], float),
        rejected_scores=np.array([r.rejected for r in rewards], float),
        features=features,
        chosen_full_lengths=np.array([len(p.prompt) + len(p.chosen) for p in pairs], float),
        rejected_full_lengths=np.array([len(p.prompt) + len(p.rejected) for p in pairs], float),
    )
