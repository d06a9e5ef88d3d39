"""Architecture family, parameter count and context length from model configs (no weights needed)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from bench.harness.architecture import (
    architecture_family,
    architecture_from_folder,
    context_length,
    safetensors_parameter_count,
)
from bench.harness.schema.document import ModelRecord

# Trimmed from the models' published config.json files: the keys the detection reads.
CONFIGS = {
    "llama": ({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "num_attention_heads": 32,
               "max_position_embeddings": 8192}, "attention", 8192),
    "mistral": ({"architectures": ["MistralForCausalLM"], "model_type": "mistral", "num_attention_heads": 32,
                 "max_position_embeddings": 32768}, "attention", 32768),
    "qwen2": ({"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "num_attention_heads": 14,
               "max_position_embeddings": 32768}, "attention", 32768),
    "gpt2": ({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_head": 12, "n_positions": 1024},
             "attention", 1024),
    "mamba": ({"architectures": ["MambaForCausalLM"], "model_type": "mamba", "hidden_size": 768,
               "state_size": 16}, "recurrent", None),
    "mamba2": ({"architectures": ["Mamba2ForCausalLM"], "model_type": "mamba2"}, "recurrent", None),
    "falcon_mamba": ({"architectures": ["FalconMambaForCausalLM"], "model_type": "falcon_mamba"}, "recurrent", None),
    "rwkv": ({"architectures": ["RwkvForCausalLM"], "model_type": "rwkv", "context_length": 1024},
             "recurrent", None),
    "rwkv6 remote code": ({"architectures": ["Rwkv6ForCausalLM"], "model_type": "rwkv6"}, "recurrent", None),
    "jamba": ({"architectures": ["JambaForCausalLM"], "model_type": "jamba", "num_attention_heads": 32,
               "max_position_embeddings": 262144}, "hybrid", 262144),
    "recurrentgemma": ({"architectures": ["RecurrentGemmaForCausalLM"], "model_type": "recurrent_gemma",
                        "num_attention_heads": 10, "attention_window_size": 2048}, "hybrid", None),
    "zamba2": ({"architectures": ["Zamba2ForCausalLM"], "model_type": "zamba2", "num_attention_heads": 32,
                "max_position_embeddings": 4096}, "hybrid", 4096),
    "hybrid by class name only": ({"architectures": ["JambaForCausalLM"]}, "hybrid", None),
    "multimodal wrapper": ({"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
                            "text_config": {"model_type": "gemma3_text", "num_attention_heads": 8,
                                            "max_position_embeddings": 131072}}, "attention", 131072),
    "empty": ({}, "unknown", None),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_family_and_context_length_from_config(name: str) -> None:
    config, family, length = CONFIGS[name]
    assert architecture_family(config) == family
    assert context_length(config) == length


def _write_safetensors(path: Path, shapes: dict[str, list[int]]) -> None:
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape in shapes.items():
        size = 4
        for dim in shape:
            size *= dim
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    blob = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(blob)) + blob + b"\0" * offset)


def test_parameter_count_from_safetensors_headers_counts_a_tied_head_once(tmp_path: Path) -> None:
    shapes = {"model.embed_tokens.weight": [10, 4], "model.layers.0.w": [4, 4], "lm_head.weight": [10, 4]}
    _write_safetensors(tmp_path / "model.safetensors", shapes)
    assert safetensors_parameter_count([tmp_path / "model.safetensors"]) == 40 + 16 + 40
    assert safetensors_parameter_count([tmp_path / "model.safetensors"], tied_embeddings=True) == 40 + 16


def test_parameter_count_sums_shards_and_refuses_a_broken_header(tmp_path: Path) -> None:
    _write_safetensors(tmp_path / "a.safetensors", {"x": [3, 5]})
    _write_safetensors(tmp_path / "b.safetensors", {"y": [7]})
    assert safetensors_parameter_count([tmp_path / "a.safetensors", tmp_path / "b.safetensors"]) == 22
    (tmp_path / "c.safetensors").write_bytes(b"\x05\x00")
    assert safetensors_parameter_count([tmp_path / "c.safetensors"]) is None


def test_folder_record_for_an_untied_mamba(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(
        {"architectures": ["MambaForCausalLM"], "model_type": "mamba", "tie_word_embeddings": False}))
    _write_safetensors(tmp_path / "model.safetensors", {"backbone.embeddings.weight": [8, 2], "lm_head.weight": [8, 2]})
    info = architecture_from_folder(tmp_path)
    assert info is not None
    assert (info.family, info.model_type, info.parameter_count, info.context_length) == ("recurrent", "mamba", 32, None)
    assert info.stateful
    assert architecture_from_folder(tmp_path / "missing") is None


def test_model_record_round_trips_the_architecture() -> None:
    record = ModelRecord("m", "src", "fp", "hf", {}, architecture={
        "family": "hybrid", "model_type": "jamba", "architectures": ("JambaForCausalLM",),
        "parameter_count": 12, "context_length": 4096})
    data = record.to_json()
    assert data["architecture"]["architectures"] == ["JambaForCausalLM"]
    assert ModelRecord.from_json(data).architecture_family == "hybrid"
    bare = ModelRecord("m", "src", "fp", "openai", {})
    assert "architecture" not in bare.to_json() and bare.architecture_family == "unknown"
