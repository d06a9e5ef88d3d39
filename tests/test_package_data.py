"""Every data file inside the source folders is matched by pyproject's package-data patterns, so a
wheel (not only an editable install) carries it: tasks read their data from their own folder."""

from __future__ import annotations

import tomllib
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = ("harness", "tasks", "metrics", "arenas", "leaderboards")  # setup.py's


def _patterns() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(config["tool"]["setuptools"]["package-data"]["*"])


def _matches(relative: str, pattern: str) -> bool:
    """setuptools' glob on a path relative to its package folder: "**/" matches zero or more folders,
    "*" never crosses "/"."""
    path = PurePosixPath(relative)
    if pattern.startswith("**/"):
        return path.match(pattern[3:])  # PurePath.match anchors at the right: any folders before
    return len(path.parts) == len(PurePosixPath(pattern).parts) and path.match(pattern)


def _package_relative(path: Path) -> str:
    """`path` relative to the nearest folder above it that is a package (has __init__.py)."""
    folder = path.parent
    while not (folder / "__init__.py").is_file():
        folder = folder.parent
    return path.relative_to(folder).as_posix()


def test_every_data_file_in_the_source_folders_is_package_data() -> None:
    patterns = _patterns()
    unmatched = []
    for root in SOURCE_ROOTS:
        for path in (ROOT / root).rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            if not any(_matches(_package_relative(path), p) for p in patterns):
                unmatched.append(path.relative_to(ROOT).as_posix())
    assert not unmatched, f"not in [tool.setuptools.package-data] (a wheel would lack them): {unmatched}"


def test_the_patterns_reach_into_data_folders() -> None:
    patterns = _patterns()
    assert any(_matches("data/nltk/tokenizers/punkt_tab/english/collocations.tab", p) for p in patterns)
    assert any(_matches("dqn_uno.safetensors", p) for p in patterns)  # zero folders deep
    assert not any(_matches("data/engine.csv", p) for p in patterns)
    assert not _matches("data/x.jsonl", "*.jsonl")  # the old, top-level-only pattern


def test_every_source_folder_with_python_files_is_a_package_so_a_wheel_carries_it() -> None:
    # setup.py lists packages with find_packages, which skips a folder without __init__.py: an
    # editable install still imports it, but a wheel (pip install .) silently lacks its modules.
    missing = sorted(
        {path.parent.relative_to(ROOT).as_posix() for root in SOURCE_ROOTS for path in (ROOT / root).rglob("*.py")
         if "__pycache__" not in path.parts and not (path.parent / "__init__.py").is_file()}
    )  # fmt: skip
    assert not missing, f"folders with .py files but no __init__.py (missing from a wheel): {missing}"
