"""Atomic writes: the file holds the old bytes or the new ones, and no temporary file is left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.harness.atomic_files import write_bytes_atomic


@pytest.mark.parametrize("durable", [True, False])
def test_a_write_replaces_the_file_and_leaves_no_temporary_file(tmp_path: Path, durable: bool) -> None:
    path = tmp_path / "sub" / "plot.png"
    write_bytes_atomic(path, b"old", durable=durable)
    write_bytes_atomic(path, b"new", durable=durable)
    assert path.read_bytes() == b"new"
    assert [p.name for p in path.parent.iterdir()] == ["plot.png"]


def test_a_failed_write_keeps_the_old_file_and_removes_its_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    write_bytes_atomic(path, b"old")
    with pytest.raises(TypeError):
        write_bytes_atomic(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]
