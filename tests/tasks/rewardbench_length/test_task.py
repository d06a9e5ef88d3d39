"""`rewardbench_length` end to end through `bench eval`: implicit rewards of the embedded model
(reference-free and DPO) and a tiny sequence-classifier reward model built here from a config."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from bench.harness.cli import main
from bench.harness.requests import LoglikelihoodRequest, Message
from bench.harness.results import load_result, load_samples
from bench.metrics.rewardbench_scoring import rewardbench_score
from bench.tasks.rewardbench_length.analysis import evaluate_methods, scored_pairs_from_records
from bench.tasks.rewardbench_length.config import RewardBenchLengthConfig
from bench.tasks.rewardbench_length.data import load_pairs

pytestmark = pytest.mark.slow

TASK = "rewardbench_length"
LIMIT = 8  # two pairs per section of the shipped sample (a CPU forward of 16 responses costs seconds)


@dataclass
class EvalRun:
    code: int
    stderr: str
    result: Path | None


def _eval(tmp: Path, *args: str) -> EvalRun:
    """`bench eval` in this process (imports are shared; the model still loads per run)."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        code = main(
            ["eval", "--tasks", TASK, "--limit", str(LIMIT), "--output-path", str(tmp / "out"),
             "--cache-path", str(tmp / "cache.sqlite"), "--no-progress", *args]
        )
    paths = sorted((tmp / "out").rglob("result.json"), key=lambda p: p.stat().st_mtime)
    return EvalRun(code, stderr.getvalue(), paths[-1] if paths else None)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("rewardbench_length")


@pytest.fixture(scope="module")
def ref_free_run(workdir: Path):
    run = _eval(workdir, "--model", "smollm2", "--task-args", f"{TASK}.bootstrap=200")
    assert run.code == 0, run.stderr
    return run.result


def test_ref_free_run_scores_every_pair_and_metrics_match_the_samples(ref_free_run: Path, embedded_hf):
    document = load_result(ref_free_run)
    entry = document["tasks"][TASK]
    assert entry["status"] == "ok" and entry["extra"]["reward_kind"] == "ref_free"
    samples = load_samples(ref_free_run, TASK)
    pairs = {p.id: p for p in load_pairs("sample", limit=LIMIT)}
    assert sorted(s["id"] for s in samples) == sorted(pairs)
    # The reward is the mean token log-probability of the response after the chat-templated prompt
    # (RewardBench's default ref_free_type=avg).
    assert entry["extra"]["ref_free_type"] == "avg"
    first = samples[0]
    pair = pairs[first["id"]]
    direct = embedded_hf.loglikelihood(
        [LoglikelihoodRequest((Message("user", pair.prompt),), pair.chosen),
         LoglikelihoodRequest((Message("user", pair.prompt),), pair.rejected)]
    )
    assert first["score_chosen"] == pytest.approx(direct[0].logprob / direct[0].continuation_tokens, abs=1e-4)
    assert first["score_rejected"] == pytest.approx(direct[1].logprob / direct[1].continuation_tokens, abs=1e-4)
    assert first["chars_chosen"] == len(pair.chosen)
    metrics = {m["name"]: m for m in entry["metrics"]}
    subsets = [s["subset"] for s in samples]
    # The records hold the inputs; the calibrated rewards are recomputed from them alone.
    methods = ("original", "rc_mean", "rc_lwr", "length_penalty", "rc_lwr_penalty")
    config = RewardBenchLengthConfig()
    outcomes = evaluate_methods(scored_pairs_from_records(samples, config.features), config.settings(seed=0), methods)
    assert [s["correct_original"] for s in samples] == [int(s["score_chosen"] > s["score_rejected"]) for s in samples]
    for method in methods:
        score = rewardbench_score(subsets, outcomes[method].correct).overall
        assert metrics[f"score_{method}"]["value"] == pytest.approx(score)
        # Two pairs per section, one or none per subset: too few for an interval, and it says so.
        assert metrics[f"score_{method}"]["ci_low"] is None
        assert "no interval" in metrics[f"score_{method}"]["description"]
    assert metrics["gain_rc_lwr"]["value"] == pytest.approx(metrics["score_rc_lwr"]["value"] - metrics["score_original"]["value"])
    assert {"section_chat_original", "section_chat_hard_original", "section_safety_original", "section_reasoning_original"} <= set(metrics)
    plot = ref_free_run.parent / entry["plots"][0]["path"]
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_summed_ref_free_rewards_fall_with_length_and_rc_lwr_removes_it(workdir: Path, ref_free_run: Path):
    # Same log-likelihood requests as the avg run: answered from the request cache.
    run = _eval(workdir, "--model", "smollm2", "--task-args", f"{TASK}.bootstrap=200,{TASK}.ref_free_type=sum")
    assert run.code == 0, run.stderr
    entry = load_result(run.result)["tasks"][TASK]
    assert entry["extra"]["ref_free_type"] == "sum"
    metrics = {m["name"]: m for m in entry["metrics"]}
    assert metrics["spearman_length_reward_original"]["value"] < -0.5
    assert abs(metrics["spearman_length_reward_rc_lwr"]["value"]) < 0.4


def test_dpo_against_itself_gives_zero_margins_and_ties_count_as_wrong(workdir: Path, ref_free_run: Path):
    run = _eval(
        workdir, "--model", "smollm2", "--task-args", f"{TASK}.reward=dpo,{TASK}.reference_model=smollm2,{TASK}.bootstrap=0"
    )
    assert run.code == 0, run.stderr
    path = run.result
    samples = load_samples(path, TASK)
    assert all(s["score_chosen"] == 0.0 and s["score_rejected"] == 0.0 for s in samples)
    metrics = {m["name"]: m["value"] for m in load_result(path)["tasks"][TASK]["metrics"]}
    assert metrics["score_original"] == 0.0 and metrics["accuracy_original"] == 0.0


def test_classifier_reward_on_a_causal_lm_is_a_one_line_capability_error(workdir: Path, ref_free_run: Path):
    run = _eval(workdir / "cap", "--model", "smollm2", "--task-args", f"{TASK}.reward=classifier")
    assert run.code == 2
    assert f"task '{TASK}' needs score requests" in run.stderr


@pytest.fixture(scope="module")
def tiny_classifier(tmp_path_factory) -> Path:
    """A 2-layer LlamaForSequenceClassification with random weights and the embedded model's tokenizer."""
    import torch
    from bench.harness.embedded_model import embedded_model_dir
    from transformers import AutoTokenizer, LlamaConfig, LlamaForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(embedded_model_dir())
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=96, num_labels=1, pad_token_id=tokenizer.pad_token_id or 2,
    )
    torch.manual_seed(0)
    model = LlamaForSequenceClassification(config)
    folder = tmp_path_factory.mktemp("tiny-rm")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_classifier_path_scores_pairs_with_the_sequence_classifier(workdir: Path, tiny_classifier: Path):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    run = _eval(workdir / "clf", "--model", str(tiny_classifier), "--backend", "hf", "--task-args", f"{TASK}.bootstrap=0")
    assert run.code == 0, run.stderr
    path = run.result
    entry = load_result(path)["tasks"][TASK]
    assert entry["extra"]["reward_kind"] == "classifier"
    samples = load_samples(path, TASK)
    # max_position_embeddings=96 truncates the longer conversations; the task counts them.
    assert entry["extra"]["truncated_pairs"] == sum(s["truncated"] for s in samples) > 0
    tokenizer = AutoTokenizer.from_pretrained(tiny_classifier)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_classifier).eval()
    pairs = {p.id: p for p in load_pairs("sample", limit=LIMIT)}
    checked = 0
    for record in samples:
        if record["truncated"]:
            continue
        pair = pairs[record["id"]]
        for side in ("chosen", "rejected"):
            text = tokenizer.apply_chat_template(
                [{"role": "user", "content": pair.prompt}, {"role": "assistant", "content": getattr(pair, side)}],
                tokenize=False,
            )
            ids = tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
            with torch.inference_mode():
                expected = float(model(input_ids=ids).logits[0, 0])
            assert record[f"score_{side}"] == pytest.approx(expected, abs=1e-4)
        checked += 1
    assert checked >= 3
    assert json.loads(json.dumps(entry["extra"]["section_scores"]))["original"]
