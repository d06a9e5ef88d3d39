"""`bench sweep CONFIG.toml`: run models x tasks (x shards) as Ray tasks, then merge them (and build the leaderboard).

    bench sweep sweep.toml                                  # a local Ray instance
    bench sweep sweep.toml --ray-address auto               # the Ray cluster this machine is part of
    bench sweep sweep.toml --ray-address ray://head:10001 --leaderboard site/

The sweep file is described in harness/sweep/config.py and docs/scale-out.md. Ray is an optional
extra (`pip install 'bench-harness[ray]'`); without it this command says so in one line (exit 2).
Exit codes: 0 every unit finished and merged, 2 bad config or no Ray, 4 a unit failed (the
others' results are kept and merged; running the same command again skips finished units).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bench.harness.errors import ConfigError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="run models x tasks (x shards) as Ray tasks, merge the shards, optionally build the leaderboard",
        description="Run a sweep described by a TOML file (models with backend and model_args, tasks with "
        "task_args, shards) as Ray tasks; results go to the file's `output` (a folder or fsspec URL).",
    )
    parser.add_argument("config", help="the sweep TOML file")
    parser.add_argument("--ray-address", help="'auto' or ray://host:port of a running cluster (default: a local Ray instance)")
    parser.add_argument("--num-cpus", type=int, help="CPUs of the local Ray instance (default: all); one unit takes one")
    parser.add_argument("--leaderboard", metavar="DIR", help="build the leaderboard site from the merged results into DIR")
    parser.add_argument("--timeout", type=float, metavar="S", help="give up on units still running after S seconds")
    parser.add_argument("--no-progress", action="store_true", help="no progress lines on stderr")
    parser.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    from bench.harness.sweep.config import read_sweep_config
    from bench.harness.sweep.runner import import_ray, run_sweep

    import_ray()  # one line about the extra before anything else
    sweep = read_sweep_config(args.config)
    if args.num_cpus is not None and args.num_cpus < 1:
        raise ConfigError(f"--num-cpus must be a positive integer, got {args.num_cpus}")
    if args.timeout is not None and not args.timeout > 0:
        raise ConfigError(f"--timeout must be a positive number of seconds, got {args.timeout}")
    outcome = run_sweep(
        sweep, ray_address=args.ray_address, leaderboard=args.leaderboard, num_cpus=args.num_cpus,
        timeout_s=args.timeout, show_progress=not args.no_progress,
    )
    if outcome.ray_start_s:
        print(f"local Ray instance started in {outcome.ray_start_s:.1f} s")
    if outcome.progress is not None:
        print(outcome.progress.summary())
    for group, folder in sorted(outcome.merged.items()):
        print(f"merged {group}: {folder}")
    if outcome.leaderboard:
        print(f"leaderboard: {outcome.leaderboard}")
    for key, error in sorted(outcome.failures.items()):
        print(f"bench: error: {key}: {error}", file=sys.stderr)
    return outcome.exit_code
