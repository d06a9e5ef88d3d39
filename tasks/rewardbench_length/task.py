"""The `rewardbench_length` task: RewardBench accuracy of a reward model, its length bias, and the
same scores after post-hoc calibration (Huang et al., ICLR 2025).

Flow: load pairs -> score chosen and rejected of every pair concurrently through `ctx.model`
(classifier score or implicit reward, see rewards.py) -> per-method calibrated rewards and
RewardBench scores (analysis.py) -> metrics, one sample record per pair, two plots.

Metrics, for each method m in original, rc_mean, rc_lwr, length_penalty, rc_lwr_penalty:

    score_<m>                    overall RewardBench score (0-100), bootstrap CI; its per-pair field
                                 weighted_correct_<m> has the score as its mean (paired gate tests)
    section_<section>_<m>        Chat / Chat Hard / Safety / Reasoning scores (0-100)
    accuracy_<m>                 plain share of pairs with r_chosen > r_rejected (field correct_<m>)
    spearman_length_reward_<m>   Spearman rho of (length, reward) over the 2N responses, bootstrap CI
    gain_<m>                     score_<m> - score_original (not for original)

The task can use either of two request kinds (SCORE for classifiers, LOGLIKELIHOOD for implicit
rewards), so its static `request_kinds` is empty and `run` checks the one it needs, with a
one-line CapabilityError.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from bench.harness.errors import ConfigError
from bench.harness.requests import RequestKind
from bench.harness.task import MetricValue, Plot, TaskContext, TaskOutput
from bench.metrics.rewardbench_scoring import SECTIONS, section_of
from bench.tasks.rewardbench_length.analysis import (
    ALL_METHODS,
    CalibrationSettings,
    MethodOutcome,
    ScoredPairs,
    evaluate_methods,
    fitted_curve,
    response_feature,
    sample_records,
)
from bench.tasks.rewardbench_length.data import SAMPLE, RewardBenchPair, load_pairs
from bench.tasks.rewardbench_length.plots import plot_reward_vs_length
from bench.tasks.rewardbench_length.rewards import (
    REWARD_KINDS,
    PairRewards,
    pair_rewards,
    resolve_reward_kind,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RewardBenchLengthConfig:
    """Options (`--task-args rewardbench_length.key=value`); defaults = the paper's RewardBench run.

    source: "sample" (shipped, offline), "allenai/reward-bench" (hub, split filtered) or a file.
    reward: auto | classifier | ref_free | dpo. dpo needs reference_model (+ reference_backend,
    reference_model_args as k=v;k2=v2). features: length features applied in sequence
    (chars | tokens | markdown, joined with '|' on the command line), alphas one per feature or one
    for all. tokenizer: for the tokens feature (default: the model's own).
    """

    source: str = SAMPLE
    reward: str = "auto"
    reference_model: str = ""
    reference_backend: str = ""
    reference_model_args: str = ""
    methods: tuple[str, ...] = ("rc_mean", "rc_lwr", "length_penalty", "rc_lwr_penalty")
    features: tuple[str, ...] = ("chars",)
    alphas: tuple[float, ...] = (1.0,)
    lowess_frac: float = 1.0
    lowess_it: int = 3
    lowess_delta_frac: float = 0.0
    rc_mean_ratio: float = 4.0
    rc_mean_min_count: int = 20
    rc_mean_window: str = "inclusive"
    penalty_coef: float = 0.001
    xstest_weights: str = "paper"
    bootstrap: int = 1000
    tokenizer: str = ""

    def __post_init__(self) -> None:
        if self.reward not in REWARD_KINDS:
            raise ValueError(f"reward must be one of {', '.join(REWARD_KINDS)}, got {self.reward!r}")
        if self.reward == "dpo" and not self.reference_model:
            raise ValueError("reward=dpo needs reference_model")
        unknown = [m for m in self.methods if m not in ALL_METHODS]
        if unknown:
            raise ValueError(f"unknown methods {unknown}; choices: {', '.join(ALL_METHODS)}")
        self.settings(seed=0)  # validates the calibration knobs

    def settings(self, seed: int) -> CalibrationSettings:
        return CalibrationSettings(
            features=tuple(self.features),
            alphas=tuple(float(a) for a in self.alphas),
            lowess_frac=self.lowess_frac,
            lowess_it=self.lowess_it,
            lowess_delta_frac=self.lowess_delta_frac,
            rc_mean_ratio=self.rc_mean_ratio,
            rc_mean_min_count=self.rc_mean_min_count,
            rc_mean_window=self.rc_mean_window,
            penalty_coef=self.penalty_coef,
            xstest_weights=self.xstest_weights,  # type: ignore[arg-type]
            n_boot=self.bootstrap,
            seed=seed,
        )


class RewardBenchLengthTask:
    name: ClassVar[str] = "rewardbench_length"
    version: ClassVar[str] = "1.0"
    config_class: ClassVar[type] = RewardBenchLengthConfig
    # SCORE (classifiers) or LOGLIKELIHOOD (implicit rewards), decided at run time; see the module docstring.
    request_kinds: ClassVar[frozenset[RequestKind]] = frozenset()
    headline_metric: ClassVar[str] = "score_original"
    description: ClassVar[str] = (
        "RewardBench score of a reward model (classifier or implicit DPO/ref-free reward), its length bias "
        "(Spearman length vs reward) and the scores after post-hoc calibration (RC-Mean, RC-LWR, length penalty)"
    )

    async def run(self, ctx: TaskContext) -> TaskOutput:
        config: RewardBenchLengthConfig = ctx.config
        kind = resolve_reward_kind(config.reward, ctx.model.capabilities, ctx.model.info.name)
        reference = self._reference(ctx, config) if kind == "dpo" else None
        pairs = load_pairs(config.source, ctx.limit)
        ctx.progress.start(self.name, len(pairs))

        async def one(pair: RewardBenchPair) -> PairRewards:
            rewards = await pair_rewards(ctx.model, pair, kind, reference)
            ctx.progress.advance(self.name)
            return rewards

        rewards = await asyncio.gather(*(one(p) for p in pairs))
        scored = self._scored_pairs(ctx, config, pairs, rewards)
        settings = config.settings(seed=ctx.seed)
        outcomes = await asyncio.to_thread(evaluate_methods, scored, settings, ("original", *config.methods))
        samples = sample_records(scored, outcomes, settings)
        for record, pair, reward in zip(samples, pairs, rewards):
            record["truncated"] = reward.chosen_truncated or reward.rejected_truncated
            if ctx.log_samples:
                record.update(prompt=pair.prompt, chosen=pair.chosen, rejected=pair.rejected)
        plots = self._plots(ctx, scored, outcomes, settings, kind)
        truncated = sum(1 for r in rewards if r.chosen_truncated or r.rejected_truncated)
        if truncated:
            log.warning("%d of %d pairs were truncated to the reward model's maximum length", truncated, len(pairs))
        return TaskOutput(
            metrics=_metrics(outcomes, scored.subsets),
            samples=samples,
            plots=plots,
            extra={
                "reward_kind": kind,
                "source": config.source,
                "n_pairs": scored.n,
                "truncated_pairs": truncated,
                "reference_model": config.reference_model or None,
                "subset_accuracy": {m: o.score.subsets for m, o in outcomes.items()},
                "section_scores": {m: o.score.sections for m, o in outcomes.items()},
                "sections_present": list(outcomes["original"].score.sections_present),
                "calibrated_pairs": {m: o.calibrated_pairs for m, o in outcomes.items()},
                "features": list(settings.features),
            },
        )

    def _reference(self, ctx: TaskContext, config: RewardBenchLengthConfig) -> Any:
        if ctx.load_model is None:
            raise ConfigError("reward=dpo needs a reference model, but this run cannot open a second model")
        from bench.harness.backends.base import parse_model_args

        args = parse_model_args(config.reference_model_args.replace(";", ","))
        reference = ctx.load_model(config.reference_model, config.reference_backend or None, args)
        resolve_reward_kind("ref_free", reference.capabilities, config.reference_model)
        return reference

    def _scored_pairs(
        self, ctx: TaskContext, config: RewardBenchLengthConfig, pairs: list[RewardBenchPair], rewards: list[PairRewards]
    ) -> ScoredPairs:
        tokenizer = _tokenizer(ctx, config) if "tokens" in config.features else None
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

    def _plots(
        self, ctx: TaskContext, scored: ScoredPairs, outcomes: dict[str, MethodOutcome], settings: CalibrationSettings, kind: str
    ) -> list[Plot]:
        if "rc_lwr" not in outcomes:
            return []
        feature = settings.features[0]
        lengths = np.concatenate(scored.features[feature])
        before = np.concatenate([scored.chosen_scores, scored.rejected_scores])
        after = np.concatenate([outcomes["rc_lwr"].chosen, outcomes["rc_lwr"].rejected])
        name = "reward_vs_length.png"
        plot_reward_vs_length(
            ctx.artifacts_dir / name, lengths, before, fitted_curve(lengths, before, settings), after,
            fitted_curve(lengths, after, settings), f"{ctx.model.info.name} ({kind} reward), {scored.n} pairs", feature,
        )
        return [Plot("reward_vs_length", name, f"Reward vs response length ({feature}) with the LOWESS fit, raw and after RC-LWR")]


def _tokenizer(ctx: TaskContext, config: RewardBenchLengthConfig) -> Any:
    from bench.harness.model_source import resolve_model
    from transformers import AutoTokenizer

    name = config.tokenizer or resolve_model(ctx.model.info.name).path
    try:
        return AutoTokenizer.from_pretrained(name)
    except OSError as exc:
        raise ConfigError(f"cannot load tokenizer {name!r} for the tokens feature: {str(exc).splitlines()[0]}") from exc


def _metrics(outcomes: dict[str, MethodOutcome], subsets: tuple[str, ...]) -> list[MetricValue]:
    n_pairs = len(subsets)
    section_pairs = {section: sum(1 for s in subsets if section_of(s) == section) for section in SECTIONS}
    metrics: list[MetricValue] = []
    original = outcomes["original"].score.overall
    for method, outcome in outcomes.items():
        overall = outcome.intervals.get("overall")
        metrics.append(
            MetricValue(
                f"score_{method}", outcome.score.overall, "higher", n_pairs,
                stderr=overall.stderr if overall else None,
                ci_low=overall.low if overall else None, ci_high=overall.high if overall else None,
                sample_field=f"weighted_correct_{method}",
                description=f"RewardBench overall score (mean of the sections present, 0-100) after {method}",
            )
        )
        for section in SECTIONS:
            if section not in outcome.score.sections:
                continue
            interval = outcome.intervals.get(section)
            metrics.append(
                MetricValue(
                    f"section_{section.lower().replace(' ', '_')}_{method}", outcome.score.sections[section], "higher",
                    section_pairs[section],
                    stderr=interval.stderr if interval else None,
                    ci_low=interval.low if interval else None, ci_high=interval.high if interval else None,
                    description=f"RewardBench {section} section score (EXAMPLE_COUNTS-weighted, 0-100) after {method}",
                )
            )
        accuracy = float(np.mean(outcome.correct)) if outcome.correct.size else float("nan")
        metrics.append(
            MetricValue(
                f"accuracy_{method}", accuracy, "higher", n_pairs,
                stderr=float(np.sqrt(accuracy * (1 - accuracy) / n_pairs)) if n_pairs else None,
                sample_field=f"correct_{method}",
                description=f"share of pairs with reward(chosen) > reward(rejected), unweighted, after {method}",
            )
        )
        rho = outcome.spearman
        metrics.append(
            MetricValue(
                f"spearman_length_reward_{method}", rho.rho, "none", rho.n,
                ci_low=rho.ci_low, ci_high=rho.ci_high,
                description=f"Spearman rho between response length and reward over all responses after {method}",
            )
        )
        if method != "original":
            metrics.append(
                MetricValue(
                    f"gain_{method}", outcome.score.overall - original, "higher", n_pairs,
                    description=f"score_{method} - score_original (score points)",
                )
            )
    return metrics
