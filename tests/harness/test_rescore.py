"""`bench rescore`: a finished run's metrics recomputed from its samples, without the model."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

from bench.harness import registry
from bench.harness.task import Summary, SummaryContext
from bench.metrics.intervals import metric_value, proportion_estimate
from conftest import CliResult
from example_task import ExampleCapitalsTask


class FixedCapitalsTask(ExampleCapitalsTask):
    """The example task after a "metric fix": accuracy counted out of 100 and a new metrics_version."""

    metrics_version = "2"

    def summarize(self, samples: list[dict[str, Any]], config: Any, ctx: SummaryContext) -> Summary:
        correct = sum(s["correct"] for s in samples)
        estimate = proportion_estimate(correct, len(samples))
        return Summary(metrics=[metric_value("accuracy", estimate, "higher", sample_field="correct")],
                       extra={"percent": 100 * correct / len(samples)})


class ReworkedCapitalsTask(ExampleCapitalsTask):
    version = "2"  # new prompts: records of version 1 are not comparable


def _main_with(task_class: type, *args: str) -> CliResult:
    """`bench ARGS` in-process with `task_class` installed as example_capitals (bench_main would
    register the original again)."""
    from bench.harness.cli import main

    registry.register_task("example_capitals", task_class)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return CliResult(code, out.getvalue(), err.getvalue())


def _run(bench_main, tmp_path: Path) -> Path:
    result = bench_main(
        "eval", "--backend", "fake", "--model", "capitals-model", "--tasks", "example_capitals",
        "--output-path", str(tmp_path / "out"), "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    [path] = (tmp_path / "out").rglob("result.json")
    return path


def test_rescore_in_place_stamps_the_document_and_keeps_the_previous_one(bench_main, tmp_path: Path) -> None:
    path = _run(bench_main, tmp_path)
    before = path.read_bytes()
    result = _main_with(FixedCapitalsTask, "rescore", str(path.parent))
    assert result.returncode == 0, result.stderr
    assert "metrics_version 1 -> 2" in result.stdout
    [kept] = path.parent.glob("result.before-rescore-*.json")
    assert kept.read_bytes() == before
    document = json.loads(path.read_text())
    task = document["tasks"]["example_capitals"]
    assert task["metrics_version"] == "2"
    correct = sum(json.loads(line)["correct"] for line in (path.parent / task["samples_file"]).read_text().splitlines())
    assert task["extra"] == {"percent": 100 * correct / task["n_samples"]}
    stamp = document["provenance"]["rescored"]
    assert stamp["tasks"] == {"example_capitals": {"previous_metrics_version": "1", "metrics_version": "2"}}
    assert stamp["from"] == kept.name and stamp["bench_version"] and "at" in stamp
    # Everything else is the run's own record.
    old = json.loads(before)
    assert document["run_id"] == old["run_id"] and document["model"] == old["model"]
    assert task["metrics"] == old["tasks"]["example_capitals"]["metrics"]  # same arithmetic, same numbers


def test_rescore_to_another_folder_leaves_the_run_untouched(bench_main, tmp_path: Path) -> None:
    path = _run(bench_main, tmp_path)
    before = path.read_bytes()
    result = bench_main("rescore", str(path), "-o", str(tmp_path / "rescored"))
    assert result.returncode == 0, result.stderr
    assert path.read_bytes() == before and not list(path.parent.glob("result.before-rescore-*"))
    new = json.loads((tmp_path / "rescored" / "result.json").read_text())
    old = json.loads(before)
    assert new["tasks"]["example_capitals"]["metrics"] == old["tasks"]["example_capitals"]["metrics"]
    samples = (tmp_path / "rescored" / new["tasks"]["example_capitals"]["samples_file"])
    assert samples.read_bytes() == (path.parent / old["tasks"]["example_capitals"]["samples_file"]).read_bytes()
    again = bench_main("rescore", str(path), "-o", str(tmp_path / "rescored"))
    assert again.returncode == 2 and "already holds a result.json" in again.stderr


def test_rescore_refuses_a_task_whose_version_changed(bench_main, tmp_path: Path) -> None:
    path = _run(bench_main, tmp_path)
    before = path.read_bytes()
    result = _main_with(ReworkedCapitalsTask, "rescore", str(path.parent))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "is version 2 now but the run recorded version 1" in result.stderr
    assert path.read_bytes() == before and not list(path.parent.glob("result.before-rescore-*"))


def test_rescore_refuses_samples_edited_after_the_run(bench_main, tmp_path: Path) -> None:
    path = _run(bench_main, tmp_path)
    samples = next(path.parent.glob("samples_*.jsonl"))
    lines = samples.read_text().splitlines()
    record = json.loads(lines[0])
    record["correct"] = 1.0 - record["correct"]
    samples.write_text("\n".join([json.dumps(record), *lines[1:]]) + "\n")
    result = bench_main("rescore", str(path.parent))
    assert result.returncode == 2
    assert "does not match its samples_sha256" in result.stderr and result.stderr.count("\n") == 1


def test_rescore_of_a_missing_run_is_one_line(bench_main, tmp_path: Path) -> None:
    result = bench_main("rescore", str(tmp_path / "nowhere"))
    assert result.returncode == 2 and result.stderr.startswith("bench: error: ") and result.stderr.count("\n") == 1
