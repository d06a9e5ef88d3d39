"""Cached summaries: a hit returns the same summary and files without summarising, a changed record,
config, seed, code or library version misses, a corrupt or unsafe entry is a miss (never a crash),
and what cannot be replayed exactly (run-folder paths, deleted files, oversized entries) is never
stored. End to end, a repeated run's result document equals the first one's."""

from __future__ import annotations

import json
import logging
import math
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from bench.harness import derived_cache, summary_cache
from bench.harness.derived_cache import using_derived_store
from bench.harness.summary_cache import cached_summary
from bench.harness.task import MetricValue, Plot, Summary, SummaryContext, Task

RECORDS = [{"id": 1, "correct": 1.0}, {"id": 2, "correct": 0.0}, {"id": 3, "correct": 1.0}]


@dataclass(frozen=True)
class CountConfig:
    threshold: float = 0.5
    label: Any = "a"


class CountingTask(Task):
    """Summarises the records into a mean, a NaN metric, a plot file and a table; counts its calls."""

    name = "summary_cache_probe"
    version = "1"
    config_class = CountConfig
    headline_metric = "mean"
    description = "test task of the summary cache"
    calls = 0

    async def run(self, ctx: Any) -> list[dict[str, Any]]:  # pragma: no cover - never run here
        return []

    def summarize(self, samples: list[dict[str, Any]], config: CountConfig, ctx: SummaryContext) -> Summary:
        type(self).calls += 1
        mean = sum(s["correct"] for s in samples) / len(samples)
        (ctx.artifacts_dir / "sub").mkdir(parents=True, exist_ok=True)
        (ctx.artifacts_dir / "sub" / "plot.png").write_bytes(f"png {mean} {config.label}".encode())
        ctx.log.warning("summarised %d records", len(samples))
        metrics = [
            MetricValue("mean", mean, "higher", len(samples), ci_low=0.1, ci_high=0.9, sample_field="correct"),
            MetricValue("undefined", math.nan, "none", 0, description="no value"),
        ]
        return Summary(metrics, [Plot("plot", "sub/plot.png", "a plot")], {"threshold": config.threshold, "rows": [1, 2]})


def summarise(task: Task, artifacts: Path, records: list[dict[str, Any]] = RECORDS, config: Any = CountConfig(), seed: int = 7) -> Summary:
    ctx = SummaryContext(seed=seed, artifacts_dir=artifacts, log=logging.getLogger("bench.tasks.summary_cache_probe"))

    def compute() -> Summary:
        artifacts.mkdir(parents=True, exist_ok=True)
        return task.summarize(records, config, ctx)

    return cached_summary(task, records, config, seed, artifacts, compute)


def document(summary: Summary) -> str:
    return summary_cache._document_json(summary)


@pytest.fixture
def task() -> CountingTask:
    CountingTask.calls = 0
    return CountingTask()


def entries(store: Path) -> list[Path]:
    return sorted(p for p in store.iterdir() if not p.name.startswith("."))


def test_a_hit_gives_the_same_summary_files_and_logs_without_summarising(
    task: CountingTask, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with using_derived_store(tmp_path / "store"):
        first = summarise(task, tmp_path / "run1" / "plots" / "t")
        caplog.clear()
        with caplog.at_level(logging.INFO):
            second = summarise(task, tmp_path / "run2" / "plots" / "t")
    assert task.calls == 1
    assert document(second) == document(first)
    assert math.isnan(second.metric("undefined").value)
    assert (tmp_path / "run2/plots/t/sub/plot.png").read_bytes() == (tmp_path / "run1/plots/t/sub/plot.png").read_bytes()
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("bench.tasks.summary_cache_probe", logging.WARNING, "summarised 3 records")
    ]


def test_only_the_summarising_thread_s_log_lines_are_replayed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    class LogsFromAnotherThread(CountingTask):
        calls = 0

        def summarize(self, samples: list[dict[str, Any]], config: CountConfig, ctx: SummaryContext) -> Summary:
            other = threading.Thread(target=lambda: logging.getLogger("bench.backend").warning("model loaded"))
            other.start()
            other.join()
            return super().summarize(samples, config, ctx)

    task = LogsFromAnotherThread()
    with using_derived_store(tmp_path / "store"):
        summarise(task, tmp_path / "run1")
        caplog.clear()
        summarise(task, tmp_path / "run2")
    assert task.calls == 1
    assert [r.getMessage() for r in caplog.records] == ["summarised 3 records"]


TASK_IMPORTS_PROBE = r"""
import sys
from bench.harness import registry
for name in registry.expand_task_names("all"):
    registry.load_task_class(name)
print(sorted(m for m in ("scipy.stats", "pandas", "statsmodels", "matplotlib", "sklearn") if m in sys.modules))
"""


def test_task_modules_import_no_summary_library() -> None:
    # A cached repeat summarises nothing, so loading the tasks must not import what summaries use.
    proc = subprocess.run([sys.executable, "-c", TASK_IMPORTS_PROBE], capture_output=True, text=True, timeout=120, check=True)
    assert proc.stdout.strip() == "[]", proc.stdout


def test_without_a_store_it_always_summarises(task: CountingTask, tmp_path: Path) -> None:
    summarise(task, tmp_path / "a")
    summarise(task, tmp_path / "b")
    assert task.calls == 2


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"records": [*RECORDS[:2], {"id": 3, "correct": 0.0}]}, id="a changed record"),
        pytest.param({"records": RECORDS[:2]}, id="a missing record"),
        pytest.param({"config": CountConfig(threshold=0.6)}, id="another config"),
        pytest.param({"seed": 8}, id="another seed"),
    ],
)
def test_changed_inputs_miss(task: CountingTask, tmp_path: Path, change: dict[str, Any]) -> None:
    with using_derived_store(tmp_path / "store"):
        summarise(task, tmp_path / "run1")
        changed = summarise(task, tmp_path / "run2", **change)
    assert task.calls == 2
    if "records" in change:
        assert changed.metric("mean").value == sum(r["correct"] for r in change["records"]) / len(change["records"])


@pytest.mark.parametrize("part", ["package_digest", "installation_key", "_library_versions"])
def test_changed_code_or_libraries_miss(task: CountingTask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part: str) -> None:
    with using_derived_store(tmp_path / "store"):
        summarise(task, tmp_path / "run1")
        if part == "package_digest":  # bench's code (every task's key includes it)
            monkeypatch.setattr(derived_cache, "package_digest", lambda: "edited")
        else:  # a package installed, upgraded or removed; a numeric library's version
            monkeypatch.setattr(summary_cache, part, lambda: "other")
        summarise(task, tmp_path / "run2")
    assert task.calls == 2


def test_the_task_code_is_in_the_key(task: CountingTask, monkeypatch: pytest.MonkeyPatch) -> None:
    key = summary_cache.summary_key(task, RECORDS, CountConfig(), 7)
    assert key is not None
    monkeypatch.setattr(derived_cache, "module_tree_digest", lambda module: f"edited {module}")
    assert summary_cache.summary_key(task, RECORDS, CountConfig(), 7) != key
    monkeypatch.setattr(derived_cache, "module_tree_digest", lambda module: None)  # code it cannot read: no key
    assert summary_cache.summary_key(task, RECORDS, CountConfig(), 7) is None


def test_configs_equal_only_as_json_miss(task: CountingTask, tmp_path: Path) -> None:
    with using_derived_store(tmp_path / "store"):
        summarise(task, tmp_path / "run1", config=CountConfig(label=["a"]))
        summarise(task, tmp_path / "run2", config=CountConfig(label=("a",)))  # both ["a"] in JSON
        summarise(task, tmp_path / "run3", config=CountConfig(label=("a",)))
    assert task.calls == 2


def test_a_config_that_is_not_a_record_is_never_cached(task: CountingTask, tmp_path: Path) -> None:
    with using_derived_store(tmp_path / "store"):
        summarise(task, tmp_path / "run1", config=SimpleNamespace(threshold=0.5, label="a"))
        summarise(task, tmp_path / "run2", config=SimpleNamespace(threshold=0.5, label="a"))
    assert task.calls == 2


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(lambda entry: "{not json", id="not JSON"),
        pytest.param(lambda entry: json.dumps({**entry, "metrics": [{"name": "x"}]}), id="a metric without fields"),
        pytest.param(lambda entry: json.dumps({**entry, "files": {"../escape.png": "AAAA"}}), id="a path outside"),
        pytest.param(lambda entry: json.dumps({**entry, "files": {"/abs.png": "AAAA"}}), id="an absolute path"),
        pytest.param(lambda entry: json.dumps({**entry, "files": {"sub/plot.png": "***"}}), id="bad base64"),
        pytest.param(lambda entry: json.dumps([1, 2]), id="another shape"),
    ],
)
def test_a_corrupt_entry_is_a_miss_not_a_crash(task: CountingTask, tmp_path: Path, corrupt: Any) -> None:
    store = tmp_path / "store"
    with using_derived_store(store):
        first = summarise(task, tmp_path / "run1")
        [entry] = entries(store)
        entry.write_text(corrupt(json.loads(entry.read_text())))
        again = summarise(task, tmp_path / "run2")
        third = summarise(task, tmp_path / "run3")  # the recomputed summary was stored again
    assert task.calls == 2
    assert document(again) == document(first) == document(third)
    assert not (tmp_path / "escape.png").exists() and not Path("/abs.png").exists()


def test_a_summary_naming_its_run_folder_is_not_stored(tmp_path: Path) -> None:
    class NamesItsFolder(CountingTask):
        calls = 0

        def summarize(self, samples: list[dict[str, Any]], config: CountConfig, ctx: SummaryContext) -> Summary:
            summary = super().summarize(samples, config, ctx)
            summary.extra["table"] = str(ctx.artifacts_dir / "table.csv")
            return summary

    task = NamesItsFolder()
    with using_derived_store(tmp_path / "store"):
        summarise(task, tmp_path / "run1" / "plots" / "t")
        second = summarise(task, tmp_path / "run2" / "plots" / "t")
    assert task.calls == 2
    assert second.extra["table"] == str(tmp_path / "run2/plots/t/table.csv")


def test_a_summary_that_deletes_a_file_is_not_stored(tmp_path: Path) -> None:
    class Deletes(CountingTask):
        calls = 0

        def summarize(self, samples: list[dict[str, Any]], config: CountConfig, ctx: SummaryContext) -> Summary:
            (ctx.artifacts_dir / "draft.txt").unlink(missing_ok=True)
            return super().summarize(samples, config, ctx)

    task = Deletes()
    with using_derived_store(tmp_path / "store"):
        for run in ("run1", "run2"):
            (tmp_path / run).mkdir()
            (tmp_path / run / "draft.txt").write_text("written by run()")
            summarise(task, tmp_path / run)
    assert task.calls == 2


def test_values_the_document_rewrites_are_stored_as_the_document_has_them(tmp_path: Path) -> None:
    class Infinite(CountingTask):
        calls = 0

        def summarize(self, samples: list[dict[str, Any]], config: CountConfig, ctx: SummaryContext) -> Summary:
            summary = super().summarize(samples, config, ctx)
            summary.extra["keys"] = {1: "int key"}  # the document turns it into "1", a stored entry would too
            summary.metrics.append(MetricValue("big", math.inf, "none", 1))
            return summary

    task = Infinite()
    with using_derived_store(tmp_path / "store"):
        first = summarise(task, tmp_path / "run1")
        second = summarise(task, tmp_path / "run2")
    assert document(first) == document(second)  # inf is stored as null: the documents agree, so it is cached
    assert task.calls == 1


def test_a_summary_that_does_not_survive_the_round_trip_is_not_stored(tmp_path: Path) -> None:
    class FractionalCount(CountingTask):
        calls = 0

        def summarize(self, samples: list[dict[str, Any]], config: CountConfig, ctx: SummaryContext) -> Summary:
            summary = super().summarize(samples, config, ctx)
            summary.metrics.append(MetricValue("weighted", 0.5, "none", 2.5))  # type: ignore[arg-type]  # n read back as 2
            return summary

    task = FractionalCount()
    with using_derived_store(tmp_path / "store"):
        first = summarise(task, tmp_path / "run1")
        second = summarise(task, tmp_path / "run2")
    assert task.calls == 2
    assert document(first) == document(second)


def test_entries_are_bounded(task: CountingTask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "store"
    monkeypatch.setattr(summary_cache, "MAX_ENTRY_BYTES", 10)
    with using_derived_store(store):
        summarise(task, tmp_path / "big1")
        summarise(task, tmp_path / "big2")
    assert task.calls == 2 and not store.exists()  # over the per-entry limit: never stored
    monkeypatch.undo()
    evict = derived_cache._evict
    monkeypatch.setattr(derived_cache, "_evict", lambda folder: evict(folder, max_entries=2))
    with using_derived_store(store):
        for seed in range(4):
            summarise(task, tmp_path / f"seed{seed}", seed=seed)
    assert len(entries(store)) == 2


def test_a_repeated_run_writes_the_same_result_document(bench_main: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from example_task import ExampleCapitalsTask

    calls: list[int] = []
    summarize = ExampleCapitalsTask.summarize

    def counting(self: Any, samples: list[dict[str, Any]], config: Any, ctx: SummaryContext) -> Summary:
        calls.append(len(samples))
        return summarize(self, samples, config, ctx)

    monkeypatch.setattr(ExampleCapitalsTask, "summarize", counting)
    documents = []
    for run in ("first", "repeat"):
        result = bench_main(
            "eval", "--backend", "fake", "--model", "capitals-model", "--tasks", "example_capitals",
            "--cache-path", str(tmp_path / "requests.sqlite"), "--output-path", str(tmp_path / run), "--no-progress",
        )
        assert result.returncode == 0, result.stderr
        [result_file] = (tmp_path / run).rglob("result.json")
        documents.append(json.loads(result_file.read_text()))
    assert calls == [6]  # the repeat took the stored summary
    volatile = ("run_id", "created_at", "provenance")
    first, repeat = ({k: v for k, v in d.items() if k not in volatile} for d in documents)
    for d in (first, repeat):
        d["tasks"]["example_capitals"].pop("wall_time_s")
        d["config"].pop("output_path")  # each run writes to its own folder
    assert json.dumps(first) == json.dumps(repeat)
    assert any(p.name.endswith(".json") for p in (tmp_path / "requests.sqlite.derived").iterdir())
