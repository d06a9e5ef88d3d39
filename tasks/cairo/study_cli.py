"""`bench study cairo`: correlation of BOLD / HolisticBias / HONEST bias across models, with CAIRO's combination search.

    bench study cairo RUN [RUN ...] -o OUT [--max-k 6] [--method pearson|spearman] [--permutations 1000]
    bench study cairo --models A,B,C [--backend hf] [--model-args K=V,...] [--limit N] [--task-args ...]
                      [--results DIR] [--cache-path FILE] [--timeout-per-model S] -o OUT
    bench study cairo --variants-of MODEL_FOLDER [--variants int8,noise:0.02,interp:0.5] ... -o OUT

RUN is a result.json (or its run folder) of `bench eval --tasks cairo` on one model. With
--models, each model is first run through `bench eval --tasks cairo` one at a time (same request
cache, so a repeated study is answered from it), and those runs are analysed; their result
documents are ordinary ones (`bench leaderboard` shows them). --variants-of builds variant
checkpoints of one folder (int8 / fp16 copies, noise-perturbed copies, weight interpolations;
each recorded in its variant.json) and studies the base with them. OUT receives

    cairo_study.json   the report (checked against a JSON schema before writing)
    cairo_study.md     the tables: per-model bias per metric, per pair original / selected / held-out r
    correlation_vs_k_<group>_<m1>_<m2>.png   mean r per k with its +-1 sd band, the max, the held-out mean
    bias_<metric>.png  per-model bias bars, one panel per group

Every input is read and every number computed before anything is written; files are written atomically.
"""

from __future__ import annotations

import argparse
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.harness.errors import EXIT_OK, BenchError, DataError, UsageError
from bench.harness.results import (
    load_result,
    load_samples,
    result_path,
    write_bytes_atomic,
    write_json_atomic,
)
from bench.tasks.cairo.study import METRICS, ModelRun, analyse
from bench.tasks.cairo.table import bias_tables

log = logging.getLogger("bench.cairo.study")

REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["models", "scorer", "method", "max_k", "bias", "pairs"],
    "properties": {
        "models": {"type": "array", "items": {"type": "string"}, "minItems": 3},
        "scorer": {"type": "string"},
        "method": {"enum": ["pearson", "spearman"]},
        "max_k": {"type": "integer", "minimum": 1},
        "bias": {"type": "object"},
        "pairs": {
            "type": "array", "minItems": 1,
            "items": {
                "type": "object", "required": ["group", "metrics", "pool"],
                "properties": {
                    "original": {"type": "object", "properties": {"r": {"type": ["number", "null"], "minimum": -1, "maximum": 1}}},
                    "selected": {"type": "object", "properties": {
                        "r_selection": {"type": "number", "minimum": -1, "maximum": 1},
                        "r_heldout": {"type": ["number", "null"], "minimum": -1, "maximum": 1},
                        "p_value_with_search": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                    }},
                },
            },
        },
    },
}


class StudyRunError(BenchError):
    """A model's `bench eval` inside the study failed; carries that run's exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("study", help=__doc__.splitlines()[0] if __doc__ else "", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("study", choices=["cairo"], help="which study (cairo)")
    parser.add_argument("runs", nargs="*", help="result.json files or run folders of `bench eval --tasks cairo`")
    parser.add_argument("-o", "--output", required=True, help="folder for the report and plots")
    parser.add_argument("--models", help="comma-separated models to run first (one `bench eval --tasks cairo` each)")
    parser.add_argument("--backend", default="hf")
    parser.add_argument("--model-args", default="")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--task-args", default="")
    parser.add_argument("--variants-of", help="a model folder: also study variants of it built here (tasks/cairo/variants.py)")
    parser.add_argument("--variants", default="int8,noise:0.02,interp:0.5", help="variant recipes: fp16, int8, noise:S, interp:A")
    parser.add_argument("--variants-dir", help="where the variant folders go (default: OUTPUT/models)")
    parser.add_argument("--results", default="results", help="--output-path of the model runs (default: results)")
    parser.add_argument("--cache-path", help="request cache of the model runs (default: bench's)")
    parser.add_argument("--timeout-per-model", type=float, default=6 * 3600, help="seconds one model's run may take")
    parser.add_argument("--max-k", type=int, default=6, help="largest number of prompt sets in a combination")
    parser.add_argument("--method", choices=["pearson", "spearman"], default="pearson")
    parser.add_argument("--permutations", type=int, default=1000, help="permutations and bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.max_k < 1 or args.permutations < 19:
        raise UsageError("--max-k must be >= 1 and --permutations >= 19")
    files = [Path(p) for p in args.runs]
    models = [m.strip() for m in (args.models or "").split(",") if m.strip()]
    if args.variants_of:
        from bench.tasks.cairo.variants import make_variants

        recipes = [r.strip() for r in args.variants.split(",") if r.strip()]
        try:
            folders = make_variants(Path(args.variants_of), Path(args.variants_dir or Path(args.output) / "models"), recipes, args.seed)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        models += [args.variants_of, *map(str, folders)]
    files += [run_model(m, args) for m in models]
    if not files:
        raise UsageError("give result files of `bench eval --tasks cairo` runs, or --models A,B,C")
    runs = [load_run(f) for f in files]
    report = analyse(runs, max_k=args.max_k, method=args.method, n_permutations=args.permutations, seed=args.seed)
    import jsonschema

    jsonschema.validate(report, REPORT_SCHEMA)
    figures = plots(report)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "cairo_study.json", report)
    write_bytes_atomic(out / "cairo_study.md", markdown(report).encode())
    for name, png in figures.items():
        write_bytes_atomic(out / name, png)
    print(markdown(report))
    print(f"report: {out / 'cairo_study.json'}")
    return EXIT_OK


def run_model(model: str, args: argparse.Namespace) -> Path:
    """`bench eval --tasks cairo` on one model in a child process (bounded by --timeout-per-model);
    the path of its result.json."""
    command = [sys.executable, "-m", "bench.harness.cli", "eval", "--model", model, "--backend", args.backend,
               "--tasks", "cairo", "--output-path", args.results, "--no-progress", "--seed", str(args.seed)]
    for flag, value in (("--model-args", args.model_args), ("--task-args", args.task_args), ("--cache-path", args.cache_path)):
        if value:
            command += [flag, value]
    if args.limit is not None:
        command += ["--limit", str(args.limit)]
    log.info("study: running %s", " ".join(command))
    print(f"study: bench eval --tasks cairo --model {model}", file=sys.stderr)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout_per_model)
    except subprocess.TimeoutExpired as exc:
        raise StudyRunError(f"model {model!r}: bench eval ran over --timeout-per-model {args.timeout_per_model:g} s", 3) from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise StudyRunError(f"model {model!r}: {last}", done.returncode)
    match = re.search(r"^result: (.+)$", done.stdout, re.M)
    if match is None:
        raise StudyRunError(f"model {model!r}: bench eval printed no result path", 4)
    return Path(match.group(1).strip())


def load_run(path: Path) -> ModelRun:
    """One model's CAIRO tables from its result document and samples files."""
    file = result_path(path)
    document = load_result(file)
    model = document.get("model", {})
    label = str(model.get("name") or file.parent.name)
    tables, scorers = {}, set()
    for metric in METRICS:
        task = f"cairo_{metric}"
        entry = document.get("tasks", {}).get(task)
        if entry is None or entry.get("status") != "ok":
            continue
        samples = load_samples(file, task)
        tables[metric] = bias_tables(samples)
        scorers |= {s["scorer"] for s in samples if s.get("scorer")}
    if not tables:
        raise DataError(f"{file} has no finished cairo_* task")
    return ModelRun(label, tables, frozenset(scorers))


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def markdown(report: dict[str, Any]) -> str:
    lines = [f"# CAIRO study: {len(report['models'])} models", "",
             f"Scorer: {report['scorer']}; {report['method']} correlation; combinations up to k = {report['max_k']}.", "",
             "## Bias per model (original prompts, seeds averaged)", ""]
    for metric, groups in sorted(report["bias"].items()):
        keys = sorted(groups)
        lines += [f"### {metric}", "", "| model | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
        for model in report["models"]:
            lines.append(f"| {model} | " + " | ".join(_fmt(groups[k].get(model)) for k in keys) + " |")
        lines.append("")
    lines += ["## Correlation between metrics", "",
              "| group | pair | sets in pool | combinations | r original [95% CI] (p) | mean r over combinations | "
              "CAIRO r (selection) | same combination held out | p with the search | held out on |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for pair in report["pairs"]:
        if "error" in pair:
            lines.append(f"| {pair['group']} | {' vs '.join(pair['metrics'])} | {len(pair['pool'])} | – | {pair['error']} |||||")
            continue
        o, s = pair["original"], pair["selected"]
        ci = "" if o["ci"][0] is None else f" [{_fmt(o['ci'][0])}, {_fmt(o['ci'][1])}]"
        mean = sum(v for v in pair["average"]["r_selection_by_k"].values()) / len(pair["average"]["r_selection_by_k"])
        lines.append(
            f"| {pair['group']} | {' vs '.join(pair['metrics'])} | {len(pair['pool'])} | {pair['n_combinations']} | "
            f"{_fmt(o['r'])}{ci} ({_fmt(o['p_value'])}) | {_fmt(mean)} | {_fmt(s['r_selection'])} (k={s['k']}) | "
            f"{_fmt(s['r_heldout'])} | {_fmt(s['p_value_with_search'])} | {pair['heldout']} |"
        )
    lines += ["", "The selected r is a maximum over all combinations and is optimistic by construction; the held-out "
              "value of the same combination and the p-value that repeats the search under permutations are the honest "
              "figures."]
    return "\n".join(lines) + "\n"


def plots(report: dict[str, Any]) -> dict[str, bytes]:
    """PNG bytes by file name: correlation vs k per pair, per-model bias bars per metric."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def png(fig: Any) -> bytes:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        return buffer.getvalue()

    out: dict[str, bytes] = {}
    for pair in report["pairs"]:
        if "error" in pair:
            continue
        ks = sorted(int(k) for k in pair["by_k"])
        rows = [pair["by_k"][str(k)] for k in ks]
        mean = [r["mean"] if r["mean"] is not None else float("nan") for r in rows]
        sd = [r["sd"] or 0.0 for r in rows]
        fig, ax = plt.subplots(figsize=(5.5, 3.5))
        ax.plot(ks, mean, marker="o", label="average over combinations")
        ax.fill_between(ks, [m - s for m, s in zip(mean, sd, strict=True)], [m + s for m, s in zip(mean, sd, strict=True)], alpha=0.25)
        ax.plot(ks, [r["max"] if r["max"] is not None else float("nan") for r in rows], marker="^", label="best (selection)")
        ax.plot(ks, [r["heldout_mean"] if r["heldout_mean"] is not None else float("nan") for r in rows], ls="--", label="average, held out")
        ax.scatter([pair["selected"]["k"]], [pair["selected"]["r_heldout"] or float("nan")], color="red", zorder=3, label="CAIRO choice, held out")
        ax.set_xlabel("prompt sets in the combination (k)")
        ax.set_ylabel(f"{report['method']} r over {len(report['models'])} models")
        ax.set_ylim(-1.05, 1.05)
        ax.set_title(f"{pair['group']}: {' vs '.join(pair['metrics'])}")
        ax.legend(fontsize=7)
        out[f"correlation_vs_k_{pair['group']}_{'_'.join(pair['metrics'])}.png"] = png(fig)
    for metric, groups in sorted(report["bias"].items()):
        keys = sorted(groups)
        fig, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 3.2), squeeze=False)
        for ax, key in zip(axes[0], keys, strict=True):
            values = [groups[key].get(m, float("nan")) for m in report["models"]]
            ax.bar(range(len(values)), values)
            ax.set_xticks(range(len(values)), [m[-18:] for m in report["models"]], rotation=60, ha="right", fontsize=7)
            ax.set_title(f"{metric} {key}", fontsize=9)
        axes[0][0].set_ylabel("bias (sum |pooled - subgroup|)")
        out[f"bias_{metric}.png"] = png(fig)
    return out

