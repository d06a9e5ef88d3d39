"""Sweep wall time on a local Ray instance with two single-thread workers vs the same units in one process.

The sweep is the one of tests/harness/sweep/test_sweep_ray.py: two models (the fake backend's
`sweep-model` and a variant with another answer seed) x two tasks (uno, rewardbench_length) x two
shards = 8 units, each `bench eval` of one task shard, then the merge of each (model, task). The
fake backend sleeps `--delay` seconds per request (a model's latency without its CPU load, so the
figures mean something on a shared machine).

1. serial: every unit with `run_unit` one after another in one fresh Python process, then the
   merges (timed from the process start: it pays its imports once, as each Ray worker does);
2. ray: `ray.init(num_cpus=2)` (timed: Ray's start-up), `run_sweep` (units on two fresh workers,
   merges in the driver), `ray.shutdown()` (timed too).

Runs alternate serial / ray (`--runs` times each, interleaved, so load drifts hit both), each run
with fresh output and cache folders. Prints per-run times, medians, the speed-up serial / ray
(sweep only and with start-up) and Ray's start-up overhead.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sweep_ray.py [--runs 3] [--delay 0.05] [--limit 4]

Measured 2026-11-26 on the 2 shared cores of the dev machine at load average 10-11 (seven other
sessions busy), Ray 2.60, medians of 3 interleaved runs:

    --delay 0.05: serial 25.8 s | Ray sweep 17.8 s (1.45x) + start-up 11.3 s + shutdown 1.4 s = 30.5 s (0.85x)
    --delay 0.2:  serial 41.1 s | Ray sweep 28.4 s (1.45x) + start-up 12.0 s + shutdown 1.6 s = 42.1 s (0.98x)

Two workers give 1.45x, not 2x: the 8 units are uneven (UNO shards take longer than reward
pairs), the merges run in the driver after the last unit, and the cores are shared. Ray's
start-up (~10-20 s here: raylet, GCS, worker processes) is paid once per sweep; it pays off from
about a minute of serial work, and on a cluster it is already running (`--ray-address auto`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # single-thread workers (Ray's workers inherit it)

from bench.harness.sweep.config import ModelSpec, SweepConfig, TaskSpec  # noqa: E402
from bench.harness.sweep.progress import SweepProgress  # noqa: E402
from bench.harness.sweep.runner import SweepOutcome, merge_results, run_sweep  # noqa: E402
from bench.harness.sweep.store import ResultStore  # noqa: E402
from bench.harness.sweep.unit import run_unit  # noqa: E402


def sweep_config(root: Path, delay: float, limit: int) -> SweepConfig:
    return SweepConfig(
        models=(
            ModelSpec("sweep-model", "fake", {"delay": delay}, name="sweep-model"),
            ModelSpec("sweep-model", "fake", {"seed": 1, "delay": delay}, name="sweep-variant"),
        ),
        tasks=(TaskSpec("uno"), TaskSpec("rewardbench_length")),
        output=str(root / "out"),
        shards=2,
        limit=limit,
        seed=11,
        cache_dir=str(root / "cache"),
    )


def serial(root: Path, delay: float, limit: int) -> float:
    """The serial sweep in a fresh interpreter (see `serial_in_process`), timed from outside."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--serial-once", str(root), "--delay", str(delay), "--limit", str(limit)],
        check=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    return time.perf_counter() - started


def serial_in_process(sweep: SweepConfig) -> float:
    started = time.perf_counter()
    units = sweep.units()
    outcome = SweepOutcome()
    for unit in units:
        outcome.results[unit.key] = run_unit(sweep, unit, node_id="serial")
    progress = SweepProgress([u.key for u in units], time.monotonic(), enabled=False)
    merge_results(sweep, units, ResultStore(sweep.output), outcome, progress)
    assert len(outcome.merged) == 4, outcome.failures
    return time.perf_counter() - started


def on_ray(sweep: SweepConfig) -> tuple[float, float, float]:
    import ray

    began = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING",
             object_store_memory=128 * 2**20)
    start_up = time.perf_counter() - began
    began = time.perf_counter()
    outcome = run_sweep(sweep, show_progress=False)
    sweep_s = time.perf_counter() - began
    assert not outcome.failures and len(outcome.merged) == 4, outcome.failures
    began = time.perf_counter()
    ray.shutdown()
    return start_up, sweep_s, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.05, help="fake backend seconds per request")
    parser.add_argument("--limit", type=int, default=4)
    parser.add_argument("--serial-once", metavar="ROOT", help=argparse.SUPPRESS)  # the serial child process
    args = parser.parse_args()
    if args.serial_once:
        serial_in_process(sweep_config(Path(args.serial_once), args.delay, args.limit))
        return
    serial_s: list[float] = []
    ray_s: list[tuple[float, float, float]] = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench-sweep-bench-") as tmp:
            order = ("serial", "ray") if run % 2 == 0 else ("ray", "serial")
            for kind in order:
                root = Path(tmp) / kind
                if kind == "serial":
                    serial_s.append(serial(root, args.delay, args.limit))
                    print(f"run {run + 1} serial: {serial_s[-1]:.1f} s", flush=True)
                else:
                    ray_s.append(on_ray(sweep_config(root, args.delay, args.limit)))
                    up, sweep_s, down = ray_s[-1]
                    print(f"run {run + 1} ray: start-up {up:.1f} s, sweep {sweep_s:.1f} s, shutdown {down:.1f} s", flush=True)
    s = statistics.median(serial_s)
    up = statistics.median(r[0] for r in ray_s)
    sw = statistics.median(r[1] for r in ray_s)
    total = statistics.median(r[0] + r[1] + r[2] for r in ray_s)
    print(f"\nmedian of {args.runs}: serial {s:.1f} s | ray sweep {sw:.1f} s (+ start-up {up:.1f} s, total {total:.1f} s)")
    print(f"speed-up serial / ray: {s / sw:.2f}x for the sweep alone, {s / total:.2f}x with Ray's start-up and shutdown")


if __name__ == "__main__":
    main()
