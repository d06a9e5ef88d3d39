"""A repeated UNO run takes its decisions' Monte Carlo values from the derived-artefact cache (no
rollout), with records identical to the first run's; a change of the engine's code misses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bench.harness.results import load_samples
from bench.tasks.uno import scoring


def _decisions(bench_main: Any, tmp_path: Path, name: str) -> list[dict[str, Any]]:
    settings = ["max_turns=16", "rollouts=8", "history_window=4", "answer_mode=constrained"]
    result = bench_main("eval", "--backend", "fake", "--model", "fake-uno", "--tasks", "uno", "--limit", "2",
                        "--output-path", str(tmp_path / name), "--no-progress",
                        "--task-args", ",".join(f"uno.{kv}" for kv in settings))
    assert result.returncode == 0, result.stderr
    [path] = (tmp_path / name).rglob("result.json")
    return [s for s in load_samples(path, "uno") if s["record"] == "decision"]


def test_a_repeat_reuses_the_decision_values_and_a_code_change_misses(
    bench_main: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rollouts: list[int] = []
    original = scoring.monte_carlo_action_values

    def counted(*args: Any, **kwargs: Any) -> list[float]:
        rollouts.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(scoring, "monte_carlo_action_values", counted)
    first = _decisions(bench_main, tmp_path, "first")
    computed = len(rollouts)
    assert computed > 0 and any(d.get("values") for d in first)

    second = _decisions(bench_main, tmp_path, "second")
    assert len(rollouts) == computed  # every value served from the cache
    assert second == first

    monkeypatch.setattr(scoring, "_code_digest", lambda: "the engine's code changed")
    third = _decisions(bench_main, tmp_path, "third")
    assert len(rollouts) == 2 * computed  # recomputed, to the same values
    assert third == first
