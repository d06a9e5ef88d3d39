"""`bench` end to end in subprocesses: a real run, and every bad-input case with its message and exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.harness.results import load_result

pytestmark = pytest.mark.slow

DIALOGUE = ("--tasks", "arithmetic_dialogue", "--task-args", "arithmetic_dialogue.episodes=2,arithmetic_dialogue.turns=2")


def _single_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("bench: error:")]
    assert len(lines) == 1, stderr
    return lines[0]


def test_eval_writes_a_valid_result_document_and_show_prints_it(bench_cli, tmp_path: Path):
    result = bench_cli("eval", *DIALOGUE, "--output-path", str(tmp_path / "out"), "--seed", "7", "--no-progress")
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip().splitlines()[-1].removeprefix("result: "))
    document = load_result(path)
    task = document["tasks"]["arithmetic_dialogue"]
    assert task["status"] == "ok" and task["n_samples"] == 4
    assert document["provenance"]["seed"] == 7 and document["provenance"]["requests"] == 4
    assert document["model"]["fingerprint"].startswith("sha256:")
    assert document["provenance"]["packages"]["torch"].startswith("2.")
    samples = [json.loads(line) for line in (path.parent / task["samples_file"]).read_text().splitlines()]
    assert sorted(s["id"] for s in samples) == ["e0/t0", "e0/t1", "e1/t0", "e1/t1"]
    accuracy = task["metrics"][0]
    assert accuracy["value"] == pytest.approx(sum(s["correct"] for s in samples) / 4)
    assert "accuracy" in result.stdout and "arithmetic_dialogue" in result.stdout
    shown = bench_cli("show", str(path))
    assert shown.returncode == 0 and "accuracy" in shown.stdout and document["run_id"] in shown.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("eval", "--tasks", "nope"), 2, "unknown task 'nope'; choices: "),
        (("eval", "--tasks", "arithmetic_dialogue", "--backend", "tgi"), 2, "unknown backend 'tgi'; choices: hf, openai, vllm"),
        (("eval", "--tasks", "arithmetic_dialogue", "--model", "no/such-model-here"), 3, "cannot load model 'no/such-model-here'"),
        (("eval", "--tasks", "arithmetic_dialogue", "--model", "./missing-folder"), 3, "unknown model './missing-folder'"),
        (("eval", "--tasks", "arithmetic_dialogue", "--model-args", "dtype"), 2, "malformed --model-args item 'dtype'"),
        (("eval", "--tasks", "arithmetic_dialogue", "--model-args", "colour=red"), 2, "unknown hf model-args ['colour']"),
        (("eval", "--tasks", "arithmetic_dialogue", "--task-args", "arithmetic_dialogue.rounds=3"), 2,
         "task 'arithmetic_dialogue' has no option(s) ['rounds']; choices: episodes, max_tokens, turns"),
        (("eval", "--tasks", "arithmetic_dialogue", "--task-args", "arithmetic_dialogue.turns=many"), 2, "must be a number"),
        (("eval", "--tasks", "arithmetic_dialogue", "--limit", "0"), 2, "--limit must be a positive integer"),
        (("eval", "--tasks", "arithmetic_dialogue", "--batch-size", "big"), 2, "--batch-size must be a positive integer or 'auto'"),
        (("eval",), 2, "no tasks given"),
        (("eval", "--tasks", "arithmetic_dialogue", "--limit", "x"), 2, "invalid int value: 'x'"),
    ],
)
def test_bad_input_gets_one_line_error_and_exit_code(bench_cli, tmp_path: Path, args, code, message):
    result = bench_cli(*args, "--output-path", str(tmp_path / "out"), env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == code, result.stderr
    assert message in _single_error_line(result.stderr)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("result.json"))


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("model = 'smollm2'\ntasks = [", ".toml", "is malformed"),
        ("tasks = ['arithmetic_dialogue']\nmodle = 'x'\n", ".toml", "unknown keys ['modle']"),
        ("[1, 2]", ".json", "must hold a table/mapping"),
        ("tasks: [arithmetic_dialogue]\n", ".ini", "must end in .toml, .yaml, .yml or .json"),
    ],
)
def test_malformed_config_file_is_rejected(bench_cli, tmp_path: Path, content, suffix, message):
    config = tmp_path / f"run{suffix}"
    config.write_text(content)
    result = bench_cli("eval", "--config", str(config))
    assert result.returncode == 2
    assert message in _single_error_line(result.stderr)


def test_config_file_supplies_options_and_flags_override_it(bench_cli, tmp_path: Path):
    config = tmp_path / "run.toml"
    config.write_text(
        "tasks = ['arithmetic_dialogue']\nseed = 3\nlimit = 1\n"
        f"output_path = '{tmp_path / 'from-file'}'\n[task_args.arithmetic_dialogue]\nturns = 1\n"
    )
    result = bench_cli("eval", "--config", str(config), "--seed", "5", "--no-progress")
    assert result.returncode == 0, result.stderr
    document = load_result(next((tmp_path / "from-file").rglob("result.json")))
    assert document["provenance"]["seed"] == 5
    assert document["tasks"]["arithmetic_dialogue"]["n_samples"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"schema_version": "1.0"}', "is invalid at (top level): 'run_id' is a required property"),
    ],
)
def test_broken_result_file_is_rejected_by_show(bench_cli, tmp_path: Path, content, message):
    path = tmp_path / "result.json"
    path.write_text(content)
    result = bench_cli("show", str(path))
    assert result.returncode == 2
    assert message in _single_error_line(result.stderr)


def test_show_of_a_missing_file_names_it(bench_cli, tmp_path: Path):
    result = bench_cli("show", str(tmp_path / "none.json"))
    assert result.returncode == 2 and "does not exist" in _single_error_line(result.stderr)


def test_list_names_tasks_backends_and_models(bench_cli):
    assert "hf" in bench_cli("list", "backends").stdout.split()
    assert "smollm2" in bench_cli("list", "models").stdout
    assert "arithmetic_dialogue" in bench_cli("list", "tasks").stdout
