"""Shared fixtures: the real embedded model, loaded once per test session, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# Tests never reach a model or dataset hub: everything they load is local or made by the test.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent
CLI_WITH_TEST_TASKS = REPO_ROOT / "tests" / "harness" / "bench_with_test_tasks.py"


@pytest.fixture(scope="session")
def embedded_hf() -> Iterator[object]:
    """The hf backend on the embedded SmolLM2-135M-Instruct (float32, CPU)."""
    from bench.harness.backends.hf import HFBackend

    backend = HFBackend("smollm2")
    yield backend
    backend.close()


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_bench(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 600) -> CliResult:
    """Run `bench ARGS` in a subprocess (with the test-only tasks registered) and capture its output."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, str(CLI_WITH_TEST_TASKS), *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def bench_cli(tmp_path: Path):
    """run_bench with a private request cache under tmp_path unless the test passes --cache-path itself."""

    def run(*args: str, **kwargs: object) -> CliResult:
        extra: list[str] = []
        if args and args[0] == "eval" and "--cache-path" not in args and "--no-cache" not in args:
            extra = ["--cache-path", str(tmp_path / "cache.sqlite")]
        return run_bench(*args, *extra, **kwargs)  # type: ignore[arg-type]

    return run
