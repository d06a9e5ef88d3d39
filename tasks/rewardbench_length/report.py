"""Metrics, plots and extra tables of a `rewardbench_length` run, from the methods' outcomes.

Metrics, for each method m in original, rc_mean, rc_lwr, length_penalty, rc_lwr_penalty:

    score_<m>                    overall RewardBench score (0-100), stratified bootstrap CI (no
                                 per-pair field: its weights and the calibration depend on every pair)
    section_<section>_<m>        Chat / Chat Hard / Safety / Reasoning scores (0-100), same CI
    accuracy_<m>                 plain share of pairs with r_chosen > r_rejected, Wilson CI
                                 (accuracy_original: per-pair field correct_original, paired gate tests)
    spearman_length_reward_<m>   Spearman rho of (length, reward) over the 2N responses, bootstrap CI
    gain_<m>                     score_<m> - score_original (not for original)

Scores get no interval when a subset they average has fewer than MIN_INTERVAL_N pairs (the
description says so); see metrics/intervals.py and metrics/rewardbench_scoring.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from bench.harness.task import MetricValue, Plot
from bench.metrics.intervals import MIN_INTERVAL_N, Estimate, Interval, metric_value, proportion_estimate
from bench.metrics.rewardbench_scoring import SECTIONS, ScoreInterval, section_of
from bench.tasks.rewardbench_length.analysis import (
    CalibrationSettings,
    MethodOutcome,
    ScoredPairs,
    fitted_curve,
)
from bench.tasks.rewardbench_length.plots import plot_reward_vs_length


def reward_label(kind: str, ref_free_type: str) -> str:
    """How the rewards were computed, in words, for metric descriptions and the result's extra."""
    if kind == "classifier":
        return "sequence-classifier score"
    if kind == "dpo":
        return "DPO implicit reward (summed log-prob ratio to the reference model)"
    if ref_free_type == "avg":
        return "reference-free implicit reward, avg: mean token log-prob (RewardBench's default)"
    return "reference-free implicit reward, sum: summed token log-prob"


def _score_estimate(value: float, n: int, interval: ScoreInterval | None) -> Estimate:
    if interval is None:
        return Estimate(value, n)
    return Estimate(value, n, interval.stderr, Interval(interval.low, interval.high, interval.level, interval.method))


def _no_interval_note(interval: ScoreInterval | None, n_boot: int) -> str:
    if interval is not None:
        return ""
    if n_boot <= 1:
        return "no interval: bootstrap=0"
    return f"no interval: a subset has fewer than {MIN_INTERVAL_N} pairs"


def build_metrics(
    outcomes: dict[str, MethodOutcome], subsets: tuple[str, ...], reward: str, n_boot: int
) -> list[MetricValue]:
    n_pairs = len(subsets)
    section_pairs = {section: sum(1 for s in subsets if section_of(s) == section) for section in SECTIONS}
    metrics: list[MetricValue] = []
    original = outcomes["original"].score.overall
    for method, outcome in outcomes.items():
        overall = outcome.intervals.get("overall")
        description = f"RewardBench overall score (mean of the sections present, 0-100) after {method}; {reward}"
        metrics.append(metric_value(
            f"score_{method}", _score_estimate(outcome.score.overall, n_pairs, overall), "higher",
            description="; ".join(p for p in (description, _no_interval_note(overall, n_boot)) if p),
        ))
        for section in SECTIONS:
            if section not in outcome.score.sections:
                continue
            interval = outcome.intervals.get(section)
            description = f"RewardBench {section} section score (EXAMPLE_COUNTS-weighted, 0-100) after {method}"
            metrics.append(metric_value(
                f"section_{section.lower().replace(' ', '_')}_{method}",
                _score_estimate(outcome.score.sections[section], section_pairs[section], interval), "higher",
                description="; ".join(p for p in (description, _no_interval_note(interval, n_boot)) if p),
            ))
        metrics.append(metric_value(
            f"accuracy_{method}", proportion_estimate(float(np.sum(outcome.correct)), n_pairs), "higher",
            # Only the raw rewards' correctness is a per-pair fact; calibrated correctness depends on
            # every pair of the run (the sample records hold inputs only, see analysis.pair_records).
            sample_field="correct_original" if method == "original" else None,
            description=f"share of pairs with reward(chosen) > reward(rejected), unweighted, after {method}",
        ))
        rho = outcome.spearman
        rho_interval = (
            None if rho.ci_low is None or rho.ci_high is None else Interval(rho.ci_low, rho.ci_high, 0.95, "bootstrap")
        )
        metrics.append(metric_value(
            f"spearman_length_reward_{method}", Estimate(rho.rho, rho.n, None, rho_interval), "none",
            description=f"Spearman rho between response length and reward over all responses after {method}",
        ))
        if method != "original":
            metrics.append(metric_value(
                f"gain_{method}", Estimate(outcome.score.overall - original, n_pairs), "higher",
                description=f"score_{method} - score_original (score points)",
            ))
    return metrics


def build_extra(
    outcomes: dict[str, MethodOutcome], scored: ScoredPairs, settings: CalibrationSettings, **fields: Any
) -> dict[str, Any]:
    """The result's extra tables; `warnings` lists what a reader must know (e.g. RC-Mean calibrated no pair)."""
    return {
        **fields,
        "n_pairs": scored.n,
        "subset_accuracy": {m: o.score.subsets for m, o in outcomes.items()},
        "section_scores": {m: o.score.sections for m, o in outcomes.items()},
        "sections_present": list(outcomes["original"].score.sections_present),
        "calibrated_pairs": {m: o.calibrated_pairs for m, o in outcomes.items()},
        "features": list(settings.features),
        "warnings": [f"{m}: {o.extra['warning']}" for m, o in outcomes.items() if o.extra.get("warning")],
    }


def build_plots(
    artifacts_dir: Path, scored: ScoredPairs, outcomes: dict[str, MethodOutcome], settings: CalibrationSettings, title: str
) -> list[Plot]:
    if "rc_lwr" not in outcomes:
        return []
    feature = settings.features[0]
    lengths = np.concatenate(scored.features[feature])
    before = np.concatenate([scored.chosen_scores, scored.rejected_scores])
    after = np.concatenate([outcomes["rc_lwr"].chosen, outcomes["rc_lwr"].rejected])
    name = "reward_vs_length.png"
    plot_reward_vs_length(
        artifacts_dir / name, lengths, before, fitted_curve(lengths, before, settings), after,
        fitted_curve(lengths, after, settings), title, feature,
    )
    return [Plot("reward_vs_length", name, f"Reward vs response length ({feature}) with the LOWESS fit, raw and after RC-LWR")]
