"""The hf backend's device argument: a device asked for by name must exist, and says which ones do."""

from __future__ import annotations

import pytest
import torch
from bench.harness.backends.hf import _resolve_device
from bench.harness.errors import BackendError


def _visible_gpus() -> int:
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def test_a_gpu_index_past_the_last_one_is_a_backend_error_naming_the_choices() -> None:
    missing = f"cuda:{_visible_gpus()}"
    with pytest.raises(BackendError, match=rf"^device={missing}: .*choices: cpu, auto"):
        _resolve_device(missing)


def test_auto_takes_the_gpu_when_there_is_one_and_cpu_is_always_cpu() -> None:
    assert _resolve_device("auto") == ("cuda" if _visible_gpus() else "cpu")
    assert _resolve_device("cpu") == "cpu"


def test_cuda_on_a_machine_without_a_gpu_names_the_torch_build() -> None:
    if _visible_gpus():
        assert _resolve_device("cuda") == "cuda"
        return
    with pytest.raises(BackendError, match=r"no CUDA GPU is visible \(torch "):
        _resolve_device("cuda")
