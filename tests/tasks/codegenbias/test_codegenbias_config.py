"""Task options are checked when the config is built: out-of-range values fail with a clear message."""

from __future__ import annotations

import pytest
from bench.harness.config import build_task_config
from bench.harness.errors import ConfigError
from bench.tasks.codegenbias.config import MAX_GENERATED_TOKENS, CodeGenBiasConfig, CodeGenBiasGenConfig


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_tokens": 0}, "max_tokens must be between 1 and 4096, got 0"),
        ({"max_tokens": -5}, "max_tokens must be between 1"),
        ({"max_tokens": MAX_GENERATED_TOKENS + 1}, "max_tokens must be between 1 and 4096"),
        ({"split_seed": -1}, "split_seed must be >= 0"),
        ({"sample_seed": -1}, "sample_seed must be >= 0"),
        ({"top_professions": 0}, "top_professions must be between 1 and 320"),
        ({"split": "validation"}, "split must be one of test, train, dev"),
        ({"families": ("haiku",)}, "unknown template families"),
    ],
)
def test_out_of_range_options_raise_value_error_naming_the_option(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CodeGenBiasGenConfig(**options)


def test_defaults_and_limits_are_accepted() -> None:
    assert CodeGenBiasGenConfig().max_tokens == 160
    assert CodeGenBiasGenConfig(max_tokens=1).max_tokens == 1
    assert CodeGenBiasGenConfig(max_tokens=MAX_GENERATED_TOKENS).max_tokens == MAX_GENERATED_TOKENS
    assert CodeGenBiasConfig(split="dev", families=("comment",)).families == ("comment",)


def test_max_tokens_zero_from_the_command_line_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="codegenbias_gen.max_tokens"):
        build_task_config("codegenbias_gen", CodeGenBiasGenConfig, {"max_tokens": "0"})
