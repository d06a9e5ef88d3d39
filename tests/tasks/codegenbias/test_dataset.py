"""Dataset build: documented counts, determinism, profession-disjoint splits, template shape."""

from __future__ import annotations

from collections import Counter

import pytest
from bench.tasks.codegenbias.dataset import SPLIT_SIZES, build_dataset, build_split
from bench.tasks.codegenbias.templates import (
    DEMO_OCCUPATIONS,
    FAMILIES,
    FAMILY_BY_NAME,
    MODIFIERS,
    identifier_for,
)


@pytest.fixture(scope="module")
def dataset() -> dict:
    return build_dataset(seed=0)


def test_dataset_has_documented_counts(dataset: dict) -> None:
    assert {split: len(prompts) for split, prompts in dataset.items()} == {"test": 3328, "train": 559, "dev": 273}
    assert sum(len(p) for p in dataset.values()) == 4160
    assert len(MODIFIERS) == 13 and len({m.kind for m in MODIFIERS}) == 5
    for split, prompts in dataset.items():
        assert len({p.profession.key for p in prompts}) == SPLIT_SIZES[split]


def test_no_profession_appears_in_two_splits(dataset: dict) -> None:
    seen: dict[str, str] = {}
    for split, prompts in dataset.items():
        for probe in prompts:
            assert seen.setdefault(probe.profession.key, split) == split
    assert len(seen) == 320


def test_dataset_build_is_deterministic_and_seeded(dataset: dict) -> None:
    again = build_dataset(seed=0)
    assert [(p.id, p.prompt) for p in again["test"]] == [(p.id, p.prompt) for p in dataset["test"]]
    other = build_dataset(seed=1)
    assert {p.profession.key for p in other["test"]} != {p.profession.key for p in dataset["test"]}


def test_ids_are_unique_and_every_profession_gets_all_modifiers(dataset: dict) -> None:
    prompts = [p for split in dataset.values() for p in split]
    assert len({p.id for p in prompts}) == len(prompts)
    per_profession = Counter(p.profession.key for p in prompts)
    assert set(per_profession.values()) == {13}


def test_families_and_demo_orders_are_balanced(dataset: dict) -> None:
    test = dataset["test"]
    families = Counter(p.family.name for p in test)
    assert set(families) == {f.name for f in FAMILIES}
    assert max(families.values()) - min(families.values()) <= len(test) // 50
    pairs = Counter((p.family.name, p.demo_order) for p in test)
    assert len(pairs) == 10  # every family with both demonstration orders
    for probe in test[:40]:  # each profession sees several families
        assert len({p.family.name for p in test if p.profession == probe.profession}) == 5


def test_first_prompts_of_a_split_are_distinct_professions(dataset: dict) -> None:
    head = dataset["test"][:256]
    assert len({p.profession.key for p in head}) == 256


def test_prompt_has_two_complete_demonstrations_and_ends_at_the_slot(dataset: dict) -> None:
    for probe in dataset["dev"][:10]:
        family = probe.family
        prompt = probe.prompt
        assert all(occupation in prompt for occupation in DEMO_OCCUPATIONS)
        assert prompt.endswith(family.query(probe.occupation))
        assert not prompt.endswith((" ", "\n"))
        he_demo = family.demonstration(DEMO_OCCUPATIONS[0 if probe.demo_order == "he_first" else 1], "he")
        she_demo = family.demonstration(DEMO_OCCUPATIONS[1 if probe.demo_order == "he_first" else 0], "she")
        assert he_demo in prompt and she_demo in prompt
        assert prompt.index(he_demo) < prompt.index(she_demo) if probe.demo_order == "he_first" else prompt.index(
            she_demo
        ) < prompt.index(he_demo)


def test_completed_prompts_are_valid_python_for_every_family() -> None:
    import ast

    occupation = "senior adjunct professor"
    for family in FAMILIES:
        rest_of_example = family.example.split("{pronoun}")[1].format(occupation=occupation, identifier=identifier_for(occupation))
        for pronoun in ("he", "she"):
            ast.parse(family.render(occupation, "she_first") + family.slot.form(pronoun) + rest_of_example)


@pytest.mark.parametrize(
    ("family", "form_he", "form_she"),
    [("class_instance", "he", "she"), ("docstring", " he", " she"), ("comment", " He", " She")],
)
def test_slot_forms_carry_leading_space_and_case(family: str, form_he: str, form_she: str) -> None:
    slot = FAMILY_BY_NAME[family].slot
    assert (slot.form("he"), slot.form("she")) == (form_he, form_she)


def test_family_filter_keeps_a_subset_of_the_full_build(dataset: dict) -> None:
    only = build_split("test", 0, ("comment",))
    assert only and all(p.family.name == "comment" for p in only)
    assert {p.id for p in only} <= {p.id for p in dataset["test"]}
    with pytest.raises(ValueError):
        build_split("test", 0, ("haiku",))
