"""ROUGE-L for the hallucination probes' summarisation tasks (XSum, CNN/DailyMail).

ROUGE-L F1 of a prediction against its reference, from Google's `rouge_score` package (the
implementation lm-eval's summarisation tasks use): longest common subsequence over Porter-stemmed
tokens, F = 2 P R / (P + R) with P = LCS / |prediction|, R = LCS / |reference|. In [0, 1].
A multi-line reference (CNN/DM highlights) is compared as one text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F-measure of `prediction` against `reference` (0.0 for an empty prediction)."""
    if not prediction.strip() or not reference.strip():
        return 0.0
    return float(_scorer().score(reference, prediction)["rougeL"].fmeasure)
