"""`rewardbench_length` on the deterministic fake backend (fast tier): the reward aggregation
options, the request kind each configuration declares, intervals withheld for small subsets."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.harness.backends.fake import FakeBackend
from bench.harness.requests import LoglikelihoodRequest, Message, RequestKind
from bench.harness.results import load_result, load_samples
from bench.tasks.rewardbench_length.config import RewardBenchLengthConfig
from bench.tasks.rewardbench_length.data import load_pairs
from bench.tasks.rewardbench_length.task import RewardBenchLengthTask

TASK = "rewardbench_length"
LIMIT = 8


def _run(bench_main, tmp_path: Path, *args: str) -> tuple[dict, list[dict]]:
    result = bench_main(
        "eval", "--backend", "fake", "--model", "fake-rm", "--tasks", TASK, "--limit", str(LIMIT),
        "--output-path", str(tmp_path / "out"), "--no-progress", *args,
    )
    assert result.returncode == 0, result.stderr
    path = sorted((tmp_path / "out").rglob("result.json"), key=lambda p: p.stat().st_mtime)[-1]
    return load_result(path)["tasks"][TASK], load_samples(path, TASK)


def _direct_logprobs(model_args: dict) -> dict[str, list[tuple[float, int]]]:
    """pair id -> [(logprob, tokens) of chosen, of rejected], asked of the backend directly."""
    backend = FakeBackend("fake-rm", model_args)
    out = {}
    for pair in load_pairs("sample", limit=LIMIT):
        prompt = (Message("user", pair.prompt),)
        answers = backend.loglikelihood([LoglikelihoodRequest(prompt, pair.chosen), LoglikelihoodRequest(prompt, pair.rejected)])
        out[pair.id] = [(a.logprob, a.continuation_tokens) for a in answers]
    return out


@pytest.mark.parametrize("ref_free_type", ["avg", "sum"])
def test_ref_free_reward_is_the_mean_or_sum_of_token_logprobs(bench_main, tmp_path: Path, ref_free_type: str):
    args = ["--model-args", "capabilities=loglikelihood"]
    if ref_free_type == "sum":
        args += ["--task-args", f"{TASK}.ref_free_type=sum"]
    entry, samples = _run(bench_main, tmp_path, *args)
    assert entry["extra"]["reward_kind"] == "ref_free" and entry["extra"]["ref_free_type"] == ref_free_type
    direct = _direct_logprobs({"capabilities": "loglikelihood"})
    expected = [lp / tokens if ref_free_type == "avg" else lp for s in samples for lp, tokens in direct[s["id"]]]
    observed = [v for s in samples for v in (s["score_chosen"], s["score_rejected"])]
    assert sorted(s["id"] for s in samples) == sorted(direct)
    assert observed == pytest.approx(expected)
    score = next(m for m in entry["metrics"] if m["name"] == "score_original")
    assert "ref_free_type" not in score["description"] and f", {ref_free_type}:" in score["description"]


def test_default_ref_free_type_is_rewardbenchs_avg():
    assert RewardBenchLengthConfig().ref_free_type == "avg"
    with pytest.raises(ValueError, match="ref_free_type must be one of avg, sum"):
        RewardBenchLengthConfig(ref_free_type="norm")


def test_small_subsets_get_no_interval_and_say_why(bench_main, tmp_path: Path):
    entry, _ = _run(bench_main, tmp_path, "--model-args", "capabilities=loglikelihood")
    metrics = {m["name"]: m for m in entry["metrics"]}
    for name in ("score_original", "section_chat_original", "score_rc_lwr"):
        assert metrics[name]["ci_low"] is None and metrics[name]["ci_high"] is None, name
        assert "no interval: a subset has fewer than 5 pairs" in metrics[name]["description"], name
    accuracy = metrics["accuracy_original"]
    assert 0.0 <= accuracy["ci_low"] <= accuracy["value"] <= accuracy["ci_high"] <= 1.0
    assert "Wilson" in accuracy["description"]


def test_request_kind_follows_the_reward_option():
    task = RewardBenchLengthTask()
    both = frozenset({RequestKind.SCORE, RequestKind.LOGLIKELIHOOD})
    assert task.request_kinds == both
    assert task.request_kinds_for(RewardBenchLengthConfig(), both) == {RequestKind.SCORE}
    assert task.request_kinds_for(RewardBenchLengthConfig(), frozenset({RequestKind.LOGLIKELIHOOD})) == {
        RequestKind.LOGLIKELIHOOD
    }
    assert task.request_kinds_for(RewardBenchLengthConfig(reward="ref_free"), both) == {RequestKind.LOGLIKELIHOOD}
    assert task.request_kinds_for(RewardBenchLengthConfig(reward="classifier"), frozenset()) == {RequestKind.SCORE}


def test_classifier_on_a_backend_without_scores_is_refused_before_the_run(bench_main, tmp_path: Path):
    result = bench_main(
        "eval", "--backend", "fake", "--model", "fake-lm", "--tasks", TASK, "--limit", "2", "--no-progress",
        "--model-args", "capabilities=chat|loglikelihood", "--task-args", f"{TASK}.reward=classifier",
        "--output-path", str(tmp_path / "out"),
    )
    assert result.returncode == 2
    assert f"task '{TASK}' needs score requests" in result.stderr
    assert not list((tmp_path / "out").rglob("result.json"))


def test_auto_reward_scores_with_a_classifier_backend(bench_main, tmp_path: Path):
    entry, samples = _run(bench_main, tmp_path, "--model-args", "capabilities=score")
    assert entry["extra"]["reward_kind"] == "classifier" and entry["extra"]["ref_free_type"] is None
    assert len(samples) == LIMIT


def test_tokens_feature_without_a_tokenizer_names_the_option(bench_main, tmp_path: Path):
    result = bench_main(
        "eval", "--backend", "fake", "--model", "fake-rm", "--tasks", TASK, "--limit", "2", "--no-progress",
        "--task-args", f"{TASK}.features=tokens", "--output-path", str(tmp_path / "out"),
    )
    assert result.returncode == 2
    assert "rewardbench_length.tokenizer=NAME" in result.stderr and "exposes no tokenizer" in result.stderr
