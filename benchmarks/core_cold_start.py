"""Start-up: three wall-clock figures a user waits for, each from fresh processes, CPU time beside wall.

1. `bench --help`                                    (target <= 0.5 s)
2. process start -> first answered request, embedded model through the hf backend, no cache
                                                      (target <= 2 s)
3. a fully cached repeat of the README's main job:
   `bench eval --config docs/main-job.toml`
                                                      (target <= 3 s; needs no weight load)

Each figure is the median of `--repeats` runs (default 3) with the range beside it. CPU time
(user + system of the child process) is printed next to wall time because the machine may be
shared: wall time far above CPU time means the process waited for a core, not that it worked.
Figure 3 first runs the job once to fill the request cache (minutes on a cold cache; its time is
printed but not counted) in a private cache file, and checks that the timed repeats were answered
entirely from the cache. That run also fills the derived-artefact folder beside the cache file
(plots, classifier scores, UNO decision values, each task's summary: docs/architecture.md), which
the repeats use. Figure 3 measured on 2 shared CPU cores (load 1.3-1.6), `--only-main-job --repeats 5`:
2.34 s [2.31-2.39], CPU 2.37 s; 3.46 s before summaries were cached (interleaved runs, load 1.1-2.3).

    .venv/bin/python benchmarks/core_cold_start.py [--repeats 3] [--skip-main-job | --only-main-job] [--cache-path FILE]
        [--model FOLDER --model-args device=cuda,...]   (figure 2 on another model or device)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness.backends.base import parse_model_args

BENCH = [sys.executable, "-m", "bench.harness.cli"]
MAIN_JOB = ["eval", "--config", str(Path(__file__).resolve().parents[1] / "docs" / "main-job.toml")]

# Runs in a fresh interpreter: imports bench, opens the embedded model on the hf backend, answers
# one request, then prints the wall-clock instants of those steps and its own CPU seconds.
FIRST_ANSWER_PROBE = r"""
import asyncio, json, resource, sys, time
from bench.harness.scheduler import open_backend
from bench.harness.client import ModelClient
from bench.harness.requests import GenerationParams
bench_imported = time.time()
client = ModelClient(open_backend("hf", sys.argv[1], json.loads(sys.argv[2]), "auto"))  # not lazy: loads the model here
opened = time.time()
asyncio.run(client.complete("Hello", GenerationParams(max_tokens=1)))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(bench_imported, opened, time.time(), usage.ru_utime + usage.ru_stime, len(sys.modules))
"""


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float
    phases: tuple[float, ...] = ()  # figure 2: seconds to import bench, to load the model, to answer
    modules: int = 0  # figure 2: modules imported by the first answer


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(command: Sequence[str], env: dict[str, str] | None = None) -> tuple[Timing, str]:
    """Wall and CPU seconds of one child process, spawn to exit; raises if it fails."""
    cpu_before, started = _child_cpu(), time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=3600)
    wall, cpu = time.perf_counter() - started, _child_cpu() - cpu_before
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit {proc.returncode}:\n{proc.stderr[-2000:]}")
    return Timing(wall, cpu), proc.stdout


def time_first_answer(model: str = "smollm2", model_args: dict[str, Any] | None = None) -> Timing:
    spawned = time.time()
    command = [sys.executable, "-c", FIRST_ANSWER_PROBE, model, json.dumps(model_args or {})]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"first-answer probe failed:\n{proc.stderr[-2000:]}")
    imported, opened, answered, cpu, modules = map(float, proc.stdout.split()[-5:])
    phases = (imported - spawned, opened - imported, answered - opened)
    return Timing(answered - spawned, cpu, phases, int(modules))


def summary(label: str, timings: list[Timing], target_s: float) -> str:
    walls, cpus = [t.wall_s for t in timings], [t.cpu_s for t in timings]
    verdict = "ok" if statistics.median(walls) <= target_s else "OVER"
    line = (
        f"{label:34s} wall {statistics.median(walls):6.2f} s [{min(walls):.2f}-{max(walls):.2f}]   "
        f"cpu {statistics.median(cpus):6.2f} s [{min(cpus):.2f}-{max(cpus):.2f}]   "
        f"target <= {target_s:g} s: {verdict}  (n={len(timings)})"
    )
    if timings and timings[0].phases:
        medians = [statistics.median(t.phases[i] for t in timings) for i in range(len(timings[0].phases))]
        line += (
            f"\n{'':34s} median phases: start+import bench {medians[0]:.2f} s, load model (torch, transformers, "
            f"weights) {medians[1]:.2f} s, first answer {medians[2]:.2f} s; {timings[0].modules} modules"
        )
    return line


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per figure (>= 3 for a range)")
    parser.add_argument("--skip-main-job", action="store_true", help="only figures 1 and 2")
    parser.add_argument("--model", default="smollm2", help="figure 2's model (default: the embedded one)")
    parser.add_argument("--model-args", help="figure 2's hf backend arguments, e.g. device=cuda,dtype=bfloat16")
    parser.add_argument("--only-main-job", action="store_true", help="only figure 3")
    parser.add_argument(
        "--cache-path", help="request cache for figure 3 (default: a private temporary file, filled first); "
        "pass one to keep it between benchmark runs"
    )
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs", flush=True)

    if args.skip_main_job and args.only_main_job:
        parser.error("--skip-main-job and --only-main-job exclude each other")
    lines: list[str] = []
    if not args.only_main_job:
        run_timed([*BENCH, "--help"])  # warm the file-system cache
        lines.append(summary("bench --help", [run_timed([*BENCH, "--help"])[0] for _ in range(args.repeats)], 0.5))
        print(lines[-1], flush=True)

        model_args = parse_model_args(args.model_args)
        time_first_answer(args.model, model_args)  # the embedded model's converted folder exists after this
        timings = [time_first_answer(args.model, model_args) for _ in range(args.repeats)]
        lines.append(summary(f"start -> first answer (hf, {Path(args.model).name})", timings, 2.0))
        print(lines[-1], flush=True)

    if not args.skip_main_job:
        with tempfile.TemporaryDirectory(prefix="bench-cold-start-") as scratch:
            cache = args.cache_path or str(Path(scratch) / "cache.sqlite")
            common = [*MAIN_JOB, "--cache-path", cache, "--no-progress"]
            warm, _ = run_timed([*BENCH, *common, "--output-path", str(Path(scratch) / "warm")])
            print(f"{'(main job, filling the cache)':34s} wall {warm.wall_s:6.2f} s   cpu {warm.cpu_s:6.2f} s "
                  "(not counted)", flush=True)
            timings = []
            for i in range(args.repeats):
                timing, stdout = run_timed([*BENCH, *common, "--output-path", str(Path(scratch) / f"repeat{i}")])
                result = Path(stdout.strip().splitlines()[-1].removeprefix("result: "))
                provenance = json.loads(result.read_text())["provenance"]
                if provenance["cache_hits"] != provenance["requests"]:
                    print(f"  warning: repeat {i} was not fully cached: {provenance['cache_hits']}/{provenance['requests']} hits")
                timings.append(timing)
            lines.append(summary("cached repeat of the main job", timings, 3.0))
            print(lines[-1], flush=True)

    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
