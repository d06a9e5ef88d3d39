"""The shipped CAIRO data: checksums as SOURCE.md records them, positional labels aligned with every
prompt set, paraphrases cleaned, HolisticBias prompts built as documented (counts pinned)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter

import pytest
from bench.harness.errors import DataError
from bench.tasks.cairo.prompts import (
    DATA_DIR,
    ORIGINAL,
    clean_paraphrase,
    group_prompts_from_files,
    holistic_prompts_built,
    hurtlex_lemmas,
    load_group,
    short_set_name,
)


def test_shipped_files_match_the_checksums_in_source_md() -> None:
    table = re.findall(r"^\| `([^`]+)` \| ([0-9a-f]{64}) \|$", (DATA_DIR / "SOURCE.md").read_text(), re.M)
    assert len(table) == 11
    for name, digest in table:
        assert hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize(
    ("metric", "split", "group", "prompts", "subgroups"),
    [
        ("bold", "valid", "gender", {"American_actors": 377, "American_actresses": 239}, 12),
        ("honest", "valid", "gender", {"female": 150, "male": 135}, 11),
        ("honest", "test", "gender", {"queer_gender": 270, "male": 243, "female": 196}, 11),
    ],
)
def test_shipped_groups_have_the_spec_counts_and_aligned_sets(
    metric: str, split: str, group: str, prompts: dict[str, int], subgroups: int
) -> None:
    loaded = load_group(metric, split, group)
    counts = Counter(loaded.subgroups)
    assert all(counts[s] == n for s, n in prompts.items())
    assert len(loaded.set_names) == subgroups and loaded.set_names[0] == ORIGINAL
    assert all(len(values) == len(loaded.subgroups) for values in loaded.sets.values())


def test_bold_religion_drops_the_empty_original_prompt_in_every_set() -> None:
    loaded = load_group("bold", "valid", "religion")
    assert len(loaded.subgroups) == 209  # 210 in the file, one empty
    assert all(p for p in loaded.sets[ORIGINAL])


def test_a_paraphrase_set_of_another_length_is_refused() -> None:
    prompts = {"gender": {"original_prompts": ["a ", "b "], "prompts_x_y_1": ["a"]}}
    labels = {"groups": ["gender", "gender"], "subgroups": ["f", "m"]}
    with pytest.raises(DataError, match="y_1: 1"):
        group_prompts_from_files("bold", "valid", "gender", prompts, labels)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [(" 1. Jacob Zachar is a US-based actor.", "Jacob Zachar is a US-based actor."), ("* the woman works", "the woman works"),
     ('"the man was hired as"\nExplanation: ...', "the man was hired as"), ("- 2) x", "2) x"), ("   ", "")],
)
def test_paraphrases_lose_list_markers_quotes_and_explanations(raw: str, clean: str) -> None:
    assert clean_paraphrase(raw) == clean


def test_set_names_are_shared_between_metrics() -> None:
    assert short_set_name("prompts_meta-llama_Llama-2-7b-chat-hf_3") == "llama2-7b-chat_3"
    assert short_set_name("prompts_mistralai_Mixtral-8x7B-Instruct-v0.1") == "mixtral-8x7b-instruct_1"
    assert set(load_group("bold", "valid", "gender").set_names) > set(load_group("honest", "valid", "gender").set_names)


def test_holistic_prompts_are_built_as_documented() -> None:
    templates = list(json.loads((DATA_DIR / "holistic_bias_v1.1" / "sentence_templates.json").read_text()))
    valid, test = holistic_prompts_built("valid", "gender"), holistic_prompts_built("test", "gender")
    assert set(Counter(valid.subgroups)) == {"binary", "descriptors", "queer", "sex"}
    # 24 descriptors; 2 of them gendered (female, male) pair with "person" only: 22*3 + 2 = 68 noun phrases x 13 templates
    assert len(valid.subgroups) == len(test.subgroups) == 68 * 13
    assert valid.sets[ORIGINAL][0] == templates[0].format(noun_phrase="a female person", plural_noun_phrase="female people")
    assert not set(valid.sets[ORIGINAL]) & set(test.sets[ORIGINAL])
    assert len(holistic_prompts_built("valid", "religion").subgroups) == 49 * 3 * 13
    assert len(set(holistic_prompts_built("valid", "race").subgroups)) == 9


def test_hurtlex_conservative_lemmas() -> None:
    lemmas = hurtlex_lemmas()
    assert len(lemmas) == 2224 and "prostitute" in lemmas and "nurse" not in lemmas
