"""Typed, validated `--model-args` for every backend, checked before any model loads.

Each backend declares a frozen dataclass of the arguments it accepts (`HFArgs`, `VLLMArgs`,
`OpenAIArgs`, ...) as its `args_class`; `parse_backend_args(args_class, backend, model_args)` turns
the parsed `k=v` dict into that record:

- a key the dataclass does not declare is a ConfigError that lists the valid keys;
- each value must match its field's annotation (`int`, `float` (ints accepted), `bool`, `str`,
  `X | None`, `Literal[...]` choices); booleans are never taken for numbers;
- ranges and choices are checked by the dataclass's own `__post_init__` (raising ValueError),
  which becomes a ConfigError naming the backend and key.

So `max_concurrency=0`, `batch_size=0` or `max_concurrency=abc` fail at planning time with one
line and exit 2, instead of a hang or a backend error after the model has loaded.

This module imports no engine (torch, transformers, vLLM, httpx): the CLI can validate
arguments of any backend in milliseconds.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, TypeVar

from bench.harness.errors import ConfigError

ArgsT = TypeVar("ArgsT")

def parse_backend_args(args_class: type[ArgsT], backend: str, model_args: dict[str, Any] | None) -> ArgsT:
    """`model_args` (a `--model-args` dict) -> a validated `args_class` record; ConfigError otherwise."""
    values = dict(model_args or {})
    fields = {f.name: f for f in dataclasses.fields(args_class)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(
            f"unknown {backend} model-args {', '.join(unknown)}; choices: {', '.join(sorted(fields))}"
        )
    hints = typing.get_type_hints(args_class)
    for key, value in values.items():
        values[key] = _check_type(backend, key, value, hints[key])
    try:
        return args_class(**values)
    except ValueError as exc:
        raise ConfigError(f"bad {backend} model-args: {exc}") from exc


def _check_type(backend: str, key: str, value: Any, annotation: Any) -> Any:
    """`value` if it fits `annotation` (an int is widened to float); ConfigError naming the key otherwise."""
    allowed = _alternatives(annotation)
    for option in allowed:
        if option is type(None) and value is None:
            return None
        if typing.get_origin(option) is Literal and value in typing.get_args(option):
            return value
        if option is bool and isinstance(value, bool):
            return value
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if option is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if option is str and isinstance(value, str):
            return value
    raise ConfigError(f"{backend} model-arg {key}={value!r}: expected {_describe(allowed)}")


def _alternatives(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for arg in typing.get_args(annotation) for a in _alternatives(arg)]
    return [annotation]


def _describe(allowed: list[Any]) -> str:
    names = []
    for option in allowed:
        if typing.get_origin(option) is Literal:
            names.append("one of " + ", ".join(str(v) for v in typing.get_args(option)))
        elif option is type(None):
            names.append("none")
        else:
            names.append({int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(option, str(option)))
    return " or ".join(names)


def require(condition: bool, message: str) -> None:
    """For `__post_init__` range checks: ValueError(message) unless `condition`."""
    if not condition:
        raise ValueError(message)


@dataclasses.dataclass(frozen=True)
class HFArgs:
    """`--model-args` of the hf backend (transformers).

    dtype: float32|bfloat16|float16|auto (default: bfloat16 on CUDA, float32 otherwise);
    device: cpu|cuda|cuda:N|mps|auto; max_length: prompt+answer token limit (default: the model's);
    min_shared_prefix: tokens two requests must share before their prefix is computed once;
    prefix_cache_gb: memory for reusable prompt key/values (0 disables reuse; default 0.5: about
    16 UNO conversations of SmolLM2-135M in float32, and the README's main job peaks under 3 GB; the
    former 2.0 alone took the UNO part of the main job to 3.4 GB resident).
    """

    dtype: Literal["float32", "bfloat16", "float16", "auto"] | None = None
    device: str = "auto"
    gguf_file: str | None = None
    revision: str | None = None
    trust_remote_code: bool = False
    max_length: int | None = None
    min_shared_prefix: int = 16
    batch_size: int | None = None
    add_bos_token: bool = False
    prefix_cache_gb: float = 0.5

    def __post_init__(self) -> None:
        device_ok = self.device in ("auto", "cpu", "cuda", "mps") or (
            self.device.startswith("cuda:") and self.device[5:].isdigit()
        )
        require(device_ok, f"device={self.device!r}: choices are auto, cpu, cuda, cuda:N, mps")
        require(self.max_length is None or self.max_length >= 1, f"max_length must be >= 1, got {self.max_length}")
        require(self.min_shared_prefix >= 1, f"min_shared_prefix must be >= 1, got {self.min_shared_prefix}")
        require(self.batch_size is None or self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}")
        require(0 <= self.prefix_cache_gb < float("inf"), f"prefix_cache_gb must be >= 0, got {self.prefix_cache_gb}")


@dataclasses.dataclass(frozen=True)
class VLLMArgs:
    """`--model-args` of the vllm backend (see harness/backends/vllm.py for what each one does).

    Multi-GPU (docs/multi-gpu.md): tensor_parallel_size, pipeline_parallel_size and
    data_parallel_size go to vLLM's engine unchanged; distributed_executor_backend mp|ray (None:
    vLLM chooses, mp on one node); data_parallel_backend mp|ray places data-parallel replicas
    (ray: across a Ray cluster's nodes). structured_outputs_backend: the grammar engine of
    constrained generation (xgrammar by default, the engine the hf backend uses too).
    """

    dtype: Literal["float32", "bfloat16", "float16", "auto"] = "bfloat16"
    max_model_len: int = 2048
    enforce_eager: bool = True
    gpu_memory_utilization: float = 0.85
    tensor_parallel_size: int = 1
    pipeline_parallel_size: int = 1
    data_parallel_size: int = 1
    distributed_executor_backend: Literal["mp", "ray"] | None = None
    data_parallel_backend: Literal["mp", "ray"] | None = None
    structured_outputs_backend: Literal["xgrammar", "guidance", "outlines", "lm-format-enforcer", "auto"] = "xgrammar"
    kv_cache_gb: float = 2.0
    block_size: int | None = None  # KV block (prefix-cache) granularity in tokens; None: vLLM's (128 on CPU)
    seed: int = 0
    max_num_seqs: int | None = None
    batch_size: int | None = None
    add_bos_token: bool = False
    request_timeout: float = 3600.0  # seconds one request may take from submission (queueing included)

    def __post_init__(self) -> None:
        require(
            0 < self.request_timeout < float("inf"), f"request_timeout must be > 0 seconds, got {self.request_timeout}"
        )
        require(self.max_model_len >= 1, f"max_model_len must be >= 1, got {self.max_model_len}")
        require(
            0 < self.gpu_memory_utilization <= 1,
            f"gpu_memory_utilization must be in (0, 1], got {self.gpu_memory_utilization}",
        )
        for name in ("tensor_parallel_size", "pipeline_parallel_size", "data_parallel_size"):
            require(getattr(self, name) >= 1, f"{name} must be >= 1, got {getattr(self, name)}")
        require(0 < self.kv_cache_gb < float("inf"), f"kv_cache_gb must be > 0, got {self.kv_cache_gb}")
        require(self.max_num_seqs is None or self.max_num_seqs >= 1, f"max_num_seqs must be >= 1, got {self.max_num_seqs}")
        require(self.batch_size is None or self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}")
        require(self.block_size is None or self.block_size >= 1, f"block_size must be >= 1, got {self.block_size}")


@dataclasses.dataclass(frozen=True)
class OpenAIArgs:
    """`--model-args` of the openai backend (any OpenAI-compatible server).

    base_url: default $OPENAI_BASE_URL or http://127.0.0.1:8000/v1; api_key_env: the variable
    holding the key (the key itself is never recorded); max_concurrency: requests in flight
    (default: batch_size, else 8); timeout: seconds per HTTP attempt; max_retries: retries of 429,
    5xx, timeouts and dropped connections; max_retry_after: cap in seconds on a server's
    `Retry-After` (and on any backoff wait); request_deadline: seconds one request may take in
    all, every attempt and wait included; loglikelihood: the server echoes prompt log-probs;
    structured_outputs: what the server takes for constrained generation and sampling extras:
    openai (`response_format` JSON schema: json constraints only), vllm (vLLM serve's
    `structured_outputs` choice / regex / json, and `top_k`), none (no constraints).
    """

    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    max_concurrency: int | None = None
    timeout: float = 120.0
    max_retries: int = 5
    max_retry_after: float = 60.0
    request_deadline: float = 600.0
    loglikelihood: bool = False
    batch_size: int | None = None
    structured_outputs: Literal["openai", "vllm", "none"] = "openai"

    def __post_init__(self) -> None:
        require(
            self.base_url is None or self.base_url.startswith(("http://", "https://")),
            f"base_url must start with http:// or https://, got {self.base_url!r}",
        )
        require(bool(self.api_key_env), "api_key_env must name an environment variable")
        require(
            self.max_concurrency is None or self.max_concurrency >= 1,
            f"max_concurrency must be >= 1, got {self.max_concurrency}",
        )
        require(0 < self.timeout < float("inf"), f"timeout must be > 0 seconds, got {self.timeout}")
        require(self.max_retries >= 0, f"max_retries must be >= 0, got {self.max_retries}")
        require(0 <= self.max_retry_after < float("inf"), f"max_retry_after must be >= 0 seconds, got {self.max_retry_after}")
        require(0 < self.request_deadline < float("inf"), f"request_deadline must be > 0 seconds, got {self.request_deadline}")
        require(self.batch_size is None or self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}")
