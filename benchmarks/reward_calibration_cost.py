"""Calibration cost: how long RC-LWR (statsmodels LOWESS) and the whole `bench calibrate` take.

Synthetic RewardBench-shaped data (lengths log-normal like RewardBench responses, 2985 pairs =
5970 responses per reward model, rewards = quality + a length bias + noise). Measures

1. one reward model, RC-LWR at frac 1.0 (the paper's RewardBench setting), delta 0;
2. 36 reward models (the paper's script) calibrated with every method and re-scored, in-process,
   with 1 and 2 worker processes (target <= 30 s; the paper reports ~30 s on CPU for 300k);
3. the same 36 models end to end through `bench calibrate` (score files written in the published
   format, read, joined on id with the responses, report and plot written);
4. 300k pooled responses at frac 0.3 (AlpacaEval setting) with delta = 1% of the length range
   (target <= 2 s);
5. how far a non-zero delta moves the results versus delta = 0: max |change| of calibrated
   rewards (in reward standard deviations), pairs whose order flips, and the RewardBench score.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/reward_calibration_cost.py [--models 36] [--pool 300000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench.metrics.reward_calibration import lowess_delta, rc_lwr
from bench.metrics.rewardbench_scoring import SECTIONS, example_counts, pair_correct, rewardbench_score
from bench.tasks.rewardbench_length.analysis import CalibrationSettings, ScoredPairs
from bench.tasks.rewardbench_length.calibrate_cli import _calibrate_all

N_PAIRS = 2985


def rewardbench_subsets(n: int, rng: np.random.Generator) -> list[str]:
    """Subset labels in RewardBench's proportions (math-prm at its real 447)."""
    counts = {**example_counts("fixed"), "math-prm": 447}
    names = [s for members in SECTIONS.values() for s in members]
    weights = np.array([counts[s] for s in names], float)
    return list(rng.choice(names, size=n, p=weights / weights.sum()))


def synthetic_model(seed: int, n: int = N_PAIRS) -> tuple[ScoredPairs, dict[str, list[float]]]:
    rng = np.random.default_rng(seed)
    c_plus = np.round(rng.lognormal(6.5, 0.9, n))  # median ~665 characters, long right tail
    c_minus = np.round(rng.lognormal(6.5, 0.9, n))
    strength = rng.uniform(0.5, 2.0)
    bias = rng.uniform(0.0, 1.5)
    r_plus = strength + rng.normal(0, 1, n) + bias * np.log(c_plus)
    r_minus = rng.normal(0, 1, n) + bias * np.log(c_minus)
    subsets = rewardbench_subsets(n, rng)
    pairs = ScoredPairs(
        ids=tuple(str(i) for i in range(n)), subsets=tuple(subsets), chosen_scores=r_plus, rejected_scores=r_minus,
        features={"chars": (c_plus, c_minus)}, chosen_full_lengths=c_plus + 300, rejected_full_lengths=c_minus + 300,
    )
    return pairs, {"c_plus": list(c_plus), "c_minus": list(c_minus)}


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - start


def write_published_files(folder: Path, models: list[ScoredPairs]) -> Path:
    """Score files in the eval-set-scores format and a responses file whose lengths match."""
    first = models[0]
    c_plus, c_minus = first.features["chars"]
    responses = [
        {"id": int(i), "prompt": "p", "chosen": "x" * int(a), "rejected": "y" * int(b), "subset": s}
        for i, a, b, s in zip(first.ids, c_plus, c_minus, first.subsets)
    ]
    responses_path = folder / "responses.json"
    responses_path.write_text(json.dumps(responses))
    for index, pairs in enumerate(models):
        document = {
            "id": [int(i) for i in pairs.ids], "subset": list(pairs.subsets),
            "scores_chosen": [[float(x)] for x in pairs.chosen_scores], "scores_rejected": [float(x) for x in pairs.rejected_scores],
            "results": [int(x) for x in pair_correct(pairs.chosen_scores, pairs.rejected_scores)],
            "model": f"synthetic/rm-{index}", "model_type": "Seq. Classifier", "chat_template": "none",
        }
        (folder / "scores" / "synthetic").mkdir(parents=True, exist_ok=True)
        (folder / "scores" / "synthetic" / f"rm-{index}.json").write_text(json.dumps(document, indent=4, sort_keys=True))
    return responses_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=36)
    parser.add_argument("--pool", type=int, default=300_000)
    args = parser.parse_args()
    settings = CalibrationSettings(n_boot=0)

    one, _ = synthetic_model(0)
    lengths = np.concatenate(one.features["chars"])
    rewards = np.concatenate([one.chosen_scores, one.rejected_scores])
    _, seconds = timed(rc_lwr, lengths, rewards, 1.0)
    print(f"1. one reward model, {lengths.size} responses, RC-LWR frac 1.0 delta 0: {seconds:.2f} s")

    # Models share the responses (as on RewardBench), so their lengths are the first model's.
    base = [synthetic_model(i)[0] for i in range(args.models)]
    models = [
        ScoredPairs(m.ids, one.subsets, m.chosen_scores, m.rejected_scores, one.features, one.chosen_full_lengths, one.rejected_full_lengths)
        for m in base
    ]
    for jobs in (1, 2):
        outcomes, seconds = timed(_calibrate_all, models, settings, ("rc_lwr",), jobs)
        print(f"2. {args.models} models x {lengths.size} responses, RC-LWR + scoring, jobs={jobs}: {seconds:.1f} s")
    outcomes, seconds = timed(_calibrate_all, models, settings, ("rc_mean", "rc_lwr", "length_penalty", "rc_lwr_penalty"), 2)
    gains = [o["rc_lwr"].score.overall - o["original"].score.overall for o in outcomes]
    print(f"   all four methods + scoring, jobs=2: {seconds:.1f} s; synthetic RC-LWR gain mean {np.mean(gains):+.2f}")
    fast = CalibrationSettings(n_boot=0, lowess_delta_frac=0.001)
    fast_outcomes, seconds = timed(_calibrate_all, models, fast, ("rc_mean", "rc_lwr", "length_penalty", "rc_lwr_penalty"), 1)
    moved = max(
        abs(f[m].score.overall - o[m].score.overall) for f, o in zip(fast_outcomes, outcomes) for m in ("rc_lwr", "rc_lwr_penalty")
    )
    print(f"   all four methods, delta 0.1% of range, jobs=1: {seconds:.1f} s; max score change vs delta 0: {moved:.3f} points")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        responses = write_published_files(folder, models)
        command = [
            sys.executable, "-m", "bench.harness.cli", "calibrate", str(folder / "scores"), "--responses", str(responses),
            "--method", "rc_lwr", "--jobs", "2", "-o", str(folder / "out"),
        ]
        result, seconds = timed(subprocess.run, command, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(result.stderr)
        print(f"3. bench calibrate end to end ({args.models} files, RC-LWR, jobs=2, incl. start-up and plot): {seconds:.1f} s")

    rng = np.random.default_rng(1)
    pool_lengths = np.round(rng.lognormal(6.5, 0.9, args.pool))
    pool_rewards = rng.normal(0, 1, args.pool) + 0.8 * np.log(pool_lengths)
    delta = lowess_delta(pool_lengths, 0.01)
    _, seconds = timed(rc_lwr, pool_lengths, pool_rewards, 0.3, 3, delta)
    print(f"4. {args.pool} pooled responses, frac 0.3, delta = 1% of range ({delta:.0f} chars): {seconds:.2f} s")

    n = one.n
    print("5. delta vs delta = 0 on one RewardBench-sized model (frac 1.0):")
    exact = rc_lwr(lengths, rewards, 1.0, 3, 0.0)
    exact_score = rewardbench_score(one.subsets, pair_correct(exact[:n], exact[n:])).overall
    for fraction in (0.001, 0.01, 0.05):
        approx, seconds = timed(rc_lwr, lengths, rewards, 1.0, 3, lowess_delta(lengths, fraction))
        flips = int(np.sum(np.sign(exact[:n] - exact[n:]) != np.sign(approx[:n] - approx[n:])))
        score = rewardbench_score(one.subsets, pair_correct(approx[:n], approx[n:])).overall
        print(
            f"   delta {fraction:.3f} of range: {seconds:.2f} s, max |change| {np.max(np.abs(approx - exact)) / np.std(rewards):.2e} "
            f"reward sd, order flips {flips}/{n}, score {score:.3f} vs {exact_score:.3f}"
        )


if __name__ == "__main__":
    main()
