"""Hallucination probes, bench vs lm-eval's own `simple_evaluate`, same tasks, same items, same model.

The zero-shot multiple-choice probes, where both harnesses build identical prompts: TruthfulQA MC1
and MC2 and MemoTrap (lm-eval's own task definitions) and HaluEval QA / dialogue / summarisation
(the project's lm-eval YAML, tasks/hallucination/lm_eval_yaml). Both read the shipped samples (lm-eval's
tasks get `dataset_path: json` overrides in a temporary include folder, so nothing touches the hub).

    lm-eval   simple_evaluate(HFLM(embedded SmolLM2-135M-Instruct, float32, CPU), tasks, limit)
    bench     bench.harness.scheduler.evaluate(--tasks hallu_..., --limit, no request cache)

Each side is timed end to end (model load included, as a user runs it), `--repeats` times,
interleaved. Prints the median and range of wall and CPU seconds per side, the load average, the
speed-up of bench over lm-eval (target >= 1.5x) and each task's metric on both sides (equal within
1e-4: the two compute log-probabilities in different batches; lm-eval's MC2 "acc" is bench's "mc2").

Measured 2026-11-26 (--limit 8 --repeats 1, two cores shared with seven other sessions, load ~11):
lm-eval 190 s wall / 49 s CPU, bench 31.5 s / 8.6 s: 6.0x wall, 5.7x CPU; a rerun 5.8x wall, 5.2x CPU.
Metrics equal (MC2 |diff| 1.1e-6, the others identical).

    .venv/bin/python benchmarks/hallucination_suite.py [--limit 8] [--repeats 2] [--batch-size 16]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tasks" / "hallucination" / "data"
YAML = REPO / "tasks" / "hallucination" / "lm_eval_yaml"

# bench task -> (lm-eval task, lm-eval YAML to include, split name, shipped sample, lm-eval metric)
PAIRS: dict[str, tuple[str, str, str, str, str]] = {
    "hallu_truthfulqa_mc1": ("truthfulqa_mc1", "truthfulqa/truthfulqa_mc1.yaml", "validation", "truthfulqa_mc.jsonl", "acc"),
    "hallu_truthfulqa_mc2": ("truthfulqa_mc2", "truthfulqa/truthfulqa_mc2.yaml", "validation", "truthfulqa_mc.jsonl", "acc"),
    "hallu_memo_trap": ("inverse_scaling_memo_trap", "inverse_scaling/inverse_scaling_memo_trap.yaml", "train",
                        "memo_trap.jsonl", "acc"),
    "hallu_halueval_qa": ("hallu_halueval_qa", "", "data", "halueval_qa.jsonl", "acc"),
    "hallu_halueval_dialogue": ("hallu_halueval_dialogue", "", "data", "halueval_dialogue.jsonl", "acc"),
    "hallu_halueval_summarization": ("hallu_halueval_summarization", "", "data", "halueval_summarization.jsonl", "acc"),
}


def override_folder(folder: Path) -> list[str]:
    """One YAML per lm-eval task: include the original, read the shipped sample instead of the hub."""
    import lm_eval

    tasks_dir = Path(lm_eval.__file__).parent / "tasks"
    names = []
    for bench_name, (name, include, split, sample, _) in PAIRS.items():
        source = tasks_dir / include if include else YAML / f"{bench_name}.yaml"
        local = f"local_{name}"
        text = (f"include: {source}\ntask: {local}\ndataset_path: json\ndataset_name: null\n"
                f"dataset_kwargs:\n  data_files:\n    {split}: {DATA / sample}\n"
                f"test_split: {split}\nvalidation_split: null\ntraining_split: null\nfewshot_split: null\n"
                "tag: []\n")
        if split == "validation":
            text = text.replace(f"test_split: {split}\nvalidation_split: null", f"test_split: null\nvalidation_split: {split}")
        (folder / f"{local}.yaml").write_text(text)
        names.append(local)
    return names


def run_lm_eval(names: list[str], folder: Path, limit: int, batch_size: int, model_dir: str) -> dict[str, float]:
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    lm = HFLM(pretrained=model_dir, batch_size=batch_size, device="cpu", dtype="float32")
    results = simple_evaluate(model=lm, tasks=names, limit=limit, task_manager=TaskManager(include_path=str(folder)),
                              bootstrap_iters=0)
    assert results is not None
    out = {}
    for bench_name, (name, _, _, _, metric) in PAIRS.items():
        out[bench_name] = float(results["results"][f"local_{name}"][f"{metric},none"])
    return out


def run_bench(limit: int, batch_size: int, output: Path) -> dict[str, float]:
    from bench.harness.config import EvalConfig
    from bench.harness.scheduler import evaluate

    config = EvalConfig(tasks=tuple(PAIRS), model="smollm2", backend="hf", limit=limit, batch_size=batch_size,
                        output_path=str(output), use_cache=False, show_progress=False)
    outcome = evaluate(config)
    document = json.loads(outcome.result_path.read_text())
    return {name: next(m["value"] for m in entry["metrics"] if m["name"] == entry["headline_metric"])
            for name, entry in document["tasks"].items()}


def timed(function: Any, *args: Any) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = function(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    from bench.harness.embedded_model import embedded_model_dir

    model_dir = str(embedded_model_dir())
    sides: dict[str, dict[str, list[float]]] = {"lm-eval": {"wall": [], "cpu": []}, "bench": {"wall": [], "cpu": []}}
    metrics: dict[str, dict[str, float]] = {}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        names = override_folder(folder)
        for repeat in range(args.repeats):
            wall, cpu, metrics["lm-eval"] = timed(run_lm_eval, names, folder, args.limit, args.batch_size, model_dir)
            sides["lm-eval"]["wall"].append(wall)
            sides["lm-eval"]["cpu"].append(cpu)
            wall, cpu, metrics["bench"] = timed(run_bench, args.limit, args.batch_size, folder / f"bench-{repeat}")
            sides["bench"]["wall"].append(wall)
            sides["bench"]["cpu"].append(cpu)
    print(f"{len(PAIRS)} zero-shot probes x {args.limit} items, embedded SmolLM2-135M, float32 CPU, "
          f"{args.repeats} interleaved repeats; load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}")
    for name, side in sides.items():
        print(f"  {name:8s} wall median {statistics.median(side['wall']):7.1f} s [{min(side['wall']):.1f}, "
              f"{max(side['wall']):.1f}]   cpu median {statistics.median(side['cpu']):7.1f} s")
    speedup = statistics.median(sides["lm-eval"]["wall"]) / statistics.median(sides["bench"]["wall"])
    cpu_speedup = statistics.median(sides["lm-eval"]["cpu"]) / statistics.median(sides["bench"]["cpu"])
    print(f"  bench speed-up over lm-eval: wall {speedup:.2f}x, cpu {cpu_speedup:.2f}x (target >= 1.5x)")
    for task in PAIRS:
        a, b = metrics["lm-eval"][task], metrics["bench"][task]
        verdict = "equal" if abs(a - b) <= 1e-4 else "DIFFERENT"  # log-probs agree within 1e-4, not bit for bit
        print(f"  {task:30s} lm-eval {a:.6f}  bench {b:.6f}  |diff| {abs(a - b):.1e}  {verdict}")


if __name__ == "__main__":
    main()
