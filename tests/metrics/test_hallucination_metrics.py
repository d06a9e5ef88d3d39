"""Hallucination probe metrics on hand cases, and equal to lm-eval's on the same outputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bench.metrics.hallucination_choice import choice_index, majority_baseline, mc1_correct, mc2_true_mass
from bench.metrics.hallucination_qa import NQ_ARTICLES, em_normalise, exact_match, squad_exact, squad_f1
from bench.metrics.hallucination_rouge import rouge_l
from bench.metrics.hallucination_scores import (
    bootstrap_difference,
    stratified_bootstrap_score,
    unweighted_score,
)


def test_nq_exact_match_drops_articles_case_and_punctuation() -> None:
    assert exact_match(" The Pacific Ocean", ["Pacific Ocean"], (NQ_ARTICLES,)) == 1.0
    assert exact_match("pacific ocean!", ["the Pacific Ocean"], (NQ_ARTICLES,)) == 1.0
    # The article regex runs before case folding, as in lm-eval: "THE " is not an article there.
    assert em_normalise("THE Pacific", (NQ_ARTICLES,)) == "the pacific"
    assert exact_match("Atlantic", ["Pacific", "Indian"], (NQ_ARTICLES,)) == 0.0
    assert exact_match("indian", ["Pacific", "Indian"]) == 1.0  # any alias


CASES = [
    (" The Eiffel Tower", "Eiffel Tower"), ("eiffel tower.", "The Eiffel Tower"), ("an apple", "Apple"),
    ("THE end", "end"), ("U.S.A.", "USA"), ("1,000", "1000"), ("Paris", "London"), ("a", "A"),
]


@pytest.mark.parametrize("regexes", [(NQ_ARTICLES,), ()])
def test_exact_match_equals_lm_eval_exact_match(regexes: tuple[str, ...]) -> None:
    from lm_eval.api.metrics import exact_match_hf_evaluate

    for prediction, gold in CASES:
        theirs = exact_match_hf_evaluate(
            predictions=[prediction.strip()], references=[gold], regexes_to_ignore=list(regexes) or None,
            ignore_case=True, ignore_punctuation=True,
        )["exact_match"]
        assert exact_match(prediction, [gold], regexes) == theirs, (prediction, gold)


def test_squad_exact_and_f1_on_hand_cases() -> None:
    assert squad_exact("the river Olm.", ["river Olm"]) == 1.0
    assert squad_f1("the river Olm in the north", ["the river Olm"]) == pytest.approx(2 * (2 / 4) * 1 / (2 / 4 + 1))
    assert squad_exact("", [""]) == 1.0 and squad_f1("", []) == 1.0  # unanswerable, abstained
    assert squad_exact("1923", []) == 0.0 and squad_f1("1923", [""]) == 0.0  # unanswerable, answered
    assert squad_f1("two", ["two", "two tram lines"]) == 1.0  # best over golds


def test_mc2_is_the_normalised_true_mass_and_equals_lm_eval() -> None:
    from lm_eval.tasks.truthfulqa.utils import process_results_mc2

    logliks, labels = [-1.0, -2.0, -0.5, -3.0], [1, 1, 0, 0]
    p = np.exp(logliks)
    assert mc2_true_mass(logliks, labels) == pytest.approx((p[0] + p[1]) / p.sum())
    theirs = process_results_mc2({"mc2_targets": {"labels": labels}}, [(ll, False) for ll in logliks])["acc"]
    assert mc2_true_mass(logliks, labels) == pytest.approx(theirs)
    # Very negative log-likelihoods do not underflow (lm-eval's exp() would give 0/0 here).
    assert mc2_true_mass([-2000.0, -2001.0], [1, 0]) == pytest.approx(1 / (1 + math.exp(-1)))


def test_choice_and_detection_accuracy_with_majority_baseline() -> None:
    assert choice_index([-3.0, -1.0, -1.0]) == 1  # first of ties, like numpy's argmax
    assert mc1_correct([-3.0, -1.0], 1) == 1.0 and mc1_correct([-3.0, -1.0], 0) == 0.0
    assert majority_baseline([0, 0, 1, 0]) == 0.75
    assert math.isnan(majority_baseline([]))


def test_rouge_l_on_hand_cases() -> None:
    assert rouge_l("the bridge will close", "the bridge will close") == pytest.approx(1.0)
    # LCS "the bridge close" = 3 of 4 predicted and 3 of 5 reference tokens.
    assert rouge_l("the bridge may close", "the old bridge will close") == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert rouge_l("", "anything") == 0.0


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
