"""summarize's arithmetic on hand-built records: which episodes count for which metric."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.harness.task import SummaryContext
from bench.tasks.textworld import TextWorldTipsSelfTask, TipsSelfConfig
from bench.tasks.textworld.report import metric_fields


def _episode(agent: str, game: str, level: int, trial: int, score: float, won: bool, steps: int, phase: str = "eval") -> dict:
    return {"id": f"{phase}/{agent}/{game}/trial{trial}", "record": "episode", "phase": phase, "agent": agent,
            "game_id": game, "level": level, "trial": trial, "score": score, "max_score": 4.0, "won": won, "steps": steps,
            "memory": [f"tip {trial}"] if agent == "tips" else [], "inadmissible_commands": 0, "sanitised_commands": 0,
            "game": {"game_id": game, "command": "PYTHONHASHSEED=0 tw-make tw-cooking ..."}}


def test_metrics_use_the_last_trial_per_agent_and_level_and_every_trial_for_the_curve(tmp_path: Path):
    config = TipsSelfConfig(levels=("L1", "L2"), agents=("plain", "tips"), trials=2, max_steps=10)
    samples = [
        _episode("tips", "g1", 1, 1, 0.0, False, 10), _episode("tips", "g1", 1, 2, 4.0, True, 6),
        _episode("tips", "g2", 2, 1, 2.0, False, 10), _episode("tips", "g2", 2, 2, 3.0, False, 10),
        _episode("plain", "g1", 1, 1, 1.0, False, 10), _episode("plain", "g1", 1, 2, 1.0, False, 10),
        _episode("plain", "g2", 2, 1, 2.0, False, 10), _episode("plain", "g2", 2, 2, 2.0, False, 10),
        _episode("tips", "s1", 1, 1, 4.0, True, 3, phase="source"),  # never measured
    ]
    summary = TextWorldTipsSelfTask().summarize(samples, config, SummaryContext(seed=0, artifacts_dir=tmp_path))
    m = {x.name: x for x in summary.metrics}
    assert m["normalised_score_tips"].value == pytest.approx((1.0 + 0.75) / 2)
    assert m["success_rate_tips"].value == 0.5 and m["steps_tips"].value == 8.0 and m["steps_tips"].direction == "lower"
    assert m["normalised_score_tips_trial1"].value == pytest.approx(0.25)
    assert m["normalised_score_tips_L2"].value == pytest.approx(0.75) and m["normalised_score_tips_L2"].n == 1
    assert m["normalised_score_plain"].value == pytest.approx(0.375)
    assert all(x.ci_low is None for x in m.values())  # two games: too few for any interval
    assert "n < 5" in m["normalised_score_tips"].description
    assert summary.extra["final_tips"] == {"g1": ["tip 2"], "g2": ["tip 2"]}
    assert summary.extra["episodes"] == {"eval": 8, "source": 1, "demonstration": 0}
    assert (tmp_path / summary.plots[0].path).read_bytes()[:4] == b"\x89PNG"


def test_metric_fields_name_the_metrics_an_episode_counts_for():
    config = TipsSelfConfig(levels=("L1",), trials=3, max_steps=10)
    assert metric_fields(_episode("tips", "g", 1, 1, 2.0, False, 10), config) == {
        "normalised_score_tips_trial1": 0.5, "success_rate_tips_trial1": False}
    last = metric_fields(_episode("reflexion", "g", 1, 3, 4.0, True, 5), config)
    assert last == {"normalised_score_reflexion_trial3": 1.0, "success_rate_reflexion_trial3": True,
                    "normalised_score_reflexion": 1.0, "success_rate_reflexion": True, "steps_reflexion": 5}
