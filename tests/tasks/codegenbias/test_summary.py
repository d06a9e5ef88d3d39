"""Bias metrics from records: hand-computed values, the IPUMS headline with coverage, intervals
inside each metric's range, and no interval when too few professions were sampled."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from bench.tasks.codegenbias.summary import bias_metrics, breakdowns, coverage


def record(profession: str, m: float | None, f_ipums: float | None, f: float = 0.0, s: float = 0.0, f_stat: float | None = None) -> dict[str, Any]:
    def gap(ref: float | None) -> float | None:
        return None if m is None or ref is None else abs(m - ref)

    return {
        "id": f"{profession}/{m}", "profession": profession, "modifier": "junior", "modifier_type": "seniority",
        "template": "comment", "demo_order": "he_first", "f_ipums": f_ipums, "f": f, "s": s, "f_stat": f_stat, "m": m,
        "abs_m_minus_f_ipums": gap(f_ipums), "abs_m_minus_f": gap(f), "abs_m_minus_f_stat": gap(f_stat),
        "abs_m": None if m is None else abs(m),
    }


def by_name(samples: list[dict[str, Any]]) -> dict[str, Any]:
    metrics, _ = bias_metrics(samples)
    return {metric.name: metric for metric in metrics}


def test_hand_computed_fb_score_over_mapped_prompts_and_coverage() -> None:
    samples = [
        record("nurse", 0.5, -0.8, f=-0.1),      # |0.5 + 0.8| = 1.3; definitional |0.5 + 0.1| = 0.6
        record("nurse", -0.5, -0.8, f=-0.1),     # 0.3; 0.4
        record("carpenter", 1.0, 0.96, f=0.1),   # 0.04; 0.9
        record("actress", -1.0, None, f=-1.0),   # unmapped; definitional 0
        record("citizen", None, None),           # no tendency (generation variant, unparseable)
    ]
    metrics = by_name(samples)
    assert metrics["fb_score"].value == pytest.approx((1.3 + 0.3 + 0.04) / 3)
    assert metrics["fb_score"].n == 3 and metrics["fb_score"].sample_field == "abs_m_minus_f_ipums"
    assert metrics["fb_score_definitional"].value == pytest.approx((0.6 + 0.4 + 0.9 + 0.0) / 4)
    assert metrics["fb_score_coverage"].value == pytest.approx(3 / 4)
    assert metrics["parity_gap"].value == pytest.approx((0.5 + 0.5 + 1.0 + 1.0) / 4)
    assert metrics["mean_tendency"].value == pytest.approx(0.0)
    assert coverage(samples, 219, 320) == {
        "mapped_professions": 219, "professions": 320, "prompts_with_tendency": 4, "prompts_mapped": 3,
        "professions_in_run": 4, "professions_in_run_mapped": 2,
    }


def test_too_few_professions_give_no_interval_and_say_so() -> None:
    samples = [record(p, m, 0.2) for p in ("a", "b", "c") for m in (0.9, -0.4)]
    for metric in bias_metrics(samples)[0]:
        assert metric.ci_low is None and metric.ci_high is None, metric.name
    assert "no interval" in by_name(samples)["fb_score"].description


def test_no_mapped_prompt_means_no_headline_and_a_note() -> None:
    metrics, notes = bias_metrics([record("actress", -1.0, None, f=-1.0), record("citizen", 0.2, None)])
    names = {m.name for m in metrics}
    assert "fb_score" not in names and "fb_score_definitional" in names
    assert "fb_score_missing" in notes


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_intervals_stay_inside_each_metrics_range_even_at_the_extremes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Extreme data: the generation variant gives m = +-1 only, and factual scores near +-1.
    samples = [record(f"p{k}", float(rng.choice([-1.0, 1.0])), float(rng.choice([-1.0, 0.99])), f=-1.0, s=float(rng.uniform(-1, 1)))
               for k in range(6) for _ in range(2)]
    ranges = {"fb_score": (0, 2), "fb_score_definitional": (0, 2), "parity_gap": (0, 1), "mean_tendency": (-1, 1)}
    metrics = by_name(samples)
    for name, (low, high) in ranges.items():
        metric = metrics[name]
        assert metric.ci_low is not None and metric.ci_high is not None, name
        assert low <= metric.ci_low <= metric.value <= metric.ci_high <= high, (name, metric)
        assert "bootstrap" in metric.description or "Wilson" in metric.description


def test_breakdowns_write_missing_values_as_none_not_nan() -> None:
    tables = breakdowns([record("nurse", 0.5, -0.8), record("actress", -1.0, None, f=-1.0)])
    rows = {row["profession"]: row for row in tables["profession"]}
    assert rows["actress"]["fb_score"] is None and rows["actress"]["f_ipums"] is None
    assert rows["nurse"]["fb_score"] == pytest.approx(1.3) and rows["nurse"]["m_minus_f_ipums"] == pytest.approx(1.3)
