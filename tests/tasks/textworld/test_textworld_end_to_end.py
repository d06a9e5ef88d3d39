"""`textworld_tips_self` end to end through `bench eval` on the embedded model: one short L1 game,
all three agents, two trials (every command ranked by log-likelihood, tips and a reflection
generated between the trials), checked against its own records."""

from __future__ import annotations

import math

import pytest
from bench.arenas.textworld.games import default_games_dir
from bench.harness.results import load_result, load_samples

pytestmark = pytest.mark.slow

ARGS = ("levels=L1,trials=2,max_steps=3,history_window=2,memory_tokens=24,max_tips=3,"
        f"games_dir={default_games_dir()}")


def test_tips_self_on_the_embedded_model(tmp_path):
    from conftest import run_bench

    result = run_bench(
        "eval", "--model", "smollm2", "--tasks", "textworld_tips_self", "--limit", "1", "--no-progress",
        "--output-path", str(tmp_path / "out"), "--cache-path", str(tmp_path / "cache.sqlite"),
        "--task-args", ",".join(f"textworld_tips_self.{kv}" for kv in ARGS.split(",")),
        env={"OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    [path] = (tmp_path / "out").rglob("result.json")
    entry = load_result(path)["tasks"]["textworld_tips_self"]
    assert entry["status"] == "ok"
    episodes = load_samples(path, "textworld_tips_self")
    assert sorted((e["agent"], e["trial"]) for e in episodes) == [
        (a, t) for a in ("plain", "reflexion", "tips") for t in (1, 2)]
    for e in episodes:
        assert 1 <= e["steps"] <= 3 and e["choice_mode"] == "loglikelihood"
        for step in e["trajectory"]:  # a ranked admissible command each step, with its model score
            assert step["admissible"] and "raw_command" not in step
            assert step["choice"]["candidates"] > 1 and math.isfinite(step["choice"]["score"]) and step["choice"]["score"] < 0
    tips = {e["trial"]: e for e in episodes if e["agent"] == "tips"}
    assert tips[1]["memory"] == [] and tips[2]["memory"] == tips[1]["memory_after"]
    assert tips[1]["memory_answer"]  # the model was asked for tips after trial 1 and answered
    assert all(isinstance(t, str) and t for t in tips[2]["memory"])
    reflexion = {e["trial"]: e for e in episodes if e["agent"] == "reflexion"}
    if not reflexion[1]["won"]:
        assert reflexion[1]["memory_answer"] is not None and reflexion[2]["memory"] == reflexion[1]["memory_after"]
    metrics = {m["name"]: m for m in entry["metrics"]}
    for agent in ("plain", "reflexion", "tips"):
        last = [e for e in episodes if e["agent"] == agent and e["trial"] == 2]
        assert metrics[f"normalised_score_{agent}"]["value"] == pytest.approx(last[0]["score"] / last[0]["max_score"])
        assert metrics[f"normalised_score_{agent}_trial1"]["n"] == 1
