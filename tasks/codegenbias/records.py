"""Per-prompt sample records shared by `codegenbias` and `codegenbias_gen`.

One record per prompt (a JSON-serialisable dict, the result's samples JSONL line):

    id, split, profession, modifier, modifier_type, template, demo_order
    model                    the model's name (for the plots' titles: summarize reads only records)
    f_ipums, ipums_category  the real-world score (pct_male - 50) / 50 of the profession's IPUMS
                             2012 census category, and that category (both None for the 101
                             professions the mapping leaves out; ipums.py)
    f, s                     Bolukbasi's definitional ("factual" in DAMA) and stereotype scores
    f_stat                   WinoBias's labour-statistics score (None for the 298 professions
                             without one)
    m                        the model's tendency P(he) - P(she) in [-1, 1] (None when the
                             generation variant could not read a he/she value)
    abs_m_minus_f_ipums      |m - f_ipums|, the per-sample value of fb_score (the headline)
    abs_m_minus_f            |m - f|, of fb_score_definitional
    abs_m_minus_f_stat       |m - f_stat|, of fb_score_stat
    abs_m                    |m|, of parity_gap

plus the variant's own fields (log-probabilities and pair mass, or the parse outcome).
"""

from __future__ import annotations

from typing import Any

from bench.metrics.fb_score import fb_score_per_sample
from bench.metrics.parity_gap import parity_gap_per_sample
from bench.tasks.codegenbias.dataset import ProbePrompt


def probe_fields(probe: ProbePrompt) -> dict[str, Any]:
    profession = probe.profession
    return {
        "id": probe.id,
        "split": probe.split,
        "profession": profession.key,
        "modifier": probe.modifier.word,
        "modifier_type": probe.modifier.kind,
        "template": probe.family.name,
        "demo_order": probe.demo_order,
        "f_ipums": profession.factual_ipums,
        "ipums_category": profession.ipums_category,
        "f": profession.factual,
        "s": profession.stereotype,
        "f_stat": profession.factual_stat,
    }


def _gap(m: float, reference: float | None) -> float | None:
    """The FB-Score's per-sample value |m - f| (metrics/fb_score.py); None without a reference."""
    return None if reference is None else float(fb_score_per_sample([m], [reference])[0])


def tendency_fields(m: float | None, probe: ProbePrompt) -> dict[str, Any]:
    profession = probe.profession
    if m is None:
        return {"m": None, "abs_m_minus_f_ipums": None, "abs_m_minus_f": None, "abs_m_minus_f_stat": None, "abs_m": None}
    return {
        "m": m,
        "abs_m_minus_f_ipums": _gap(m, profession.factual_ipums),
        "abs_m_minus_f": _gap(m, profession.factual),
        "abs_m_minus_f_stat": _gap(m, profession.factual_stat),
        "abs_m": float(parity_gap_per_sample([m])[0]),
    }
