"""`bench` end to end: every bad input gets one line and its exit code before any model loads; failed
tasks keep their traceback in the run's log; Ctrl-C exits 130 with one line; a real run on the embedded model.

CLI cases run in-process through `main(argv)` (fixture `bench_main`) on the fake backend; a subprocess
only where it is the point (signals, a real interpreter's start-up).
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bench.harness.results import load_result
from conftest import CLI_WITH_TEST_TASKS

DIALOGUE = ("--tasks", "arithmetic_dialogue", "--task-args", "arithmetic_dialogue.episodes=2,arithmetic_dialogue.turns=2")
FAKE = ("--backend", "fake", "--model", "fake-model")


def _single_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("bench: error:"), stderr
    assert "Traceback" not in stderr
    return lines[0]


def _result_files(folder: Path) -> list[Path]:
    return list(folder.rglob("result.json")) if folder.exists() else []


# ---- bad input: one line, exit 2, nothing run ----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--tasks", "nope"), 2, "unknown task 'nope'; choices: "),
        (("--tasks", "arithmetic_dialogue", "--backend", "tgi"), 2, "unknown backend 'tgi'; choices: fake, hf, openai, vllm"),
        (("--tasks", "arithmetic_dialogue", "--model-args", "dtype"), 2, "malformed --model-args item 'dtype'"),
        (("--tasks", "arithmetic_dialogue", "--backend", "hf", "--model-args", "colour=red"), 2, "unknown hf model-args colour"),
        (("--tasks", "arithmetic_dialogue", "--backend", "hf", "--model-args", "batch_size=0"), 2, "batch_size"),
        (("--tasks", "arithmetic_dialogue", "--task-args", "arithmetic_dialogue.rounds=3"), 2,
         "task 'arithmetic_dialogue' has no option(s) ['rounds']; choices: episodes, max_tokens, turns"),
        (("--tasks", "arithmetic_dialogue", "--task-args", "arithmetic_dialogue.turns=many"), 2,
         "task option arithmetic_dialogue.turns must be a number, got 'many'"),
        (("--tasks", "arithmetic_dialogue", "--task-args", "uno.max_turns=3"), 2, "--task-args name tasks not in this run: ['uno']"),
        (("--tasks", "arithmetic_dialogue", "--limit", "0"), 2, "--limit must be a positive integer"),
        (("--tasks", "arithmetic_dialogue", "--batch-size", "big"), 2, "--batch-size must be a positive integer or 'auto'"),
        ((), 2, "no tasks given"),
        (("--tasks", "arithmetic_dialogue", "--limit", "x"), 2, "invalid int value: 'x'"),
        (("--tasks", "arithmetic_dialogue", "--gate-against", "missing.json"), 2,
         "--gate-against 'missing.json' does not exist"),
        (("--tasks", "arithmetic_dialogue", "--gate-policy", "gate.toml"), 2, "--gate-policy needs --gate-against"),
    ],
)
def test_bad_input_gets_one_line_error_and_exit_code(bench_main, tmp_path: Path, args, code, message):
    result = bench_main("eval", *FAKE, *args, "--output-path", str(tmp_path / "out"))
    assert result.returncode == code, result.stderr
    assert message in _single_error_line(result.stderr)
    assert not (tmp_path / "out").exists()


def test_gate_against_a_file_that_is_not_a_result_document_is_refused_before_the_run(bench_main, tmp_path: Path):
    baseline = tmp_path / "baseline.json"
    baseline.write_text('{"schema_version": "1.0"}')
    result = bench_main("eval", *FAKE, *DIALOGUE, "--gate-against", str(baseline), "--output-path", str(tmp_path / "out"))
    assert result.returncode == 2
    assert str(baseline) in _single_error_line(result.stderr)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flag", ["--output-path", "--cache-path"])
def test_output_or_cache_path_below_a_file_is_refused_before_the_run(bench_main, tmp_path: Path, flag):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    args = ["eval", *FAKE, *DIALOGUE, "--output-path", str(tmp_path / "out"), flag, str(blocker / "sub")]
    result = bench_main(*args)
    assert result.returncode == 2
    assert f"{flag} '{blocker / 'sub'}' cannot be used: '{blocker}' is a file, not a folder" in _single_error_line(result.stderr)
    assert _result_files(tmp_path) == []


def test_cache_path_that_is_a_folder_is_refused(bench_main, tmp_path: Path):
    result = bench_main("eval", *FAKE, *DIALOGUE, "--cache-path", str(tmp_path), "--output-path", str(tmp_path / "out"))
    assert result.returncode == 2 and "is a folder; give a file such as" in _single_error_line(result.stderr)


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("model = 'smollm2'\ntasks = [", ".toml", "is malformed"),
        ("tasks = ['arithmetic_dialogue']\nmodle = 'x'\n", ".toml", "unknown keys ['modle']; choices: backend, batch_size"),
        ("[1, 2]", ".json", "must hold a table/mapping"),
        ("tasks: [arithmetic_dialogue]\n", ".ini", "must end in .toml, .yaml, .yml or .json"),
        ("tasks = ['arithmetic_dialogue']\nmodel_args = 'text=4'\n", ".toml", "'model_args' must be a table (mapping)"),
        ("tasks = ['arithmetic_dialogue']\nlimit = 'two'\n", ".toml", "'limit' must be an integer or unset, got 'two'"),
        ("tasks = ['arithmetic_dialogue']\n[task_args]\narithmetic_dialogue = 5\n", ".toml",
         "task_args.arithmetic_dialogue must be a table of that task's options"),
        ("tasks = ['arithmetic_dialogue']\n[task_args.arithmetic_dialogue]\nturns = 'x'\n", ".toml",
         "task option arithmetic_dialogue.turns must be a number, got 'x'"),
    ],
)
def test_malformed_config_file_is_rejected(bench_main, tmp_path: Path, content, suffix, message):
    config = tmp_path / f"run{suffix}"
    config.write_text(content)
    result = bench_main("eval", "--config", str(config), *FAKE)
    assert result.returncode == 2
    assert message in _single_error_line(result.stderr)


@pytest.mark.parametrize("kind", ["folder", "binary", "missing"])
def test_config_that_is_not_a_readable_text_file_is_one_line(bench_main, tmp_path: Path, kind):
    config = tmp_path / "run.toml"
    if kind == "folder":
        config.mkdir()
    elif kind == "binary":
        config.write_bytes(bytes(range(256)))
    result = bench_main("eval", "--config", str(config))
    assert result.returncode == 2
    line = _single_error_line(result.stderr)
    assert str(config) in line
    assert {"folder": "is a folder", "binary": "not a UTF-8 text file", "missing": "does not exist"}[kind] in line


def test_config_file_supplies_options_and_flags_override_it(bench_main, tmp_path: Path):
    config = tmp_path / "run.toml"
    config.write_text(
        "tasks = ['arithmetic_dialogue']\nseed = 3\nlimit = 1\nbackend = 'fake'\nmodel = 'from-file'\n"
        f"output_path = '{tmp_path / 'from-file'}'\n[task_args.arithmetic_dialogue]\nturns = 1\n"
    )
    result = bench_main("eval", "--config", str(config), "--seed", "5", "--no-progress")
    assert result.returncode == 0, result.stderr
    document = load_result(next((tmp_path / "from-file").rglob("result.json")))
    assert document["provenance"]["seed"] == 5
    assert document["tasks"]["arithmetic_dialogue"]["n_samples"] == 1


# ---- failures while running: one line on the terminal, the traceback in the run log -----------------


def test_failed_task_prints_one_line_and_keeps_the_traceback_in_the_run_log(bench_main, tmp_path: Path):
    args = ("eval", *FAKE, *DIALOGUE, "--model-args", "fail_at=2,fail_with=crash", "--no-progress")
    result = bench_main(*args, "--output-path", str(tmp_path / "out"))
    assert result.returncode == 4
    line = _single_error_line(result.stderr)
    assert line == "bench: error: task 'arithmetic_dialogue' failed: RuntimeError: fake backend failing on request 2 as told (fail_at=2)"
    (result_file,) = _result_files(tmp_path / "out")
    log_text = (result_file.parent / "bench.log").read_text()
    assert "Traceback (most recent call last)" in log_text and "fail_at=2" in log_text
    assert load_result(result_file)["tasks"]["arithmetic_dialogue"]["status"] == "failed"

    verbose = bench_main(*args, "--verbose", "--output-path", str(tmp_path / "verbose"))
    assert verbose.returncode == 4
    assert "Traceback (most recent call last)" in verbose.stderr
    assert verbose.stderr.count("bench: error:") == 1


def test_backend_failure_of_a_task_keeps_its_exit_code(bench_main, tmp_path: Path):
    result = bench_main("eval", *FAKE, *DIALOGUE, "--model-args", "fail_at=1,fail_with=backend", "--no-progress",
                        "--output-path", str(tmp_path / "out"))
    assert result.returncode == 3
    assert "fail_at=1" in _single_error_line(result.stderr)


def _start_slow_run(tmp_path: Path, model_args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CLI_WITH_TEST_TASKS), "eval", *FAKE, "--tasks", "arithmetic_dialogue",
         "--task-args", "arithmetic_dialogue.episodes=6,arithmetic_dialogue.turns=4", "--model-args", model_args,
         "--output-path", str(tmp_path / "out"), "--cache-path", str(tmp_path / "cache.sqlite")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _cached_answers(cache: Path) -> int:
    try:
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=0.1) as db:
            return int(db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize(
    ("model_args", "answered_before_ctrl_c"),
    [
        ("delay=0.3,batch_size=2", True),  # batches of two requests in a worker thread
        ("delay=0.3,continuous=true", True),  # every request handed to the backend at once (like vLLM, HTTP)
        ("delay=4,batch_size=2", False),  # a batch still computing when Ctrl-C comes is not waited for
    ],
)
def test_ctrl_c_mid_run_exits_130_with_one_line_and_the_rerun_resumes(tmp_path: Path, model_args, answered_before_ctrl_c):
    proc = _start_slow_run(tmp_path, model_args)
    deadline = time.monotonic() + 60
    if answered_before_ctrl_c:
        while _cached_answers(tmp_path / "cache.sqlite") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    else:
        while not (tmp_path / "out").exists() and time.monotonic() < deadline:  # the run log appears once it runs
            time.sleep(0.05)
        time.sleep(1.0)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    interrupted_at = time.monotonic()
    stdout, stderr = proc.communicate(timeout=30)
    assert time.monotonic() - interrupted_at < 3.0  # never waits for the batch in flight (8 s in the last case)
    assert proc.returncode == 130, stderr
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith("[bench")]
    assert lines == ["bench: interrupted; answered requests are cached, run the same command again to resume"], stderr
    assert stdout == "" and _result_files(tmp_path / "out") == []
    answered = _cached_answers(tmp_path / "cache.sqlite")
    assert (answered > 0) == answered_before_ctrl_c

    rerun = _start_slow_run(tmp_path, "delay=0," + model_args.split(",", 1)[1])
    stdout, stderr = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, stderr
    document = load_result(Path(stdout.strip().splitlines()[-1].removeprefix("result: ")))
    assert document["provenance"]["cache_hits"] >= answered


# ---- commands --------------------------------------------------------------------------------------


def test_eval_writes_a_result_document_and_show_prints_it(bench_main, tmp_path: Path):
    result = bench_main("eval", *FAKE, *DIALOGUE, "--output-path", str(tmp_path / "out"), "--seed", "7", "--no-progress")
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip().splitlines()[-1].removeprefix("result: "))
    document = load_result(path)
    task = document["tasks"]["arithmetic_dialogue"]
    assert task["status"] == "ok" and task["n_samples"] == 4
    assert document["provenance"]["seed"] == 7 and document["provenance"]["requests"] == 4
    samples = [json.loads(line) for line in (path.parent / task["samples_file"]).read_text().splitlines()]
    assert sorted(s["id"] for s in samples) == ["e0/t0", "e0/t1", "e1/t0", "e1/t1"]
    assert "run " in (path.parent / "bench.log").read_text()
    shown = bench_main("show", str(path))
    assert shown.returncode == 0 and "accuracy" in shown.stdout and document["run_id"] in shown.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"schema_version": "1.0"}', "'run_id' is a required property"),
    ],
)
def test_broken_result_file_is_rejected_by_show(bench_main, tmp_path: Path, content, message):
    path = tmp_path / "result.json"
    path.write_text(content)
    result = bench_main("show", str(path))
    assert result.returncode == 2
    assert message in _single_error_line(result.stderr)


def test_show_of_a_missing_file_names_it(bench_main, tmp_path: Path):
    result = bench_main("show", str(tmp_path / "none.json"))
    assert result.returncode == 2 and "does not exist" in _single_error_line(result.stderr)


def test_list_names_tasks_backends_and_models(bench_main):
    assert "hf" in bench_main("list", "backends").stdout.split()
    assert "smollm2" in bench_main("list", "models").stdout
    assert "arithmetic_dialogue" in bench_main("list", "tasks").stdout


def test_list_tasks_marks_tasks_outside_all_and_names_the_groups(bench_main):
    lines = bench_main("list", "tasks").stdout.splitlines()
    xsum = next(line for line in lines if line.startswith("hallu_xsum "))
    uno = next(line for line in lines if line.startswith("uno "))
    # "-" before the version: hallucination probes run by group, not in --tasks all
    assert re.search(r" -v\d+ ", xsum) and not re.search(r" -v\d+ ", uno)
    assert "group textworld: textworld_tips_cross, textworld_tips_expert, textworld_tips_self" in lines


def test_help_lists_plugin_commands_without_importing_them(bench_main):
    modules_before = set(sys.modules)
    result = bench_main("--help")
    assert result.returncode == 0
    for command in ("eval", "gate", "leaderboard", "calibrate"):
        assert f"    {command}" in result.stdout
    assert "post-hoc length calibration" in result.stdout
    newly = set(sys.modules) - modules_before
    assert not any(m.startswith(("scipy", "bench.tasks.rewardbench_length")) for m in newly), sorted(newly)


def test_a_plugin_command_gets_its_full_parser_when_it_runs(bench_main):
    result = bench_main("calibrate", "--help")
    assert result.returncode == 0 and "--min-count" in result.stdout
    unknown = bench_main("frobnicate")
    assert unknown.returncode == 2 and "invalid choice: 'frobnicate'" in _single_error_line(unknown.stderr)


# ---- the real model ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_eval_on_the_embedded_model_writes_a_valid_result_document(bench_cli, tmp_path: Path):
    result = bench_cli("eval", *DIALOGUE, "--output-path", str(tmp_path / "out"), "--seed", "7", "--no-progress")
    assert result.returncode == 0, result.stderr
    document = load_result(Path(result.stdout.strip().splitlines()[-1].removeprefix("result: ")))
    assert document["tasks"]["arithmetic_dialogue"]["n_samples"] == 4
    assert document["model"]["fingerprint"].startswith("sha256:")
    assert document["provenance"]["packages"]["torch"].startswith("2.")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "message"),
    [("no/such-model-here", "cannot load model 'no/such-model-here'"), ("./missing-folder", "unknown model './missing-folder'")],
)
def test_a_model_that_cannot_be_loaded_is_exit_3(bench_cli, tmp_path: Path, model, message):
    result = bench_cli("eval", *DIALOGUE, "--model", model, "--output-path", str(tmp_path / "out"), env={"HF_HUB_OFFLINE": "1"})
    assert result.returncode == 3, result.stderr
    assert message in _single_error_line(result.stderr)
    assert _result_files(tmp_path / "out") == []


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--ratio", "0", "argument --ratio: must be > 0, got '0'"),
        ("--ratio", "nan", "argument --ratio: expected a finite number, got 'nan'"),
        ("--it", "-1", "argument --it: must be an integer >= 0, got '-1'"),
        ("--min-count", "-5", "argument --min-count: must be an integer >= 1, got '-5'"),
        ("--delta-frac", "-1", "argument --delta-frac: must be between 0 and 1, got '-1'"),
        ("--penalty-coef", "nan", "argument --penalty-coef: expected a finite number, got 'nan'"),
        ("--frac", "0", "argument --frac: must be in (0, 1], got '0'"),
        ("--jobs", "0", "argument --jobs: must be an integer >= 1, got '0'"),
        ("--method", "rc-median", "argument --method: unknown method 'rc-median'; choices: rc_mean, rc_lwr"),
    ],
)
def test_calibrate_rejects_out_of_range_options_in_one_line(bench_main, tmp_path: Path, option, value, message):
    result = bench_main("calibrate", "scores.json", "-o", str(tmp_path / "out"), option, value)
    assert result.returncode == 2
    assert message in _single_error_line(result.stderr)
    assert not (tmp_path / "out").exists()


def test_calibrate_accepts_method_names_as_the_paper_writes_them():
    from bench.tasks.rewardbench_length import calibrate_cli

    assert [calibrate_cli._method_name(m) for m in ("RC-LWR", "rc-lwr", "RC_Mean", "Length-Penalty", "all")] == [
        "rc_lwr", "rc_lwr", "rc_mean", "length_penalty", "all"
    ]


def test_version_is_printed_on_stdout(bench_main):
    result = bench_main("--version")
    assert result.returncode == 0 and result.stdout.startswith("bench ") and result.stderr == ""


def test_main_leaves_the_callers_logging_as_it_was(bench_main, tmp_path: Path):
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    bench_main("-v", "eval", *FAKE, *DIALOGUE, "--no-progress", "--output-path", str(tmp_path / "out"))
    bench_main("eval", *FAKE, "--tasks", "nope")
    assert root.handlers == handlers and root.level == level


def test_run_log_never_records_credentials(bench_main, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import logging

    from bench.harness import registry
    from dialogue_task import ArithmeticDialogueTask

    secret_url = "https://alice:hunter2@api.example.com/v1"

    class LeakyTask(ArithmeticDialogueTask):  # logs a URL with credentials, as httpx does, then fails on it
        name = "leaky"

        async def run(self, ctx):
            logging.getLogger("httpx").info("HTTP Request: POST %s/chat/completions", secret_url)
            raise RuntimeError(f"cannot reach {secret_url}")

    monkeypatch.setattr(registry, "_REGISTERED", {k: dict(v) for k, v in registry._REGISTERED.items()})
    registry.register_task("leaky", LeakyTask)
    result = bench_main("eval", *FAKE, "--tasks", "leaky", "--no-progress", "--output-path", str(tmp_path / "out"))
    assert result.returncode == 4
    line = _single_error_line(result.stderr)
    assert "cannot reach https://" in line and "api.example.com" in line and "hunter2" not in line
    (result_file,) = _result_files(tmp_path / "out")
    log_text = (result_file.parent / "bench.log").read_text()
    assert "api.example.com" in log_text and "RuntimeError" in log_text
    assert "hunter2" not in log_text and "hunter2" not in result_file.read_text()


def test_a_closed_output_pipe_is_exit_141_without_a_traceback() -> None:
    """`bench list tasks | head -1`: the reader leaves early; no BrokenPipeError traceback, and a
    non-zero code (141 = 128 + SIGPIPE) so a piped `bench gate` can never turn into a pass."""
    proc = subprocess.Popen(
        [sys.executable, str(CLI_WITH_TEST_TASKS), "list", "tasks"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    code = proc.wait(timeout=120)
    stderr = proc.stderr.read().decode()
    assert code == 141 and "Traceback" not in stderr and "BrokenPipeError" not in stderr
