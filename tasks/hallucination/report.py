"""The paper's view of hallucination results: scores by architecture family and size.

Huang et al. (Findings of ACL 2025) compare attention, recurrent and hybrid models of matched
size on the Hallucinations Leaderboard's tasks. From bench result documents this module builds:

- per model: factuality and faithfulness (unweighted means of the task headline metrics, each in
  [0, 1]; bench.metrics.hallucination_scores) with stratified bootstrap CIs over samples, and a
  per-subcategory table (closed-book QA, summarisation, ...), with majority baselines beside the
  detection tasks;
- per (family, size bucket): the same scores with each task's samples pooled over the group's models;
- per size bucket holding two families: per-task deltas (family A - family B) with a bootstrap CI.

Pure: `build_report(runs, seed)` takes `ModelRun` records (what the CLI read from the documents)
and returns a JSON-serialisable dict; plots and markdown are rendered from that dict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from bench.metrics.hallucination_scores import (
    bootstrap_difference,
    stratified_bootstrap_score,
    unweighted_score,
)
from bench.tasks.hallucination.probes import PROBES

SIZE_BUCKETS: tuple[tuple[str, float], ...] = (("<1B", 1e9), ("1-3B", 3e9), ("3-10B", 1e10), ("10-30B", 3e10), (">=30B", math.inf))
CATEGORIES = ("factuality", "faithfulness")


@dataclass(frozen=True)
class TaskScores:
    """One probe of one run: the headline value and each sample's contribution to it."""

    task: str
    value: float
    samples: tuple[float, ...] = ()
    baseline: float | None = None  # majority-class baseline (detection tasks)


@dataclass(frozen=True)
class ModelRun:
    model: str
    family: str
    parameter_count: int | None
    tasks: dict[str, TaskScores] = field(default_factory=dict)


def size_bucket(parameters: int | None) -> str:
    if parameters is None:
        return "unknown"
    return next(label for label, upper in SIZE_BUCKETS if parameters < upper)


def _category_tasks(tasks: Sequence[str], category: str) -> list[str]:
    return [t for t in tasks if t in PROBES and PROBES[t].category == category]


def _score(run_tasks: dict[str, TaskScores], names: list[str], seed: int) -> dict[str, Any]:
    value = unweighted_score({t: run_tasks[t].value for t in names})
    interval = stratified_bootstrap_score([run_tasks[t].samples for t in names], seed=seed) if names else None
    return {"value": None if math.isnan(value) else value, "ci": list(interval) if interval else None,
            "tasks": len(names)}


def build_report(runs: Sequence[ModelRun], seed: int = 0) -> dict[str, Any]:
    """The report dict: models, families by size, per-task deltas (see the module docstring)."""
    all_tasks = sorted({t for run in runs for t in run.tasks if t in PROBES})
    models = []
    for run in runs:
        row: dict[str, Any] = {"model": run.model, "family": run.family, "parameter_count": run.parameter_count,
                               "size": size_bucket(run.parameter_count)}
        for category in CATEGORIES:
            row[category] = _score(run.tasks, _category_tasks(list(run.tasks), category), seed)
        row["tasks"] = {t: {"value": s.value, "baseline": s.baseline, "n": len(s.samples)} for t, s in sorted(run.tasks.items())}
        subcategories: dict[str, list[float]] = {}
        for t, s in run.tasks.items():
            if t in PROBES:
                subcategories.setdefault(PROBES[t].subcategory, []).append(s.value)
        row["subcategories"] = {k: sum(v) / len(v) for k, v in sorted(subcategories.items())}
        models.append(row)

    groups: dict[tuple[str, str], list[ModelRun]] = {}
    for run in runs:
        groups.setdefault((run.family, size_bucket(run.parameter_count)), []).append(run)
    pooled = {key: _pool(members) for key, members in groups.items()}
    families = []
    for (family, size), tasks in sorted(pooled.items()):
        entry: dict[str, Any] = {"family": family, "size": size, "models": [r.model for r in groups[(family, size)]]}
        for category in CATEGORIES:
            names = _category_tasks(list(tasks), category)
            value = unweighted_score({t: _mean(tasks[t]) for t in names})
            interval = stratified_bootstrap_score([tasks[t] for t in names], seed=seed) if names else None
            entry[category] = {"value": None if math.isnan(value) else value, "ci": list(interval) if interval else None}
        families.append(entry)

    deltas = []
    sizes = sorted({size for _, size in pooled})
    for size in sizes:
        present = sorted(family for family, s in pooled if s == size)
        for a, b in combinations(present, 2):
            for task in all_tasks:
                xa, xb = pooled[(a, size)].get(task), pooled[(b, size)].get(task)
                if not xa or not xb:
                    continue
                interval = bootstrap_difference([xa], [xb], seed=seed)
                deltas.append({"size": size, "family_a": a, "family_b": b, "task": task,
                               "category": PROBES[task].category, "delta": _mean(xa) - _mean(xb),
                               "ci": list(interval) if interval else None})
    return {"tasks": all_tasks, "models": models, "families": families, "deltas": deltas,
            "notes": ["scores are unweighted means of task headline metrics in [0, 1] (Hallucinations Leaderboard)",
                      "CIs: stratified bootstrap over samples (2000 resamples, 95%); none when a task has < 5 samples",
                      "size buckets by parameter count: " + ", ".join(label for label, _ in SIZE_BUCKETS)]}


def _pool(members: Sequence[ModelRun]) -> dict[str, list[float]]:
    pooled: dict[str, list[float]] = {}
    for run in members:
        for task, scores in run.tasks.items():
            pooled.setdefault(task, []).extend(scores.samples or [scores.value])
    return pooled


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _fmt(score: dict[str, Any]) -> str:
    if score.get("value") is None:
        return "—"
    ci = score.get("ci")
    return f"{score['value']:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else " (n too small for a CI)")


def render_markdown(report: dict[str, Any]) -> str:
    lines = ["# Hallucination probes by architecture", "", "## Models", "",
             "| model | family | parameters | factuality | faithfulness |", "| --- | --- | --- | --- | --- |"]
    for row in report["models"]:
        params = f"{row['parameter_count'] / 1e9:.2f}B" if row["parameter_count"] else "unknown"
        lines.append(f"| {row['model']} | {row['family']} | {params} | {_fmt(row['factuality'])} | {_fmt(row['faithfulness'])} |")
    lines += ["", "## Tasks (headline metric; majority baseline beside detection tasks)", "",
              "| task | category | " + " | ".join(r["model"] for r in report["models"]) + " |",
              "| --- | --- | " + " | ".join("---" for _ in report["models"]) + " |"]
    for task in report["tasks"]:
        cells = []
        for row in report["models"]:
            entry = row["tasks"].get(task)
            if entry is None:
                cells.append("—")
            else:
                baseline = f" (majority {entry['baseline']:.2f})" if entry.get("baseline") is not None else ""
                cells.append(f"{entry['value']:.3f}{baseline}")
        lines.append(f"| {task} | {PROBES[task].category} | " + " | ".join(cells) + " |")
    subcategories = sorted({k for row in report["models"] for k in row["subcategories"]})
    lines += ["", "## By category", "", "| model | " + " | ".join(subcategories) + " |",
              "| --- | " + " | ".join("---" for _ in subcategories) + " |"]
    for row in report["models"]:
        values = [f"{row['subcategories'][k]:.3f}" if k in row["subcategories"] else "—" for k in subcategories]
        lines.append(f"| {row['model']} | " + " | ".join(values) + " |")
    lines += ["", "## Families by size (samples pooled over each group's models)", "",
              "| family | size | models | factuality | faithfulness |", "| --- | --- | --- | --- | --- |"]
    for entry in report["families"]:
        lines.append(f"| {entry['family']} | {entry['size']} | {len(entry['models'])} | {_fmt(entry['factuality'])} | "
                     f"{_fmt(entry['faithfulness'])} |")
    lines += ["", "## Per-task deltas between families at matched size (A - B)", ""]
    if report["deltas"]:
        lines += ["| size | A | B | task | delta [95% CI] |", "| --- | --- | --- | --- | --- |"]
        for d in report["deltas"]:
            ci = f" [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}]" if d["ci"] else " (n too small for a CI)"
            lines.append(f"| {d['size']} | {d['family_a']} | {d['family_b']} | {d['task']} | {d['delta']:+.3f}{ci} |")
    else:
        lines.append("No size bucket holds two families: no deltas.")
    lines += ["", *[f"- {note}" for note in report["notes"]], ""]
    return "\n".join(lines)


FAMILY_COLOURS = {"attention": "#1f77b4", "recurrent": "#d62728", "hybrid": "#2ca02c", "unknown": "#7f7f7f"}


def plot_scatter(report: dict[str, Any], path: Any) -> None:
    """Faithfulness vs factuality, one point per model, coloured by family."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5))
    for family, colour in FAMILY_COLOURS.items():
        rows = [r for r in report["models"] if r["family"] == family
                and r["factuality"]["value"] is not None and r["faithfulness"]["value"] is not None]
        if rows:
            ax.scatter([r["factuality"]["value"] for r in rows], [r["faithfulness"]["value"] for r in rows],
                       c=colour, label=family, s=40)
            for r in rows:
                ax.annotate(r["model"], (r["factuality"]["value"], r["faithfulness"]["value"]), fontsize=7)
    ax.set_xlabel("factuality score")
    ax.set_ylabel("faithfulness score")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(title="family")
    ax.set_title("Hallucination: faithfulness vs factuality by architecture")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_deltas(report: dict[str, Any], path: Any) -> None:
    """Per-task delta bars (family A - family B) with their CIs, one panel per size/pair."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for d in report["deltas"]:
        panels.setdefault((d["size"], d["family_a"], d["family_b"]), []).append(d)
    fig, axes = plt.subplots(max(1, len(panels)), 1, figsize=(8, 0.3 * max((len(v) for v in panels.values()), default=4) + 2),
                             squeeze=False)
    for ax, ((size, a, b), rows) in zip(axes[:, 0], sorted(panels.items())):
        y = list(range(len(rows)))
        values = [d["delta"] for d in rows]
        errors = [[d["delta"] - d["ci"][0] if d["ci"] else 0 for d in rows], [d["ci"][1] - d["delta"] if d["ci"] else 0 for d in rows]]
        ax.barh(y, values, xerr=errors, color=["#1f77b4" if d["category"] == "factuality" else "#ff7f0e" for d in rows])
        ax.set_yticks(y, [d["task"] for d in rows], fontsize=7)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(f"{size}: {a} - {b} (blue factuality, orange faithfulness)", fontsize=9)
    if not panels:
        axes[0, 0].text(0.5, 0.5, "no size bucket holds two families", ha="center", va="center")
        axes[0, 0].set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
