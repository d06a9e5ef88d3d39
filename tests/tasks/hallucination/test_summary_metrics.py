"""factKB and BERTScore behind one interface: plumbing on a tiny randomly initialised RoBERTa built from a
config (no claim about scores), and one clear line when a checkpoint is not on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.harness.errors import DataError
from bench.tasks.hallucination.summary_metrics import BERTScore, FactKB, load_summary_scorer

WORDS = "the a cat dog sat on mat river olm flows north south into lake veya bridge was built in".split()


@pytest.fixture(scope="module")
def tiny_roberta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer RoBERTa pair classifier (random weights) and a word-level tokenizer, saved as a checkpoint."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast, RobertaConfig, RobertaForSequenceClassification

    folder = tmp_path_factory.mktemp("tiny-roberta")
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    vocab = {token: i for i, token in enumerate(specials + WORDS)}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<s>", eos_token="</s>",
                                        cls_token="<s>", sep_token="</s>", pad_token="<pad>", unk_token="<unk>",
                                        model_max_length=32)
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = RobertaConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=32, max_position_embeddings=40, pad_token_id=1, num_labels=2)
    RobertaForSequenceClassification(config).save_pretrained(folder)
    return folder


def test_factkb_gives_one_probability_per_pair(tiny_roberta: Path) -> None:
    scorer = FactKB(model=str(tiny_roberta), tokenizer=str(tiny_roberta), batch_size=2)
    summaries = ["the cat sat on the mat", "the river olm flows north", "a dog"]
    documents = ["the cat sat on the mat", "the river olm flows south into lake veya", "the bridge was built"]
    values = scorer.score(summaries, documents)["factKB"]
    assert len(values) == 3 and all(0.0 <= v <= 1.0 for v in values)
    # batching does not change a pair's score
    assert scorer.score(summaries[1:2], documents[1:2])["factKB"][0] == pytest.approx(values[1], abs=1e-5)


def test_bertscore_is_one_for_identical_texts_and_lower_otherwise(tiny_roberta: Path) -> None:
    scorer = BERTScore(model=str(tiny_roberta), batch_size=2)
    assert scorer.num_layers == 2  # an unknown model uses its last layer
    scores = scorer.score(["the cat sat on the mat", "the river olm flows north"],
                          ["the cat sat on the mat", "a dog was built in lake veya"])
    assert set(scores) == {"bertscore_precision", "bertscore_recall", "bertscore_f1"}
    for values in scores.values():
        assert values[0] == pytest.approx(1.0, abs=1e-5)  # identical token embeddings match exactly
        assert values[1] < values[0]


def test_missing_checkpoint_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError) as raised:
        load_summary_scorer("factkb", model="no-such-org/no-such-factkb-checkpoint")
    message = str(raised.value)
    assert "\n" not in message and "no-such-org/no-such-factkb-checkpoint" in message
    assert "BENCH_FACTKB_MODEL" in message


def test_unknown_scorer_names_the_choices() -> None:
    with pytest.raises(DataError, match="choices: factkb, bertscore"):
        load_summary_scorer("bleurt")
