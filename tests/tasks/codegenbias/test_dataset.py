"""Dataset build: documented counts, determinism, profession-disjoint splits, template shape."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from bench.tasks.codegenbias.dataset import SPLIT_SIZES, build_dataset, build_split, stratified_sample
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


def test_a_professions_prompts_do_not_depend_on_the_split_seed() -> None:
    def assignments(seed: int) -> dict[str, tuple[str, str]]:
        return {p.id.split("/", 1)[1]: (p.family.name, p.demo_order) for split in build_dataset(seed).values() for p in split}

    assert assignments(0) == assignments(7)


def test_every_profession_gets_a_balanced_template_mix(dataset: dict) -> None:
    per_profession: dict[str, list] = {}
    for probe in (p for split in dataset.values() for p in split):
        per_profession.setdefault(probe.profession.key, []).append(probe)
    for prompts in per_profession.values():
        families = Counter(p.family.name for p in prompts)
        assert sorted(families.values()) == [2, 2, 3, 3, 3]
        assert sorted(Counter(p.demo_order for p in prompts).values()) == [6, 7]
        for family in families:
            assert {p.demo_order for p in prompts if p.family.name == family} == {"he_first", "she_first"}
    everything = [p for split in dataset.values() for p in split]
    assert set(Counter(p.family.name for p in everything).values()) == {832}
    assert all(len({p.family.name for p in everything if p.modifier == m}) == 5 for m in MODIFIERS)


def _spread(sample: list, key: Callable[[Any], str], levels: int) -> int:
    counts = list(Counter(map(key, sample)).values())
    counts += [0] * (levels - len(counts))
    return max(counts) - min(counts)


@pytest.mark.parametrize("split", ["test", "train", "dev"])
def test_stratified_sample_balances_professions_modifiers_and_families(split: str) -> None:
    prompts = build_split(split, 0)
    professions = SPLIT_SIZES[split]
    for seed in (0, 1):
        draw = stratified_sample(prompts, len(prompts) // 2, seed)
        for n in range(1, len(draw) + 1):
            sample = draw[:n]
            assert _spread(sample, lambda p: p.profession.key, professions) <= 1, (seed, n)
            assert _spread(sample, lambda p: p.modifier.word, len(MODIFIERS)) <= 2, (seed, n)
            assert _spread(sample, lambda p: p.family.name, len(FAMILIES)) <= 2, (seed, n)
            assert _spread(sample, lambda p: p.demo_order, 2) <= 5, (seed, n)


def test_limit_below_256_spans_modifiers_not_just_junior() -> None:
    sample = stratified_sample(build_split("test", 0), 26, seed=0)
    assert Counter(p.modifier.word for p in sample) == Counter({m.word: 2 for m in MODIFIERS})
    assert len({p.profession.key for p in sample}) == 26
    assert max(Counter(p.family.name for p in sample).values()) - min(Counter(p.family.name for p in sample).values()) <= 1


def test_stratified_sample_is_seeded_prefix_stable_and_a_subset() -> None:
    prompts = build_split("dev", 0)
    assert [p.id for p in stratified_sample(prompts, 40, 3)] == [p.id for p in stratified_sample(prompts, 40, 3)]
    assert stratified_sample(prompts, 40, 3) == stratified_sample(prompts, 90, 3)[:40]
    assert [p.id for p in stratified_sample(prompts, 40, 3)] != [p.id for p in stratified_sample(prompts, 40, 4)]
    sample = stratified_sample(prompts, 100, 0)
    assert len({p.id for p in sample}) == 100 and {p.id for p in sample} <= {p.id for p in prompts}
    assert stratified_sample(prompts, 10_000, 0) == prompts
    assert stratified_sample(prompts, 0, 0) == []
    with pytest.raises(ValueError):
        stratified_sample(prompts, -1, 0)
