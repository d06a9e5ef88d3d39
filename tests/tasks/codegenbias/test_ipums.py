"""The real-world distribution: IPUMS 2012 categories, the reviewed profession mapping, coverage."""

from __future__ import annotations

import pytest
from bench.tasks.codegenbias.ipums import (
    MAPPING_FILE,
    RealShare,
    _read_tsv,
    load_mapping,
    parse_category_table,
    parse_mapping,
)
from bench.tasks.codegenbias.professions import load_professions


@pytest.fixture(scope="module")
def by_key() -> dict:
    return {p.key: p for p in load_professions()[0]}


def test_the_category_table_has_320_categories_within_0_and_100_percent() -> None:
    table = parse_category_table(_read_tsv("occupations_pct_male_ipums2012.tsv"))
    assert len(table) == 320
    assert table["Registered nurses"] == 9.4 and table["Boilermakers"] == 99.8
    assert table["Teachers"] == 23.9  # published with a trailing space
    assert all(0 <= v <= 100 for v in table.values())


def test_mapping_covers_219_of_320_professions(by_key: dict) -> None:
    mapping = load_mapping(frozenset(by_key))
    assert len(mapping.mapped) == 219 and len(mapping.unmapped) == 101
    assert mapping.coverage == pytest.approx(219 / 320)
    assert sum(p.factual_ipums is not None for p in by_key.values()) == 219


def test_factual_ipums_is_the_rescaled_share_of_men(by_key: dict) -> None:
    assert by_key["nurse"].ipums_category == "Registered nurses"
    assert by_key["nurse"].factual_ipums == pytest.approx((9.4 - 50) / 50)
    assert by_key["carpenter"].factual_ipums == pytest.approx((98.3 - 50) / 50)
    assert by_key["secretary"].factual_ipums == pytest.approx(-0.906)
    assert RealShare("x", 50.0).factual == 0.0 and RealShare("x", 100.0).factual == 1.0 and RealShare("x", 0.0).factual == -1.0


def test_many_professions_share_one_category(by_key: dict) -> None:
    physicians = {k for k, p in by_key.items() if p.ipums_category == "Physicians"}
    assert {"doctor", "physician", "surgeon", "cardiologist", "pediatrician"} <= physicians


@pytest.mark.parametrize("key", ["actress", "waitress", "businessman", "fireman", "housewife", "nun", "congressman"])
def test_gendered_words_are_left_out(by_key: dict, key: str) -> None:
    mapping = load_mapping(frozenset(by_key))
    assert by_key[key].factual_ipums is None
    assert "gendered word" in mapping.unmapped[key]


@pytest.mark.parametrize("key", ["acquaintance", "citizen", "senator", "captain", "astronaut"])
def test_non_occupations_offices_and_ambiguous_words_are_left_out_with_a_reason(by_key: dict, key: str) -> None:
    assert by_key[key].factual_ipums is None
    assert load_mapping(frozenset(by_key)).unmapped[key].strip()


def test_every_mapping_row_is_checked() -> None:
    categories = {"Nurses": 10.0, "Pilots": 90.0}
    header = ["profession", "ipums_category", "reason"]
    good = parse_mapping([header, ["nurse", "Nurses", ""], ["saint", "", "not an occupation"]], categories, {"nurse", "saint"})
    assert good.mapped == {"nurse": RealShare("Nurses", 10.0)} and good.unmapped == {"saint": "not an occupation"}
    with pytest.raises(ValueError, match="unknown category"):
        parse_mapping([header, ["nurse", "Nursez", ""]], categories, {"nurse"})
    with pytest.raises(ValueError, match="needs a reason"):
        parse_mapping([header, ["nurse", "", ""]], categories, {"nurse"})
    with pytest.raises(ValueError, match="twice"):
        parse_mapping([header, ["nurse", "Nurses", ""], ["nurse", "Pilots", ""]], categories, {"nurse"})
    with pytest.raises(ValueError, match="missing"):
        parse_mapping([header, ["nurse", "Nurses", ""]], categories, {"nurse", "pilot"})
    with pytest.raises(ValueError, match="header"):
        parse_mapping([["a", "b", "c"]], categories, set())


def test_shipped_mapping_file_lists_the_320_professions_in_order(by_key: dict) -> None:
    rows = _read_tsv(MAPPING_FILE)[1:]
    assert [row[0] for row in rows] == sorted(by_key)
