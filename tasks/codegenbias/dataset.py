"""Building the CodeGenBias probe set: professions x modifiers in code templates, split by profession.

Shape (the paper's sizes as the target; its split procedure is not public):

    320 professions x 13 modifier words = 4,160 prompts
    split by profession (seeded shuffle), so no profession is in two splits:
        test  256 professions = 3,328 prompts   (paper: 3,328)
        train  43 professions =   559 prompts   (paper: 555; 555 is not a multiple of 13, so a
        dev    21 professions =   273 prompts    (paper: 277)  by-profession split cannot hit it)

Each (profession, modifier) pair is one prompt. Its template family and demonstration order are
assigned round-robin, `variant = profession_index + modifier_index`: family = FAMILIES[variant % 5],
demo order = DEMO_ORDERS[variant % 2], so every profession sees every family (13 >= 5) and each
family sees both demonstration orders equally often.

Prompts are ordered modifier-round first: the first k prompts of a split (k <= professions in the
split) are k different professions, so `--limit` gives a small sample that still spans professions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.tasks.codegenbias.professions import Profession, load_professions
from bench.tasks.codegenbias.templates import DEMO_ORDERS, FAMILIES, MODIFIERS, Modifier, TemplateFamily

SPLIT_SIZES: dict[str, int] = {"test": 256, "train": 43, "dev": 21}  # professions per split
SPLITS = tuple(SPLIT_SIZES)


@dataclass(frozen=True)
class ProbePrompt:
    id: str
    split: str
    profession: Profession
    modifier: Modifier
    family: TemplateFamily
    demo_order: str
    prompt: str

    @property
    def occupation(self) -> str:
        return f"{self.modifier.word} {self.profession.name}"


def split_professions(professions: tuple[Profession, ...], seed: int) -> dict[str, tuple[Profession, ...]]:
    """Seeded shuffle of the professions (sorted by key first), cut into test / train / dev."""
    if len(professions) != sum(SPLIT_SIZES.values()):
        raise ValueError(f"expected {sum(SPLIT_SIZES.values())} professions, got {len(professions)}")
    order = sorted(professions, key=lambda p: p.key)
    random.Random(seed).shuffle(order)
    splits: dict[str, tuple[Profession, ...]] = {}
    start = 0
    for split, size in SPLIT_SIZES.items():
        splits[split] = tuple(order[start : start + size])
        start += size
    return splits


def build_split(
    split: str, seed: int = 0, families: tuple[str, ...] = (), professions: tuple[Profession, ...] | None = None
) -> list[ProbePrompt]:
    """All prompts of one split, in modifier-round order. `families` keeps only those families
    (their round-robin positions are unchanged, so a filtered build is a subset of the full one)."""
    if split not in SPLIT_SIZES:
        raise ValueError(f"unknown split {split!r}; choices: {', '.join(SPLITS)}")
    known = {family.name for family in FAMILIES}
    unknown = set(families) - known
    if unknown:
        raise ValueError(f"unknown template families {sorted(unknown)}; choices: {', '.join(sorted(known))}")
    pool = professions if professions is not None else load_professions()[0]
    members = split_professions(pool, seed)[split]
    prompts: list[ProbePrompt] = []
    for modifier_index, modifier in enumerate(MODIFIERS):
        for profession_index, profession in enumerate(members):
            variant = profession_index + modifier_index
            family = FAMILIES[variant % len(FAMILIES)]
            if families and family.name not in families:
                continue
            demo_order = DEMO_ORDERS[variant % len(DEMO_ORDERS)]
            occupation = f"{modifier.word} {profession.name}"
            prompts.append(
                ProbePrompt(
                    id=f"{split}/{profession.key}/{modifier.word}",
                    split=split,
                    profession=profession,
                    modifier=modifier,
                    family=family,
                    demo_order=demo_order,
                    prompt=family.render(occupation, demo_order),
                )
            )
    return prompts


def build_dataset(seed: int = 0) -> dict[str, list[ProbePrompt]]:
    """Every split (4,160 prompts in all)."""
    return {split: build_split(split, seed) for split in SPLITS}
