"""`bench leaderboard RESULTS_DIR -o SITE_DIR`: build the static leaderboard site from result documents.

Exit codes: 0 built, 2 usage or input error (missing results folder, no valid result document,
a non-empty output folder that is not a previous leaderboard), printed as one line by `bench`.
"""

from __future__ import annotations

import argparse
from typing import Any

from bench.harness.errors import EXIT_OK


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "leaderboard",
        help="build a static HTML leaderboard (works from file://) from a folder of result documents",
        description="Reads every result.json below RESULTS_DIR; writes index.html, one page per task version and "
        "per model, charts and data/*.csv|json into SITE_DIR.",
    )
    parser.add_argument("results_dir", metavar="RESULTS_DIR", help="folder searched recursively for result.json files")
    parser.add_argument("-o", "--output", required=True, metavar="SITE_DIR", help="folder to write the site into")
    parser.add_argument("--title", default="bench leaderboard", help="site title")
    parser.set_defaults(func=cmd_leaderboard)


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from bench.leaderboards.site import build_site

    summary = build_site(args.results_dir, args.output, title=args.title)
    skipped = f", {summary.skipped} invalid result files skipped" if summary.skipped else ""
    print(
        f"leaderboard: {summary.models} models, {summary.columns} task columns, {summary.runs} runs{skipped}\n"
        f"open {(summary.site_dir / 'index.html').resolve().as_uri()}"
    )
    return EXIT_OK
