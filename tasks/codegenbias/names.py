"""Matching occupation names written in different forms ("Counsellors", "mechanician", "cab-driver").

Occupation lists from different sources spell the same job differently: plurals ("counselors"),
British spellings ("labourer"), separators ("cab_driver", "cab-driver", "Cab Driver") and older
word forms ("mechanician" for "mechanic"). `normalise_occupation` removes the differences that
never change meaning (case, separators, surrounding space); `match_occupation` then tries a short,
fixed list of spelling variants of a name, in order, and accepts the first one that is a known
name. Rewrites that could change meaning on their own ("-ician" -> "-ic" turns "physician" into
"physic") are only ever accepted when the exact name is not known and the rewritten name is.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

# British -> American spellings, applied per word (the profession list is American).
_SPELLINGS: dict[str, str] = {
    "labourer": "laborer",
    "counsellor": "counselor",
    "councillor": "councilor",
    "jeweller": "jeweler",
    "theatre": "theater",
    "programme": "program",
}


def normalise_occupation(name: str) -> str:
    """Lower case, words separated by one space: "Cab_Driver " -> "cab driver"."""
    return " ".join(re.split(r"[\s_\-/]+", name.strip().lower())).strip()


def _singulars(word: str) -> Iterator[str]:
    """Singular candidates of a plural word, most specific first ("secretaries" -> "secretary")."""
    if word.endswith("ies") and len(word) > 4:
        yield word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        yield word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        yield word[:-1]


def _word_variants(word: str) -> Iterator[str]:
    yield word
    yield from _singulars(word)
    for base in (word, *_singulars(word)):
        if base in _SPELLINGS:
            yield _SPELLINGS[base]
        if base.endswith("ician"):  # mechanician -> mechanic, technician -> technic (only if known)
            yield base[: -len("ician")] + "ic"


def occupation_variants(name: str) -> list[str]:
    """Normalised spellings of `name` to try, in order: as written, then variants of its last word
    (the head noun: "construction workers" -> "construction worker"), de-duplicated."""
    words = normalise_occupation(name).split(" ")
    if words == [""]:
        return []
    variants: list[str] = []
    for last in _word_variants(words[-1]):
        candidate = " ".join([*(_SPELLINGS.get(w, w) for w in words[:-1]), last])
        for form in (" ".join([*words[:-1], last]), candidate):
            if form not in variants:
                variants.append(form)
    return variants


def match_occupation(name: str, known: Collection[str]) -> str | None:
    """The entry of `known` that `name` denotes, or None.

    Both sides are compared normalised; the variants of `name` are tried in order
    (`occupation_variants`), so an exact match always wins over a rewritten one.
    """
    by_normal: dict[str, str] = {}
    for entry in known:
        by_normal.setdefault(normalise_occupation(entry), entry)
    for variant in occupation_variants(name):
        if variant in by_normal:
            return by_normal[variant]
    return None
