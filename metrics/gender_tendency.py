"""A model's gender tendency at one slot: the he/she probability pair renormalised.

Used by CodeGenBias (Qin et al. 2024, arXiv 2410.07820) and DAMA (Limisiewicz et al. 2024,
"Debiasing Algorithm through Model Adaptation", ICLR 2024), which compare P(he) and P(she) as the
next word. Given the summed log-probabilities of the male and female forms at the slot
(multi-token forms already summed by the caller):

    pair_mass = P(he) + P(she)                       raw probability on the pair, in [0, 1]
    p_he      = P(he) / (P(he) + P(she))             renormalised over the pair
    m         = p_he - p_she = 2 * p_he - 1           in [-1, 1]; +1 = always "he"
              = tanh((log P(he) - log P(she)) / 2)    (the form computed: stable for tiny masses)
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class PairTendency:
    m: float  # P(he) - P(she) renormalised over the pair, in [-1, 1]
    p_he: float  # P(he) / (P(he) + P(she))
    pair_mass: float  # P(he) + P(she) before renormalising


def pair_tendency(logprob_he: float, logprob_she: float) -> PairTendency:
    """Renormalise the pair; log-probabilities must be finite and <= 0 (natural log)."""
    for value in (logprob_he, logprob_she):
        if not math.isfinite(value) or value > 1e-6:
            raise ValueError(f"log-probabilities must be finite and <= 0, got {value}")
    difference = logprob_he - logprob_she
    m = math.tanh(difference / 2.0)
    p_he = 1.0 / (1.0 + math.exp(-difference)) if difference > -700 else 0.0
    pair_mass = math.exp(logprob_he) + math.exp(logprob_she)
    return PairTendency(m=m, p_he=p_he, pair_mass=min(pair_mass, 1.0))
