"""Typed `--model-args` per backend: checked before anything loads, one ConfigError naming the key."""

from __future__ import annotations

import pytest
from bench.harness.backends.args import HFArgs, OpenAIArgs, VLLMArgs, parse_backend_args
from bench.harness.backends.base import parse_model_args
from bench.harness.backends.hf import HFBackend
from bench.harness.backends.openai import OpenAIBackend
from bench.harness.backends.prompting import common_prefix_len
from bench.harness.errors import ConfigError
from bench.harness.scheduler import check_backend_args


@pytest.mark.parametrize(
    ("args_class", "text", "message"),
    [
        (OpenAIArgs, "max_concurrency=0", "max_concurrency must be >= 1, got 0"),
        (OpenAIArgs, "max_concurrency=abc", "max_concurrency='abc': expected an integer"),
        (OpenAIArgs, "max_retries=-1", "max_retries must be >= 0"),
        (OpenAIArgs, "timeout=0", "timeout must be > 0 seconds"),
        (OpenAIArgs, "max_retry_after=inf", "max_retry_after must be >= 0 seconds"),
        (OpenAIArgs, "loglikelihood=3", "loglikelihood=3: expected true or false"),
        (HFArgs, "batch_size=0", "batch_size must be >= 1, got 0"),
        (HFArgs, "batch_size=true", "batch_size=True: expected an integer"),
        (HFArgs, "dtype=int4", "dtype='int4': expected one of float32, bfloat16, float16, auto"),
        (HFArgs, "device=gpu", "device='gpu': choices are auto, cpu, cuda, cuda:N, mps"),
        (HFArgs, "prefix_cache_gb=-1", "prefix_cache_gb must be >= 0"),
        (HFArgs, "min_shared_prefix=0", "min_shared_prefix must be >= 1"),
        (VLLMArgs, "gpu_memory_utilization=1.5", r"gpu_memory_utilization must be in \(0, 1\]"),
        (VLLMArgs, "max_num_seqs=0", "max_num_seqs must be >= 1"),
        (VLLMArgs, "request_timeout=0", "request_timeout must be > 0 seconds"),
    ],
)
def test_bad_values_are_config_errors_naming_the_key(args_class, text, message):
    with pytest.raises(ConfigError, match=message):
        parse_backend_args(args_class, "x", parse_model_args(text))


def test_unknown_key_lists_the_valid_keys():
    with pytest.raises(ConfigError, match=r"unknown hf model-args colour, size; choices: add_bos_token, batch_size, device"):
        HFBackend.parse_args({"colour": "red", "size": 3})


def test_valid_values_become_a_typed_frozen_record():
    args = OpenAIBackend.parse_args(parse_model_args("base_url=http://h/v1,timeout=5,max_concurrency=3,loglikelihood=true"))
    assert args == OpenAIArgs(base_url="http://h/v1", timeout=5.0, max_concurrency=3, loglikelihood=True)
    assert isinstance(args.timeout, float)  # an integer is accepted for a float field
    with pytest.raises(AttributeError):
        args.timeout = 1.0  # type: ignore[misc]
    assert HFBackend.parse_args({}) == HFArgs()


def test_scheduler_checks_batch_size_and_model_args_without_loading_anything():
    assert check_backend_args("hf", {"dtype": "bfloat16"}, "auto") == HFArgs(dtype="bfloat16")
    with pytest.raises(ConfigError, match="--batch-size must be a positive integer or 'auto', got 0"):
        check_backend_args("hf", {}, 0)
    with pytest.raises(ConfigError, match="bad openai model-args: max_concurrency must be >= 1"):
        check_backend_args("openai", {"max_concurrency": 0}, "auto")


@pytest.mark.parametrize("text", ["batch_size=0", "max_length=abc", "dtype=int4", "nonsense=1"])
def test_bad_hf_args_exit_2_with_one_line_before_the_model_loads(bench_main, tmp_path, text):
    result = bench_main("eval", "--backend", "hf", "--model", "smollm2", "--model-args", text,
                        "--tasks", "arithmetic_dialogue", "--output-path", str(tmp_path / "out"), "--no-progress")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("bench: error:") and text.split("=")[0] in line
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("result.json"))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [([], [1], 0), ([1, 2, 3], [1, 2, 3], 3), ([1, 2, 3], [1, 2], 2), ([1, 2, 3], [1, 9, 3], 1), ([5], [6], 0),
     ((1, 2, 3, 4), [1, 2, 3, 5], 3)],
)
def test_common_prefix_len(a, b, expected):
    assert common_prefix_len(a, b) == expected == common_prefix_len(b, a)
