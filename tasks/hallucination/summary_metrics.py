"""Model-based faithfulness metrics of the Hallucinations Leaderboard's summarisation tasks: factKB and BERTScore.

Both need a second model besides the one under test (spec pitfall 6), so they sit behind one small
interface, `SummaryScorer.score(summaries, sources) -> {metric: [value per pair]}`, loaded by
`load_summary_scorer(name, model=...)` from a local folder or the Hugging Face cache only: nothing is
downloaded here, and a checkpoint that is not on disk is one `DataError` line naming it and the way to
provide it. Settings follow the leaderboard's XSum / CNN-DM task (`src/backend/tasks/xsum/task.py` of
the Space `hallucinations-leaderboard/leaderboard`, read from github.com/kushalc/nd-lora at ef0bf65):

- **factKB** (Feng et al. 2023, "FactKB: Generalizable Factuality Evaluation using Language Models
  Enhanced with Factual Knowledge"): the classifier `bunsenfeng/FactKB` (RoBERTa-base with two labels)
  reads the pair (summary, source document), padded/truncated to the tokenizer's maximum length;
  score = softmax(logits)[1] = P(factual), in [0, 1]. The leaderboard loads the tokenizer of
  `roberta-base`, the checkpoint's base model.
- **BERTScore** (Zhang et al. 2020): greedy cosine matching of contextual token embeddings between the
  summary (candidate) and the gold summary (reference), P = mean over candidate tokens of the best match,
  R = the same over reference tokens, F1 = 2PR / (P + R); no idf weighting, no baseline rescaling, as
  `evaluate.load("bertscore").compute(..., lang="en")` does. The leaderboard's backbone is
  `microsoft/deberta-xlarge-mnli` (layer 40, bert_score's default for it); the model changes the
  scores, so the result names it. Computed by the `bert_score` package itself.

Scores of a randomly initialised checkpoint (the tests build one from a config) mean nothing; only
the plumbing is tested here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bench.harness.errors import DataError

log = logging.getLogger(__name__)

FACTKB_MODEL = "bunsenfeng/FactKB"
FACTKB_TOKENIZER = "roberta-base"
BERTSCORE_MODEL = "microsoft/deberta-xlarge-mnli"
SCORERS = ("factkb", "bertscore")
# Environment variables that name a local folder (or another hub id in the cache) for each checkpoint,
# so that lm-eval's YAML tasks, which have no other configuration channel, can use them too.
ENV = {"factkb": "BENCH_FACTKB_MODEL", "factkb_tokenizer": "BENCH_FACTKB_TOKENIZER",
       "bertscore": "BENCH_BERTSCORE_MODEL"}


class SummaryScorer(Protocol):
    """A model-based metric over (summary, source) pairs; `source` is the document for factKB and the
    gold summary for BERTScore."""

    name: str
    model: str  # the checkpoint it uses, recorded beside the scores

    def score(self, summaries: Sequence[str], sources: Sequence[str]) -> dict[str, list[float]]:
        """One value per pair and metric; the lists have len(summaries) entries."""
        ...


def resolve_checkpoint(model: str, what: str) -> Path:
    """The local folder of `model`: a folder path as given, else the hub id's snapshot in the Hugging
    Face cache (never downloaded). Raises DataError with one line when neither exists."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id=model, local_files_only=True))
    except Exception as exc:  # LocalEntryNotFoundError, or a malformed id (HFValidationError)
        variable = ENV.get(what, "")
        raise DataError(
            f"{what} needs the checkpoint {model!r}, which is neither a local folder nor in the Hugging Face "
            f"cache (nothing is downloaded here); download it with `huggingface-cli download {model}` where the "
            f"hub is reachable, or point {variable or 'the model argument'} at a local copy"
        ) from exc


@dataclass
class FactKB:
    """factKB: P(factual | summary, document) from a RoBERTa pair classifier (label 1 = factual)."""

    model: str = FACTKB_MODEL
    tokenizer: str = FACTKB_TOKENIZER
    batch_size: int = 8
    device: str = "cpu"
    name: str = "factkb"

    def __post_init__(self) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        model_dir = resolve_checkpoint(self.model, "factkb")
        tokenizer_dir = resolve_checkpoint(self.tokenizer, "factkb_tokenizer")
        self._tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
        self._classifier = AutoModelForSequenceClassification.from_pretrained(str(model_dir), num_labels=2)
        self._classifier.to(self.device).eval()

    def score(self, summaries: Sequence[str], sources: Sequence[str]) -> dict[str, list[float]]:
        import torch

        if len(summaries) != len(sources):
            raise ValueError(f"{len(summaries)} summaries for {len(sources)} documents")
        values: list[float] = []
        for start in range(0, len(summaries), self.batch_size):
            pairs = list(zip(summaries[start:start + self.batch_size], sources[start:start + self.batch_size]))
            # The leaderboard pads every pair to the tokenizer's maximum (512 for RoBERTa) and truncates the
            # document side; padding does not change a pair classifier's output, so "longest" would do, but
            # max_length keeps its exact inputs.
            tokens = self._tokenizer([p[0] for p in pairs], [p[1] for p in pairs], return_tensors="pt",
                                     padding="max_length", truncation=True)
            with torch.inference_mode():
                logits = self._classifier(**tokens.to(self.device)).logits
            values.extend(float(p) for p in torch.softmax(logits.float(), dim=1)[:, 1])
        return {"factKB": values}


@dataclass
class BERTScore:
    """BERTScore precision / recall / F1 of each summary against its reference, via `bert_score`."""

    model: str = BERTSCORE_MODEL
    num_layers: int | None = None  # None: bert_score's tuned layer for a known model, else the last layer
    batch_size: int = 16
    device: str = "cpu"
    name: str = "bertscore"

    def __post_init__(self) -> None:
        from bert_score import BERTScorer
        from bert_score.utils import model2layers
        from transformers import AutoConfig

        model_dir = resolve_checkpoint(self.model, "bertscore")
        layers = self.num_layers or model2layers.get(self.model)
        if layers is None:
            layers = int(AutoConfig.from_pretrained(str(model_dir)).num_hidden_layers)
        self.num_layers = layers
        self._scorer = BERTScorer(model_type=str(model_dir), num_layers=layers, batch_size=self.batch_size,
                                  device=self.device, lang="en")

    def score(self, summaries: Sequence[str], sources: Sequence[str]) -> dict[str, list[float]]:
        if len(summaries) != len(sources):
            raise ValueError(f"{len(summaries)} summaries for {len(sources)} references")
        precision, recall, f1 = self._scorer.score(list(summaries), list(sources))
        return {"bertscore_precision": [float(x) for x in precision], "bertscore_recall": [float(x) for x in recall],
                "bertscore_f1": [float(x) for x in f1]}


_LOADED: dict[tuple[str, str], SummaryScorer] = {}


def load_summary_scorer(name: str, model: str | None = None, **options: Any) -> SummaryScorer:
    """The scorer `name` ("factkb" or "bertscore") on `model` (default: $BENCH_FACTKB_MODEL /
    $BENCH_BERTSCORE_MODEL, else the leaderboard's checkpoint), loaded once per process."""
    if name not in SCORERS:
        raise DataError(f"unknown summary scorer {name!r}; choices: {', '.join(SCORERS)}")
    chosen = model or os.environ.get(ENV[name]) or (FACTKB_MODEL if name == "factkb" else BERTSCORE_MODEL)
    key = (name, chosen)
    if key not in _LOADED:
        if name == "factkb":
            tokenizer = options.pop("tokenizer", None) or os.environ.get(ENV["factkb_tokenizer"]) or FACTKB_TOKENIZER
            _LOADED[key] = FactKB(model=chosen, tokenizer=tokenizer, **options)
        else:
            _LOADED[key] = BERTScore(model=chosen, **options)
        log.info("loaded %s scorer from %s", name, chosen)
    return _LOADED[key]
