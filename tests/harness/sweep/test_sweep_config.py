"""The sweep file, its units, the resources each asks Ray for, the progress view, and Ray staying optional."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from bench.harness.errors import ConfigError
from bench.harness.sweep.config import ModelSpec, read_sweep_config, unit_resources
from bench.harness.sweep.progress import SweepProgress

SWEEP = """
output = "{out}"
shards = 3
limit = 4
seed = 7

[[models]]
model = "smollm2"
backend = "hf"
model_args = {{ dtype = "float32" }}

[[models]]
name = "variant"
model = "smollm2"
backend = "fake"
model_args = {{ seed = 1 }}

[[tasks]]
name = "rewardbench_length"
task_args = {{ bootstrap = 0 }}

[[tasks]]
name = "uno"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    return path


def test_a_sweep_is_models_x_tasks_x_shards(tmp_path: Path) -> None:
    sweep = read_sweep_config(_write(tmp_path, SWEEP.format(out=tmp_path / "out")))
    units = sweep.units()
    assert len(units) == 2 * 2 * 3
    assert units[0].key == "smollm2/rewardbench_length/shard-0-of-3" and units[0].shard_spec == "0/3"
    assert units[-1].key == "variant/uno/shard-2-of-3"
    assert len({u.key for u in units}) == len(units)
    assert sweep.models[0].model_args == {"dtype": "float32"} and sweep.tasks[0].task_args == {"bootstrap": 0}


def test_an_unsharded_sweep_has_one_unit_per_model_and_task(tmp_path: Path) -> None:
    sweep = read_sweep_config(_write(tmp_path, SWEEP.format(out=tmp_path).replace("shards = 3", "shards = 1")))
    assert [u.key for u in sweep.units()][:2] == ["smollm2/rewardbench_length/full", "smollm2/uno/full"]
    assert all(u.shard_spec is None for u in sweep.units())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("seed = 7", "sed = 7"), "unknown keys ['sed']"),
        (("shards = 3", "shards = 0"), "shards must be >= 1"),
        (("shards = 3", "shards = \"3\""), "'shards' must be an integer"),
        (('name = "variant"', 'name = "smollm2"'), "model name 'smollm2' appears twice"),
        (('name = "uno"', 'name = "rewardbench_length"'), "task 'rewardbench_length' appears twice"),
        (('backend = "hf"', 'backend = "hf"\nresources = { gpus = 1 }'), "unknown resource 'gpus'"),
        (('name = "variant"\nmodel = "smollm2"', 'name = "variant"'), "needs model ="),
        (("[[tasks]]\nname = \"uno\"", "[[tasks]]\ntask_args = {}"), "needs name ="),
        (("limit = 4", "limit = [4"), "is malformed TOML"),
    ],
)
def test_sweep_file_problems_are_one_line_naming_the_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    text = SWEEP.format(out=tmp_path)
    assert change[0] in text
    with pytest.raises(ConfigError, match="sweep config") as error:
        read_sweep_config(_write(tmp_path, text.replace(change[0], change[1], 1)))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_resources_follow_the_backend_and_the_overrides() -> None:
    assert unit_resources(ModelSpec("m", "fake")) == {"num_cpus": 1.0, "num_gpus": 0.0}
    assert unit_resources(ModelSpec("m", "hf", {"device": "cpu"}))["num_gpus"] == 0.0
    assert unit_resources(ModelSpec("m", "hf", {"device": "cuda:1"}))["num_gpus"] == 1.0
    assert unit_resources(ModelSpec("m", "vllm"))["num_gpus"] == 1.0
    tp_pp = ModelSpec("m", "vllm", {"tensor_parallel_size": 2, "pipeline_parallel_size": 2})
    assert unit_resources(tp_pp)["num_gpus"] == 4.0
    # vLLM's Ray executor reserves the GPUs in its own placement group: the unit must not hold them too
    on_ray = ModelSpec("m", "vllm", {"tensor_parallel_size": 8, "distributed_executor_backend": "ray"})
    assert unit_resources(on_ray)["num_gpus"] == 0.0
    assert unit_resources(ModelSpec("m", "vllm", {"data_parallel_size": 2, "data_parallel_backend": "ray"}))["num_gpus"] == 0.0
    custom = ModelSpec("m", "openai", resources={"num_cpus": 0.5, "memory_gb": 2})
    assert unit_resources(custom) == {"num_cpus": 0.5, "num_gpus": 0.0, "memory": float(2 * 2**30)}


def test_progress_view_counts_units_and_shows_retries() -> None:
    progress = SweepProgress(["a/t/full", "b/t/full"], started_at=100.0, enabled=False)
    progress.started("a/t/full", 11, "node1234abcd", now=101.0)
    progress.started("b/t/full", 12, "node1234abcd", now=101.5)
    assert progress.counts() == {"pending": 0, "running": 2, "done": 0, "failed": 0}
    progress.started("a/t/full", 13, "node1234abcd", now=103.0)  # the first worker died: Ray's retry
    assert "attempt 2 (the previous worker died)" in progress.lines[-1]
    progress.done("a/t/full", now=104.0, wall_time_s=1.0, cache_hits=5, requests=9, skipped=False)
    progress.failed("b/t/full", now=105.0, error="unit b/t/full: task 't' failed: boom")
    assert progress.counts() == {"pending": 0, "running": 0, "done": 1, "failed": 1}
    assert progress.lines[-2].startswith("[sweep     4.0s] 1/2 done, 1 running, 0 failed | a/t/full done in 1.0 s")
    summary = progress.summary().splitlines()
    assert summary[0].startswith("a/t/full  done") and summary[0].endswith("(attempts: 2)")
    assert "failed" in summary[1] and "boom" in summary[1]
    # A start reported after the unit's finish (both seen in one poll) leaves it done.
    progress.started("a/t/full", 14, "node1234abcd", now=106.0)
    assert progress.units["a/t/full"].state == "done"


def test_without_ray_bench_sweep_is_one_line_about_the_extra(tmp_path: Path) -> None:
    config = _write(tmp_path, SWEEP.format(out=tmp_path))
    code = (
        "import sys; sys.modules['ray'] = None\n"  # import ray -> ImportError, as without the extra
        "from bench.harness.cli import main\n"
        f"sys.exit(main(['sweep', {str(config)!r}]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == "bench: error: bench sweep needs Ray, an optional extra: pip install 'bench-harness[ray]'\n"


def test_bench_eval_and_help_never_import_ray(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from bench.harness.cli import main\n"
        f"code = main(['eval', '--backend', 'fake', '--model', 'm', '--tasks', 'rewardbench_length', '--limit', '2',"
        f" '--no-progress', '--output-path', {str(tmp_path / 'out')!r}, '--cache-path', {str(tmp_path / 'c.sqlite')!r}])\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('RAY' if 'ray' in sys.modules else 'NO-RAY', code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.stdout.strip().splitlines()[-1] == "NO-RAY 0", proc.stderr[-2000:]


def test_results_store_works_on_a_folder_and_on_an_fsspec_url(tmp_path: Path) -> None:
    from bench.harness.sweep.store import ResultStore

    run = tmp_path / "run"
    (run / "plots" / "t").mkdir(parents=True)
    (run / "samples_t.jsonl").write_text('{"id": 1}\n')
    (run / "plots" / "t" / "a.png").write_bytes(b"\x89PNG")
    (run / "result.json").write_text("{}\n")
    for url in (str(tmp_path / "store"), "memory://bench-sweep-test/store"):
        store = ResultStore(url)
        assert not store.has_result("units/m/t/full")
        store.put_run(run, "units/m/t/full")
        assert store.has_result("units/m/t/full")
        fetched = store.fetch_run("units/m/t/full", tmp_path / f"fetched-{store.local}")
        assert (fetched / "samples_t.jsonl").read_text() == '{"id": 1}\n'
        assert (fetched / "plots" / "t" / "a.png").read_bytes() == b"\x89PNG"
        store.put_run(run, "units/m/t/full")  # a retried unit's upload replaces the earlier one
        assert store.has_result("units/m/t/full")


def test_a_bad_task_or_option_fails_before_ray_starts(bench_main, tmp_path: Path) -> None:
    import ray

    text = SWEEP.format(out=tmp_path / "out").replace('name = "uno"', 'name = "nope"')
    result = bench_main("sweep", str(_write(tmp_path, text)))
    assert result.returncode == 2 and "unknown task 'nope'" in result.stderr and result.stderr.count("\n") == 1
    text = SWEEP.format(out=tmp_path / "out").replace("bootstrap = 0", "bootstrapp = 0")
    result = bench_main("sweep", str(_write(tmp_path, text)))
    assert result.returncode == 2 and "rewardbench_length" in result.stderr and "bootstrapp" in result.stderr
    assert not ray.is_initialized() and not (tmp_path / "out").exists()


def test_local_paths_are_made_absolute_for_the_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.harness.sweep.runner import absolute_paths

    monkeypatch.chdir(tmp_path)
    sweep = read_sweep_config(_write(tmp_path, 'cache_dir = "caches"\n' + SWEEP.format(out="results")))
    fixed = absolute_paths(sweep)
    assert fixed.output == str(tmp_path / "results") and fixed.cache_dir == str(tmp_path / "caches")
    remote = absolute_paths(read_sweep_config(_write(tmp_path, SWEEP.format(out="s3://bucket/sweep"))))
    assert remote.output == "s3://bucket/sweep" and remote.cache_dir == ""
