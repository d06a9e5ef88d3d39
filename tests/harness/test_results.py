"""Result documents: atomic writes, strict JSON, schema validation with one-line messages."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
from pathlib import Path
from typing import ClassVar

import pytest
from bench.harness import registry
from bench.harness.cli import main
from bench.harness.errors import ResultFileError
from bench.harness.results import (
    json_safe,
    load_result,
    load_samples,
    model_slug,
    read_result,
    result_schema,
    validate_result,
    write_json_atomic,
    write_jsonl_atomic,
)
from bench.harness.schema import (
    MetricValue,
    ModelRecord,
    PlotRecord,
    Provenance,
    ResultDocument,
    RunConfigRecord,
    TaskResult,
)
from bench.harness.summary import format_result_table
from example_task import ExampleCapitalsTask

DOCUMENT = {
    "schema_version": "1.0",
    "run_id": "abc12345",
    "created_at": "2026-11-23T20:00:00+00:00",
    "model": {"name": "smollm2", "source": "HuggingFaceTB/SmolLM2-135M-Instruct", "fingerprint": "sha256:00",
              "revision": None, "backend": "hf", "backend_args": {"dtype": "float32"}, "dtype": "float32", "device": "cpu"},
    "config": {"tasks": ["t"], "seed": 1, "limit": None},
    "tasks": {"t": {"name": "t", "version": "1", "config": {}, "headline_metric": "acc", "status": "ok", "error": None,
                    "metrics": [{"name": "acc", "value": 0.5, "direction": "higher", "n": 2, "stderr": 0.5,
                                 "ci_low": None, "ci_high": None, "ci_level": 0.95, "sample_field": "correct", "description": ""}],
                    "samples_file": "samples_t.jsonl", "samples_sha256": None, "n_samples": 2, "plots": [], "extra": {},
                    "wall_time_s": 1.0}},
    "provenance": {"bench_version": "0.1.0", "git_revision": None, "python": "3.11", "packages": {}, "hardware": {},
                   "seed": 1, "started_at": "2026-11-23T20:00:00+00:00", "wall_time_s": 1.0, "requests": 2, "cache_hits": 0},
}


def write_document(folder: Path, samples: list[dict] | None = None, **task_fields) -> dict:
    """DOCUMENT (task fields overridden) and its samples file, with the samples' sha256 recorded."""
    document = copy.deepcopy(DOCUMENT)
    records = samples if samples is not None else [{"id": "a", "correct": 1.0}, {"id": "b", "correct": 0.0}]
    document["tasks"]["t"]["samples_sha256"] = write_jsonl_atomic(folder / "samples_t.jsonl", records)
    document["tasks"]["t"].update(task_fields)
    write_json_atomic(folder / "result.json", document)
    return document


def test_a_complete_document_validates_and_loads_with_its_samples(tmp_path: Path):
    document = write_document(tmp_path)
    assert load_result(tmp_path) == document
    assert [s["id"] for s in load_samples(tmp_path / "result.json", "t")] == ["a", "b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json", "samples_t.jsonl"]  # no temporary files left


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["tasks"]["t"]["metrics"][0].update(direction="up"), "at tasks.t.metrics.0.direction: 'up' is not one of"),
        (lambda d: d["tasks"]["t"]["metrics"][0].pop("n"), "at tasks.t.metrics.0: 'n' is a required property"),
        (lambda d: d["model"].pop("fingerprint"), "at model: 'fingerprint' is a required property"),
        (lambda d: d.update(tasks={}), "at tasks: {} should be non-empty"),
        (lambda d: d.update(schema_version="0.9"), "at schema_version: '1.0' was expected"),
    ],
)
def test_invalid_documents_are_rejected_with_the_location_of_the_problem(edit, message):
    document = copy.deepcopy(DOCUMENT)
    edit(document)
    with pytest.raises(ResultFileError) as info:
        validate_result(document, where="doc")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_nan_and_infinity_become_null_and_tuples_lists():
    assert json_safe({"a": math.nan, "b": (1, math.inf), "c": 2.5}) == {"a": None, "b": [1, None], "c": 2.5}


def test_unknown_task_in_samples_lookup_names_the_available_ones(tmp_path: Path):
    write_json_atomic(tmp_path / "result.json", DOCUMENT)
    with pytest.raises(ResultFileError, match="has no task 'x'; it has: t"):
        load_samples(tmp_path / "result.json", "x")


def test_corrupt_samples_line_is_reported_with_its_number(tmp_path: Path):
    document = copy.deepcopy(DOCUMENT)
    body = '{"id": "a"}\n{broken\n'
    (tmp_path / "samples_t.jsonl").write_text(body)
    document["tasks"]["t"]["samples_sha256"] = hashlib.sha256(body.encode()).hexdigest()
    write_json_atomic(tmp_path / "result.json", document)
    with pytest.raises(ResultFileError, match="line 2 is not valid JSON"):
        load_samples(tmp_path / "result.json", "t")


def test_written_json_is_strict(tmp_path: Path):
    write_json_atomic(tmp_path / "x.json", {"v": math.nan})
    assert json.loads((tmp_path / "x.json").read_text(), parse_constant=lambda c: pytest.fail(c)) == {"v": None}


def test_model_slug_is_a_safe_folder_name():
    assert model_slug("/models/my ckpt/") == "models__my__ckpt"
    assert model_slug("org/name") == "org__name"


@pytest.mark.parametrize("name", ["..", ".", "", "/", "../..", "...", "./", "..\\..", " "])
def test_model_slug_is_never_a_parent_current_or_empty_folder(name: str):
    slug = model_slug(name)
    assert slug not in ("", ".", "..") and "/" not in slug and "\\" not in slug and not slug.startswith(".")


def test_model_slug_keeps_a_run_inside_the_output_folder(tmp_path: Path):
    for name in ("..", "../../etc", "a/../../b", "/abs/path"):
        folder = (tmp_path / model_slug(name) / "run").resolve()
        assert folder.is_relative_to(tmp_path.resolve()) and folder.parent.parent == tmp_path.resolve()


# ------------------------------------------------------------------------------ the typed document


def _schema_def(name: str) -> dict:
    schema = result_schema()
    return {"document": schema, **schema["$defs"], "model": schema["properties"]["model"],
            "config": schema["properties"]["config"], "provenance": schema["properties"]["provenance"],
            "plot": schema["$defs"]["task"]["properties"]["plots"]["items"]}[name]


@pytest.mark.parametrize(
    ("record", "schema_name", "open_keys"),
    [
        (ResultDocument, "document", ()),
        (ModelRecord, "model", ()),
        (TaskResult, "task", ()),
        (MetricValue, "metric", ()),
        (PlotRecord, "plot", ()),
        (RunConfigRecord, "config", ("options",)),
        (Provenance, "provenance", ("other",)),
    ],
)
def test_json_schema_and_records_name_the_same_fields(record, schema_name, open_keys):
    """The schema is checked against the records: same properties, and required = fields without a default."""
    schema = _schema_def(schema_name)
    fields = {f.name for f in dataclasses.fields(record)} - set(open_keys)
    required = {f.name for f in dataclasses.fields(record)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    assert set(schema["properties"]) == fields
    assert set(schema.get("required", [])) == required
    # Records with a catch-all (`options`, `other`) match an open schema object; the rest a closed one.
    assert ("additionalProperties" not in schema) == bool(open_keys)


def test_document_round_trips_through_json_and_validates(tmp_path: Path):
    document = read_result(write_document(tmp_path) and tmp_path)
    assert isinstance(document.tasks["t"].metrics[0], MetricValue)
    assert document.tasks["t"].headline.name == "acc" and document.provenance.seed == 1
    validate_result(document)
    assert ResultDocument.from_json(document.to_json()) == document
    assert json_safe(document) == document.to_json()


def test_null_metric_value_is_nan_in_memory_and_null_on_disk(tmp_path: Path):
    write_document(tmp_path, metrics=[{**DOCUMENT["tasks"]["t"]["metrics"][0], "value": None}])
    metric = read_result(tmp_path).tasks["t"].metrics[0]
    assert math.isnan(metric.value) and not metric.has_value
    assert metric.to_json()["value"] is None


def test_read_samples_refuses_paths_outside_the_run_folder(tmp_path: Path):
    for name in ("/etc/passwd", "../x.jsonl", "a/../../x.jsonl"):
        write_document(tmp_path, samples_file=name)
        with pytest.raises(ResultFileError, match="samples_file"):
            load_samples(tmp_path, "t")


def test_read_samples_checks_the_recorded_sha256(tmp_path: Path):
    write_document(tmp_path)
    (tmp_path / "samples_t.jsonl").write_text('{"id": "a", "correct": 0.0}\n')
    with pytest.raises(ResultFileError, match="does not match its samples_sha256"):
        load_samples(tmp_path, "t")


def test_deeply_nested_result_file_is_one_result_file_error(tmp_path: Path):
    (tmp_path / "result.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ResultFileError, match="nested too deeply"):
        load_result(tmp_path)


@pytest.mark.parametrize("field", ["config", "extra"])
def test_a_valid_document_with_a_deeply_nested_field_is_refused_before_any_recursive_reader(tmp_path: Path, field):
    # 900 levels parse (below Python's recursion limit) but would overflow recursive code later.
    document = write_document(tmp_path)
    for depth, readable in ((900, False), (90, True)):
        document["tasks"]["t"][field] = {"x": json.loads("[" * depth + "]" * depth)}
        (tmp_path / "result.json").write_text(json.dumps(document))
        if readable:
            assert read_result(tmp_path).tasks["t"].name == "t"
        else:
            with pytest.raises(ResultFileError, match=r"nested too deeply .*more than 100 levels"):
                read_result(tmp_path)


# ------------------------------------------------------------------------------ bench show / the eval table


def _metric(name: str, value: float | None, direction: str = "higher", n: int = 50, **extra) -> dict:
    return {"name": name, "value": value, "direction": direction, "n": n, "stderr": None, "ci_low": None,
            "ci_high": None, "ci_level": 0.95, "sample_field": None, "description": "", **extra}


def test_eval_table_shows_headline_and_key_figures_and_show_shows_everything(tmp_path: Path, capsys):
    metrics = [_metric(f"m{i}", 0.5, ci_low=0.4, ci_high=0.6) for i in range(10)]
    metrics.append(_metric("tiny", 0.25, n=2))
    metrics.append(_metric("gone", None, stderr=None))
    write_document(tmp_path, metrics=metrics, headline_metric="m7")
    document = read_result(tmp_path)
    short = format_result_table(document)
    shown = [line.split("|")[2].strip() for line in short.splitlines()[3:] if line.count("|") >= 6]
    assert shown == ["m7 *", "m0", "m1", "m2"]
    assert "8 more metrics in the result document" in short
    assert main(["show", str(tmp_path / "result.json")]) == 0
    out = capsys.readouterr().out
    rows = {line.split("|")[2].strip(): line for line in out.splitlines() if line.count("|") >= 6}
    assert set(rows) >= {f"m{i}" for i in range(10) if i != 7} | {"m7 *", "tiny", "gone"}
    assert "[0.4000, 0.6000]" in rows["m3"]
    assert "n too small" in rows["tiny"] and "0.2500" in rows["tiny"]
    assert "missing" in rows["gone"] and "nan" not in rows["gone"].lower()
    assert "run abc12345" in out


def test_show_of_deeply_nested_json_is_one_line_exit_two(tmp_path: Path, capsys):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    assert main(["show", str(tmp_path / "deep.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bench: error: ") and err.count("\n") == 1 and "nested too deeply" in err


# ------------------------------------------------------------------------------ written by bench eval (fake backend)


class _CapitalsWithPrefixKey(ExampleCapitalsTask):
    """The example task with its prompt prefix declared as changing what its accuracy means."""

    name: ClassVar[str] = "example_capitals_keyed"
    comparability_keys: ClassVar[tuple[str, ...]] = ("prompt_prefix",)


def _eval(bench_main, out: Path, *args: str) -> Path:
    result = bench_main("eval", "--backend", "fake", "--no-progress", "--output-path", str(out), *args)
    assert result.returncode == 0, result.stderr
    (path,) = out.rglob("result.json")
    return path


def test_eval_writes_a_typed_document_that_gate_and_show_read(bench_main, tmp_path: Path):
    first = _eval(bench_main, tmp_path / "a", "--model", "m", "--tasks", "example_capitals")
    second = _eval(bench_main, tmp_path / "b", "--model", "m", "--tasks", "example_capitals")
    document = read_result(first)
    task = document.tasks["example_capitals"]
    assert isinstance(task, TaskResult) and task.ok and task.comparability_keys == ()
    assert task.samples_sha256 == hashlib.sha256((first.parent / task.samples_file).read_bytes()).hexdigest()
    assert task.headline.name == "accuracy" and task.config == {"prompt_prefix": "The capital of"}
    assert document.model.backend == "fake" and document.provenance.requests > 0
    assert ResultDocument.from_json(load_result(first)) == document
    gate = bench_main("gate", "--quiet", "--baseline", str(first), "--candidate", str(second))
    assert gate.returncode == 0 and gate.stdout == "✅ bench gate: no regression\n"
    show = bench_main("show", str(first))
    assert show.returncode == 0 and "accuracy *" in show.stdout and f"run {document.run_id}" in show.stdout


@pytest.mark.parametrize("model", ["..", ".", "../../outside", "/"])
def test_model_name_cannot_put_the_run_outside_the_output_path(bench_main, tmp_path: Path, model: str):
    path = _eval(bench_main, tmp_path / "out", "--model", model, "--tasks", "example_capitals", "--limit", "1")
    assert path.resolve().parent.parent.parent == (tmp_path / "out").resolve()


@pytest.fixture
def keyed_task():
    """_CapitalsWithPrefixKey registered for one test only (other tests list the registered tasks)."""
    registry.register_task(_CapitalsWithPrefixKey.name, _CapitalsWithPrefixKey)
    yield _CapitalsWithPrefixKey
    registry._REGISTERED[registry.TASK_GROUP].pop(_CapitalsWithPrefixKey.name, None)


def test_comparability_keys_are_recorded_and_keep_runs_apart(bench_main, tmp_path: Path, keyed_task):
    runs = []
    for folder, prefix in (("a", "The capital of"), ("b", "Capital city of")):
        runs.append(_eval(bench_main, tmp_path / "results" / folder, "--model", f"m-{folder}", "--tasks",
                          "example_capitals_keyed", "--task-args", f"example_capitals_keyed.prompt_prefix={prefix}"))
    task = read_result(runs[0]).tasks["example_capitals_keyed"]
    assert task.comparability_keys == ("prompt_prefix",)
    assert task.comparability == (("prompt_prefix", "'The capital of'"),)
    gate = bench_main("gate", "--baseline", str(runs[0]), "--candidate", str(runs[1]))
    assert gate.returncode == 2 and "comparability key" in gate.stderr and "prompt_prefix" in gate.stderr
    site = bench_main("leaderboard", str(tmp_path / "results"), "-o", str(tmp_path / "site"))
    assert site.returncode == 0 and "2 task columns" in site.stdout
