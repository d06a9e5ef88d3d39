"""Shared fixtures: the real embedded model (loaded once per session), the fake backend, CLI runners.

Two ways to run the CLI: `bench_main` calls `main(argv)` in this process (milliseconds; use it
unless the test needs a real process: signals, exit on a crash, a fresh interpreter's imports),
`bench_cli` runs it in a subprocess. Both register the test suite's own tasks.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# Tests never reach a model or dataset hub: everything they load is local or made by the test.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
# One torch/OpenMP thread here and in every bench subprocess (they inherit os.environ): on the two
# shared CI cores, two threads per process spin against each other and any other load (measured
# 5x slower per test under load ~4; set before anything imports torch).
os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent
CLI_WITH_TEST_TASKS = REPO_ROOT / "tests" / "harness" / "bench_with_test_tasks.py"
sys.path.insert(0, str(REPO_ROOT / "tests" / "harness"))  # the test-only tasks (dialogue_task, ...)


# Under pytest-xdist (`-n 2 --dist loadgroup`, the README's test command) each group runs on one
# worker, one test at a time: vLLM engines and the OpenAI-compatible server (each sized for the
# machine's memory) never run two at once, nor do two local Ray clusters.
XDIST_GROUPS: dict[str, Callable[[pytest.Item], bool]] = {
    "vllm": lambda item: item.get_closest_marker("vllm") is not None,
    "ray": lambda item: item.path.parent.name == "sweep" and "ray" in item.path.name,
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--gpu-device", default=None, metavar="DEVICE",
        help="run the tests marked gpu (tests/gpu/) on DEVICE, e.g. cuda or cuda:0; without it they are deselected",
    )  # fmt: skip


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the xdist_group markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The GPU tests need a CUDA machine, which CI never has: they are deselected (not skipped,
    # so nothing counts as passed) unless --gpu-device names one.
    if config.getoption("--gpu-device") is None:
        deselected = [item for item in items if item.get_closest_marker("gpu") is not None]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if item.get_closest_marker("gpu") is None]
    for item in items:
        for group, belongs in XDIST_GROUPS.items():
            if belongs(item):
                item.add_marker(pytest.mark.xdist_group(group))
                break


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start vLLM's OpenAI-compatible server now when a selected test needs it (fixture `server` of
    tests/harness/test_openai_backend.py): its ~1.5 min start-up, mostly on one core, then runs
    beside the tests before that module instead of in front of its own.

    Under pytest-xdist every worker collects every test, and which worker gets the "vllm" group is
    decided later: there the fixture starts the server when its module begins (the other worker
    goes on meanwhile)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        _check_xdist_applied_the_groups(session)
        return
    if any(item.path.name == "test_openai_backend.py" and "server" in getattr(item, "fixturenames", ())
           for item in session.items):
        import real_openai_server

        real_openai_server.start()


def _check_xdist_applied_the_groups(session: pytest.Session) -> None:
    """Fail the run, rather than run vLLM engines side by side, when `--dist loadgroup` is on but
    xdist did not tag the grouped tests (it marks them by a "@group" suffix on the node id, which
    pytest 9.2 no longer lets it set: pytest-xdist issue #1386; pyproject pins pytest below 9.2).
    Raised in a worker, the error ends the run as an xdist INTERNALERROR (exit 3)."""
    if not getattr(session.config.option, "loadgroup", False):  # set in each worker by xdist
        return
    grouped = [item for item in session.items if item.get_closest_marker("xdist_group") is not None]
    if grouped and not all(item.nodeid.endswith("@" + item.get_closest_marker("xdist_group").args[0]) for item in grouped):
        raise pytest.UsageError(
            "pytest-xdist did not apply the xdist_group markers under --dist loadgroup "
            f"(pytest {pytest.__version__}); install the pytest version pyproject.toml names"
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No server outlives the session, even one whose tests never ran (-x, Ctrl-C)."""
    real_openai_server = sys.modules.get("real_openai_server")
    if real_openai_server is not None:
        real_openai_server.stop()


@pytest.fixture(autouse=True)
def _registry_restored() -> Iterator[None]:
    """Plugins a test registers in-process (`registry.register_task/backend`) end with the test,
    so no test sees another's and listings of choices stay what the entry points declare."""
    from bench.harness import registry

    saved = {group: dict(plugins) for group, plugins in registry._REGISTERED.items()}
    yield
    registry._REGISTERED.clear()
    registry._REGISTERED.update(saved)


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


def _private_cache(args: tuple[str, ...], tmp_path: Path) -> list[str]:
    if args and args[0] == "eval" and "--cache-path" not in args and "--no-cache" not in args:
        return ["--cache-path", str(tmp_path / "cache.sqlite")]
    return []


@pytest.fixture
def bench_cli(tmp_path: Path) -> Callable[..., CliResult]:
    """run_bench with a private request cache under tmp_path unless the test passes --cache-path itself."""

    def run(*args: str, **kwargs: object) -> CliResult:
        return run_bench(*args, *_private_cache(args, tmp_path), **kwargs)  # type: ignore[arg-type]

    return run


def run_bench_in_process(*args: str) -> CliResult:
    """`bench ARGS` through `main(argv)` in this process, with the test-only tasks registered.

    argparse's own exits (`--help`, usage errors) become the CliResult's return code.
    """
    from bench.harness.cli import main
    from bench_with_test_tasks import register_test_tasks

    register_test_tasks()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def bench_main(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Like `bench_cli` but in-process (no interpreter start, no torch import when the run needs none).

    Runs in tmp_path as the working directory, so default output paths land there.
    """
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> CliResult:
        return run_bench_in_process(*args, *_private_cache(args, tmp_path))

    return run


@pytest.fixture
def fake_backend() -> Callable[..., object]:
    """Factory for the deterministic fake backend: fake_backend(text="42", delay=0.01, ...)."""
    from bench.harness.backends.fake import FakeBackend

    def make(model: str = "fake-model", **model_args: object) -> FakeBackend:
        return FakeBackend(model, dict(model_args))

    return make
