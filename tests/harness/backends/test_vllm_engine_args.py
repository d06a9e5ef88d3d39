"""The vllm backend's model args reach vLLM's engine constructor (`AsyncEngineArgs`) unchanged:
multi-GPU sizes and executor backends, the structured-output engine, and bench constraints as
vLLM's `StructuredOutputsParams`. Needs the vllm package, no engine start and no GPU."""

from __future__ import annotations

import pytest
from bench.harness.backends.args import VLLMArgs
from bench.harness.backends.base import parse_model_args
from bench.harness.backends.vllm import VLLMBackend, engine_args, structured_outputs_params
from bench.harness.errors import ConfigError
from bench.harness.requests import Constraint

pytestmark = pytest.mark.vllm


def test_parallel_sizes_and_executor_backends_reach_the_engine_args(tmp_path):
    from vllm.engine.arg_utils import AsyncEngineArgs

    args = VLLMBackend.parse_args(parse_model_args(
        "tensor_parallel_size=4,pipeline_parallel_size=2,data_parallel_size=3,"
        "distributed_executor_backend=ray,data_parallel_backend=ray,structured_outputs_backend=guidance,block_size=32"
    ))
    built = engine_args(args, str(tmp_path), max_num_seqs=32)
    assert isinstance(built, AsyncEngineArgs)
    assert (built.tensor_parallel_size, built.pipeline_parallel_size, built.data_parallel_size) == (4, 2, 3)
    assert built.distributed_executor_backend == "ray"
    assert built.data_parallel_backend == "ray"
    assert built.structured_outputs_config.backend == "guidance"
    assert built.block_size == 32
    assert (built.model, built.max_num_seqs) == (str(tmp_path), 32)


def test_unset_parallel_options_keep_vllms_own_defaults(tmp_path):
    from vllm.engine.arg_utils import AsyncEngineArgs

    built = engine_args(VLLMArgs(), str(tmp_path), max_num_seqs=8)
    defaults = AsyncEngineArgs(model=str(tmp_path))
    for field in ("tensor_parallel_size", "pipeline_parallel_size", "data_parallel_size",
                  "distributed_executor_backend", "data_parallel_backend", "block_size"):
        assert getattr(built, field) == getattr(defaults, field), field
    assert built.structured_outputs_config.backend == "xgrammar"  # the hf backend's grammar engine
    built_mp = engine_args(VLLMArgs(tensor_parallel_size=2, distributed_executor_backend="mp"), str(tmp_path), 8)
    assert (built_mp.tensor_parallel_size, built_mp.distributed_executor_backend) == (2, "mp")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tensor_parallel_size=0", "tensor_parallel_size must be >= 1, got 0"),
        ("pipeline_parallel_size=-2", "pipeline_parallel_size must be >= 1, got -2"),
        ("data_parallel_size=0", "data_parallel_size must be >= 1, got 0"),
        ("tensor_parallel_size=2.5", r"tensor_parallel_size=2\.5: expected an integer"),
        ("data_parallel_size=true", "data_parallel_size=True: expected an integer"),
        ("distributed_executor_backend=slurm", "distributed_executor_backend='slurm': expected one of mp, ray or none"),
        ("block_size=0", "block_size must be >= 1, got 0"),
        ("data_parallel_backend=nccl", "data_parallel_backend='nccl': expected one of mp, ray or none"),
        ("structured_outputs_backend=regex", "structured_outputs_backend='regex': expected one of xgrammar"),
    ],
)
def test_bad_parallel_args_are_config_errors_before_anything_loads(text, message):
    with pytest.raises(ConfigError, match=message):
        VLLMBackend.parse_args(parse_model_args(text))


def test_bad_parallel_args_fail_bench_eval_with_one_line_and_exit_2(bench_main, tmp_path):
    result = bench_main("eval", "--backend", "vllm", "--model-args", "distributed_executor_backend=slurm",
                        "--tasks", "arithmetic_dialogue", "--output-path", str(tmp_path / "out"), "--no-progress")
    assert result.returncode == 2, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert line == "bench: error: vllm model-arg distributed_executor_backend='slurm': expected one of mp, ray or none"


def test_constraints_become_vllm_structured_outputs_params():
    choice = structured_outputs_params(Constraint.choice(["yes", "no"]))
    assert (choice.choice, choice.regex, choice.json) == (["yes", "no"], None, None)
    regex = structured_outputs_params(Constraint.regex(r"\d+"))
    assert (regex.choice, regex.regex, regex.json) == (None, r"\d+", None)
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    json_params = structured_outputs_params(Constraint.json_schema_of(schema))
    assert json_params.json == Constraint.json_schema_of(schema).json_schema and json_params.regex is None
    assert structured_outputs_params(None) is None
