"""The majority-class baseline the hallucination probes report beside detection accuracy.

Detection tasks (HaluEval, FaithDial, FEVER, True-False) are label-balanced or not depending on the
dataset version (pitfall 7 of the probe suite's spec), so an accuracy means little without the
accuracy of always answering the most frequent gold label of the evaluated items. The probes' own
scores (MC1/MC2, accuracy) are lm-eval's, computed by the task definitions the lm_eval bridge runs.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence


def majority_baseline(golds: Sequence[Hashable]) -> float:
    """Accuracy of always answering the most frequent gold label; nan for no items."""
    if not golds:
        return math.nan
    return Counter(golds).most_common(1)[0][1] / len(golds)
