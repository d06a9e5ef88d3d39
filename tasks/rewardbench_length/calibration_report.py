"""The `bench calibrate` report: one row per reward model (score before/after each method, section
scores, gain, length-reward Spearman) and the gain's mean/max/min across models (the paper's
Figure 1 as a table). Rendered as JSON (validated against calibration.schema.json), CSV and Markdown.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from bench.harness.errors import DataError
from bench.harness.results import json_safe
from bench.metrics.rewardbench_scoring import SECTIONS
from bench.tasks.rewardbench_length.analysis import CalibrationSettings, MethodOutcome


@dataclass(frozen=True)
class ModelRow:
    model: str
    model_type: str | None
    score_file: str
    n_pairs: int
    penalty_length: str  # "templated text" (published text_*) or "prompt + response"
    scores: dict[str, float]  # method -> overall (0-100); includes "original"
    gains: dict[str, float]  # method -> score - original
    sections: dict[str, dict[str, float]]  # method -> section -> score
    spearman: dict[str, float]  # method -> rho(length, reward)
    score_ci: dict[str, list[float] | None]  # method -> [low, high] (None without bootstrap or when n is too small)
    warnings: list[str]  # e.g. RC-Mean calibrated no pair


@dataclass(frozen=True)
class GainSummary:
    method: str
    mean: float
    max: float
    min: float
    n_models: int
    improved: int  # models with gain > 0


def model_row(
    model: str, model_type: str | None, score_file: str, penalty_length: str, outcomes: dict[str, MethodOutcome]
) -> ModelRow:
    original = outcomes["original"].score.overall
    return ModelRow(
        model=model,
        model_type=model_type,
        score_file=score_file,
        n_pairs=int(outcomes["original"].correct.size),
        penalty_length=penalty_length,
        scores={m: o.score.overall for m, o in outcomes.items()},
        gains={m: o.score.overall - original for m, o in outcomes.items() if m != "original"},
        sections={m: dict(o.score.sections) for m, o in outcomes.items()},
        spearman={m: o.spearman.rho for m, o in outcomes.items()},
        score_ci={
            m: [o.intervals["overall"].low, o.intervals["overall"].high] if "overall" in o.intervals else None
            for m, o in outcomes.items()
        },
        warnings=[f"{m}: {o.extra['warning']}" for m, o in outcomes.items() if o.extra.get("warning")],
    )


def gain_summaries(rows: Sequence[ModelRow], methods: Sequence[str]) -> list[GainSummary]:
    summaries = []
    for method in methods:
        gains = np.array([r.gains[method] for r in rows], float)
        summaries.append(
            GainSummary(method, float(gains.mean()), float(gains.max()), float(gains.min()), len(gains), int((gains > 0).sum()))
        )
    return summaries


def report_document(
    rows: Sequence[ModelRow], methods: Sequence[str], settings: CalibrationSettings, responses: str, command: str
) -> dict[str, Any]:
    document = {
        "kind": "bench-calibrate-report",
        "version": 1,
        "command": command,
        "responses": responses,
        "methods": list(methods),
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(settings).items()},
        "models": [asdict(r) for r in rows],
        "gains": [asdict(g) for g in gain_summaries(rows, methods)],
    }
    document = json_safe(document)
    validate_report(document)
    return document  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    text = resources.files("bench.tasks.rewardbench_length").joinpath("calibration.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def validate_report(document: Any) -> None:
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        where = ".".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise DataError(f"calibration report is invalid at {where}: {' '.join(errors[0].message.split())[:160]}")


def render_csv(rows: Sequence[ModelRow], methods: Sequence[str]) -> str:
    all_methods = ["original", *methods]
    header = ["model", "model_type", "n_pairs", *[f"score_{m}" for m in all_methods], *[f"gain_{m}" for m in methods]]
    header += [f"{_slug(s)}_{m}" for m in all_methods for s in SECTIONS]
    header += [f"spearman_{m}" for m in all_methods]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow(
            [r.model, r.model_type or "", r.n_pairs]
            + [_num(r.scores[m]) for m in all_methods]
            + [_num(r.gains[m]) for m in methods]
            + [_num(r.sections[m].get(s)) for m in all_methods for s in SECTIONS]
            + [_num(r.spearman[m]) for m in all_methods]
        )
    return out.getvalue()


def render_markdown(rows: Sequence[ModelRow], methods: Sequence[str], settings: CalibrationSettings) -> str:
    lines = [
        "# RewardBench length calibration",
        "",
        f"{len(rows)} reward model(s); features {', '.join(settings.features)}; LOWESS frac {settings.lowess_frac}, "
        f"it {settings.lowess_it}, delta {settings.lowess_delta_frac:g} of the range; RC-Mean ratio {settings.rc_mean_ratio:g}, "
        f"m {settings.rc_mean_min_count}, window {settings.rc_mean_window}; XSTest weights {settings.xstest_weights}.",
        "",
        "## Gain across models (score points)",
        "",
        "| method | mean | max | min | improved |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for g in gain_summaries(rows, methods):
        lines.append(f"| {g.method} | {g.mean:+.2f} | {g.max:+.2f} | {g.min:+.2f} | {g.improved}/{g.n_models} |")
    lines += ["", "## Per model: overall score (gain)", ""]
    lines.append("| model | pairs | original | " + " | ".join(methods) + " |")
    lines.append("| --- | ---: | ---: | " + " | ".join("---:" for _ in methods) + " |")
    for r in sorted(rows, key=lambda r: -r.scores["original"]):
        cells = [f"{r.scores[m]:.2f} ({r.gains[m]:+.2f})" for m in methods]
        lines.append(f"| {r.model} | {r.n_pairs} | {r.scores['original']:.2f} | " + " | ".join(cells) + " |")
    lines += ["", "## Per model: section scores, original -> after each method", ""]
    lines.append("| model | method | " + " | ".join(SECTIONS) + " | spearman(length, reward) |")
    lines.append("| --- | --- | " + " | ".join("---:" for _ in SECTIONS) + " | ---: |")
    for r in rows:
        for m in ["original", *methods]:
            cells = [f"{r.sections[m][s]:.2f}" if s in r.sections[m] else "-" for s in SECTIONS]
            lines.append(f"| {r.model} | {m} | " + " | ".join(cells) + f" | {r.spearman[m]:+.3f} |")
    warned = [(r.model, w) for r in rows for w in r.warnings]
    if warned:
        lines += ["", "## Warnings", ""]
        lines += [f"- {model}: {warning}" for model, warning in warned]
    return "\n".join(lines) + "\n"


def _slug(section: str) -> str:
    return section.lower().replace(" ", "_")


def _num(value: float | None) -> str:
    return "" if value is None or not np.isfinite(value) else f"{value:.4f}"
