"""`bench report KIND RESULTS...`: a plugin's report over finished result documents.

Each kind is a plugin registered in the entry-point group `bench.reports` (name -> a callable
taking the sub-parsers of `report` and adding one parser whose `func(args) -> exit code` runs it),
so several plugins share the one `report` command: `bench report hallucination results/`.
Only the plugins' `register` functions are imported when `bench report` runs; each imports its
heavy dependencies (matplotlib, pandas) when its report runs.
"""

from __future__ import annotations

import sys
from importlib import metadata
from typing import Any

REPORT_GROUP = "bench.reports"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report", help="a plugin's report over result documents (bench report KIND RESULTS...)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    kinds = parser.add_subparsers(dest="report_kind", metavar="KIND", required=True)
    for entry_point in sorted(metadata.entry_points(group=REPORT_GROUP), key=lambda ep: ep.name):
        try:
            entry_point.load()(kinds)
        except Exception as exc:  # a broken report plugin must not take the others down
            print(f"bench: warning: report {entry_point.name!r} failed to load: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
