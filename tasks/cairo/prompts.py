"""CAIRO's prompt sets: the shipped BOLD / HONEST files with their paraphrase columns, and
HolisticBias prompts built from the v1.1 lists.

A `GroupPrompts` is one (metric, split, group): the subgroup label of every prompt index and the
prompt sets aligned with it (`original` plus paraphrase sets), validated on load: every set must
have one entry per label (spec pitfall 1). Paraphrases are cleaned of list markers and quotes
(pitfall 6); a prompt that is empty after cleaning is left out of its set only (bias uses sums
and counts per subgroup, so sets of different sizes pool correctly); an empty ORIGINAL prompt
leaves out that index in every set.

Paraphrase set names are shortened and shared across metrics: `llama2-7b-chat_3` is
`prompts_meta-llama_Llama-2-7b-chat-hf_3` of both the BOLD and the HONEST file.

HolisticBias construction (documented in the task README): axis gender_and_sex (buckets binary,
descriptors, queer, sex — CAIRO's "unified" subgroups), race_ethnicity (every bucket) and religion
(each descriptor is its own subgroup: CAIRO's filter file is not public); noun phrase
"a/an {descriptor} {noun}" (plural "{descriptor} {nouns}") for the nouns woman, man, person
(a gendered descriptor, e.g. "female" or "MTF", only with "person"); sentence templates of
`sentence_templates.json` in file order, even positions = valid, odd positions = test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from bench.harness.errors import DataError
from bench.harness.json_files import read_json
from bench.metrics.cairo_bias import MisalignedLabelsError, check_aligned
from bench.tasks.cairo.sources import (
    HUB,
    check_groups_layout,
    check_prompts_layout,
    load_published,
)

DATA_DIR = Path(__file__).parent / "data"
ORIGINAL = "original"

# The bias dimension's name in each metric's files.
SOURCE_GROUP: dict[str, dict[str, str]] = {
    "bold": {"gender": "gender", "religion": "religious_ideology", "race": "race"},
    "honest": {"gender": "gender"},
    "holistic": {"gender": "gender_and_sex", "religion": "religion", "race": "race_ethnicity"},
}
HOLISTIC_GENDER_BUCKETS = ("binary", "descriptors", "queer", "sex")
HOLISTIC_NOUNS = {"female": ("woman", "women"), "male": ("man", "men"), "neutral": ("person", "people")}


@dataclass(frozen=True)
class GroupPrompts:
    """The prompts of one metric, split and bias group. `sets[name][i]` is prompt i of that set
    (None where cleaning left nothing); `subgroups[i]` its label."""

    metric: str
    split: str
    group: str
    subgroups: tuple[str, ...]
    sets: dict[str, tuple[str | None, ...]] = field(hash=False)

    @property
    def set_names(self) -> list[str]:
        """`original` first, then the paraphrase sets in sorted order."""
        return [ORIGINAL] + sorted(name for name in self.sets if name != ORIGINAL)


_LIST_MARKER = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+")


def clean_paraphrase(text: str) -> str:
    """A paraphrase without list markers ("1.", "2)", "*", "-", "•"), wrapping quotes and spaces;
    only its first line (chat models append explanations)."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    first = lines[0] if lines else ""
    first = _LIST_MARKER.sub("", first).strip()
    if len(first) >= 2 and first[0] == first[-1] and first[0] in "\"'":
        first = first[1:-1].strip()
    return first.strip("\"“” ")


def short_set_name(name: str) -> str:
    """`prompts_meta-llama_Llama-2-7b-chat-hf_3` -> `llama2-7b-chat_3`; `original_prompts` -> `original`."""
    if name == "original_prompts":
        return ORIGINAL
    match = re.fullmatch(r"prompts_[^_]+_(.+?)(?:_(\d+))?", name)
    if match is None:
        return name
    model = match.group(1).lower().replace("llama-2", "llama2").replace("-hf", "").replace("-v0.2", "").replace("-v0.1", "")
    return f"{model}_{match.group(2) or 1}"


def group_prompts_from_files(
    metric: str, split: str, group: str, prompts: dict[str, dict[str, list[str]]], labels: dict[str, list[str]],
    *, paraphrases: bool = True,
) -> GroupPrompts:
    """Build one GroupPrompts from CAIRO's JSON layout (see tasks/cairo/data/SOURCE.md); raises
    MisalignedLabelsError when a set and the labels disagree in length."""
    source = SOURCE_GROUP[metric][group]
    if source not in prompts:
        raise DataError(f"{metric} {split} prompts have no group {source!r}; have {sorted(prompts)}")
    subgroups = [s for g, s in zip(labels["groups"], labels["subgroups"], strict=True) if g == source]
    raw = {short_set_name(name): values for name, values in prompts[source].items()}
    if ORIGINAL not in raw:
        raise DataError(f"{metric} {split} {source}: no original_prompts")
    if not paraphrases:
        raw = {ORIGINAL: raw[ORIGINAL]}
    try:
        check_aligned(raw, subgroups)
    except MisalignedLabelsError as exc:
        raise DataError(f"{metric} {split} {group}: {exc}") from exc
    keep = [i for i, text in enumerate(raw[ORIGINAL]) if text.strip()]
    sets: dict[str, tuple[str | None, ...]] = {}
    for name, values in raw.items():
        cleaned = [values[i].strip() if name == ORIGINAL else clean_paraphrase(values[i]) for i in keep]
        sets[name] = tuple(text or None for text in cleaned)
    return GroupPrompts(metric, split, group, tuple(subgroups[i] for i in keep), sets)


@cache
def _shipped(name: str) -> dict:  # type: ignore[type-arg]
    return read_json(DATA_DIR / "prompts" / name, "prompt file", DataError)  # type: ignore[no-any-return]


BOLD_TEST_PROMPTS = "prompts/BOLD/BOLD_test_prompts.json"
BUILT = "built"


def load_group(
    metric: str, split: str, group: str, *, paraphrases: bool = True, test_prompts: str = HUB, holistic_prompts: str = BUILT,
) -> GroupPrompts:
    """The prompts of `metric` ("bold", "honest", "holistic") for one split and group.

    `test_prompts` (BOLD's test split, not shipped): `hub` or the path of CAIRO's
    BOLD_test_prompts.json. `holistic_prompts`: `built` (from the shipped v1.1 lists), `hub`
    (CAIRO's holistic_<split>_prompts/groups.json) or a folder holding those two files."""
    if metric == "holistic" and holistic_prompts == BUILT:
        return holistic_prompts_built(split, group)
    if group not in SOURCE_GROUP[metric]:
        raise DataError(f"{metric} has no {group!r} prompts; groups: {', '.join(SOURCE_GROUP[metric])}")
    if metric == "holistic":
        option = "cairo_holistic.holistic_prompts"
        if holistic_prompts != HUB and not Path(holistic_prompts).expanduser().is_dir():
            raise DataError(
                f"{option}={holistic_prompts!r}: choose built, hub or a folder holding CAIRO's "
                f"holistic_{split}_prompts.json and holistic_{split}_groups.json"
            )
        names = [f"prompts/holistic/holistic_{split}_{kind}.json" for kind in ("prompts", "groups")]
        raw_prompts, raw_labels = (load_published(holistic_prompts, name, option) for name in names)
        where = f"holistic {split} files from {holistic_prompts}"
    else:
        stem = metric.upper()
        raw_labels = _shipped(f"{stem}_{split}_groups.json")
        if metric == "bold" and split == "test":
            raw_prompts = load_published(test_prompts, BOLD_TEST_PROMPTS, "cairo_bold.test_prompts")
            where = f"BOLD_test_prompts.json from {test_prompts}"
        else:
            raw_prompts = _shipped(f"{stem}_{split}_prompts.json")
            where = f"shipped {stem}_{split}_prompts.json"
    prompts = check_prompts_layout(raw_prompts, where)
    labels = check_groups_layout(raw_labels, where.replace("prompts.json", "groups.json"))
    return group_prompts_from_files(metric, split, group, prompts, labels, paraphrases=paraphrases)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


@cache
def holistic_prompts_built(split: str, group: str) -> GroupPrompts:
    """HolisticBias prompts for one split and group, built as the module docstring says."""
    root = DATA_DIR / "holistic_bias_v1.1"
    descriptors = read_json(root / "descriptors.json", "prompt file", DataError)[SOURCE_GROUP["holistic"][group]]
    templates = list(read_json(root / "sentence_templates.json", "prompt file", DataError))
    offset = 0 if split == "valid" else 1
    chosen = templates[offset::2]
    prompts: list[str] = []
    subgroups: list[str] = []
    for bucket, entries in descriptors.items():
        if group == "gender" and bucket not in HOLISTIC_GENDER_BUCKETS:
            continue
        for entry in entries:
            descriptor = entry if isinstance(entry, str) else entry["descriptor"]
            gender = None if isinstance(entry, str) else entry.get("gender")
            label = descriptor if group == "religion" else bucket
            for noun_gender, (noun, plural) in HOLISTIC_NOUNS.items():
                if gender is not None and noun_gender != "neutral":
                    continue
                phrase = f"{_article(descriptor)} {descriptor} {noun}"
                plural_phrase = f"{descriptor} {plural}"
                for template in chosen:
                    prompts.append(template.format(noun_phrase=phrase, plural_noun_phrase=plural_phrase))
                    subgroups.append(label)
    return GroupPrompts("holistic", split, group, tuple(subgroups), {ORIGINAL: tuple(prompts)})


@cache
def hurtlex_lemmas() -> frozenset[str]:
    """HurtLex EN v1.2's conservative lemmas (what HONEST matches), accents stripped."""
    from bench.metrics.cairo_bias import hurtlex_lexicon

    rows = []
    with open(DATA_DIR / "hurtlex_EN_v1.2.tsv", encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        lemma, level = header.index("lemma"), header.index("level")
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            rows.append((fields[lemma], fields[level]))
    return hurtlex_lexicon(rows)
