"""Metrics, plots and extra tables of a UNO run, computed from its sample records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from bench.harness.task import MetricValue, Plot
from bench.metrics.intervals import MIN_INTERVAL_N, Estimate, metric_value, proportion_estimate
from bench.metrics.uno_decisions import DecisionRank, adr_at_k, chance_odhr_at_k, odhr_at_k
from bench.metrics.uno_win_rate import win_rate
from bench.tasks.uno.config import SETTING_PLAYERS, UnoConfig
from bench.tasks.uno.plots import plot_odhr_curve, plot_win_rates

RECONSTRUCTED = "reconstructed (formula ours, see tasks/uno/README.md)"
_SCORED = {
    "clean": "decisions whose every answer was usable (official protocol)",
    "corrected": "decisions with a usable final answer, corrected ones included",
    "all": "every decision, random fallbacks included",
}


def build_metrics(
    config: UnoConfig, samples: list[dict[str, Any]], seed: int = 0
) -> tuple[list[MetricValue], dict[str, Any]]:
    """Metrics and extra tables from the game and decision records alone (a pure function: the
    records as written to the samples file in, the numbers out; `seed` drives the ADR bootstrap)."""
    games = [s for s in samples if s["record"] == "game"]
    decisions = [s for s in samples if s["record"] == "decision"]
    scored = [d for d in decisions if d["scored"]]
    metrics: list[MetricValue] = []
    skipped: list[str] = []

    def add(name: str, estimate: Estimate, direction: str, field: str | None, description: str) -> None:
        if estimate.n == 0:
            skipped.append(name)
            return
        metrics.append(metric_value(name, estimate, direction, sample_field=field, description=description))  # type: ignore[arg-type]

    add("win_rate", win_rate([g["won"] for g in games]), "higher", "won",
        "WR over all games of the run (payoff 1 / 1/k shared / 0)")
    for setting in config.settings:
        for opponent in config.opponents:
            field = f"won_{setting}_{opponent}"
            cell = [g[field] for g in games if field in g]
            add(field.replace("won_", "win_rate_", 1), win_rate(cell), "higher", field,
                f"WR in {setting} games against {opponent} opponents; chance = 1/{SETTING_PLAYERS[setting]}")

    def ranks(records: list[dict[str, Any]]) -> list[DecisionRank]:
        return [DecisionRank(r["rank"], _better(r), len(r["values"])) for r in records]

    scope = _SCORED[config.scored_decisions]
    groups: list[tuple[str, list[dict[str, Any]]]] = [("", scored)]
    groups += [(f"_{kind}", [d for d in scored if d["kind"] == kind]) for kind in ("card", "colour", "challenge")]
    groups += [(f"_{setting}", [d for d in scored if d["setting"] == setting]) for setting in config.settings]
    for suffix, records in groups:
        decision_ranks = ranks(records)
        for k in config.ks:
            add(f"odhr_at_{k}{suffix}", odhr_at_k(decision_ranks, k), "higher", f"hit_at_{k}{suffix}",
                f"ODHR@{k}: share of scored decisions ({scope}) among the {k} best by Monte Carlo value; {RECONSTRUCTED}")
            if k >= 2:  # ADR@1 = 1 by definition
                add(f"adr_at_{k}{suffix}", adr_at_k(decision_ranks, k, seed=seed), "lower", f"rank_at_{k}{suffix}",
                    f"ADR@{k}: mean min(rank, {k}) of the chosen action over scored decisions ({scope}), "
                    f"ties averaged, in [1, {k}]; {RECONSTRUCTED}")
    for k in config.ks:
        if scored:
            metrics.append(MetricValue(f"odhr_at_{k}_chance", chance_odhr_at_k([d["values"] for d in scored], k), "none",
                                       len(scored), description=f"ODHR@{k} of a uniformly random choice on the same decisions"))
    if decisions:
        add("invalid_answer_rate", proportion_estimate(sum(d["had_invalid_answer"] for d in decisions), len(decisions)),
            "lower", "had_invalid_answer",
            "share of decisions with at least one unusable answer (JSON or choice error), corrected or not")
        add("fallback_rate", proportion_estimate(sum(d["fallback"] for d in decisions), len(decisions)), "lower", "fallback",
            "share of decisions played by the random fallback after all retries failed")
        calls = np.asarray([d["model_calls"] for d in decisions], dtype=float)
        stderr = float(calls.std(ddof=1) / np.sqrt(calls.size)) if calls.size > 1 else None
        metrics.append(metric_value("model_calls_per_decision", Estimate(float(calls.mean()), int(calls.size), stderr),
                                    "none", sample_field="model_calls",
                                    description="model calls per decision (retries included)"))
    extra = {
        "games": len(games),
        "decisions": len(decisions),
        "scored_decisions": len(scored),
        "scored_decisions_policy": config.scored_decisions,
        "unscored_decisions": {
            "corrected": sum(1 for d in decisions if not d["scored"] and d["had_invalid_answer"] and not d["fallback"]),
            "fallback": sum(1 for d in decisions if not d["scored"] and d["fallback"]),
        },
        "decisions_by_kind": {k: sum(1 for d in decisions if d["kind"] == k) for k in ("card", "colour", "challenge")},
        "metrics_without_data": skipped,
        "rollouts_per_action": config.rollouts,
        "rollout_information": "perfect" if config.perfect_information else "hidden cards re-dealt",
        "rollout_engine": config.rollout_engine,
        "rules": config.rules,
        "answer_mode": config.answer_mode,
    }
    return metrics, extra


def _better(record: dict[str, Any]) -> int:
    values = record["values"]
    chosen = record["candidates"].index(record["chosen"])
    return sum(1 for v in values if v > values[chosen])


def build_plots(config: UnoConfig, samples: list[dict[str, Any]], artifacts_dir: Path, task: str) -> list[Plot]:
    games = [s for s in samples if s["record"] == "game"]
    scored = [s for s in samples if s["record"] == "decision" and s["scored"]]
    plots: list[Plot] = []
    if games:
        cells = {}
        for setting in config.settings:
            for opponent in config.opponents:
                values = [g["won"] for g in games if g["setting"] == setting and g["opponent"] == opponent]
                if values:
                    cells[(setting, opponent)] = win_rate(values)
        chance_by_setting = {s: 1 / SETTING_PLAYERS[s] for s in config.settings}
        name = f"{task}_win_rate.png"
        plot_win_rates(artifacts_dir / name, cells, chance_by_setting, f"{task}: win rate per setting and opponent")
        plots.append(Plot("win_rate", name, f"Win rate with Wilson 95% CIs per setting and opponent (none below {MIN_INTERVAL_N} games); dashed = 1/players"))
    if scored:
        largest = max(len(d["values"]) for d in scored)
        ks = list(range(1, largest + 1))
        ranks = [DecisionRank(d["rank"], _better(d), len(d["values"])) for d in scored]
        odhr = [odhr_at_k(ranks, k).value for k in ks]
        chance_curve = [chance_odhr_at_k([d["values"] for d in scored], k) for k in ks]
        name = f"{task}_odhr_curve.png"
        plot_odhr_curve(artifacts_dir / name, ks, odhr, chance_curve, f"{task}: ODHR@K over K (reconstructed metric)")
        plots.append(Plot("odhr_curve", name, "ODHR@K over K for the scored decisions, with a uniform random choice"))
    return plots
