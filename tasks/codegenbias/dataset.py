"""Building the CodeGenBias probe set: professions x modifiers in code templates, split by profession.

Shape (the paper's sizes as the target; its split procedure is not public):

    320 professions x 13 modifier words = 4,160 prompts
    split by profession (seeded shuffle), so no profession is in two splits:
        test  256 professions = 3,328 prompts   (paper: 3,328)
        train  43 professions =   559 prompts   (paper: 555; 555 is not a multiple of 13, so a
        dev    21 professions =   273 prompts    (paper: 277)  by-profession split cannot hit it)

Each (profession, modifier) pair is one prompt. Its template family and demonstration order are
assigned round-robin, `variant = rotation(profession) + modifier_index`: family =
FAMILIES[variant % 5], demo order = DEMO_ORDERS[variant % 2]. The rotation is the
profession's rank in the key-sorted list of all 320 (not its position in a split), so a
profession's prompts are the same whatever the split seed. Every profession then gets the same
balanced mix up to rotation: each family 2 or 3 times (13 = 5 + 5 + 3), each demonstration order 6
or 7 times, and every family with both demonstration orders (its variants v, v + 5, v + 10
alternate in parity); which three families get the third prompt rotates with the profession, so
over all 320 professions every family has exactly 832 prompts and meets every modifier. A split
(a seeded subset of professions) is balanced up to that rotation's sampling noise.

`--limit N` takes `stratified_sample(prompts, N, seed)`: a seeded greedy draw that keeps the
counts of professions, modifiers, template families and demonstration orders as even as it can
(each within one of the others on the designs we test); the draw for N is the first N of the draw
for N + 1, so a larger limit reuses a smaller run's cached answers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
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
    rotation = {p.key: rank for rank, p in enumerate(sorted(pool, key=lambda p: p.key))}
    members = split_professions(pool, seed)[split]
    prompts: list[ProbePrompt] = []
    for modifier_index, modifier in enumerate(MODIFIERS):
        for profession in members:
            family, demo_order = assignment(rotation[profession.key], modifier_index)
            if families and family.name not in families:
                continue
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


def assignment(rotation: int, modifier_index: int) -> tuple[TemplateFamily, str]:
    """Template family and demonstration order of the prompt (profession with this rotation, modifier)."""
    variant = rotation + modifier_index
    return FAMILIES[variant % len(FAMILIES)], DEMO_ORDERS[variant % len(DEMO_ORDERS)]


def stratified_sample(prompts: list[ProbePrompt], n: int, seed: int = 0) -> list[ProbePrompt]:
    """`n` prompts drawn so professions, modifiers, template families and demo orders stay balanced.

    Greedy and seeded: the prompts are shuffled, then each step takes the first prompt whose
    profession has been drawn least so far and, among those, the one that adds least imbalance
    (how far its modifier, family and demo order counts are above their current minimum). The
    result is in draw order, so sample(n) == sample(n + 1)[:n]. n >= len(prompts) returns all.
    """
    if n < 0:
        raise ValueError(f"a sample size must be >= 0, got {n}")
    if n >= len(prompts):
        return list(prompts)
    order = list(prompts)
    random.Random(seed).shuffle(order)
    factors = (
        [p.profession.key for p in order],
        [p.modifier.word for p in order],
        [p.family.name for p in order],
        [p.demo_order for p in order],
    )
    codes = []
    for labels in factors:
        index = {label: k for k, label in enumerate(dict.fromkeys(labels))}
        codes.append(np.array([index[label] for label in labels]))
    counts = [np.zeros(code.max() + 1, dtype=np.int64) for code in codes]
    available = np.ones(len(order), dtype=bool)
    # The profession term dominates (spread professions first); modifier and family outweigh demo order.
    weights = (1_000_000, 1_000, 1_000, 1)
    chosen: list[ProbePrompt] = []
    for _ in range(n):
        cost = np.zeros(len(order), dtype=np.int64)
        for code, count, weight in zip(codes, counts, weights):
            cost += weight * (count[code] - count.min())
        cost[~available] = np.iinfo(np.int64).max
        pick = int(np.argmin(cost))  # first minimum: the shuffle breaks ties
        available[pick] = False
        for code, count in zip(codes, counts):
            count[code[pick]] += 1
        chosen.append(order[pick])
    return chosen


def build_dataset(seed: int = 0) -> dict[str, list[ProbePrompt]]:
    """Every split (4,160 prompts in all)."""
    return {split: build_split(split, seed) for split in SPLITS}
