"""`bench gate` on the command line: exit codes 0/1/2, one-line error messages, report files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.harness.cli import main
from test_gate import binary_task, write_run


def gate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["gate", *args])
    out, err = capsys.readouterr()
    # Other plugins' sub-commands that fail to load warn on stderr; that is not the gate's output.
    err = "".join(line for line in err.splitlines(keepends=True) if not line.startswith("bench: warning:"))
    return code, out, err


@pytest.fixture
def runs(tmp_path: Path) -> dict[str, Path]:
    return {
        "base": write_run(tmp_path / "base", {"qa": binary_task([1] * 12)}),
        "same": write_run(tmp_path / "same", {"qa": binary_task([1] * 12)}),
        "worse": write_run(tmp_path / "worse", {"qa": binary_task([0] * 12)}),
        "v2": write_run(tmp_path / "v2", {"qa": binary_task([1] * 12)}, version="2"),
        "other": write_run(tmp_path / "other", {"other": binary_task([1] * 12)}),
    }


def test_no_regression_exits_zero_and_prints_markdown(capsys: pytest.CaptureFixture[str], runs: dict[str, Path]) -> None:
    code, out, err = gate(capsys, "--baseline", str(runs["base"]), "--candidate", str(runs["same"]))
    assert code == 0 and err == ""
    assert out.startswith("## ✅ bench gate: no regression")
    assert "| ✅ | qa | accuracy ↑ | 1 | 1 | 0 |" in out


def test_regression_exits_one_and_writes_both_reports(
    capsys: pytest.CaptureFixture[str], runs: dict[str, Path], tmp_path: Path
) -> None:
    md, js = tmp_path / "out" / "gate.md", tmp_path / "out" / "gate.json"
    code, out, _ = gate(capsys, "--baseline", str(runs["base"]), "--candidate", str(runs["worse"].parent),
                        "--markdown", str(md), "--json", str(js))
    assert code == 1
    assert out == md.read_text() and out.startswith("## ❌ bench gate: 1 regression")
    data = json.loads(js.read_text())
    assert data["exit_code"] == 1 and data["regressions"] == ["qa/accuracy"]
    assert data["candidate"]["path"] == str(runs["worse"])


def test_quiet_prints_only_the_verdict(capsys: pytest.CaptureFixture[str], runs: dict[str, Path]) -> None:
    code, out, _ = gate(capsys, "--quiet", "--baseline", str(runs["base"]), "--candidate", str(runs["worse"]))
    assert code == 1 and out == "❌ bench gate: 1 regression (qa/accuracy)\n"


def test_policy_file_changes_the_verdict(capsys: pytest.CaptureFixture[str], runs: dict[str, Path], tmp_path: Path) -> None:
    policy = tmp_path / "gate.toml"
    policy.write_text("[tasks.qa]\nabs_tolerance = 1.0\n")
    code, out, _ = gate(capsys, "--baseline", str(runs["base"]), "--candidate", str(runs["worse"]),
                        "--policy", str(policy))
    assert code == 0 and "within tolerance" in out


def _one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("bench: error: ")
    return err


def test_missing_file_is_exit_two_with_one_line(capsys: pytest.CaptureFixture[str], runs: dict[str, Path], tmp_path: Path) -> None:
    err = _one_line_error(*gate(capsys, "--baseline", str(tmp_path / "missing.json"), "--candidate", str(runs["base"])))
    assert "baseline: result file" in err and "does not exist" in err


def test_schema_invalid_document_is_exit_two(capsys: pytest.CaptureFixture[str], runs: dict[str, Path], tmp_path: Path) -> None:
    document = json.loads(runs["base"].read_text())
    document["tasks"]["qa"]["metrics"][0]["direction"] = "up"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    err = _one_line_error(*gate(capsys, "--baseline", str(runs["base"]), "--candidate", str(bad)))
    assert "candidate: result file" in err and "is invalid at tasks.qa.metrics.0.direction" in err


def test_not_json_is_exit_two(capsys: pytest.CaptureFixture[str], runs: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    err = _one_line_error(*gate(capsys, "--baseline", str(bad), "--candidate", str(runs["base"])))
    assert "is not valid JSON" in err


def test_no_metric_in_common_is_exit_two(capsys: pytest.CaptureFixture[str], runs: dict[str, Path]) -> None:
    err = _one_line_error(*gate(capsys, "--baseline", str(runs["base"]), "--candidate", str(runs["other"])))
    assert "no metric in common" in err


def test_mismatched_task_versions_are_exit_two(capsys: pytest.CaptureFixture[str], runs: dict[str, Path]) -> None:
    err = _one_line_error(*gate(capsys, "--baseline", str(runs["base"]), "--candidate", str(runs["v2"])))
    assert "task 'qa' has version '1' in the baseline but '2' in the candidate" in err


def test_bad_policy_is_exit_two(capsys: pytest.CaptureFixture[str], runs: dict[str, Path], tmp_path: Path) -> None:
    policy = tmp_path / "gate.toml"
    policy.write_text("alpha = 'low'\n")
    err = _one_line_error(*gate(capsys, "--baseline", str(runs["base"]), "--candidate", str(runs["same"]),
                                "--policy", str(policy)))
    assert "gate policy: alpha has the wrong type" in err


def test_report_path_that_is_a_folder_is_exit_two(capsys: pytest.CaptureFixture[str], runs: dict[str, Path], tmp_path: Path) -> None:
    err = _one_line_error(*gate(capsys, "--baseline", str(runs["base"]), "--candidate", str(runs["same"]),
                                "--json", str(tmp_path)))
    assert "is a folder" in err


def test_missing_candidate_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str], runs: dict[str, Path]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["gate", "--baseline", str(runs["base"])])
    assert exit_info.value.code == 2
    assert "the following arguments are required: --candidate" in capsys.readouterr().err


def test_nan_candidate_metric_is_exit_one_naming_the_metric(
    capsys: pytest.CaptureFixture[str], runs: dict[str, Path]
) -> None:
    runs["worse"].write_text(runs["worse"].read_text().replace('"value": 0.0', '"value": NaN'))
    code, out, _ = gate(capsys, "--quiet", "--baseline", str(runs["base"]), "--candidate", str(runs["worse"]))
    assert code == 1 and out == "❌ bench gate: 1 missing value (qa/accuracy)\n"


def test_tampered_samples_file_is_exit_two_with_one_line(capsys: pytest.CaptureFixture[str], runs: dict[str, Path]) -> None:
    samples = runs["same"].parent / "samples_0.jsonl"
    samples.write_text(samples.read_text().replace('"correct": 1.0', '"correct": 0.0'))
    err = _one_line_error(*gate(capsys, "--baseline", str(runs["base"]), "--candidate", str(runs["same"])))
    assert "does not match its samples_sha256" in err and "samples_0.jsonl" in err


def test_samples_path_escaping_the_run_folder_is_exit_two(capsys: pytest.CaptureFixture[str], runs: dict[str, Path]) -> None:
    document = json.loads(runs["same"].read_text())
    document["tasks"]["qa"]["samples_file"] = "../../../../etc/passwd"
    runs["same"].write_text(json.dumps(document))
    err = _one_line_error(*gate(capsys, "--baseline", str(runs["base"]), "--candidate", str(runs["same"])))
    assert "must be a relative path inside the run folder" in err


def test_deeply_nested_json_is_exit_two_not_a_recursion_error(
    capsys: pytest.CaptureFixture[str], runs: dict[str, Path], tmp_path: Path
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    err = _one_line_error(*gate(capsys, "--baseline", str(runs["base"]), "--candidate", str(deep)))
    assert "nested too deeply" in err
