"""`bench report hallucination RESULTS... -o OUT`: hallucination scores by architecture family and size.

RESULTS are result.json files or folders searched for them (runs of the `hallucination` group or
some of its probes, one or several models). Each model's architecture family and parameter count
come from its document (`model.architecture`); per-sample scores from its samples files (checked
against their sha256). OUT (a folder) receives

    hallucination_report.json   models, families by size, per-task deltas (bench.tasks.hallucination.report)
    hallucination_report.md     the same as tables
    faithfulness_vs_factuality.png   one point per model, coloured by family
    family_deltas.png           per-task deltas between families at matched size, with CIs

Everything is read and computed before anything is written; each file is written atomically.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from bench.harness.errors import EXIT_OK, DataError
from bench.harness.results import read_result, read_samples, write_bytes_atomic

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "hallucination", help="hallucination probe scores by architecture family and size (Huang et al. 2025)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("results", nargs="+", metavar="RESULTS", help="result.json files or folders holding them")
    parser.add_argument("-o", "--output", required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.set_defaults(func=run)


def _result_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found = sorted(path.rglob("result.json"))
            if not found:
                raise DataError(f"folder {text!r} holds no result.json")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise DataError(f"result path {text!r} does not exist")
    return files


def collect_runs(paths: list[str]) -> list[Any]:
    """One ModelRun per model name (later documents add or replace probes of the same model)."""
    from bench.tasks.hallucination.probes import PROBES
    from bench.tasks.hallucination.report import ModelRun, TaskScores
    from bench.tasks.hallucination.task import headline_sample_scores, headline_scale

    runs: dict[str, ModelRun] = {}
    for file in _result_files(paths):
        document = read_result(file)
        tasks = {name: entry for name, entry in document.tasks.items() if name in PROBES and entry.ok}
        if not tasks:
            log.info("%s has no finished hallucination probe; skipped", file)
            continue
        architecture = document.model.architecture or {}
        run = runs.setdefault(document.model.name, ModelRun(
            document.model.name, document.model.architecture_family, architecture.get("parameter_count")))
        for name, entry in tasks.items():
            headline = entry.headline
            if headline is None or not headline.has_value:
                continue
            records = read_samples(file.parent, entry) or {}
            samples = [records[key] for key in sorted(records)]
            baseline = entry.metric("majority_baseline")
            run.tasks[name] = TaskScores(
                name, headline.value / headline_scale(PROBES[name]), tuple(headline_sample_scores(PROBES[name], samples)) if samples else (),
                baseline.value if baseline is not None and baseline.has_value else None,
            )
    if not runs:
        raise DataError(f"no finished hallucination probes in {', '.join(paths)}; run `bench eval --tasks hallucination` first")
    return list(runs.values())


def _plot_atomic(plot: Any, report: dict[str, Any], path: Path) -> None:
    handle, temporary = tempfile.mkstemp(suffix=".png", dir=path.parent)
    os.close(handle)
    try:
        plot(report, temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def run(args: argparse.Namespace) -> int:
    from bench.tasks.hallucination.report import build_report, plot_deltas, plot_scatter, render_markdown

    report = build_report(collect_runs(args.results), seed=args.seed)
    markdown = render_markdown(report)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(out / "hallucination_report.json", (json.dumps(report, indent=2) + "\n").encode())
    write_bytes_atomic(out / "hallucination_report.md", markdown.encode())
    _plot_atomic(plot_scatter, report, out / "faithfulness_vs_factuality.png")
    _plot_atomic(plot_deltas, report, out / "family_deltas.png")
    print(markdown)
    print(f"report: {out / 'hallucination_report.md'}")
    return EXIT_OK
