"""Per-prompt sample records shared by `codegenbias` and `codegenbias_gen`.

One record per prompt (a JSON-serialisable dict, the result's samples JSONL line):

    id, split, profession, modifier, modifier_type, template, demo_order
    f, s, f_stat            the profession's factual, stereotype and labour-statistics scores
                            (f_stat is None for the 299 professions without statistics)
    m                       the model's tendency P(he) - P(she) in [-1, 1] (None when the
                            generation variant could not read a he/she value)
    abs_m_minus_f           |m - f|, the per-sample value of fb_score (reconstructed)
    abs_m_minus_f_stat      |m - f_stat| (None without f_stat), of fb_score_stat
    abs_m                   |m|, of parity_gap

plus the variant's own fields (log-probabilities and pair mass, or the parse outcome).
"""

from __future__ import annotations

from typing import Any

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
        "f": profession.factual,
        "s": profession.stereotype,
        "f_stat": profession.factual_stat,
    }


def tendency_fields(m: float | None, probe: ProbePrompt) -> dict[str, Any]:
    profession = probe.profession
    if m is None:
        return {"m": None, "abs_m_minus_f": None, "abs_m_minus_f_stat": None, "abs_m": None}
    return {
        "m": m,
        "abs_m_minus_f": abs(m - profession.factual),
        "abs_m_minus_f_stat": None if profession.factual_stat is None else abs(m - profession.factual_stat),
        "abs_m": abs(m),
    }
