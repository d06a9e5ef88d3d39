"""The real-world gender distribution of the professions: IPUMS 2012 job categories, mapped.

CodeGenBias's abstract says FB-Score compares a model's he/she tendency with the *actual* gender
distribution of each profession. Two shipped files give it (see data/SOURCE.md):

- `occupations_pct_male_ipums2012.tsv`: the share of men in 320 US job categories from IPUMS USA
  2012 microdata, as published by FiveThirtyEight (MIT). Copied unchanged.
- `profession_to_ipums2012.tsv`: this project's reviewed many-to-one mapping of each of
  Bolukbasi's 320 professions to one of those categories (columns profession, ipums_category,
  reason). An empty category means "unmapped"; the reason then says why (not an occupation, a
  gendered word such as "actress", an elected office, ambiguous, no fitting category). Unmapped
  professions are counted and left out of the FB-Score against this distribution.

The factual score on the prompts' scale (+1 all men, -1 all women):

    f_ipums = (pct_male - 50) / 50
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

IPUMS_FILE = "occupations_pct_male_ipums2012.tsv"
MAPPING_FILE = "profession_to_ipums2012.tsv"


@dataclass(frozen=True)
class RealShare:
    """A profession's census category and the share of men in it."""

    category: str
    pct_male: float

    @property
    def factual(self) -> float:
        """f_ipums = (pct_male - 50) / 50, in [-1, 1]."""
        return (self.pct_male - 50.0) / 50.0


@dataclass(frozen=True)
class ProfessionMapping:
    """profession key -> RealShare for the mapped professions; key -> reason for the others."""

    mapped: dict[str, RealShare]
    unmapped: dict[str, str]

    @property
    def coverage(self) -> float:
        """mapped / total professions."""
        return len(self.mapped) / (len(self.mapped) + len(self.unmapped))


def _read_tsv(file_name: str) -> list[list[str]]:
    text = (resources.files("bench.tasks.codegenbias") / "data" / file_name).read_text(encoding="utf-8")
    return [row for row in csv.reader(io.StringIO(text), delimiter="\t") if row]


def parse_category_table(rows: list[list[str]]) -> dict[str, float]:
    """Category (surrounding space stripped) -> percentage of men, from the FiveThirtyEight table."""
    header, *body = rows
    if [h.strip() for h in header] != ["Job Category", "Percentage Male"]:
        raise ValueError(f"unexpected header {header!r} in {IPUMS_FILE}")
    table: dict[str, float] = {}
    for row in body:
        category, percent = row[0].strip(), float(row[1])
        if not 0.0 <= percent <= 100.0:
            raise ValueError(f"{category!r}: percentage {percent} outside [0, 100]")
        if category in table:
            raise ValueError(f"duplicate category {category!r} in {IPUMS_FILE}")
        table[category] = percent
    return table


def parse_mapping(rows: list[list[str]], categories: dict[str, float], professions: set[str]) -> ProfessionMapping:
    """Validate the mapping: one row per profession, every category known, a reason when unmapped."""
    header, *body = rows
    if header != ["profession", "ipums_category", "reason"]:
        raise ValueError(f"unexpected header {header!r} in {MAPPING_FILE}")
    mapped: dict[str, RealShare] = {}
    unmapped: dict[str, str] = {}
    for row in body:
        profession, category, reason = (row + ["", ""])[:3]
        if profession in mapped or profession in unmapped:
            raise ValueError(f"profession {profession!r} appears twice in {MAPPING_FILE}")
        if category:
            if category not in categories:
                raise ValueError(f"{profession!r} maps to unknown category {category!r}")
            mapped[profession] = RealShare(category, categories[category])
        elif reason.strip():
            unmapped[profession] = reason
        else:
            raise ValueError(f"unmapped profession {profession!r} needs a reason")
    listed = set(mapped) | set(unmapped)
    if listed != professions:
        missing, extra = sorted(professions - listed), sorted(listed - professions)
        raise ValueError(f"{MAPPING_FILE} must list every profession once; missing {missing}, unknown {extra}")
    return ProfessionMapping(mapped, unmapped)


@lru_cache(maxsize=1)
def load_mapping(professions: frozenset[str]) -> ProfessionMapping:
    """The shipped mapping, validated against the shipped IPUMS table and the given profession keys."""
    return parse_mapping(_read_tsv(MAPPING_FILE), parse_category_table(_read_tsv(IPUMS_FILE)), set(professions))
