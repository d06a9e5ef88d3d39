"""Hallucination probe suite, bench vs lm-eval's own `simple_evaluate`: same task definitions, same items, same model.

Both sides run the *same lm-eval task objects* on the shipped samples, offline: the inline configs bench's
`hallu_*` tasks hand to the lm_eval bridge (`tasks/hallucination/bridged.py`): lm-eval's own YAML for the
probes it defines (nq_open, triviaqa, truthfulqa, race, memo trap, cnn_dailymail, ifeval), the leaderboard's
YAML (`tasks/hallucination/lm_eval_yaml/`) for those it lacks, the leaderboard's shots, `dataset_path: json`
on data/. (Sample YAML tasks a probe does not bridge, if any, run through bench's `lm_eval` task.)

    lm-eval   simple_evaluate(HFLM(embedded SmolLM2-135M, float32, CPU, batch_size), those tasks, limit)
    bench     `bench eval --tasks hallu_<probes> --limit N --batch-size B` (no request cache)

Each side is timed end to end (model load included, as a user runs it), `--repeats` times (default 3),
interleaved, each run in a fresh process under a `--timeout` (a stuck side fails in one line): wall and CPU
seconds (median and range) and peak RSS of the child. Same limit, shots, greedy settings, float32 and torch
threads (`--threads`, default all cores) on both sides; bench's batch size and HFLM's (`--lm-eval-batch-size`,
int or `auto`) are printed. Prints the load average before and after, the versions, the speed-up of bench over
lm-eval (ratio of medians, target >= 1.5x) and every metric the two report for the same task, each repeat
(equal within 1e-4: log-probabilities come from different batch shapes; generations are greedy and identical
unless a logit tie flips). squadv2 is left out: lm-eval scores it through `evaluate.load`, a hub download.

Measured 2026-11-27 on a 2-core CPU with nothing else running, 2 torch threads, --limit 1 --repeats 3 (bench
27b099d): batch 16 both sides (load 0.6 -> 1.7): lm-eval 41.2 s wall [38.9, 42.2], 73.3 s CPU, 4.61 GB; bench
16.4 s [16.2, 17.1], 28.9 s CPU, 2.39 GB: **2.52x wall, 2.53x CPU**, 135 of 135 metric values equal. Batch 4 both
sides (load 1.7 -> 1.6): lm-eval 33.5 s [32.2, 33.5] / 57.5 s CPU, bench 16.5 s [16.4, 17.4] / 29.7 s CPU: 2.03x
wall, 1.93x CPU, 135 of 135 equal. bench alone no longer depends on the batch size (interleaved, load
0.5 -> 1.5: batch 4 17.1 s [16.2, 17.1], batch 16 16.4 s [16.2, 17.2]).

Where bench's time went before (profiled, bench side alone, batch 16, quiet): 37.7 s wall = 1.5 s model load,
~3 s set-up (lm-eval task building, imports), 6.7 s log-likelihood (16 requests, 4,140 tokens, 1,562 run after
prefix sharing) and 26.5 s generation, nearly all of it ONE batch of the 10-11 generation probes' prompts (25 to
1,136 tokens; most answers end after 1-2 tokens). Its prefill ran as one forward padded to the longest prompt:
5.1k real tokens as 11.4k (up to 14.5k when a reused 179-token prefix was laid out beside a 1,136-token suffix),
and prefill costs ~1.5 ms per token, padded or not; each decode step then attended over all 1,136-1,315 columns
in every row (B=11: 177 ms/step at 1,300 columns vs 73 ms at 100). Batch 4 cut the padding, hence 16 being 32%
slower than 4. lm-eval batches per task, so its batches never mixed lengths. Also, every bridged probe's
simple_evaluate ran lm-eval's environment report (torch collect_env: ~15 subprocesses, pip list among them): 18
times. Fixed (harness/backends/hf_rows.py, hf_prefix_sharing.py, hf_generation.py, harness/lm_eval_bridge.py):
the prefill runs rows in length-sorted forwards (fewest padded tokens), prefixes the rows of a batch share run once,
decode drops the cache columns no remaining row uses once long rows finish, the bridge skips the environment report.
Interleaved, bench alone (batch 16, load 1.3 -> 2.8): before 35.6 s [35.0, 36.0] / 60.7 s CPU, after 16.4 s
[16.3, 17.5] / 29.1 s CPU: 2.17x; generation 26.5 -> 10.6 s (prefill 8.3 s, 35 decode steps 2.3 s); outputs equal.

Earlier figures: 2026-11-26 at load 1.7 -> 2.7 (bench be772fb): lm-eval 44.2 s / bench 36.6 s, 1.21x; batch 4
both sides 1.32x. A 1.82x taken under load 4 before the few-shot fix did not stand. At --limit 2 lm-eval did not
finish the suite within 700 s under load 4-6, so the default limit is 1.

    .venv/bin/python benchmarks/hallucination_suite.py [--limit 1] [--repeats 3] [--batch-size 16]
        [--lm-eval-batch-size 16|auto] [--threads N] [--timeout 600] [--probes hallu_fever,...]
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
        # named after the probe: nq_open_8 / nq_open_64 (triviaqa too) share lm-eval's task name
        config = {**lm_eval_spec(probe, "sample", probe.shots, probe.max_tokens), "task": name}
        objects.append(ConfigurableTask(config=config))
        names[name] = name
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
    import torch

    torch.set_num_threads(args.threads)
    bridged, yaml_tasks = _probes(args.probes)
    wall, cpu = time.perf_counter(), time.process_time()
    if side == "lm-eval":
        metrics = run_lm_eval(bridged, yaml_tasks, args.limit, args.lm_eval_batch_size)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            metrics = run_bench(bridged, yaml_tasks, args.limit, args.batch_size, tmp)
    print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                      "rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, "metrics": metrics,
                      "tasks": bridged + yaml_tasks, "threads": torch.get_num_threads()}))


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-4


def _batch(text: str) -> int | str:
    return text if text == "auto" else int(text)


def _uptime() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "n/a"


def _versions() -> str:
    from importlib.metadata import version

    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, timeout=10, check=False).stdout.strip() or "n/a"
    names = ("torch", "transformers", "lm_eval", "datasets")
    return f"python {sys.version.split()[0]}, " + ", ".join(f"{n} {version(n)}" for n in names) + f", bench {commit}"


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):7.1f} s [{min(values):.1f}, {max(values):.1f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=_batch, default=16, help="bench's --batch-size")
    parser.add_argument("--lm-eval-batch-size", type=_batch, default=16, help="HFLM's batch_size (int or auto)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads, both sides")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds one side's run may take")
    parser.add_argument("--probes", type=lambda s: [x for x in s.split(",") if x], default=None)
    parser.add_argument("--side", choices=("lm-eval", "bench"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        child(args.side, args)
        return
    command = [sys.executable, __file__, "--limit", str(args.limit), "--batch-size", str(args.batch_size),
               "--lm-eval-batch-size", str(args.lm_eval_batch_size), "--threads", str(args.threads)]
    if args.probes:
        command += ["--probes", ",".join(args.probes)]
    runs: dict[str, list[dict[str, Any]]] = {"lm-eval": [], "bench": []}
    load_before, started = _uptime(), time.perf_counter()
    for _ in range(args.repeats):
        for side in runs:
            try:
                done = subprocess.run(command + ["--side", side], capture_output=True, text=True, check=False,
                                      timeout=args.timeout)
            except subprocess.TimeoutExpired as stuck:
                err = stuck.stderr.decode(errors="replace") if isinstance(stuck.stderr, bytes) else stuck.stderr or ""
                last = err.replace("\r", "\n").strip().splitlines()[-1:] or ["(no output)"]
                sys.exit(f"hallucination_suite: error: {side} did not finish within --timeout {args.timeout:.0f} s "
                         f"(load {_uptime()}; its last line: {last[0][:200]})")
            if done.returncode != 0:
                sys.exit(f"hallucination_suite: error: {side} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
            runs[side].append(json.loads(done.stdout.strip().splitlines()[-1]))
    tasks = runs["bench"][0]["tasks"]
    print(f"{len(tasks)} probes x {args.limit} items, embedded SmolLM2-135M, float32 CPU, {runs['bench'][0]['threads']} "
          f"torch threads, batch size bench {args.batch_size} / lm-eval {args.lm_eval_batch_size}, "
          f"{args.repeats} interleaved repeat(s), {time.perf_counter() - started:.0f} s in all")
    print(f"  load average (1/5/15 min) before {load_before}, after {_uptime()}; {_versions()}")
    for side, results in runs.items():
        print(f"  {side:8s} wall median {_spread([r['wall'] for r in results])}   "
              f"cpu median {_spread([r['cpu'] for r in results])}   "
              f"peak RSS {max(r['rss_gb'] for r in results):.2f} GB")
    wall = statistics.median(r["wall"] for r in runs["lm-eval"]) / statistics.median(r["wall"] for r in runs["bench"])
    cpu = statistics.median(r["cpu"] for r in runs["lm-eval"]) / statistics.median(r["cpu"] for r in runs["bench"])
    print(f"  bench speed-up over lm-eval (ratio of medians): wall {wall:.2f}x, cpu {cpu:.2f}x (target >= 1.5x)")
    equal = compared = 0
    for repeat, (lm_run, bench_run) in enumerate(zip(runs["lm-eval"], runs["bench"], strict=True)):
        theirs, ours = lm_run["metrics"], bench_run["metrics"]
        for task in tasks:
            for key, value in sorted(theirs.get(task, {}).items()):
                bench_key = key if key in ours.get(task, {}) else key.split(",")[0]
                if bench_key not in ours.get(task, {}):
                    continue
                compared += 1
                equal += _same(value, ours[task][bench_key])
                if repeat == 0 or not _same(value, ours[task][bench_key]):
                    verdict = "equal" if _same(value, ours[task][bench_key]) else "DIFFERENT"
                    print(f"  {task:38s} {key:34s} lm-eval {value:9.4f}  bench {ours[task][bench_key]:9.4f}  "
                          f"{verdict} (repeat {repeat + 1})")
    print(f"  metrics equal (|diff| <= 1e-4), all repeats: {equal} of {compared}")


if __name__ == "__main__":
    main()
