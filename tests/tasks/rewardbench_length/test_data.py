"""RewardBench pairs: the shipped sample's shape, the hub loader offline, local files, limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.harness.errors import DataError
from bench.metrics.rewardbench_scoring import SECTIONS
from bench.tasks.rewardbench_length.data import load_pairs, load_sample_pairs


def test_sample_covers_every_section_with_lengths_differing_both_ways():
    pairs = load_sample_pairs()
    assert {p.section for p in pairs} == set(SECTIONS)
    subsets = {p.subset for p in pairs}
    assert all(sum(1 for s in subsets if s in members) >= 2 for members in SECTIONS.values())
    for subset in subsets:
        members = [p for p in pairs if p.subset == subset]
        assert any(len(p.chosen) > len(p.rejected) for p in members), subset
        assert any(len(p.chosen) < len(p.rejected) for p in members), subset
    assert len({p.id for p in pairs}) == len(pairs)


def test_limit_takes_pairs_round_robin_over_sections_and_subsets():
    assert [p.section for p in load_pairs("sample", limit=4)] == list(SECTIONS)
    # Safety has 4 subsets in the sample, the others 3: 16 pairs reach all 13 subsets.
    assert len({p.subset for p in load_pairs("sample", limit=12)}) == 12
    assert len({p.subset for p in load_pairs("sample", limit=16)}) == 13
    assert len(load_pairs("sample", limit=100)) == len(load_sample_pairs())


def test_hub_dataset_offline_is_a_one_line_data_error(monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", "/nonexistent-bench-cache")
    with pytest.raises(DataError) as info:
        load_pairs("allenai/reward-bench")
    message = str(info.value)
    assert "allenai/reward-bench" in message and "sample" in message
    assert "\n" not in message


def test_local_jsonl_and_columnar_json_files_load(tmp_path: Path):
    rows = [
        {"id": 1, "prompt": "p", "chosen": "a", "rejected": "bb", "subset": "hep-go"},
        {"id": 2, "prompt": "q", "chosen": "ccc", "rejected": "d", "subset": "donotanswer"},
    ]
    jsonl = tmp_path / "pairs.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in rows))
    columnar = tmp_path / "pairs.json"
    columnar.write_text(json.dumps({k: [r[k] for r in rows] for k in rows[0]}))
    for path in (jsonl, columnar):
        pairs = load_pairs(str(path))
        assert [(p.id, p.subset, p.rejected) for p in pairs] == [("1", "hep-go", "bb"), ("2", "donotanswer", "d")]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"id": 1, "prompt": "p", "chosen": "a", "rejected": "b", "subset": "nope"}, "unknown subset 'nope'"),
        ({"id": 1, "prompt": "p", "chosen": "a", "subset": "hep-go"}, "lacks rejected"),
    ],
)
def test_bad_response_rows_name_the_file_and_problem(tmp_path: Path, row, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([row]))
    with pytest.raises(DataError, match=message) as info:
        load_pairs(str(path))
    assert str(path) in str(info.value)


def test_unknown_source_is_rejected():
    with pytest.raises(DataError, match="neither"):
        load_pairs("no/such-dataset-or-file")
