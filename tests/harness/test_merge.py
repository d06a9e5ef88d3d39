"""`bench merge`: the shards of one run join into the unsharded document; every mismatch is one line, exit 2."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

TASKS = "example_capitals,arithmetic_dialogue"


def _eval(bench_main, out: Path, *extra: str, model: str = "capitals-model") -> Path:
    result = bench_main(
        "eval", "--backend", "fake", "--model", model, "--tasks", TASKS, "--output-path", str(out), "--no-progress",
        *extra,
    )
    assert result.returncode == 0, result.stderr
    [path] = out.rglob("result.json")
    return path.parent


@pytest.fixture
def shards(bench_main, tmp_path: Path) -> list[Path]:
    return [_eval(bench_main, tmp_path / f"s{i}", "--shard", f"{i}/3") for i in range(3)]


def _refused(bench_main, *args: str) -> str:
    result = bench_main("merge", *args)
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith("bench: error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def test_merged_shards_equal_the_unsharded_run(bench_main, tmp_path: Path, shards: list[Path]) -> None:
    full = _eval(bench_main, tmp_path / "full")
    result = bench_main("merge", *map(str, reversed(shards)), "-o", str(tmp_path / "merged"))
    assert result.returncode == 0, result.stderr
    merged = json.loads((tmp_path / "merged" / "result.json").read_text())
    unsharded = json.loads((full / "result.json").read_text())
    for name, task in unsharded["tasks"].items():
        assert merged["tasks"][name]["metrics"] == task["metrics"]
        assert merged["tasks"][name]["samples_sha256"] == task["samples_sha256"]  # the same records, byte for byte
        assert merged["tasks"][name]["n_samples"] == task["n_samples"]
    assert "shard" not in merged["config"] or merged["config"]["shard"] is None
    assert [p["shard"] for p in merged["provenance"]["merged_from"]] == ["0/3", "1/3", "2/3"]
    shard_docs = [json.loads((s / "result.json").read_text()) for s in shards]
    assert merged["provenance"]["requests"] == sum(d["provenance"]["requests"] for d in shard_docs)
    first = merged["provenance"]["merged_from"][0]
    assert first["result_sha256"] == hashlib.sha256((shards[0] / "result.json").read_bytes()).hexdigest()


def test_merge_refuses_a_missing_shard(bench_main, tmp_path: Path, shards: list[Path]) -> None:
    error = _refused(bench_main, str(shards[0]), str(shards[2]), "-o", str(tmp_path / "m"))
    assert "shard(s) 1/3 missing (have 0/3, 2/3)" in error
    assert not (tmp_path / "m").exists()


def test_merge_refuses_a_shard_given_twice(bench_main, tmp_path: Path, shards: list[Path]) -> None:
    again = _eval(bench_main, tmp_path / "again", "--shard", "1/3")
    error = _refused(bench_main, *map(str, shards), str(again), "-o", str(tmp_path / "m"))
    assert "shard 1/3 is given twice" in error


def test_merge_refuses_shards_of_another_config_model_or_seed(bench_main, tmp_path: Path, shards: list[Path]) -> None:
    limited = _eval(bench_main, tmp_path / "limited", "--shard", "2/3", "--limit", "2")
    assert "differs from shard 0/3" in _refused(bench_main, str(shards[0]), str(shards[1]), str(limited), "-o", str(tmp_path / "m"))
    other_model = _eval(bench_main, tmp_path / "model", "--shard", "2/3", "--model-args", "seed=5")
    assert "evaluated a different model" in _refused(
        bench_main, str(shards[0]), str(shards[1]), str(other_model), "-o", str(tmp_path / "m")
    )
    seeded = _eval(bench_main, tmp_path / "seed", "--shard", "2/3", "--seed", "99")
    assert "ran with seed 99" in _refused(bench_main, str(shards[0]), str(shards[1]), str(seeded), "-o", str(tmp_path / "m"))


def test_merge_refuses_overlapping_samples(bench_main, tmp_path: Path, shards: list[Path]) -> None:
    # Shard 0 also holds one of shard 1's records (its document re-hashed to match): an overlap.
    document = json.loads((shards[0] / "result.json").read_text())
    task = document["tasks"]["example_capitals"]
    stolen = (shards[1] / "samples_example_capitals.jsonl").read_text().splitlines()[0]
    samples = shards[0] / task["samples_file"]
    samples.write_text(samples.read_text() + stolen + "\n")
    task["samples_sha256"] = hashlib.sha256(samples.read_bytes()).hexdigest()
    (shards[0] / "result.json").write_text(json.dumps(document))
    error = _refused(bench_main, *map(str, shards), "-o", str(tmp_path / "m"))
    assert "task 'example_capitals': sample id" in error and "the shards overlap" in error


def test_merge_refuses_an_unsharded_run_and_a_failed_task(bench_main, tmp_path: Path, shards: list[Path]) -> None:
    full = _eval(bench_main, tmp_path / "full")
    assert "is not a shard" in _refused(bench_main, str(full), str(shards[1]), "-o", str(tmp_path / "m"))
    document = json.loads((shards[2] / "result.json").read_text())
    document["tasks"]["example_capitals"].update(status="failed", error="boom")
    (shards[2] / "result.json").write_text(json.dumps(document))
    error = _refused(bench_main, *map(str, shards), "-o", str(tmp_path / "m"))
    assert "task 'example_capitals' failed in shard 2/3" in error and "(boom); run that shard again" in error
    # The run's other task still merges on its own.
    result = bench_main("merge", *map(str, shards), "-o", str(tmp_path / "m"), "--tasks", "arithmetic_dialogue")
    assert result.returncode == 0, result.stderr
    merged = json.loads((tmp_path / "m" / "result.json").read_text())
    assert list(merged["tasks"]) == ["arithmetic_dialogue"] and merged["config"]["tasks"] == ["arithmetic_dialogue"]
    assert "not in the run" in _refused(bench_main, *map(str, shards), "-o", str(tmp_path / "m2"), "--tasks", "nope")


def test_merge_output_must_be_a_new_folder(bench_main, tmp_path: Path, shards: list[Path]) -> None:
    # A shard folder (or any earlier run) already holds a result.json: nothing is overwritten.
    before = (shards[0] / "result.json").read_bytes()
    assert "already holds a result.json" in _refused(bench_main, *map(str, shards), "-o", str(shards[0]))
    assert (shards[0] / "result.json").read_bytes() == before


def test_shard_from_a_config_file_is_recorded_and_bad_shards_are_one_line(bench_main, tmp_path: Path) -> None:
    config = tmp_path / "run.toml"
    config.write_text('shard = "1/3"\n')
    folder = _eval(bench_main, tmp_path / "s1", "--config", str(config))
    document = json.loads((folder / "result.json").read_text())
    assert document["config"]["shard"] == "1/3"
    for bad in ("3/3", "1of3", "-1/3"):
        result = bench_main("eval", "--backend", "fake", "--model", "m", "--tasks", TASKS, f"--shard={bad}", "--no-progress")
        assert result.returncode == 2 and result.stderr.count("\n") == 1 and "i/n" in result.stderr, (bad, result.stderr)
