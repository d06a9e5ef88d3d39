"""Run configuration: config files, value types, task options and output locations, all checked before a model loads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from bench.harness.config import (
    EvalConfig,
    build_task_config,
    check_output_locations,
    parse_task_args,
    read_config_file,
    type_problem,
)
from bench.harness.errors import ConfigError


@dataclass(frozen=True)
class _Options:
    max_tokens: int = 8
    temperature: float = 0.0
    split: str = "test"
    families: tuple[str, ...] = ("a", "b")
    verbose: bool = False
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def test_config_file_values_are_read_with_their_types(tmp_path: Path):
    path = _write(tmp_path, "run.toml", "tasks = 'uno, codegenbias'\nlimit = 3\n[model_args]\ndtype = 'float32'\n"
                  "[task_args.uno]\nmax_turns = 20\n")
    data = read_config_file(path)
    assert data == {"tasks": ["uno", "codegenbias"], "limit": 3, "model_args": {"dtype": "float32"},
                    "task_args": {"uno": {"max_turns": 20}}}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("tasks = ['uno']\nmodel_args = 'dtype=float32'\n", "'model_args' must be a table (mapping), got 'dtype=float32' (str)"),
        ("tasks = ['uno']\nlimit = 'two'\n", "'limit' must be an integer or unset, got 'two' (str)"),
        ("tasks = ['uno']\nlimit = true\n", "'limit' must be an integer or unset, got True (bool)"),
        ("tasks = ['uno']\nseed = 1.5\n", "'seed' must be an integer, got 1.5 (float)"),
        ("tasks = ['uno']\nlog_samples = 'yes'\n", "'log_samples' must be true or false, got 'yes' (str)"),
        ("tasks = [1, 2]\n", "'tasks' must be a list of strings, got [1, 2] (list)"),
        ("tasks = ['uno']\n[task_args]\ncodegenbias = 5\n", "task_args.codegenbias must be a table of that task's options"),
        ("tasks = ['uno']\nmodle = 'x'\n", "unknown keys ['modle']; choices: backend, batch_size, cache_path"),
    ],
)
def test_config_file_value_of_the_wrong_type_names_the_key(tmp_path: Path, content: str, message: str):
    path = _write(tmp_path, "run.toml", content)
    with pytest.raises(ConfigError) as raised:
        read_config_file(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.toml", "does not exist"),
        (lambda d: (d / "folder.toml").mkdir() or d / "folder.toml", "is a folder"),
        (lambda d: _write(d, "binary.toml", b"\x89PNG\r\n\x1a\n\x00\xff\xfe"), "is not a UTF-8 text file"),
        (lambda d: _write(d, "nul.json", b'{"tasks": "uno"}\x00'), "contains NUL bytes"),
        (lambda d: _write(d, "run.ini", "tasks = uno"), "must end in .toml, .yaml, .yml or .json"),
        (lambda d: _write(d, "deep.json", "[" * 100_000 + "]" * 100_000), "nested too deeply"),
        (lambda d: _write(d, "list.json", "[1, 2]"), "must hold a table/mapping at the top level"),
        (lambda d: _write(d, "broken.toml", "tasks = ["), "is malformed"),
    ],
)
def test_unreadable_config_file_is_one_config_error(tmp_path: Path, make, message: str):
    with pytest.raises(ConfigError, match=message):
        read_config_file(make(tmp_path))


def test_yaml_and_json_config_files_hold_the_same_keys(tmp_path: Path):
    assert read_config_file(_write(tmp_path, "a.yaml", "tasks: [uno]\nlimit: 2\n")) == {"tasks": ["uno"], "limit": 2}
    assert read_config_file(_write(tmp_path, "a.json", '{"tasks": "uno", "seed": 3}')) == {"tasks": ["uno"], "seed": 3}


@pytest.mark.parametrize(
    ("value", "hint", "problem"),
    [
        (3, int, None),
        (True, int, "must be an integer, got True (bool)"),
        (2, float, None),
        (float("nan"), float, "must be a finite number, got nan (float)"),
        (None, int | None, None),
        ("auto", int | str, None),
        (("a", "b"), tuple[str, ...], None),
        (("a", 1), tuple[str, ...], "must be a list of strings, got ('a', 1) (tuple)"),
        ({"a": {"k": 1}}, dict[str, dict[str, int]], None),
    ],
)
def test_type_problem_follows_the_annotation(value, hint, problem):
    assert type_problem(value, hint) == problem


def test_eval_config_rejects_wrong_types_built_in_code():
    with pytest.raises(ConfigError, match="'seed' must be an integer, got '7' \\(str\\)"):
        EvalConfig(tasks=("uno",), seed="7")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="task_args.uno must be a table"):
        EvalConfig(tasks=("uno",), task_args={"uno": 5})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="--limit must be a positive integer, got 0"):
        EvalConfig(tasks=("uno",), limit=0)


def test_task_options_from_the_cli_are_converted_to_the_annotated_types():
    options = build_task_config("t", _Options, {"temperature": 1, "split": 2024, "families": "x|y", "limit": 4})
    assert options == _Options(temperature=1.0, split="2024", families=("x", "y"), limit=4)
    assert isinstance(options.temperature, float)


def test_a_single_number_for_a_list_option_is_a_one_element_list():
    @dataclass(frozen=True)
    class Seeds:
        seeds: tuple[int, ...] = (1, 2, 3)

    assert build_task_config("t", Seeds, {"seeds": 7}).seeds == (7,)  # `--task-args t.seeds=7`
    assert build_task_config("t", Seeds, {"seeds": "7|8"}).seeds == (7, 8)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"max_tokens": "many"}, "task option t.max_tokens must be a number, got 'many'"),
        ({"verbose": 3}, "task option t.verbose must be true or false, got 3 (int)"),
        ({"families": [["x"], "b"]}, "task option t.families must be a list of strings, got (['x'], 'b') (tuple)"),
        ({"max_tokens": 0}, "task option t.max_tokens is invalid: max_tokens must be >= 1, got 0"),
        ({"colour": "red"}, "task 't' has no option(s) ['colour']; choices: families, limit, max_tokens"),
    ],
)
def test_bad_task_option_names_task_and_key(args, message):
    with pytest.raises(ConfigError) as raised:
        build_task_config("t", _Options, args)
    assert message in str(raised.value)


def test_task_args_string_splits_on_the_first_dot():
    assert parse_task_args("uno.max_turns=20,lm_eval.tasks=a|b") == {"uno": {"max_turns": 20}, "lm_eval": {"tasks": "a|b"}}
    with pytest.raises(ConfigError, match="expected task.key=value"):
        parse_task_args("max_turns=20")


def test_output_and_cache_locations_are_checked_before_the_run(tmp_path: Path):
    a_file = _write(tmp_path, "plain.txt", "x")
    check_output_locations(EvalConfig(tasks=("t",), output_path=str(tmp_path / "new" / "results")))
    assert not (tmp_path / "new").exists()  # checking creates nothing
    with pytest.raises(ConfigError, match="--output-path .* is a file, not a folder"):
        check_output_locations(EvalConfig(tasks=("t",), output_path=str(a_file)))
    with pytest.raises(ConfigError, match="--output-path .* is a file, not a folder"):
        check_output_locations(EvalConfig(tasks=("t",), output_path=str(a_file / "below")))
    with pytest.raises(ConfigError, match="--cache-path .* is a folder; give a file such as"):
        check_output_locations(EvalConfig(tasks=("t",), output_path=str(tmp_path), cache_path=str(tmp_path)))
    with pytest.raises(ConfigError, match="--cache-path .* is a file, not a folder"):
        check_output_locations(EvalConfig(tasks=("t",), output_path=str(tmp_path), cache_path=str(a_file / "c.sqlite")))
    # --no-cache: the cache path is never used, so it is not checked
    check_output_locations(EvalConfig(tasks=("t",), output_path=str(tmp_path), cache_path=str(tmp_path), use_cache=False))


def test_unwritable_output_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)  # permission bits do not bind root: simulate
    with pytest.raises(ConfigError, match="--output-path .* is not writable .*Permission denied"):
        check_output_locations(EvalConfig(tasks=("t",), output_path=str(tmp_path / "out")))
