"""Answer matching for the hallucination probes' generation tasks (closed-book and reading QA).

Two normalisations, each the one its benchmark defines (Hallucinations Leaderboard task settings,
as in lm-evaluation-harness; Huang et al., Findings of ACL 2025, reuse them):

- `exact_match` (NQ-Open, TriviaQA, PopQA): lm-eval's `exact_match` metric with the task's options,
  applied in lm-eval's order: strip the response (`remove_whitespace` filter), remove each regex
  in `regexes_to_ignore` (NQ-Open: the articles `\\b(?:The |the |An |A |The |a |an )`, before case
  folding, so "THE " stays), lower-case, delete `string.punctuation`; then string equality. A doc
  with several gold answers (aliases) scores max over them, as lm-eval does for a list target.
  Written out here (not imported from lm-eval) so that `bench rescore` needs no lm-eval import;
  tests check equality with `lm_eval.api.metrics.exact_match_hf_evaluate`.
- `squad_exact` / `squad_f1` (SQuAD v2): the official SQuAD v2 script's `normalize_answer`
  (lower, drop punctuation, drop the articles a/an/the as words, collapse whitespace); F1 over
  the bag of tokens; an unanswerable question has the gold [""] and only an empty answer scores.
"""

from __future__ import annotations

import collections
import re
import string
from collections.abc import Sequence

NQ_ARTICLES = r"\b(?:The |the |An |A |The |a |an )"  # lm-eval nq_open.yaml, verbatim (with its duplicate)
_PUNCTUATION_TABLE = str.maketrans("", "", string.punctuation)


def em_normalise(text: str, regexes_to_ignore: Sequence[str] = (), ignore_case: bool = True,
                 ignore_punctuation: bool = True) -> str:
    """lm-eval's exact-match normalisation of one string (after its whitespace filter)."""
    for pattern in regexes_to_ignore:
        text = re.sub(pattern, "", text)
    if ignore_case:
        text = text.lower()
    if ignore_punctuation:
        text = text.translate(_PUNCTUATION_TABLE)
    return text


def exact_match(prediction: str, golds: Sequence[str], regexes_to_ignore: Sequence[str] = ()) -> float:
    """1.0 if the stripped prediction equals any gold after `em_normalise`, else 0.0."""
    pred = em_normalise(prediction.strip(), regexes_to_ignore)
    return float(any(pred == em_normalise(gold, regexes_to_ignore) for gold in golds))


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
