"""`uno` and `uno_tutri` end to end through `bench eval` on the embedded model (few short games:
every decision is a CPU generation), checked against their own sample records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from bench.harness.results import load_result, load_samples
from bench.metrics.uno_win_rate import win_rate

pytestmark = pytest.mark.slow

MAX_TURNS = 24
SHORT = (f"answer_mode=free,hand_size=3,max_turns={MAX_TURNS},history_window=3,max_retries=1,rollouts=20,"
         "scored_decisions=all,max_tokens=8")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `bench eval` of both tasks, in this process through `main(argv)` (one model load; their
    games share model batches): uno plays 3 games over its two settings and two opponents, uno_tutri one 1v1
    game against the random policy. max_tokens=8 cuts every answer short, so each decision also
    exercises the correction turn and the recorded random fallback."""
    from conftest import run_bench_in_process

    tmp = tmp_path_factory.mktemp("uno")
    args = [f"{task}.{kv}" for task in ("uno", "uno_tutri") for kv in SHORT.split(",")]
    args += ["uno.settings=1v1|3p", "uno_tutri.settings=1v1", "uno_tutri.opponents=random", "uno_tutri.games_per_setting=1"]
    result = run_bench_in_process(  # torch on one thread: tests/conftest.py sets OMP_NUM_THREADS=1
        "eval", "--model", "smollm2", "--tasks", "uno,uno_tutri", "--limit", "3", "--output-path", str(tmp / "out"),
        "--cache-path", str(tmp / "cache.sqlite"), "--no-progress", "--log-samples", "--task-args", ",".join(args),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    [path] = (tmp / "out").rglob("result.json")
    return path


def _check_records(path: Path, task: str, games: int) -> tuple[dict, list[dict]]:
    entry = load_result(path)["tasks"][task]
    assert entry["status"] == "ok"
    samples = load_samples(path, task)
    ids = [s["id"] for s in samples]
    assert len(ids) == len(set(ids))
    game_records = [s for s in samples if s["record"] == "game"]
    decisions = [s for s in samples if s["record"] == "decision"]
    assert len(game_records) == games
    for game in game_records:
        own = [d for d in decisions if d["game"] == game["id"]]
        assert game["decisions"] == len(own) and all(d["id"].startswith(game["id"] + "/d-") for d in own)
        assert game["invalid_answers"] == sum(d["invalid_answers"] for d in own)
        assert game["won"] in (0.0, 1.0) or 0 < game["won"] < 1 and game["end_reason"] in ("deck_depleted", "turn_cap")
        assert game["turns"] <= MAX_TURNS
    metrics = {m["name"]: m for m in entry["metrics"]}
    assert metrics["win_rate"]["value"] == pytest.approx(win_rate([g["won"] for g in game_records]).value)
    assert metrics["win_rate"]["sample_field"] == "won"
    cell = metrics["win_rate_1v1_random"]
    assert cell["value"] == pytest.approx(np.mean([g["won_1v1_random"] for g in game_records if "won_1v1_random" in g]))
    # Unusable answers are counted, never fatal.
    assert metrics["invalid_answer_rate"]["value"] == pytest.approx(np.mean([d["invalid_answers"] > 0 for d in decisions]))
    scored = [d for d in decisions if d["scored"]]
    assert scored and len(scored) == len(decisions)  # scored_decisions=all
    assert "adr_at_1" not in metrics
    assert metrics["odhr_at_1"]["value"] == pytest.approx(np.mean([d["hit_at_1"] for d in scored]))
    assert metrics["adr_at_3"]["value"] == pytest.approx(np.mean([d["rank_at_3"] for d in scored]))
    for d in scored:
        assert len(d["values"]) == len(d["candidates"]) and d["chosen"] in d["candidates"]
        assert [m["role"] for m in d["conversation"][:2]] == ["system", "user"]
    for plot in entry["plots"]:
        assert (path.parent / plot["path"]).read_bytes()[:4] == b"\x89PNG"
    assert {p["name"] for p in entry["plots"]} == {"win_rate", "odhr_curve"}
    return metrics, samples


def test_uno_plays_complete_games_and_reports_metrics_matching_its_records(run: Path):
    metrics, samples = _check_records(run, "uno", games=3)
    settings = {s["setting"] for s in samples if s["record"] == "game"}
    opponents = {s["opponent"] for s in samples if s["record"] == "game"}
    assert settings == {"1v1", "3p"} and opponents == {"random", "dqn"}  # --limit interleaves the cells
    assert all(s["decisions"] > 0 for s in samples if s["record"] == "game")  # every game asked the model
    decisions = [s for s in samples if s["record"] == "decision"]
    assert all(d["model_calls"] == 1 + min(d["invalid_answers"], 1) for d in decisions)


def test_uno_tutri_makes_three_staged_calls_per_decision(run: Path):
    metrics, samples = _check_records(run, "uno_tutri", games=1)
    decisions = [s for s in samples if s["record"] == "decision"]
    for d in decisions:
        stages = [a["stage"] for a in d["attempts"]]
        assert stages[0] == "initial" and {"history", "strategy"} <= set(stages)
        assert d["model_calls"] == len(stages) >= 3
        assert all(stages.count(stage) <= 2 for stage in ("initial", "history", "strategy"))  # 1 + max_retries
        assert len(d["stage_actions"]) == 3
    assert metrics["model_calls_per_decision"]["value"] >= 3


def test_bad_task_option_is_a_one_line_input_error(tmp_path: Path):
    from conftest import run_bench_in_process  # the option fails at planning: no model, no subprocess

    result = run_bench_in_process("eval", "--model", "smollm2", "--tasks", "uno", "--task-args", "uno.settings=4v4",
                                  "--output-path", str(tmp_path / "out"), "--no-cache", "--no-progress")
    assert result.returncode == 2 and "settings must be among" in result.stderr
