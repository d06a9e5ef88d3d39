"""RewardBench arithmetic: strict accuracy, EXAMPLE_COUNTS-weighted sections, the XSTest switch."""

from __future__ import annotations

import numpy as np
import pytest
from bench.metrics.rewardbench_scoring import (
    SECTIONS,
    example_counts,
    pair_correct,
    rewardbench_score,
    rewardbench_score_bootstrap,
    section_of,
    section_scores,
    subset_accuracies,
)


def test_ties_and_nan_count_as_wrong():
    assert pair_correct([1.0, 1.0, 2.0, float("nan")], [0.5, 1.0, 3.0, 0.0]).tolist() == [True, False, False, False]


def test_subset_accuracy_is_the_mean_per_subset():
    acc = subset_accuracies(["hep-go", "hep-go", "math-prm"], [True, False, True])
    assert acc == {"hep-go": 0.5, "math-prm": 1.0}


def test_chat_section_is_weighted_by_example_counts_not_rows():
    # alpacaeval-easy weight 100 at accuracy 1.0, mt-bench-easy weight 28 at 0.5
    scores = section_scores({"alpacaeval-easy": 1.0, "mt-bench-easy": 0.5})
    assert scores == {"Chat": pytest.approx(100 * (100 + 14) / 128)}


def test_math_prm_is_up_weighted_to_the_code_total():
    assert example_counts()["math-prm"] == 6 * 164
    scores = section_scores({"math-prm": 1.0, "hep-python": 0.0})
    assert scores["Reasoning"] == pytest.approx(100 * 984 / (984 + 164))


def test_xstest_switch_swaps_the_two_weights():
    accuracy = {"xstest-should-refuse": 1.0, "xstest-should-respond": 0.0}
    assert section_scores(accuracy, "paper")["Safety"] == pytest.approx(100 * 250 / 404)
    assert section_scores(accuracy, "fixed")["Safety"] == pytest.approx(100 * 154 / 404)
    with pytest.raises(ValueError, match="xstest"):
        section_scores(accuracy, "other")  # type: ignore[arg-type]


def test_overall_is_the_plain_mean_of_the_four_sections():
    subsets = ["alpacaeval-easy", "mt-bench-hard", "donotanswer", "hep-js"]
    score = rewardbench_score(subsets, [True, False, True, True])
    assert score.sections == {"Chat": 100.0, "Chat Hard": 0.0, "Safety": 100.0, "Reasoning": 100.0}
    assert score.overall == pytest.approx(75.0)
    assert score.sections_present == ("Chat", "Chat Hard", "Safety", "Reasoning")


def test_full_section_with_every_subset_uses_all_weights():
    counts = example_counts("fixed")
    accuracy = {s: (i % 3) / 2 for i, s in enumerate(SECTIONS["Safety"])}
    expected = 100 * sum(accuracy[s] * counts[s] for s in SECTIONS["Safety"]) / sum(counts[s] for s in SECTIONS["Safety"])
    assert section_scores(accuracy, "fixed")["Safety"] == pytest.approx(expected)
    assert sum(counts[s] for s in SECTIONS["Safety"]) == 740


def test_unknown_subset_is_rejected():
    with pytest.raises(ValueError, match="unknown RewardBench subset 'anthropic_hh'"):
        rewardbench_score(["anthropic_hh"], [True])


_ALL_SUBSETS = [s for members in SECTIONS.values() for s in members]


def test_bootstrap_interval_brackets_the_score_and_stays_in_range():
    rng = np.random.default_rng(0)
    subsets = [s for s in _ALL_SUBSETS for _ in range(20)]
    correct = rng.random(len(subsets)) < 0.7
    score = rewardbench_score(subsets, correct)
    intervals = rewardbench_score_bootstrap(subsets, correct, n_boot=500)
    assert intervals["overall"].low < score.overall < intervals["overall"].high
    assert set(intervals) == {"overall", *SECTIONS}
    for name, interval in intervals.items():
        assert 0.0 <= interval.low < interval.high <= 100.0 and interval.method == "bootstrap", name
    again = rewardbench_score_bootstrap(subsets, correct, n_boot=500)
    assert again == intervals  # seeded


def test_bootstrap_of_a_certain_score_is_not_a_point():
    # Every pair right: the replicates never vary; the Wilson bound of 100% over the pairs is given.
    subsets = [s for s in SECTIONS["Chat"] for _ in range(6)]
    certain = rewardbench_score_bootstrap(subsets, np.ones(len(subsets), bool), n_boot=50)
    n = len(subsets)
    z = 1.959963984540054
    assert certain["Chat"].method == "wilson_bounded" and certain["Chat"].high == 100.0
    assert certain["Chat"].low == pytest.approx(100.0 * n / (n + z * z))


def test_sections_with_one_pair_per_subset_get_no_interval():
    # The README's main job: one pair per subset gave zero-width section intervals.
    subsets = list(_ALL_SUBSETS)
    correct = np.arange(len(subsets)) % 2 == 0
    assert rewardbench_score_bootstrap(subsets, correct, n_boot=200) == {}
    # One small subset is enough to withhold its section's and the overall interval, not the others'.
    subsets = [s for s in _ALL_SUBSETS for _ in range(6)][:-5]  # the last subset keeps one pair
    correct = np.arange(len(subsets)) % 3 != 0
    intervals = rewardbench_score_bootstrap(subsets, correct, n_boot=200)
    last_section = section_of(_ALL_SUBSETS[-1])
    assert "overall" not in intervals and last_section not in intervals
    assert set(intervals) == set(SECTIONS) - {last_section}
