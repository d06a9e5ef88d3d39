"""Variant checkpoints for an offline study: each recipe changes the weights as documented,
reproducibly, and is recorded; a finished variant is reused; an unknown recipe is refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from bench.harness.errors import DataError
from bench.tasks.cairo.variants import make_variants, transform
from safetensors.numpy import load_file, save_file


@pytest.fixture
def base(tmp_path: Path) -> Path:
    folder = tmp_path / "base"
    folder.mkdir()
    rng = np.random.default_rng(0)
    save_file({"w": rng.standard_normal((4, 8)).astype(np.float32), "b": rng.standard_normal(8).astype(np.float32)},
              str(folder / "model.safetensors"))
    (folder / "config.json").write_text("{}")
    return folder


def test_each_recipe_makes_a_recorded_distinct_folder(base: Path, tmp_path: Path) -> None:
    folders = make_variants(base, tmp_path / "v", ["fp16", "int8", "noise:0.1", "interp:0.5"], seed=3)
    assert [f.name for f in folders] == ["fp16", "int8", "noise-0.1", "interp-0.5"]
    original = load_file(str(base / "model.safetensors"))
    fp16, int8, noise, interp = (load_file(str(f / "model.safetensors")) for f in folders)
    np.testing.assert_array_equal(fp16["w"], original["w"].astype(np.float16).astype(np.float32))
    assert np.abs(int8["w"] - original["w"]).max() <= np.abs(original["w"]).max(axis=1).max() / 127 / 2 + 1e-7
    np.testing.assert_array_equal(int8["b"], original["b"])  # vectors stay as they are
    delta = noise["w"] - original["w"]
    assert 0.05 < delta.std() / original["w"].std() < 0.2
    assert 0 < np.abs(interp["w"] - original["w"]).max() < np.abs(delta).max()
    assert json.loads((folders[2] / "variant.json").read_text())["recipe"] == "noise:0.1"
    assert (folders[0] / "config.json").is_file()


def test_variants_are_reproducible_and_reused(base: Path, tmp_path: Path) -> None:
    [first] = make_variants(base, tmp_path / "a", ["noise:0.02"], seed=1)
    [second] = make_variants(base, tmp_path / "b", ["noise:0.02"], seed=1)
    np.testing.assert_array_equal(load_file(str(first / "model.safetensors"))["w"], load_file(str(second / "model.safetensors"))["w"])
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    make_variants(base, tmp_path / "a", ["noise:0.02"], seed=1)
    assert (first / "model.safetensors").stat().st_mtime_ns == stamp


def test_bad_recipes_and_folders_are_refused(base: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown variant"):
        transform("noise:-1", 0)
    with pytest.raises(ValueError, match="unknown variant"):
        make_variants(base, tmp_path / "v", ["fp16", "prune:0.5"])
    assert not (tmp_path / "v").exists()  # checked before anything is written
    with pytest.raises(DataError, match="model.safetensors"):
        make_variants(tmp_path, tmp_path / "v", ["fp16"])
