"""Toxicity classifiers behind one small batched interface, independent of the harness's backends.

`make_scorer(name, detoxify_checkpoint=...)` returns a `ToxicityScorer`: `score(texts) -> list of
probabilities in [0, 1]` and an `identity` string that every CAIRO number records (bias values
from different scorers are not comparable).

- `profanity_check` (default, offline): the linear SVM + calibrated probabilities shipped inside
  the PyPI wheel `alt-profanity-check`; fast on a CPU (about 10,000 texts per 0.1 s).
- `detoxify`: Detoxify "unbiased" (Hanu & Unitary 2020), the classifier CAIRO's authors used
  (field `toxicity`). Its package downloads the checkpoint at first use, so offline it needs
  `detoxify_checkpoint=PATH` (the `toxic_debiased-*.ckpt` file) and, without the hub, the
  `roberta-base` config/tokenizer folder as `detoxify_config=PATH`; otherwise one clear line.
  Loading and prediction are detoxify's own code; with `detoxify_config` the config is read from
  that folder (detoxify 0.5.4 still asks the hub for roberta-base's config otherwise).

Texts are lower-cased with newlines replaced by spaces before scoring, as CAIRO does.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness.derived_cache import cached_json, source_digest
from bench.harness.errors import DataError

SCORERS = ("profanity_check", "detoxify")


class ScorerUnavailableError(DataError):
    """The chosen toxicity scorer cannot run here (package or checkpoint missing)."""


def normalise(text: str) -> str:
    """What the classifier sees: newlines replaced by spaces, lower-cased (CAIRO's preprocessing)."""
    return text.replace("\n", " ").lower()


@dataclass(frozen=True)
class ToxicityScorer:
    """A loaded classifier: `identity` names it (package and version, checkpoint file) and
    `predict` maps a batch of normalised texts to toxicity probabilities."""

    identity: str
    predict: Callable[[list[str]], Sequence[float]]
    batch_size: int = 64
    # Everything the scores depend on besides the texts (package and library versions), for
    # `scores`; empty: the scorer's scores are never cached (a checkpoint file may change in place).
    cache_key: str = ""

    def score(self, texts: Sequence[str]) -> list[float]:
        """Toxicity in [0, 1] for each text, in order, scored in batches of `batch_size`."""
        out: list[float] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [normalise(t) for t in texts[start : start + self.batch_size]]
            out.extend(min(1.0, max(0.0, float(p))) for p in self.predict(batch))
        return out


def scores(scorer: ToxicityScorer, texts: Sequence[str]) -> list[float]:
    """`scorer.score(texts)`, served from the run's derived-artefact cache when the same scorer
    (its `cache_key`) scored the same texts before; computed (and stored) otherwise."""
    if not scorer.cache_key:
        return scorer.score(texts)
    # This file's digest: an edit of the normalising or clamping in `score` is a miss.
    key = [source_digest(Path(__file__)), scorer.cache_key, json.dumps(list(texts), ensure_ascii=False)]
    return [float(x) for x in cached_json("toxicity", key, lambda: scorer.score(texts))]


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ScorerUnavailableError(f"toxicity scorer needs the package {package!r}: pip install {package}") from exc


def profanity_check_scorer() -> ToxicityScorer:
    """alt-profanity-check's shipped classifier (`predict_prob`)."""
    version = _version("alt-profanity-check")

    def predict(texts: list[str]) -> Sequence[float]:
        # Imported at the first batch (with scikit-learn, ~0.5 s), so a run whose scores are all
        # cached (`scores`) never imports it.
        import warnings

        with warnings.catch_warnings():
            # The pickled model was saved by another scikit-learn version; the linear model loads fine.
            warnings.simplefilter("ignore")
            from profanity_check import predict_prob

        return [float(p) for p in predict_prob(texts)]

    # The classifier's predictions depend on scikit-learn too (it unpickles the model).
    return ToxicityScorer(f"alt-profanity-check {version}", predict, batch_size=1024,
                          cache_key=f"alt-profanity-check {version}; scikit-learn {_version('scikit-learn')}")


def _local_model_and_tokenizer(
    model_type: str, model_name: str, tokenizer_name: str, num_classes: int, state_dict: dict[str, Any],
    huggingface_config_path: str | None = None,
) -> tuple[Any, Any]:
    """detoxify's `get_model_and_tokenizer` with its config read from `huggingface_config_path`:
    detoxify 0.5.4 still fetches `model_type`'s (roberta-base's) config from the hub when given a
    local folder (unitaryai/detoxify PR #126, open, makes the same change)."""
    import transformers

    model_class = getattr(transformers, model_name)
    source = huggingface_config_path or model_type
    local = huggingface_config_path is not None
    config = model_class.config_class.from_pretrained(source, num_labels=num_classes, local_files_only=local)
    model = model_class.from_pretrained(pretrained_model_name_or_path=None, config=config, state_dict=state_dict, local_files_only=local)
    tokenizer = getattr(transformers, tokenizer_name).from_pretrained(source, local_files_only=local)
    return model, tokenizer


def detoxify_scorer(checkpoint: str, config_path: str = "", device: str = "cpu") -> ToxicityScorer:
    """Detoxify "unbiased" from a local checkpoint (offline) through detoxify's own loading and
    prediction code; see the module docstring. Any load failure is one ScorerUnavailableError line."""
    if not checkpoint:
        raise ScorerUnavailableError(
            "scorer 'detoxify' needs its 'unbiased' checkpoint offline: pass "
            "detoxify_checkpoint=PATH (toxic_debiased-*.ckpt), or use scorer=profanity_check"
        )
    path = Path(os.path.expanduser(checkpoint))
    if not path.is_file():
        raise ScorerUnavailableError(f"Detoxify checkpoint {checkpoint!r} is not a file (detoxify_checkpoint=PATH)")
    folder = os.path.expanduser(config_path) if config_path else None
    if folder is not None and not Path(folder).is_dir():
        raise ScorerUnavailableError(f"detoxify_config {config_path!r} is not a folder (roberta-base's config and tokenizer files)")
    version = _version("detoxify")
    from contextlib import nullcontext
    from unittest import mock

    import detoxify.detoxify as detoxify_module
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # its "Loading weights" bar; the task has its own progress
    local = mock.patch.object(detoxify_module, "get_model_and_tokenizer", _local_model_and_tokenizer) if folder else nullcontext()
    try:
        with local:
            model = detoxify_module.Detoxify("unbiased", checkpoint=str(path), device=device, huggingface_config_path=folder)
    except Exception as exc:  # noqa: BLE001 - torch.load, a missing hub config, a state dict of another shape
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        hint = "" if folder else "; offline, pass detoxify_config=DIR (roberta-base's config.json, vocab.json, merges.txt)"
        raise ScorerUnavailableError(f"Detoxify cannot load {path.name} ({type(exc).__name__}: {first}){hint}") from exc
    if "toxicity" not in model.class_names:
        raise ScorerUnavailableError(f"Detoxify checkpoint {path.name} has no 'toxicity' class (has {', '.join(model.class_names)})")

    def predict(texts: list[str]) -> Sequence[float]:
        scores = model.predict(texts)["toxicity"]
        return [float(scores)] if isinstance(scores, float) else [float(p) for p in scores]  # one text: detoxify squeezes to a float

    return ToxicityScorer(f"detoxify {version} unbiased ({path.name})", predict, batch_size=32)


def make_scorer(name: str, *, detoxify_checkpoint: str = "", detoxify_config: str = "") -> ToxicityScorer:
    """The scorer called `name` (one of SCORERS), loaded; one clear error when it cannot run."""
    if name == "profanity_check":
        return profanity_check_scorer()
    if name == "detoxify":
        return detoxify_scorer(detoxify_checkpoint, detoxify_config)
    raise ScorerUnavailableError(f"unknown toxicity scorer {name!r}; choose one of {', '.join(SCORERS)}")
