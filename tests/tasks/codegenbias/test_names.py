"""Occupation name matching: separators, case, plurals, British spellings, old forms; exact names win."""

from __future__ import annotations

import pytest
from bench.tasks.codegenbias.names import match_occupation, normalise_occupation, occupation_variants

KNOWN = ["mechanic", "physician", "counselor", "secretary", "cab_driver", "laborer", "coach", "nurse", "actress", "technician"]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("mechanician", "mechanic"),
        ("Mechanicians", "mechanic"),
        ("counsellors", "counselor"),
        ("Counselors", "counselor"),
        ("secretaries", "secretary"),
        ("Cab-Driver", "cab_driver"),
        ("cab drivers", "cab_driver"),
        ("  LABOURERS ", "laborer"),
        ("coaches", "coach"),
        ("actresses", "actress"),
        ("physician", "physician"),
        ("technicians", "technician"),
    ],
)
def test_obvious_forms_of_a_name_match_the_known_entry(written: str, expected: str) -> None:
    assert match_occupation(written, KNOWN) == expected


@pytest.mark.parametrize("written", ["physic", "music", "driver", "nursery", "", "   ", "ss"])
def test_unrelated_or_partial_names_do_not_match(written: str) -> None:
    assert match_occupation(written, KNOWN) is None


def test_an_exact_name_wins_over_a_rewritten_one() -> None:
    # "physician" is known, so it must never be rewritten to "physic" even when that is known too.
    assert match_occupation("physician", ["physic", "physician"]) == "physician"
    assert match_occupation("physicians", ["physic", "physician"]) == "physician"


def test_normalise_occupation_only_removes_case_and_separators() -> None:
    assert normalise_occupation(" Adjunct_Professor ") == "adjunct professor"
    assert normalise_occupation("sheriff-deputy/officer") == "sheriff deputy officer"
    assert occupation_variants("nurses")[:2] == ["nurses", "nurse"]
