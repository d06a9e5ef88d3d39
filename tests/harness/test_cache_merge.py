"""`bench cache merge`: the union of request caches (one per node of a sweep), written atomically."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.harness.cache import RequestCache


def _fill(bench_main, tmp_path: Path, cache: Path, model: str) -> None:
    result = bench_main(
        "eval", "--backend", "fake", "--model", model, "--tasks", "example_capitals", "--cache-path", str(cache),
        "--output-path", str(tmp_path / "out"), "--no-progress",
    )
    assert result.returncode == 0, result.stderr


def _rows(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT key, answer FROM answers").fetchall())


def test_merged_cache_answers_everything_either_cache_answered(bench_main, tmp_path: Path) -> None:
    a, b = tmp_path / "node-a.sqlite", tmp_path / "node-b.sqlite"
    _fill(bench_main, tmp_path, a, "model-one")
    _fill(bench_main, tmp_path, b, "model-two")
    rows_a, rows_b = _rows(a), _rows(b)
    assert rows_a and rows_b and not set(rows_a) & set(rows_b)
    result = bench_main("cache", "merge", str(a), str(b), "-o", str(tmp_path / "merged.sqlite"))
    assert result.returncode == 0, result.stderr
    assert _rows(tmp_path / "merged.sqlite") == {**rows_a, **rows_b}
    assert f"{tmp_path / 'merged.sqlite'}: {len(rows_a) + len(rows_b)} answers" in result.stdout
    assert not [p for p in tmp_path.iterdir() if ".merging" in p.name]  # no temporary file left
    # A run on the merged cache needs no backend call for either model.
    again = bench_main(
        "eval", "--backend", "fake", "--model", "model-two", "--tasks", "example_capitals", "--model-args", "fail_at=1",
        "--cache-path", str(tmp_path / "merged.sqlite"), "--output-path", str(tmp_path / "again"), "--no-progress",
    )
    assert again.returncode == 0, again.stderr


def test_merge_into_an_existing_cache_keeps_its_rows_first_and_counts_conflicts(bench_main, tmp_path: Path) -> None:
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    _fill(bench_main, tmp_path, a, "model-one")
    rows = _rows(a)
    key = sorted(rows)[0]
    b.write_bytes(a.read_bytes())
    with sqlite3.connect(b) as conn:  # the same request answered differently (a sampling backend)
        conn.execute("UPDATE answers SET answer = ? WHERE key = ?", (rows[key].replace("-", "+", 1), key))
    result = bench_main("cache", "merge", str(b), "-o", str(a))
    assert result.returncode == 0, result.stderr
    assert "1 requests had different answers in different caches; kept the first" in result.stdout
    assert _rows(a) == rows  # the existing output's answers come first


def test_a_corrupt_input_is_one_line_and_leaves_the_output_alone(bench_main, tmp_path: Path) -> None:
    good = tmp_path / "good.sqlite"
    RequestCache(good).close()
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"not a database at all" * 100)
    result = bench_main("cache", "merge", str(good), str(broken), "-o", str(tmp_path / "out.sqlite"))
    assert result.returncode == 2
    assert result.stderr.startswith("bench: error: request cache") and result.stderr.count("\n") == 1
    assert not (tmp_path / "out.sqlite").exists()
    assert not [p for p in tmp_path.iterdir() if ".merging" in p.name]


def test_missing_input_is_one_line(bench_main, tmp_path: Path) -> None:
    result = bench_main("cache", "merge", str(tmp_path / "none.sqlite"), "-o", str(tmp_path / "out.sqlite"))
    assert result.returncode == 2 and "does not exist" in result.stderr
