"""Which kind of network a model is: its architecture family, parameter count and context length.

Every result document records these (`model.architecture`), so results can be compared by
family (Huang et al., "Do Robot Snakes Dream like Electric Sheep?", Findings of ACL 2025: pure
attention vs recurrent / state-space vs hybrid models hallucinate in different situations).

    family          from the config's `model_type` (or, failing that, its `architectures` class names)
      attention     Llama, Mistral, Qwen, Gemma, Falcon, GPT-2, ... (any other model with attention heads)
      recurrent     Mamba, Mamba-2, FalconMamba, RWKV, xLSTM: a fixed-size state instead of a KV cache
      hybrid        Jamba, RecurrentGemma (Griffin), Zamba, Bamba, Falcon-H1, Nemotron-H: both layer kinds
      unknown       nothing in the config says
    parameter_count from the safetensors headers of the weight files (no weights read; a tied output
                    embedding counted once), else from the loaded model
    context_length  the config's declared maximum positions; None for recurrent models that declare none

Pure functions of a config dict and file headers: the hf backend computes the same record when it
describes a model without loading it and after loading it (the lazy backend checks they agree).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Family = Literal["attention", "recurrent", "hybrid", "unknown"]
FAMILIES: tuple[Family, ...] = ("attention", "recurrent", "hybrid", "unknown")

# transformers `model_type` values; lower-case, '-' read as '_'.
RECURRENT_MODEL_TYPES = frozenset({
    "mamba", "mamba2", "falcon_mamba", "rwkv", "rwkv5", "rwkv6", "rwkv7", "xlstm", "hgrn", "hgrn2", "retnet",
    "mlstm",
})
HYBRID_MODEL_TYPES = frozenset({
    "jamba", "recurrent_gemma", "zamba", "zamba2", "bamba", "falcon_h1", "nemotron_h", "granitemoehybrid",
    "hymba", "lfm2", "qwen3_next", "minimax", "plamo2",
})
# Class-name stems for configs without a usable model_type (remote-code models).
_RECURRENT_STEMS = ("Mamba", "Rwkv", "RWKV", "XLSTM", "xLSTM", "HGRN", "RetNet")
_HYBRID_STEMS = ("Jamba", "RecurrentGemma", "Zamba", "Bamba", "FalconH1", "NemotronH", "Hymba", "Lfm2")
_ATTENTION_KEYS = ("num_attention_heads", "n_head", "n_heads", "num_heads")
_CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length", "n_ctx", "max_seq_len")


@dataclass(frozen=True)
class ArchitectureInfo:
    """What a result document records about the network under test (all fields may be unknown)."""

    family: Family = "unknown"
    model_type: str | None = None
    architectures: tuple[str, ...] = ()
    parameter_count: int | None = None
    context_length: int | None = None

    @property
    def stateful(self) -> bool:
        """Recurrent or hybrid: batching and left padding may change greedy outputs (check them)."""
        return self.family in ("recurrent", "hybrid")


def architecture_family(config: Mapping[str, Any]) -> Family:
    """The family of a transformers config dict (see the module docstring for the table)."""
    model_type = str(config.get("model_type") or "").lower().replace("-", "_")
    text_config = config.get("text_config")
    if model_type in RECURRENT_MODEL_TYPES:
        return "recurrent"
    if model_type in HYBRID_MODEL_TYPES:
        return "hybrid"
    names = [str(a) for a in config.get("architectures") or ()]
    if any(name.startswith(_HYBRID_STEMS) for name in names):
        return "hybrid"
    if any(name.startswith(_RECURRENT_STEMS) for name in names):
        return "recurrent"
    if isinstance(text_config, Mapping) and text_config is not config:
        inner = architecture_family(text_config)
        if inner != "unknown":
            return inner
    # Any other transformers model class, or a config with attention heads, is self-attention.
    return "attention" if names or any(key in config for key in _ATTENTION_KEYS) else "unknown"


def context_length(config: Mapping[str, Any]) -> int | None:
    """The declared maximum sequence length, or None (recurrent models usually declare none)."""
    for source in (config, config.get("text_config")):
        if isinstance(source, Mapping):
            for key in _CONTEXT_KEYS:
                value = source.get(key)
                if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                    return value
    return None


def safetensors_parameter_count(files: Iterable[Path], tied_embeddings: bool = False) -> int | None:
    """Number of parameters in safetensors files, read from their JSON headers (no tensor data).

    The header is 8 bytes (little-endian u64 length) then JSON {name: {"shape": [...], ...}}.
    With `tied_embeddings`, an `lm_head.weight` stored beside the input embedding is not counted
    twice (transformers' `num_parameters()` counts a tied parameter once). None when unreadable.
    """
    shapes: dict[str, list[int]] = {}
    for file in files:
        try:
            with Path(file).open("rb") as fh:
                (length,) = struct.unpack("<Q", fh.read(8))
                if length > 100 * 2**20:
                    return None
                header = json.loads(fh.read(length))
        except (OSError, ValueError, struct.error):
            return None
        for name, entry in header.items():
            if name != "__metadata__" and isinstance(entry, dict):
                shapes[name] = [int(d) for d in entry.get("shape", [])]
    if not shapes:
        return None
    if tied_embeddings and any(name.endswith("embed_tokens.weight") or name.endswith("wte.weight") for name in shapes):
        shapes.pop("lm_head.weight", None)
    total = 0
    for shape in shapes.values():
        count = 1
        for dim in shape:
            count *= dim
        total += count
    return total


def architecture_info(config: Mapping[str, Any], parameter_count: int | None = None) -> ArchitectureInfo:
    """The record for a config dict (and a parameter count found elsewhere)."""
    model_type = config.get("model_type")
    return ArchitectureInfo(
        family=architecture_family(config),
        model_type=str(model_type) if model_type else None,
        architectures=tuple(str(a) for a in config.get("architectures") or ()),
        parameter_count=parameter_count,
        context_length=context_length(config),
    )


def architecture_from_folder(folder: Path) -> ArchitectureInfo | None:
    """The record for a model folder (config.json + *.safetensors); None without a readable config."""
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(config, dict):
        return None
    tied = bool(config.get("tie_word_embeddings", True))
    count = safetensors_parameter_count(sorted(folder.glob("*.safetensors")), tied_embeddings=tied)
    return architecture_info(config, count)
