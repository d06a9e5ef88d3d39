"""The hallucination metrics bench computes itself, on hand cases: SQuAD v2 matching, the majority
baseline, the suite's scores and their intervals. (The probes lm-eval scores are checked on hand
cases through the definitions the bridge runs: tests/tasks/hallucination/test_bridged_probes.py.)"""

from __future__ import annotations

import math

import pytest
from bench.metrics.hallucination_choice import majority_baseline
from bench.metrics.hallucination_qa import squad_exact, squad_f1
from bench.metrics.hallucination_scores import (
    bootstrap_difference,
    stratified_bootstrap_score,
    unweighted_score,
)


def test_squad_exact_and_f1_on_hand_cases() -> None:
    assert squad_exact("the river Olm.", ["river Olm"]) == 1.0
    assert squad_f1("the river Olm in the north", ["the river Olm"]) == pytest.approx(2 * (2 / 4) * 1 / (2 / 4 + 1))
    assert squad_exact("", [""]) == 1.0 and squad_f1("", []) == 1.0  # unanswerable, abstained
    assert squad_exact("1923", []) == 0.0 and squad_f1("1923", [""]) == 0.0  # unanswerable, answered
    assert squad_f1("two", ["two", "two tram lines"]) == 1.0  # best over golds


def test_majority_baseline_is_the_share_of_the_most_frequent_gold() -> None:
    assert majority_baseline([0, 0, 1, 0]) == 0.75
    assert majority_baseline(["supported", "refuted"]) == 0.5
    assert math.isnan(majority_baseline([]))


def test_factuality_score_is_the_unweighted_task_mean_with_an_interval_in_range() -> None:
    assert unweighted_score({"a": 0.2, "b": 0.6}) == pytest.approx(0.4)
    assert math.isnan(unweighted_score({})) and math.isnan(unweighted_score({"a": float("nan")}))
    per_task = [[1, 0, 1, 1, 0, 1], [0.2, 0.4, 0.9, 0.1, 0.5]]
    low, high = stratified_bootstrap_score(per_task, seed=3)  # type: ignore[misc]
    point = (4 / 6 + 2.1 / 5) / 2
    assert 0.0 <= low < point < high <= 1.0
    assert stratified_bootstrap_score([[1, 0, 1]]) is None  # n < 5: no interval
    assert stratified_bootstrap_score(per_task, seed=3) == stratified_bootstrap_score(per_task, seed=3)


def test_bootstrap_difference_sees_a_real_gap_and_stays_in_range() -> None:
    ones, zeros = [[1.0] * 30], [[0.0] * 25 + [1.0] * 5]
    low, high = bootstrap_difference(ones, zeros, seed=1)  # type: ignore[misc]
    assert 0.0 < low <= high <= 1.0
    assert bootstrap_difference([[1.0] * 3], zeros) is None
