"""UNO metrics from sample records (no model): which decisions are scored, interval methods and
ranges, and the metrics that are not reported."""

from __future__ import annotations

import pytest
from bench.arenas.uno.llm_player import Attempt, LLMDecision
from bench.tasks.uno.config import UnoConfig
from bench.tasks.uno.report import build_metrics
from bench.tasks.uno.scoring import is_scored


def _decision(invalid: int, fallback: bool) -> LLMDecision:
    attempts = [Attempt("initial", "?", "no JSON object", "json", 10, 1) for _ in range(invalid)]
    if not fallback:
        attempts.append(Attempt("initial", '{"action": 0}', None, None, 10, 4))
    return LLMDecision("card", (1, 2), 1, fallback, tuple(attempts))


@pytest.mark.parametrize(
    ("invalid", "fallback", "policy", "expected"),
    [
        (0, False, "clean", True),
        (1, False, "clean", False),  # valid only after a correction turn: dropped, as officially
        (1, False, "corrected", True),
        (2, True, "corrected", False),
        (2, True, "all", True),
    ],
)
def test_scored_decision_policy(invalid, fallback, policy, expected):
    assert is_scored(_decision(invalid, fallback), policy) is expected


def _records() -> list[dict]:
    games = [{"id": f"game-{i}", "record": "game", "won": float(i % 2), "won_1v1_random": float(i % 2)} for i in range(6)]
    decisions = []
    for j in range(12):
        clean = j % 4 != 3
        rank = 1.0 if j % 3 else 2.0
        record = {
            "id": f"game-0/d-{j}", "record": "decision", "kind": "card", "setting": "1v1", "scored": clean,
            "fallback": 0, "had_invalid_answer": int(not clean), "model_calls": 1 if clean else 2,
        }
        if clean:
            values = [0.9, 0.5, 0.1] if rank == 1.0 else [0.5, 0.9, 0.1]
            record.update(values=values, candidates=["a", "b", "c"], chosen="a", rank=rank)
        decisions.append(record)
    return games + decisions


def test_metrics_use_wilson_and_bounded_intervals_and_drop_adr_at_1():
    config = UnoConfig(settings=("1v1",), opponents=("random",), ks=(1, 3))
    metrics, extra = build_metrics(config, _records())
    by_name = {m.name: m for m in metrics}
    assert "adr_at_1" not in by_name and "adr_at_3" in by_name
    invalid = by_name["invalid_answer_rate"]
    assert invalid.value == pytest.approx(3 / 12) and invalid.sample_field == "had_invalid_answer"
    assert "Wilson" in invalid.description and 0.0 <= invalid.ci_low < 0.25 < invalid.ci_high <= 1.0
    adr = by_name["adr_at_3"]
    assert adr.n == 9 and 1.0 <= adr.ci_low <= adr.value <= adr.ci_high <= 3.0
    assert "bootstrap" in adr.description
    win = by_name["win_rate"]
    assert win.value == 0.5 and "Wilson" in win.description
    assert extra["scored_decisions"] == 9 and extra["unscored_decisions"] == {"corrected": 3, "fallback": 0}
    assert extra["scored_decisions_policy"] == "clean"


def test_metrics_over_too_few_samples_say_so_instead_of_an_interval():
    config = UnoConfig(settings=("1v1",), opponents=("random",), ks=(1, 3))
    records = [r for r in _records() if r["record"] == "decision" or r["id"] in ("game-0", "game-1")]
    by_name = {m.name: m for m in build_metrics(config, records)[0]}
    win = by_name["win_rate"]
    assert win.n == 2 and win.ci_low is None and win.stderr is None and "no interval: n < 5" in win.description
