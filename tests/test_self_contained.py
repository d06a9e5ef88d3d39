"""The repository stands alone: no file names the team's scratch folder or a machine's absolute path.

A user of the project has neither, so documentation and code must say everything themselves
(design and rationale live in docs/architecture.md and docs/design-notes.md). This file is the one
place allowed to spell the patterns, which is why they are built from pieces below.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
THIS_FILE = Path(__file__).resolve()

SHARED = "shared"
FORBIDDEN = [
    re.compile(r"\.\./" + SHARED),  # the scratch folder beside the checkout
    re.compile(r"/[a-z]+/" + SHARED + "/"),  # ... by its absolute path
    # a machine's home or work folder followed by a path in it (a bare "/work/" in a test is not a path)
    re.compile(r"(?<![\w.~])/(?:work|root|home/[\w.-]+|Users/[\w.-]+)/[\w.-]+"),
]


def tracked_text_files() -> list[Path]:
    """Files git tracks (plus untracked, not ignored ones), or every file outside build folders."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO_ROOT, capture_output=True, check=True, timeout=60,
        ).stdout.decode()
        paths = [REPO_ROOT / p for p in out.split("\0") if p]
    except (OSError, subprocess.CalledProcessError):  # an unpacked sdist has no git
        skip = {".git", ".venv", "build", "dist", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
        paths = [p for p in REPO_ROOT.rglob("*") if p.is_file() and not skip & set(p.relative_to(REPO_ROOT).parts)]
    return [p for p in paths if p.is_file() and not p.is_symlink()]


def offending_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if any(p.search(line) for p in FORBIDDEN)]


def test_no_file_names_the_scratch_folder_or_a_machine_path() -> None:
    found = []
    for path in tracked_text_files():
        if path.resolve() == THIS_FILE:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary data (weights, pickles, images)
        found += [f"{path.relative_to(REPO_ROOT)}: {line}" for line in offending_lines(text)]
    assert found == []


def test_the_patterns_catch_what_they_are_for() -> None:
    dotdot = "../" + SHARED
    assert offending_lines(f"see {dotdot}/DESIGN.md")
    assert offending_lines(f"data copied from /work/{SHARED}/data/x.csv")
    assert offending_lines("cache in /root/.cache/bench")
    assert offending_lines("checkout at /home/alice/bench")
    assert not offending_lines("results/smollm2/run/result.json and ~/.cache/bench/models/")
    assert not offending_lines("https://example.org/work/shared-things and bench.harness/work/")
