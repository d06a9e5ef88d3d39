"""Dead code fails the suite: vulture, at pyproject's [tool.vulture] settings, finds nothing in the
source folders (a name that must stay unused goes into its ignore_names, with the reason)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_vulture_finds_no_unused_code() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "vulture"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_vulture_reports_a_function_nobody_calls(tmp_path: Path) -> None:
    # The check above can fail: the same call on a module with an unused function exits 3.
    (tmp_path / "mod.py").write_text("def used():\n    return 1\n\n\ndef forgotten():\n    return 2\n\n\nused()\n")
    proc = subprocess.run(
        [sys.executable, "-m", "vulture", "--min-confidence", "60", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 3 and "unused function 'forgotten'" in proc.stdout
