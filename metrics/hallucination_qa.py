"""Answer matching for SQuAD v2, the one hallucination probe bench scores itself.

lm-eval scores SQuAD v2 through `evaluate.load("squad_v2")`, a download from the hub, so bench
writes the official SQuAD v2 script's rules out instead (the other probes are scored by lm-eval's
own task definitions through the lm_eval bridge):

- `squad_exact` / `squad_f1`: the script's `normalize_answer` (lower, drop punctuation, drop the
  articles a/an/the as words, collapse whitespace); F1 over the bag of tokens; an unanswerable
  question has the gold [""] and only an empty answer scores.
"""

from __future__ import annotations

import collections
import re
import string
from collections.abc import Sequence


def squad_normalise(text: str) -> str:
    """SQuAD v2 `normalize_answer`: lower, remove punctuation, remove articles, fix whitespace."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def squad_exact(prediction: str, golds: Sequence[str]) -> float:
    """max over golds of [normalised prediction == normalised gold]; golds [""] = unanswerable."""
    golds = [g for g in golds if squad_normalise(g)] or [""]
    return float(max(squad_normalise(prediction) == squad_normalise(g) for g in golds))


def _f1(prediction: str, gold: str) -> float:
    pred_tokens, gold_tokens = squad_normalise(prediction).split(), squad_normalise(gold).split()
    if not pred_tokens or not gold_tokens:
        return float(pred_tokens == gold_tokens)
    common = collections.Counter(pred_tokens) & collections.Counter(gold_tokens)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred_tokens), overlap / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def squad_f1(prediction: str, golds: Sequence[str]) -> float:
    """max over golds of token-bag F1 = 2PR / (P + R); both empty counts as 1."""
    golds = [g for g in golds if squad_normalise(g)] or [""]
    return max(_f1(prediction, g) for g in golds)
