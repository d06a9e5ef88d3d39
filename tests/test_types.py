"""The type checker runs as part of the test suite (and so in CI), at the level set in pyproject.toml.

mypy is given the folders, not `-p bench.harness ...`: with `-p` it takes the folder
tasks/rewardbench_length/data/ (data files) for the module data.py beside it.

The source folders install under one namespace (`harness/` is `bench.harness`) through the editable
install's import hook, which static checkers cannot follow. `link_tree()` builds
build/typecheck/bench/<folder> -> <folder> symlinks, and pyproject's `mypy_path` points mypy there;
point an editor's checker at the same folder (pyright: `extraPaths = ["build/typecheck"]`).
Run `python tests/test_types.py` to build the tree without running the tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOTS = ("harness", "tasks", "metrics", "arenas", "leaderboards")  # as in setup.py
LINK_TREE = REPO_ROOT / "build" / "typecheck"


def link_tree() -> Path:
    """Create (idempotently) build/typecheck/bench/<root> -> ../../../<root> for every source root."""
    package = LINK_TREE / "bench"
    package.mkdir(parents=True, exist_ok=True)
    for root in SOURCE_ROOTS:
        link = package / root
        target = Path("..", "..", "..", root)
        if link.is_symlink() and Path(os.readlink(link)) == target:
            continue
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target, target_is_directory=True)
    return LINK_TREE


def test_link_tree_maps_the_namespace_onto_the_source_folders() -> None:
    tree = link_tree()
    for root in SOURCE_ROOTS:
        assert (tree / "bench" / root / "__init__.py").resolve() == (REPO_ROOT / root / "__init__.py").resolve()


def test_mypy_passes_on_every_source_package() -> None:
    link_tree()
    packages = [str(Path("build", "typecheck", "bench", root)) for root in SOURCE_ROOTS]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO_ROOT / "pyproject.toml"), *packages],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success" in proc.stdout


if __name__ == "__main__":
    print(link_tree())
