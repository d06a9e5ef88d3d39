"""Metrics, plot and tables of a TextWorld run, computed from its episode records alone.

Only "eval" episodes (test-split games) are measured. Per agent (plain / reflexion / tips):

- `normalised_score_<agent>`, `success_rate_<agent>`, `steps_<agent>`: at the last trial;
- `normalised_score_<agent>_trial<t>`, `success_rate_<agent>_trial<t>`: every trial (when trials > 1);
- `normalised_score_<agent>_L<l>`, `success_rate_<agent>_L<l>`: per level at the last trial
  (when more than one level is played).

Each metric's name is also a field of the records it averages (`metric_fields`, stamped by the
task when it writes them), so the gate can pair runs game by game.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.harness.task import MetricValue, Plot
from bench.metrics.intervals import MIN_INTERVAL_N, Estimate, metric_value
from bench.metrics.textworld_scores import mean_normalised_score, mean_steps, normalised_score, success_rate
from bench.tasks.textworld.config import TextWorldConfig

AGENT_LABELS = {"plain": "plain LLM agent", "reflexion": "Reflexion agent", "tips": "Introspective Tips agent"}


def eval_episodes(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in samples if s.get("record") == "episode" and s.get("phase") == "eval"]


def metric_fields(record: dict[str, Any], config: TextWorldConfig) -> dict[str, float | bool | int]:
    """The per-metric values an eval episode record contributes (field name = metric name)."""
    agent, trial = record["agent"], record["trial"]
    value = normalised_score(record["score"], record["max_score"])
    fields: dict[str, float | bool | int] = {}
    if config.trials > 1:
        fields[f"normalised_score_{agent}_trial{trial}"] = value
        fields[f"success_rate_{agent}_trial{trial}"] = bool(record["won"])
    if trial == config.trials:
        fields[f"normalised_score_{agent}"] = value
        fields[f"success_rate_{agent}"] = bool(record["won"])
        fields[f"steps_{agent}"] = int(record["steps"])
        if len(config.levels) > 1:
            fields[f"normalised_score_{agent}_L{record['level']}"] = value
            fields[f"success_rate_{agent}_L{record['level']}"] = bool(record["won"])
    return fields


def build_metrics(config: TextWorldConfig, samples: list[dict[str, Any]], seed: int) -> tuple[list[MetricValue], dict[str, Any]]:
    episodes = eval_episodes(samples)
    columns: dict[str, list[float | bool | int]] = defaultdict(list)
    for record in episodes:
        for name, value in metric_fields(record, config).items():
            columns[name].append(value)
    metrics: list[MetricValue] = []
    for agent in config.agents:
        label = AGENT_LABELS[agent]
        suffixes = [("", "at the last trial")]
        if config.trials > 1:
            suffixes += [(f"_trial{t}", f"at trial {t}") for t in range(1, config.trials + 1)]
        if len(config.levels) > 1:
            suffixes += [(f"_{lv}", f"on level {lv}, last trial") for lv in config.levels]
        for suffix, where in suffixes:
            name = f"normalised_score_{agent}{suffix}"
            if columns.get(name):
                estimate = mean_normalised_score([float(v) for v in columns[name]], seed)
                metrics.append(metric_value(name, estimate, "higher", sample_field=name,
                                            description=f"{label}: mean score / max_score over test games {where}"))
            name = f"success_rate_{agent}{suffix}"
            if columns.get(name):
                metrics.append(metric_value(name, success_rate([bool(v) for v in columns[name]]), "higher", sample_field=name,
                                            description=f"{label}: share of test games won {where}"))
            name = f"steps_{agent}{suffix}"
            if columns.get(name):
                estimate = mean_steps([int(v) for v in columns[name]], config.max_steps, seed)
                metrics.append(metric_value(name, estimate, "lower", sample_field=name,
                                            description=f"{label}: commands until won, lost or {config.max_steps} {where}"))
    extra = {
        "episodes": {phase: sum(1 for s in samples if s.get("record") == "episode" and s.get("phase") == phase)
                     for phase in ("eval", "source", "demonstration")},
        "test_games": sorted({e["game_id"] for e in episodes}),
        "games": _games(samples),
        "memory": {s["agent"]: {"kind": s["memory_kind"], "items": s["items"]} for s in samples if s.get("record") == "memory"},
        "final_tips": _final_tips(episodes),
        "choice_mode": config.choice_mode,
        "inadmissible_commands": sum(e["inadmissible_commands"] for e in episodes),
        "sanitised_commands": sum(e["sanitised_commands"] for e in episodes),
        "commands": sum(e["steps"] for e in episodes),
        "levels": "arenas/textworld/games.py LEVEL_ARGS (ours, after the First TextWorld Problems)",
    }
    return metrics, extra


def _games(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every game the run played (test and training), with its tw-make command line, once."""
    games = {s["game"]["game_id"]: s["game"] for s in samples if s.get("record") == "episode"}
    return [games[k] for k in sorted(games)]


def _final_tips(episodes: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Tips in force at the last trial of each test game (the tips agent's)."""
    last: dict[str, dict[str, Any]] = {}
    for e in episodes:
        if e["agent"] == "tips" and (e["game_id"] not in last or e["trial"] > last[e["game_id"]]["trial"]):
            last[e["game_id"]] = e
    return {game: e["memory"] for game, e in sorted(last.items())}


def score_by_trial(config: TextWorldConfig, samples: list[dict[str, Any]], seed: int) -> dict[str, list[Estimate]]:
    """Per agent, the mean normalised score over test games at trial 1..T."""
    values: dict[tuple[str, int], list[float]] = defaultdict(list)
    for e in eval_episodes(samples):
        values[(e["agent"], e["trial"])].append(normalised_score(e["score"], e["max_score"]))
    return {
        agent: [mean_normalised_score(values[(agent, t)], seed) for t in range(1, config.trials + 1) if values[(agent, t)]]
        for agent in config.agents if values[(agent, 1)]
    }


def build_plots(config: TextWorldConfig, samples: list[dict[str, Any]], artifacts_dir: Path, task: str, seed: int) -> list[Plot]:
    from bench.tasks.textworld.plots import plot_score_by_trial

    curves = score_by_trial(config, samples, seed)
    if not curves:
        return []
    name = f"{task}_score_by_trial.png"
    plot_score_by_trial(artifacts_dir / name, {AGENT_LABELS[a]: c for a, c in curves.items()},
                        f"{task}: normalised score vs trial")
    return [Plot("score_by_trial", name,
                 f"Mean normalised score over test games per trial and agent, bootstrap 95% CIs (none below {MIN_INTERVAL_N} games)")]
