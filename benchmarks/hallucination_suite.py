"""Hallucination probe suite, bench vs lm-eval's own `simple_evaluate`: same task definitions, same items, same model.

Both sides run the *same lm-eval task objects* on the shipped samples, offline:
- the probes lm-eval defines (nq_open, triviaqa, truthfulqa, race, memo trap, cnn_dailymail, ...):
  the inline configs bench's `hallu_*` tasks hand to the lm_eval bridge (`tasks/hallucination/bridged.py`:
  lm-eval's YAML, the leaderboard's shots, `dataset_path: json` on data/);
- the probes lm-eval lacks: the leaderboard's definitions shipped as YAML, their `*_sample` variants
  (`tasks/hallucination/lm_eval_yaml/`).

    lm-eval   simple_evaluate(HFLM(embedded SmolLM2-135M, float32, CPU, batch_size), those tasks, limit)
    bench     `bench eval --tasks hallu_<lm-eval-defined probes>,lm_eval --task-args
              lm_eval.tasks=<sample variants>,lm_eval.include_path=<that folder>` (no request cache)

Each side is timed end to end (model load included, as a user runs it), `--repeats` times, interleaved,
wall and CPU seconds and peak RSS of the child process (each side runs in its own process, so one
side's memory does not count against the other). Prints the speed-up of bench over lm-eval (target
>= 1.5x) and every metric the two report for the same task (equal within 1e-4: log-probabilities come
from different batch shapes; generations are greedy and identical unless a logit tie flips).

Measured 2026-11-26, two cores shared with six other sessions (load 18-28, falling to ~8 at the end), so
wall times are mostly waiting: --probes hallu_fever,hallu_memo_trap,hallu_halueval_qa --limit 2: lm-eval
181 s wall / 38 s CPU / 2.09 GB, bench 78 s / 27.8 s / 1.45 GB (2.3x wall, 1.4x CPU), 6 of 6 metrics
equal. The whole suite (18 probes; ifeval lacks its packages) --limit 5, each side run alone: bench
1674 s wall / 469 s CPU / 3.52 GB peak RSS; lm-eval was still generating when stopped at 2666 s wall /
454 s CPU / 2.84 GB, so bench >= 1.6x in wall time there but CPU and memory were not shown to be better.

    .venv/bin/python benchmarks/hallucination_suite.py [--limit 5] [--repeats 1] [--batch-size 16]
        [--probes hallu_fever,hallu_nq_open_8,...]   # default: every probe
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
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
YAML_DIR = REPO / "tasks" / "hallucination" / "lm_eval_yaml"


def _probes(selected: list[str] | None) -> tuple[list[str], list[str]]:
    """(bench probes run through lm-eval's own definitions, sample YAML tasks of the probes lm-eval lacks)."""
    from bench.tasks.hallucination.bridged import missing_prerequisites
    from bench.tasks.hallucination.probes import PROBES

    bridged = [name for name, probe in sorted(PROBES.items())
               if probe.lm_eval is not None and not missing_prerequisites(probe.lm_eval.task)]
    # a probe bench already bridges to its project YAML runs once, as that probe
    yaml_tasks = sorted(p.stem for p in YAML_DIR.glob("hallu_*_sample.yaml") if p.stem.removesuffix("_sample") not in bridged)
    if selected:
        bridged = [n for n in bridged if n in selected]
        yaml_tasks = [n for n in yaml_tasks if n.removesuffix("_sample") in selected]
    return bridged, yaml_tasks


def run_lm_eval(bridged: list[str], yaml_tasks: list[str], limit: int, batch_size: int) -> dict[str, dict[str, float]]:
    from bench.harness.embedded_model import embedded_model_dir
    from bench.tasks.hallucination.bridged import lm_eval_spec
    from bench.tasks.hallucination.probes import PROBES
    from lm_eval import simple_evaluate
    from lm_eval.api.task import ConfigurableTask
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    lm = HFLM(pretrained=str(embedded_model_dir()), batch_size=batch_size, device="cpu", dtype="float32")
    objects: list[Any] = []
    names: dict[str, str] = {}
    for name in bridged:
        probe = PROBES[name]
        task = ConfigurableTask(config=lm_eval_spec(probe, "sample", probe.shots, probe.max_tokens))
        objects.append(task)
        assert probe.lm_eval is not None
        names[probe.lm_eval.task] = name
    names.update({t: t for t in yaml_tasks})
    out = simple_evaluate(model=lm, tasks=objects + yaml_tasks, limit=limit, bootstrap_iters=0,
                          task_manager=TaskManager(include_path=str(YAML_DIR)))
    assert out is not None
    return {names.get(task, task): {k: float(v) for k, v in values.items()
                                    if "stderr" not in k and isinstance(v, (int, float))}
            for task, values in out["results"].items()}


def run_bench(bridged: list[str], yaml_tasks: list[str], limit: int, batch_size: int, output: str) -> dict[str, dict[str, float]]:
    from bench.harness.config import EvalConfig
    from bench.harness.scheduler import evaluate

    tasks = tuple(bridged) + (("lm_eval",) if yaml_tasks else ())
    task_args = {"lm_eval": {"tasks": tuple(yaml_tasks), "include_path": str(YAML_DIR), "bootstrap_iters": 0}}
    config = EvalConfig(tasks=tasks, model="smollm2", backend="hf", limit=limit, batch_size=batch_size,
                        output_path=output, use_cache=False, show_progress=False,
                        task_args=task_args if yaml_tasks else {})
    document = json.loads(evaluate(config).result_path.read_text())
    metrics: dict[str, dict[str, float]] = {}
    for name, entry in document["tasks"].items():
        for metric in entry["metrics"]:
            if not isinstance(metric.get("value"), (int, float)):
                continue
            task, _, key = metric["name"].rpartition("/") if name == "lm_eval" else (name, "", metric["name"])
            metrics.setdefault(task, {})[key] = float(metric["value"])
    return metrics


def child(side: str, args: argparse.Namespace) -> None:
    """One side in this process; prints one JSON line: wall, CPU, peak RSS and metrics."""
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    bridged, yaml_tasks = _probes(args.probes)
    wall, cpu = time.perf_counter(), time.process_time()
    if side == "lm-eval":
        metrics = run_lm_eval(bridged, yaml_tasks, args.limit, args.batch_size)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            metrics = run_bench(bridged, yaml_tasks, args.limit, args.batch_size, tmp)
    print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                      "rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, "metrics": metrics,
                      "tasks": bridged + yaml_tasks}))


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-4


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--probes", type=lambda s: [x for x in s.split(",") if x], default=None)
    parser.add_argument("--side", choices=("lm-eval", "bench"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        child(args.side, args)
        return
    command = [sys.executable, __file__, "--limit", str(args.limit), "--batch-size", str(args.batch_size)]
    if args.probes:
        command += ["--probes", ",".join(args.probes)]
    runs: dict[str, list[dict[str, Any]]] = {"lm-eval": [], "bench": []}
    load_before = os.getloadavg()[0]
    for _ in range(args.repeats):
        for side in runs:
            done = subprocess.run(command + ["--side", side], capture_output=True, text=True, check=False)
            if done.returncode != 0:
                sys.exit(f"{side} failed:\n{done.stderr[-3000:]}")
            runs[side].append(json.loads(done.stdout.strip().splitlines()[-1]))
    tasks = runs["bench"][0]["tasks"]
    print(f"{len(tasks)} probes x {args.limit} items, embedded SmolLM2-135M, float32 CPU, batch {args.batch_size}, "
          f"{args.repeats} interleaved repeat(s); load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}")
    for side, results in runs.items():
        walls, cpus = [r["wall"] for r in results], [r["cpu"] for r in results]
        print(f"  {side:8s} wall median {statistics.median(walls):7.1f} s [{min(walls):.1f}, {max(walls):.1f}]   "
              f"cpu median {statistics.median(cpus):7.1f} s   peak RSS {max(r['rss_gb'] for r in results):.2f} GB")
    wall = statistics.median(r["wall"] for r in runs["lm-eval"]) / statistics.median(r["wall"] for r in runs["bench"])
    cpu = statistics.median(r["cpu"] for r in runs["lm-eval"]) / statistics.median(r["cpu"] for r in runs["bench"])
    print(f"  bench speed-up over lm-eval: wall {wall:.2f}x, cpu {cpu:.2f}x (target >= 1.5x)")
    theirs, ours = runs["lm-eval"][0]["metrics"], runs["bench"][0]["metrics"]
    equal = compared = 0
    for task in tasks:
        for key, value in sorted(theirs.get(task, {}).items()):
            bench_key = key if key in ours.get(task, {}) else key.split(",")[0]
            if bench_key not in ours.get(task, {}):
                continue
            compared += 1
            equal += _same(value, ours[task][bench_key])
            verdict = "equal" if _same(value, ours[task][bench_key]) else "DIFFERENT"
            print(f"  {task:38s} {key:34s} lm-eval {value:9.4f}  bench {ours[task][bench_key]:9.4f}  {verdict}")
    print(f"  metrics equal: {equal} of {compared}")


if __name__ == "__main__":
    main()
