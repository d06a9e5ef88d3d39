"""`bench calibrate`: post-hoc length calibration of published RewardBench score files.

    bench calibrate SCORES [SCORES ...] [--responses FILE|DATASET] [--method M ... | all]
                    [--xstest-weights paper|fixed] -o OUT

SCORES are per-sample score files in the `allenai/reward-bench-results` `eval-set-scores` format
(one per reward model; folders are searched for *.json). They are joined with the responses on
`id` (default: allenai/reward-bench split filtered through `datasets`; "sample" = the shipped
sample; or a local file). For every model, every method is applied to its 2N pooled responses and
RewardBench is re-scored. OUT (a folder) receives

    calibration.json   the report (validated against calibration.schema.json)
    calibration.csv    one row per model: scores, gains, section scores, Spearman per method
    calibration.md     gain mean/max/min across models + the per-model tables
    scores_before_after.png     per-model score before -> after, and the gains per method
    reward_vs_length/<model>.png    (with --per-model-plots) reward vs length with the LOWESS fit

Every input is read and checked, and every number computed, before anything is written; the files
are then written atomically, so a bad input leaves OUT untouched.
"""

from __future__ import annotations

import argparse
import logging
import math
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from bench.harness.errors import EXIT_OK, DataError, UsageError
from bench.harness.results import write_bytes_atomic, write_json_atomic
from bench.tasks.rewardbench_length.analysis import (
    FEATURES,
    METHODS,
    CalibrationSettings,
    MethodOutcome,
    ScoredPairs,
    evaluate_methods,
    fitted_curve,
)
from bench.tasks.rewardbench_length.calibration_report import (
    ModelRow,
    model_row,
    render_csv,
    render_markdown,
    report_document,
)
from bench.tasks.rewardbench_length.data import HUB_DATASET, load_pairs
from bench.tasks.rewardbench_length.plots import ModelScores, plot_reward_vs_length, plot_scores_before_after
from bench.tasks.rewardbench_length.score_files import find_score_files, join_with_responses, read_score_file

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "calibrate",
        help="post-hoc length calibration of published RewardBench score files (RC-Mean, RC-LWR, penalties)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("scores", nargs="+", metavar="SCORES", help="score files (eval-set-scores format) or folders of them")
    parser.add_argument(
        "--responses", default=HUB_DATASET,
        help=f"responses to join on id: {HUB_DATASET!r} (split filtered, via datasets; default), 'sample', or a .json/.jsonl/.parquet file",
    )
    parser.add_argument(
        "--method", action="append", type=_method_name, metavar="{" + ",".join([*METHODS, "all"]) + "}",
        help="method(s) to apply (repeatable; default all); the paper's spelling works too (RC-LWR, rc-mean, ...)",
    )
    parser.add_argument("--xstest-weights", choices=["paper", "fixed"], default="paper",
                        help="paper = the swapped 250/154 weights the authors used; fixed = the true 154/250")
    parser.add_argument("-o", "--output", required=True, help="output folder")
    parser.add_argument("--feature", action="append", choices=FEATURES,
                        help="length feature(s), applied in sequence (repeatable; default chars)")
    parser.add_argument("--alpha", action="append", type=_finite, help="alpha per feature, or one for all (default 1.0)")
    parser.add_argument("--frac", type=_in_unit_interval, default=1.0, help="LOWESS frac (paper: 1.0 for RewardBench)")
    parser.add_argument("--it", type=_non_negative_int, default=3, help="LOWESS robustifying iterations (statsmodels default 3)")
    parser.add_argument("--delta-frac", type=_fraction, default=0.0, help="LOWESS delta as a fraction of the length range (0 = exact)")
    parser.add_argument("--ratio", type=_positive, default=4.0, help="RC-Mean: window half-width = mean |length gap| / ratio")
    parser.add_argument("--min-count", type=_positive_int, default=20, help="RC-Mean: minimum responses in a window")
    parser.add_argument("--rc-mean-window", choices=["inclusive", "paper"], default="inclusive",
                        help="inclusive window (ours) or the authors' window that drops its last element (seeded)")
    parser.add_argument("--penalty-coef", type=_non_negative, default=0.001, help="length penalty per character of the full text")
    parser.add_argument("--tokenizer", help="tokenizer name/folder for --feature tokens")
    parser.add_argument("--model-type", help="keep only score files whose model_type equals this (e.g. 'Seq. Classifier')")
    parser.add_argument("--min-score", type=_finite, help="keep only models whose original score is above this (notebook: 50)")
    parser.add_argument("--allow-partial", action="store_true", help="score files may cover only some of the responses")
    parser.add_argument("--bootstrap", type=_non_negative_int, default=0, help="bootstrap replicates for CIs (default 0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=_positive_int, default=1, help="models calibrated in parallel processes")
    parser.add_argument("--per-model-plots", action="store_true", help="also plot reward vs length per model")
    parser.set_defaults(func=cmd_calibrate)


# ---- argument types: argparse turns their ArgumentTypeError into one line `bench: error: ...` (exit 2)


def _number(text: str, kind: type = float) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _finite(text: str) -> float:
    return _number(text)


def _positive(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def _non_negative(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def _fraction(text: str) -> float:
    value = _number(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text!r}")
    return value


def _in_unit_interval(text: str) -> float:
    value = _number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text!r}")
    return value


def _positive_int(text: str) -> int:
    value = int(_number(text, int))
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(_number(text, int))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def _method_name(text: str) -> str:
    """'RC-LWR', 'rc-lwr', 'Rc_Lwr' -> 'rc_lwr': the paper writes the names with dashes and capitals."""
    name = text.strip().lower().replace("-", "_").replace(" ", "_")
    if name not in (*METHODS, "all"):
        raise argparse.ArgumentTypeError(f"unknown method {text!r}; choices: {', '.join([*METHODS, 'all'])}")
    return name


def cmd_calibrate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    methods = _methods(args.method)
    try:
        settings = CalibrationSettings(
            features=tuple(args.feature or ("chars",)),
            alphas=tuple(args.alpha or (1.0,)),
            lowess_frac=args.frac,
            lowess_it=args.it,
            lowess_delta_frac=args.delta_frac,
            rc_mean_ratio=args.ratio,
            rc_mean_min_count=args.min_count,
            rc_mean_window=args.rc_mean_window,
            penalty_coef=args.penalty_coef,
            xstest_weights=args.xstest_weights,
            n_boot=args.bootstrap,
            seed=args.seed,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if args.jobs < 1:
        raise UsageError(f"--jobs must be >= 1, got {args.jobs}")
    output = Path(args.output)
    if output.exists() and not output.is_dir():
        raise UsageError(f"output {str(output)!r} exists and is not a folder")

    files = find_score_files(args.scores)
    read = [read_score_file(f, args.model_type) for f in files]  # every file checked before any work
    score_files = [s for s in read if s is not None]
    if not score_files:
        raise DataError(f"no score file has model_type {args.model_type!r}")
    _check_unique_models(score_files)
    responses = {p.id: p for p in load_pairs(args.responses)}
    tokenizer = _tokenizer(args.tokenizer) if "tokens" in settings.features else None
    joined = [join_with_responses(s, responses, settings.features, tokenizer, args.allow_partial) for s in score_files]

    outcomes = _calibrate_all(joined, settings, methods, args.jobs)
    rows = [
        model_row(s.model, s.model_type, str(s.path), "templated text" if s.text_chosen is not None else "prompt + response", o)
        for s, o in zip(score_files, outcomes)
    ]
    keep = [i for i, r in enumerate(rows) if args.min_score is None or r.scores["original"] > args.min_score]
    if not keep:
        raise DataError(f"no model has an original score above --min-score {args.min_score}")
    rows = [rows[i] for i in keep]
    command = "bench " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    document = report_document(rows, methods, settings, args.responses, command)

    with tempfile.TemporaryDirectory(prefix="bench-calibrate-") as staging:
        plots = _plots(Path(staging), rows, methods, [joined[i] for i in keep], [outcomes[i] for i in keep], settings, args.per_model_plots)
        write_json_atomic(output / "calibration.json", document)
        write_bytes_atomic(output / "calibration.csv", render_csv(rows, methods).encode())
        write_bytes_atomic(output / "calibration.md", render_markdown(rows, methods, settings).encode())
        for relative, staged in plots:
            write_bytes_atomic(output / relative, staged.read_bytes())
    _print_summary(document, output, time.perf_counter() - started)
    return EXIT_OK


def _methods(chosen: Sequence[str] | None) -> tuple[str, ...]:
    if not chosen or "all" in chosen:
        return METHODS
    return tuple(m for m in METHODS if m in chosen)


def _check_unique_models(score_files: Sequence[Any]) -> None:
    seen: dict[str, Path] = {}
    for s in score_files:
        if s.model in seen:
            raise DataError(f"score file {str(s.path)!r} is for model {s.model!r}, like {str(seen[s.model])!r}")
        seen[s.model] = s.path


def _tokenizer(name: str | None) -> Any:
    if not name:
        raise UsageError("--feature tokens needs --tokenizer NAME_OR_FOLDER (the reward model's tokenizer)")
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(name)
    except OSError as exc:
        raise UsageError(f"cannot load tokenizer {name!r}: {str(exc).splitlines()[0]}") from exc


def _calibrate_one(pairs: ScoredPairs, settings: CalibrationSettings, methods: tuple[str, ...]) -> dict[str, MethodOutcome]:
    return evaluate_methods(pairs, settings, ("original", *methods))


def _calibrate_all(
    joined: list[ScoredPairs], settings: CalibrationSettings, methods: tuple[str, ...], jobs: int
) -> list[dict[str, MethodOutcome]]:
    if jobs == 1 or len(joined) == 1:
        return [_calibrate_one(p, settings, methods) for p in joined]
    with ProcessPoolExecutor(max_workers=min(jobs, len(joined))) as pool:
        return list(pool.map(_calibrate_one, joined, [settings] * len(joined), [methods] * len(joined)))


def _plots(
    staging: Path,
    rows: list[ModelRow],
    methods: tuple[str, ...],
    joined: list[ScoredPairs],
    outcomes: list[dict[str, MethodOutcome]],
    settings: CalibrationSettings,
    per_model: bool,
) -> list[tuple[str, Path]]:
    """Draw into `staging`; returns (path relative to OUT, staged file)."""
    made = []
    path = staging / "scores_before_after.png"
    plot_scores_before_after(
        path, [ModelScores(r.model, r.scores["original"], {m: r.scores[m] for m in methods}) for r in rows], methods
    )
    made.append(("scores_before_after.png", path))
    if per_model:
        method = "rc_lwr" if "rc_lwr" in methods else methods[0]
        feature = settings.features[0]
        for row, pairs, outcome in zip(rows, joined, outcomes):
            lengths = np.concatenate(pairs.features[feature])
            before = np.concatenate([pairs.chosen_scores, pairs.rejected_scores])
            after = np.concatenate([outcome[method].chosen, outcome[method].rejected])
            name = f"reward_vs_length/{row.model.replace('/', '__')}.png"
            plot_reward_vs_length(
                staging / name, lengths, before, fitted_curve(lengths, before, settings), after,
                fitted_curve(lengths, after, settings), f"{row.model}: {method}", feature, method,
            )
            made.append((name, staging / name))
    return made


def _print_summary(document: dict[str, Any], output: Path, seconds: float) -> None:
    lines = [f"{len(document['models'])} model(s) calibrated in {seconds:.1f} s; gain in score points:"]
    for g in document["gains"]:
        lines.append(f"  {g['method']:16s} mean {g['mean']:+.2f}  max {g['max']:+.2f}  min {g['min']:+.2f}  improved {g['improved']}/{g['n_models']}")
    lines += [f"warning: {m['model']}: {w}" for m in document["models"] for w in m["warnings"]]
    lines.append(f"report: {output / 'calibration.md'}")
    print("\n".join(lines))

