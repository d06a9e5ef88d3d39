"""`bench gate`: compare a candidate result document with a baseline and exit 1 on a regression.

    bench gate --baseline A.json --candidate B.json [--policy gate.toml]
               [--markdown report.md] [--json report.json]

Prints the markdown report on stdout (ready for a PR comment) and writes the files asked for.
Exit codes: 0 no regression, 1 regression, 2 usage or input error (one line on stderr, printed by
the `bench` CLI from the raised BenchError).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench.harness.errors import UsageError
from bench.harness.gate.comparison import gate_documents
from bench.harness.gate.policy import load_policy
from bench.harness.gate.report import render_json, render_markdown, verdict_line
from bench.harness.results import write_bytes_atomic


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "gate",
        help="compare a candidate result with a baseline; exit 1 on a significant regression",
        description="Compare every shared (task, metric) of two result documents; a regression is a change in "
        "the bad direction beyond the policy's tolerance that is statistically significant on the per-sample data.",
    )
    parser.add_argument("--baseline", required=True, help="baseline result.json (or its run folder)")
    parser.add_argument("--candidate", required=True, help="candidate result.json (or its run folder)")
    parser.add_argument("--policy", help="gate policy TOML (tolerances, alpha; see docs/ci-gate.md)")
    parser.add_argument("--markdown", metavar="FILE", help="also write the markdown report to FILE")
    parser.add_argument("--json", metavar="FILE", help="also write the JSON report to FILE")
    parser.add_argument("--quiet", action="store_true", help="print only the verdict line on stdout")
    parser.set_defaults(func=cmd_gate)


def _write(path: str, text: str) -> None:
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"report path {path!r} is a folder; give a file name")
    try:
        write_bytes_atomic(target, text.encode())
    except OSError as exc:
        raise UsageError(f"cannot write report {path!r}: {exc.strerror or exc}") from exc


def cmd_gate(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy) if args.policy else None
    report = gate_documents(Path(args.baseline), Path(args.candidate), policy)
    markdown = render_markdown(report)
    if args.markdown:
        _write(args.markdown, markdown)
    if args.json:
        _write(args.json, render_json(report))
    print(verdict_line(report) if args.quiet else markdown, end="\n" if args.quiet else "")
    return report.exit_code
