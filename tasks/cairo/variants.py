"""Model variants for an offline CAIRO study: distinct checkpoints made from one base folder.

A correlation across models needs several models; offline only one checkpoint may exist. Users of
this method compare checkpoints derived from each other, so the study can build them, each a
folder `--model` accepts (the base's config and tokenizer files + a new model.safetensors) with a
`variant.json` recording how it was made:

- `fp16`: every weight rounded to float16 precision (stored as float32): a dtype-quantised copy;
- `int8`: per-output-row symmetric int8 quantisation of every matrix, dequantised (max-abs scale);
- `noise:S`: every tensor plus Gaussian noise of S times that tensor's standard deviation (seeded);
- `interp:A`: (1 - A) x base + A x (the base perturbed with noise 0.05): a weight interpolation
  with a perturbed copy.

Weights are read and written with safetensors' numpy API (no torch import).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from bench.harness.errors import DataError

WEIGHTS = "model.safetensors"
INTERP_NOISE = 0.05


def _noise(tensor: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
    std = float(tensor.std()) if tensor.size > 1 else 0.0
    return tensor + rng.standard_normal(tensor.shape).astype(tensor.dtype) * np.float32(scale * std)


def _int8(tensor: np.ndarray) -> np.ndarray:
    if tensor.ndim < 2:
        return tensor
    scale = np.abs(tensor).max(axis=-1, keepdims=True) / 127.0
    scale[scale == 0] = 1.0
    return (np.clip(np.round(tensor / scale), -127, 127) * scale).astype(tensor.dtype)


def transform(recipe: str, seed: int) -> Callable[[str, np.ndarray], np.ndarray]:
    """The per-tensor function of a recipe (see the module docstring); ValueError for an unknown one."""
    kind, _, value = recipe.partition(":")
    if kind == "fp16" and not value:
        return lambda _name, t: t.astype(np.float16).astype(t.dtype)
    if kind == "int8" and not value:
        return lambda _name, t: _int8(t)
    try:
        amount = float(value)
    except ValueError:
        amount = float("nan")
    if kind in ("noise", "interp") and np.isfinite(amount) and amount >= 0:
        def apply(name: str, tensor: np.ndarray) -> np.ndarray:
            # one generator per tensor, seeded by (seed, name): independent of the tensor order
            rng = np.random.default_rng([seed, *name.encode()])
            if kind == "noise":
                return _noise(tensor, amount, rng)
            return ((1 - amount) * tensor + amount * _noise(tensor, INTERP_NOISE, rng)).astype(tensor.dtype)

        return apply
    raise ValueError(f"unknown variant {recipe!r}; choose fp16, int8, noise:S or interp:A (S, A >= 0)")


def variant_name(recipe: str) -> str:
    return recipe.replace(":", "-")


def make_variants(base: Path, out: Path, recipes: Sequence[str], seed: int = 0) -> list[Path]:
    """Write one folder per recipe under `out` (reused when its variant.json matches); their paths."""
    from safetensors.numpy import load_file, save_file

    weights = base / WEIGHTS
    if not weights.is_file():
        raise DataError(f"{base} has no {WEIGHTS}: variants need a transformers folder with one safetensors file")
    functions = {recipe: transform(recipe, seed) for recipe in recipes}  # every recipe checked first
    tensors: dict[str, np.ndarray] | None = None
    folders = []
    for recipe, function in functions.items():
        folder = out / variant_name(recipe)
        record = {"base": str(base.resolve()), "recipe": recipe, "seed": seed}
        stamp = folder / "variant.json"
        if stamp.is_file() and json.loads(stamp.read_text()) == record:
            folders.append(folder)
            continue
        if tensors is None:
            tensors = load_file(str(weights))
        partial = out / (variant_name(recipe) + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for item in base.iterdir():
            if item.is_file() and item.name != WEIGHTS and not item.name.endswith(".sha256"):
                shutil.copy2(item, partial / item.name)
        save_file({name: np.ascontiguousarray(function(name, t)) for name, t in tensors.items()}, str(partial / WEIGHTS),
                  metadata={"format": "pt"})
        (partial / "variant.json").write_text(json.dumps(record, indent=1))
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)  # the folder appears complete or not at all
        folders.append(folder)
    return folders
