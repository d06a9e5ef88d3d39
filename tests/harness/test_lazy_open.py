"""Lazy backend open: a run answered entirely from the request cache never constructs the backend
(never loads weights), and records the same model identity as a run that loaded it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from bench.harness import registry
from bench.harness.backends.base import BackendDescription
from bench.harness.backends.fake import FakeBackend
from bench.harness.backends.lazy import LazyBackend
from bench.harness.errors import BackendError
from bench.harness.scheduler import open_backend


class DescribedFake(FakeBackend):
    """The fake backend, describable without construction; counts its constructions."""

    name = "described_fake"
    constructed: ClassVar[int] = 0

    def __init__(self, model: str = "fake", model_args: dict[str, Any] | None = None, batch_size: int = 16) -> None:
        type(self).constructed += 1
        super().__init__(model, model_args, batch_size)
        self.info = _renamed(self.info)

    @classmethod
    def describe(cls, model: str, model_args: dict[str, Any], batch_size: int | None) -> BackendDescription | None:
        probe = FakeBackend(model, model_args, batch_size or 16)  # a plain FakeBackend: not counted
        return BackendDescription(_renamed(probe.info), probe.capabilities, probe.max_batch_size)


def _renamed(info: Any) -> Any:
    import dataclasses

    return dataclasses.replace(info, backend=DescribedFake.name)


@pytest.fixture(autouse=True)
def _registered() -> None:
    registry.register_backend(DescribedFake.name, DescribedFake)
    DescribedFake.constructed = 0


ARGS = ["eval", "--backend", "described_fake", "--model", "m", "--tasks", "arithmetic_dialogue",
        "--task-args", "arithmetic_dialogue.episodes=2,arithmetic_dialogue.turns=2", "--no-progress"]


def _document(out: Path) -> dict[str, Any]:
    [path] = out.rglob("result.json")
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_fully_cached_repeat_never_constructs_the_backend(bench_main, tmp_path: Path):
    first = bench_main(*ARGS, "--output-path", str(tmp_path / "first"))
    assert first.returncode == 0, first.stderr
    assert DescribedFake.constructed == 1  # the first cache miss loaded it, once

    DescribedFake.constructed = 0
    repeat = bench_main(*ARGS, "--output-path", str(tmp_path / "repeat"))
    assert repeat.returncode == 0, repeat.stderr
    assert DescribedFake.constructed == 0
    loaded, cached = _document(tmp_path / "first"), _document(tmp_path / "repeat")
    assert cached["provenance"]["backend_requests"] == 0 and cached["provenance"]["cache_hits"] == 4
    assert cached["model"] == loaded["model"]
    assert cached["tasks"]["arithmetic_dialogue"]["metrics"] == loaded["tasks"]["arithmetic_dialogue"]["metrics"]


def test_without_a_cache_the_backend_is_opened_at_once(bench_main, tmp_path: Path):
    result = bench_main(*ARGS, "--no-cache", "--output-path", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert DescribedFake.constructed == 1


def test_lazy_backend_loads_on_the_first_batch_and_delegates():
    backend = open_backend("described_fake", "m", {"text": "hi"}, 4, lazy=True)
    assert isinstance(backend, LazyBackend) and not backend.opened and DescribedFake.constructed == 0
    assert backend.name == "described_fake" and backend.max_batch_size == 4 and not backend.continuous
    from bench.harness.requests import CompletionRequest, RequestKind

    [answer] = backend.serve_batch(RequestKind.COMPLETION, [CompletionRequest("x")])
    assert answer.text == "hi" and backend.opened and DescribedFake.constructed == 1
    assert backend.requests_served == 1  # other attributes come from the real backend
    backend.serve_batch(RequestKind.COMPLETION, [CompletionRequest("y")])
    assert DescribedFake.constructed == 1


def test_a_description_that_disagrees_with_the_loaded_backend_is_a_backend_error(monkeypatch):
    backend = open_backend("described_fake", "m", {"text": "hi"}, 4, lazy=True)
    assert isinstance(backend, LazyBackend)
    import dataclasses

    backend._description = dataclasses.replace(
        backend._description, info=dataclasses.replace(backend.info, fingerprint="something-else")
    )
    with pytest.raises(BackendError, match="differently from its description.*fingerprint"):
        backend.open()


def test_bad_backend_args_fail_before_describing_or_loading(bench_main, tmp_path: Path):
    result = bench_main("eval", "--backend", "hf", "--model", "smollm2", "--model-args", "batch_size=0",
                        "--tasks", "arithmetic_dialogue", "--output-path", str(tmp_path / "out"), "--no-progress")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["bench: error: bad hf model-args: batch_size must be >= 1, got 0"]
