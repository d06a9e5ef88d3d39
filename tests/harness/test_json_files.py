"""harness.json_files: the one reader of a JSON file bench is handed; every failure is one line of
the caller's error type naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.harness.errors import DataError, ResultFileError
from bench.harness.json_files import nesting_depth, parse_json, read_json


def test_reads_the_value(tmp_path: Path):
    (tmp_path / "a.json").write_text('{"x": [1, 2]}', encoding="utf-8")
    assert read_json(tmp_path / "a.json", "score file", DataError) == {"x": [1, 2]}


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "missing.json", "does not exist"),
        (lambda d: (d / "folder").mkdir() or d / "folder", "is a folder, not a JSON file"),
        (lambda d: (d / "bin.json").write_bytes(b"\xff\xfe\x00") and d / "bin.json", "is not a UTF-8 text file"),
        (lambda d: (d / "bad.json").write_text('{"a": 1,\n}') and d / "bad.json", "is not valid JSON: .* at line 2"),
        (lambda d: (d / "deep.json").write_text("[" * 50_000 + "]" * 50_000) and d / "deep.json", "nested too deeply"),
    ],
)
def test_every_failure_is_one_line_of_the_callers_error_naming_the_file(tmp_path: Path, make, expected):
    path = make(tmp_path)
    with pytest.raises(DataError, match=expected) as caught:
        read_json(path, "prompt file", DataError)
    message = str(caught.value)
    assert message.startswith(f"prompt file {str(path)!r} ") and "\n" not in message


def test_parse_json_refuses_nesting_past_the_limit_that_json_itself_accepts():
    assert parse_json("[" * 100 + "]" * 100, "line 1", ResultFileError) is not None
    with pytest.raises(ResultFileError, match=r"^line 1 is nested too deeply \(more than 100 levels"):
        parse_json("[" * 101 + "]" * 101, "line 1", ResultFileError)


def test_nesting_depth_counts_lists_and_objects_without_recursion():
    assert nesting_depth(1) == 0 and nesting_depth([]) == 1 and nesting_depth({"a": [1, {"b": []}]}) == 4
    assert nesting_depth([[[]]]) == 3 and nesting_depth([[[]]], limit=1) == 2
