"""The toxicity scorers' offline paths: alt-profanity-check scores from its shipped classifier,
Detoxify without a checkpoint fails with one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from bench.harness.derived_cache import using_derived_store
from bench.harness.errors import BenchError
from bench.tasks.cairo.toxicity import ToxicityScorer, make_scorer, normalise, scores


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


def test_scores_are_cached_by_scorer_key_and_texts(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def predict(texts: list[str]) -> list[float]:
        calls.append(texts)
        return [len(t) / 10 for t in texts]

    with using_derived_store(tmp_path / "store"):
        first = scores(ToxicityScorer("length", predict, cache_key="length v1"), ["ab", "abc"])
        again = scores(ToxicityScorer("length", predict, cache_key="length v1"), ["ab", "abc"])
        other_texts = scores(ToxicityScorer("length", predict, cache_key="length v1"), ["ab"])
        other_version = scores(ToxicityScorer("length", predict, cache_key="length v2"), ["ab", "abc"])
        uncacheable = scores(ToxicityScorer("length", predict), ["ab", "abc"])  # no cache_key: always scored
    assert first == again == other_version == uncacheable == [0.2, 0.3] and other_texts == [0.2]
    assert calls == [["ab", "abc"], ["ab"], ["ab", "abc"], ["ab", "abc"]]


CACHED_SCORES_PROBE = r"""
import sys
from pathlib import Path
from bench.harness.derived_cache import using_derived_store
from bench.tasks.cairo.toxicity import make_scorer, scores
with using_derived_store(Path(sys.argv[1])):
    print(scores(make_scorer("profanity_check"), ["You are a stupid idiot", "Have a nice day"]))
print(sorted(m for m in ("profanity_check", "sklearn") if m in sys.modules))
"""


def test_a_cached_profanity_check_score_never_imports_the_classifier(tmp_path: Path) -> None:
    def run() -> list[str]:
        proc = subprocess.run([sys.executable, "-c", CACHED_SCORES_PROBE, str(tmp_path / "store")],
                              capture_output=True, text=True, timeout=120, check=True)
        return proc.stdout.strip().splitlines()

    computed, cached = run(), run()
    assert computed[1] == "['profanity_check', 'sklearn']"
    assert cached == [computed[0], "[]"]  # same scores, neither package imported


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


# --- Detoxify through its own loading and prediction code, on a tiny RANDOM-WEIGHT checkpoint ----------
# The real "unbiased" checkpoint (toxic_debiased-c7548aa0.ckpt, 476 MB) is a download. This one has its
# exact format (torch file with config.arch.args, config.dataset.args.classes and a RoBERTa
# sequence-classification state dict) but a 1-layer model with random weights and a byte-level BPE
# tokenizer trained here on three sentences: it tests the plumbing only; its scores mean nothing.
UNBIASED_CLASSES = [
    "toxicity", "severe_toxicity", "obscene", "identity_attack", "insult", "threat", "sexual_explicit", "male", "female",
    "homosexual_gay_or_lesbian", "christian", "jewish", "muslim", "black", "white", "psychiatric_or_mental_illness",
]


@pytest.fixture(scope="module")
def tiny_detoxify(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(checkpoint file, roberta config/tokenizer folder) in Detoxify's checkpoint format."""
    import json

    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaForSequenceClassification

    root = tmp_path_factory.mktemp("detoxify")
    folder = root / "roberta-base"
    folder.mkdir()
    tokenizer = ByteLevelBPETokenizer()
    tokenizer.train_from_iterator(
        ["the woman should work as a nurse", "the man is known as a doctor", "you are a stupid idiot"] * 3,
        vocab_size=300, min_frequency=1, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"], show_progress=False,
    )
    tokenizer.save_model(str(folder))
    config = RobertaConfig(
        vocab_size=tokenizer.get_vocab_size(), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=130, bos_token_id=0, pad_token_id=1, eos_token_id=2,
    )
    config.save_pretrained(folder)  # like roberta-base's config.json: no num_labels (2 by default)
    assert json.loads((folder / "config.json").read_text()).get("id2label", {"0": 0, "1": 1}).__len__() == 2
    torch.manual_seed(0)
    settings = {k: v for k, v in config.to_dict().items() if k not in ("id2label", "label2id")}
    model = RobertaForSequenceClassification(RobertaConfig(**settings, num_labels=len(UNBIASED_CLASSES)))
    checkpoint = root / "toxic_debiased-tiny.ckpt"
    torch.save({
        "config": {
            "arch": {"args": {"model_type": "roberta-base", "model_name": "RobertaForSequenceClassification",
                              "tokenizer_name": "RobertaTokenizer", "num_classes": len(UNBIASED_CLASSES)}},
            "dataset": {"args": {"classes": UNBIASED_CLASSES}},
        },
        "state_dict": model.state_dict(),
    }, checkpoint)
    return str(checkpoint), str(folder)


def test_detoxify_scorer_runs_detoxifys_loading_and_prediction_on_a_tiny_checkpoint(tiny_detoxify: tuple[str, str]) -> None:
    import torch
    from transformers import RobertaConfig, RobertaForSequenceClassification, RobertaTokenizer

    checkpoint, folder = tiny_detoxify
    scorer = make_scorer("detoxify", detoxify_checkpoint=checkpoint, detoxify_config=folder)
    assert scorer.identity.startswith("detoxify 0.") and scorer.identity.endswith("unbiased (toxic_debiased-tiny.ckpt)")
    texts = [f"The Woman\nshould work as a nurse {i}" for i in range(33)]  # 32 + a last batch of one text
    scores = scorer.score(texts)
    assert len(scores) == 33 and all(0 <= s <= 1 for s in scores)
    # the toxicity column is the sigmoid of the first logit of the checkpoint's model on the normalised text
    loaded = torch.load(checkpoint, weights_only=False)
    model = RobertaForSequenceClassification(RobertaConfig.from_pretrained(folder, num_labels=len(UNBIASED_CLASSES)))
    model.load_state_dict(loaded["state_dict"])
    model.eval()
    tokenizer = RobertaTokenizer.from_pretrained(folder, local_files_only=True)
    with torch.no_grad():
        logits = model(**tokenizer([normalise(t) for t in texts[-2:]], return_tensors="pt", padding=True)).logits
    assert scores[-2:] == pytest.approx(torch.sigmoid(logits[:, 0]).tolist(), abs=1e-6)
    assert scorer.score(texts[:1]) == pytest.approx(scores[:1], abs=1e-6)  # one text alone: detoxify returns a float


def test_detoxify_load_failures_are_one_line(tiny_detoxify: tuple[str, str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    checkpoint, folder = tiny_detoxify
    with pytest.raises(BenchError, match="offline, pass detoxify_config=DIR") as error:
        make_scorer("detoxify", detoxify_checkpoint=checkpoint)  # roberta-base's config from the hub: offline in tests
    assert "\n" not in str(error.value)
    broken = tmp_path / "broken.ckpt"
    broken.write_bytes(b"not a torch file")
    with pytest.raises(BenchError, match="Detoxify cannot load broken.ckpt"):
        make_scorer("detoxify", detoxify_checkpoint=str(broken), detoxify_config=folder)
    with pytest.raises(BenchError, match="is not a folder"):
        make_scorer("detoxify", detoxify_checkpoint=checkpoint, detoxify_config=str(tmp_path / "nowhere"))


def test_the_task_records_detoxify_as_its_scorer(tiny_detoxify: tuple[str, str], bench_main, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from bench.harness import registry
    from bench.tasks.cairo import CairoHonestTask

    checkpoint, folder = tiny_detoxify
    registry.register_task(CairoHonestTask.name, CairoHonestTask)
    result = bench_main(
        "eval", "--backend", "fake", "--tasks", "cairo_honest", "--limit", "2", "--no-progress", "--output-path", str(tmp_path / "o"),
        "--task-args", f"cairo_honest.scorer=detoxify,cairo_honest.detoxify_checkpoint={checkpoint},"
        f"cairo_honest.detoxify_config={folder},cairo_honest.seeds=1|2,cairo_honest.paraphrase_sets=false",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    document = json.loads(next((tmp_path / "o").rglob("result.json")).read_text())
    assert document["tasks"]["cairo_honest"]["extra"]["scorer"] == ["detoxify " + __import__("importlib.metadata").metadata.version("detoxify") + " unbiased (toxic_debiased-tiny.ckpt)"]
