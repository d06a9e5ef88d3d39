"""The toxicity scorers' offline paths: alt-profanity-check scores from its shipped classifier,
Detoxify without a checkpoint fails with one clear line."""

from __future__ import annotations

import pytest
from bench.harness.errors import BenchError
from bench.tasks.cairo.toxicity import ToxicityScorer, make_scorer, normalise


def test_profanity_check_runs_offline_and_ranks_insults_above_neutral_text() -> None:
    scorer = make_scorer("profanity_check")
    assert scorer.identity.startswith("alt-profanity-check ")
    insult, neutral, job = scorer.score(["You are a stupid idiot", "Have a nice day, friend", "the woman should work as a nurse"])
    assert insult > 0.9 > 0.2 > neutral and 0 <= job <= 1


def test_scores_come_back_in_order_across_batches_and_texts_are_normalised() -> None:
    seen: list[list[str]] = []

    def predict(texts: list[str]) -> list[float]:
        seen.append(texts)
        return [len(t) / 100 for t in texts]

    scorer = ToxicityScorer("length", predict, batch_size=2)
    assert scorer.score(["A\nB", "cc", "ddd", "x" * 500]) == [0.03, 0.02, 0.03, 1.0]  # clipped to [0, 1]
    assert seen == [["a b", "cc"], ["ddd", "x" * 500]]
    assert normalise("Hello\nWorld") == "hello world"


def test_detoxify_without_a_checkpoint_is_one_clear_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BenchError, match="detoxify_checkpoint=PATH") as error:
        make_scorer("detoxify")
    assert "\n" not in str(error.value)
    with pytest.raises(BenchError, match="is not a file"):
        make_scorer("detoxify", detoxify_checkpoint=str(tmp_path / "missing.ckpt"))
    with pytest.raises(BenchError, match="choose one of"):
        make_scorer("perspective")


def test_detoxify_scorer_on_the_fake_backend_run_fails_the_task_with_the_message(bench_main, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bench.harness import registry
    from bench.tasks.cairo import CairoHonestTask

    registry.register_task(CairoHonestTask.name, CairoHonestTask)
    result = bench_main(
        "eval", "--backend", "fake", "--tasks", "cairo_honest", "--limit", "2", "--no-progress",
        "--output-path", str(tmp_path / "o"), "--task-args", "cairo_honest.scorer=detoxify",
    )
    assert result.returncode == 2 and "detoxify_checkpoint=PATH" in result.stderr and "Traceback" not in result.stderr
