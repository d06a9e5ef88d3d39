"""Result documents: atomic writes, strict JSON, schema validation with one-line messages."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest

from bench.harness.errors import ResultFileError
from bench.harness.results import (
    json_safe,
    load_result,
    load_samples,
    model_slug,
    validate_result,
    write_json_atomic,
    write_jsonl_atomic,
)

DOCUMENT = {
    "schema_version": "1.0",
    "run_id": "abc12345",
    "created_at": "2026-11-23T20:00:00+00:00",
    "model": {"name": "smollm2", "source": "HuggingFaceTB/SmolLM2-135M-Instruct", "fingerprint": "sha256:00",
              "revision": None, "backend": "hf", "backend_args": {"dtype": "float32"}, "dtype": "float32", "device": "cpu"},
    "config": {"tasks": ["t"], "seed": 1, "limit": None},
    "tasks": {"t": {"name": "t", "version": "1", "config": {}, "headline_metric": "acc", "status": "ok", "error": None,
                    "metrics": [{"name": "acc", "value": 0.5, "direction": "higher", "n": 2, "stderr": 0.5,
                                 "ci_low": None, "ci_high": None, "ci_level": 0.95, "sample_field": "correct", "description": ""}],
                    "samples_file": "samples_t.jsonl", "samples_sha256": None, "n_samples": 2, "plots": [], "extra": {},
                    "wall_time_s": 1.0}},
    "provenance": {"bench_version": "0.1.0", "git_revision": None, "python": "3.11", "packages": {}, "hardware": {},
                   "seed": 1, "started_at": "2026-11-23T20:00:00+00:00", "wall_time_s": 1.0, "requests": 2, "cache_hits": 0},
}


def test_a_complete_document_validates_and_loads_with_its_samples(tmp_path: Path):
    write_json_atomic(tmp_path / "result.json", DOCUMENT)
    write_jsonl_atomic(tmp_path / "samples_t.jsonl", [{"id": "a", "correct": 1.0}, {"id": "b", "correct": 0.0}])
    assert load_result(tmp_path) == DOCUMENT
    assert [s["id"] for s in load_samples(tmp_path / "result.json", "t")] == ["a", "b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json", "samples_t.jsonl"]  # no temporary files left


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["tasks"]["t"]["metrics"][0].update(direction="up"), "at tasks.t.metrics.0.direction: 'up' is not one of"),
        (lambda d: d["tasks"]["t"]["metrics"][0].pop("n"), "at tasks.t.metrics.0: 'n' is a required property"),
        (lambda d: d["model"].pop("fingerprint"), "at model: 'fingerprint' is a required property"),
        (lambda d: d.update(tasks={}), "at tasks: {} should be non-empty"),
        (lambda d: d.update(schema_version="0.9"), "at schema_version: '1.0' was expected"),
    ],
)
def test_invalid_documents_are_rejected_with_the_location_of_the_problem(edit, message):
    document = copy.deepcopy(DOCUMENT)
    edit(document)
    with pytest.raises(ResultFileError) as info:
        validate_result(document, where="doc")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_nan_and_infinity_become_null_and_tuples_lists():
    assert json_safe({"a": math.nan, "b": (1, math.inf), "c": 2.5}) == {"a": None, "b": [1, None], "c": 2.5}


def test_unknown_task_in_samples_lookup_names_the_available_ones(tmp_path: Path):
    write_json_atomic(tmp_path / "result.json", DOCUMENT)
    with pytest.raises(ResultFileError, match="has no task 'x'; it has: t"):
        load_samples(tmp_path / "result.json", "x")


def test_corrupt_samples_line_is_reported_with_its_number(tmp_path: Path):
    write_json_atomic(tmp_path / "result.json", DOCUMENT)
    (tmp_path / "samples_t.jsonl").write_text('{"id": "a"}\n{broken\n')
    with pytest.raises(ResultFileError, match="line 2 is not JSON"):
        load_samples(tmp_path / "result.json", "t")


def test_written_json_is_strict(tmp_path: Path):
    write_json_atomic(tmp_path / "x.json", {"v": math.nan})
    assert json.loads((tmp_path / "x.json").read_text(), parse_constant=lambda c: pytest.fail(c)) == {"v": None}


def test_model_slug_is_a_safe_folder_name():
    assert model_slug("/models/my ckpt/") == "models__my__ckpt"
    assert model_slug("org/name") == "org__name"
