"""UNO end to end on the embedded model in the constrained and choose answer modes: every decision
of a few short games is the model's own (zero fallbacks, zero unusable answers), constrained answers
are the paper's JSON object with the reasoning first, and choose plays the most likely candidate."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from bench.arenas.uno.answer_modes import action_values
from bench.harness.results import load_result, load_samples

pytestmark = pytest.mark.slow

SHORT = "settings=1v1,opponents=random,hand_size=4,max_turns=16,history_window=4,rollouts=10,games_per_setting=2"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `bench eval` in this process: `uno` constrained (2 games), `uno_tutri` choose (1 game)."""
    from conftest import run_bench_in_process

    tmp = tmp_path_factory.mktemp("uno_modes")
    args = [f"{task}.{kv}" for task in ("uno", "uno_tutri") for kv in SHORT.split(",")]
    args += ["uno.answer_mode=constrained", "uno.thoughts_max_chars=32", "uno.max_tokens=64",
             "uno_tutri.answer_mode=choose", "uno_tutri.games_per_setting=1"]
    result = run_bench_in_process(  # torch on one thread: tests/conftest.py sets OMP_NUM_THREADS=1
        "eval", "--model", "smollm2", "--tasks", "uno,uno_tutri", "--output-path", str(tmp / "out"),
        "--cache-path", str(tmp / "cache.sqlite"), "--no-progress", "--log-samples", "--task-args", ",".join(args),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    [path] = (tmp / "out").rglob("result.json")
    return path


def _decisions(path: Path, task: str) -> list[dict]:
    decisions = [s for s in load_samples(path, task) if s["record"] == "decision"]
    assert decisions, f"{task}: the games asked the model nothing"
    return decisions


def test_constrained_mode_gets_a_usable_answer_for_every_decision(run: Path):
    decisions = _decisions(run, "uno")
    assert all(d["answer_mode"] == "constrained" for d in decisions)
    assert sum(d["fallback"] for d in decisions) == 0 and sum(d["invalid_answers"] for d in decisions) == 0
    for d in decisions:
        [attempt] = d["attempts"]
        answer = json.loads(attempt["response"])
        assert list(answer) == ["thoughts", "action"] and len(answer["thoughts"]) <= 32
        legal = action_values(d["kind"], len(d["candidates"]))
        assert legal.index(answer["action"]) == d["candidates"].index(d["chosen"])
    metrics = {m["name"]: m for m in load_result(run)["tasks"]["uno"]["metrics"]}
    assert metrics["fallback_rate"]["value"] == 0.0


def test_choose_mode_plays_the_most_likely_answer_in_each_tutri_turn(run: Path):
    decisions = _decisions(run, "uno_tutri")
    assert all(d["answer_mode"] == "choose" and d["fallback"] == 0 and d["model_calls"] == 3 for d in decisions)
    for d in decisions:
        assert [a["stage"] for a in d["attempts"]] == ["initial", "history", "strategy"]
        for scores, attempt, action in zip(d["choice_logprobs"], d["attempts"], d["stage_actions"]):
            assert len(scores) == len(d["candidates"]) and all(math.isfinite(s) and s < 0 for s in scores)
            assert d["candidates"].index(action) == scores.index(max(scores))
            assert json.loads(attempt["response"])["thoughts" if attempt["stage"] == "initial" else "reflection"] == ""
    assert load_result(run)["tasks"]["uno_tutri"]["config"]["answer_mode"] == "choose"
