"""`bench sweep` on a local Ray instance with two workers: two models x two tasks x two shards.

A worker is killed (SIGKILL) in the middle of a unit; Ray runs the unit again, it resumes from the
node's request cache, and the merged results equal those of an undisturbed sweep. The models are
the fake backend's `sweep-model` and a variant of it (another answer seed): what is tested is the
distribution, retry and merge machinery, which a real model would only slow down.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

import pytest
import ray  # the optional extra (scripts/bootstrap.sh installs it for the tests)

pytestmark = pytest.mark.slow

VICTIM = "sweep-model/uno/shard-0-of-2"

SWEEP = """
output = "{out}"
shards = 2
limit = 4
seed = 11
max_retries = 2
cache_dir = "{cache}"

[[models]]
name = "sweep-model"
model = "sweep-model"
backend = "fake"
model_args = {{ delay = 0.1 }}

[[models]]
name = "sweep-variant"
model = "sweep-model"
backend = "fake"
model_args = {{ seed = 1, delay = 0.1 }}

[[tasks]]
name = "uno"

[[tasks]]
name = "rewardbench_length"
"""


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=128 * 2**20)
    yield
    ray.shutdown()


def _sweep(tmp_path: Path, name: str):
    from bench.harness.sweep.config import read_sweep_config

    path = tmp_path / f"{name}.toml"
    path.write_text(SWEEP.format(out=tmp_path / name, cache=tmp_path / f"{name}-cache"))
    return read_sweep_config(path)


def _merged(root: Path) -> dict[str, tuple[list, str]]:
    out = {}
    for path in sorted((root / "merged").rglob("result.json")):
        document = json.loads(path.read_text())
        for task, entry in document["tasks"].items():
            out[f"{path.parent.parent.name}/{task}"] = (entry["metrics"], entry["samples_sha256"])
    return out


def test_a_killed_worker_is_retried_and_the_results_equal_an_undisturbed_sweep(local_ray, tmp_path: Path) -> None:
    from bench.harness.sweep.runner import run_sweep

    calm = run_sweep(_sweep(tmp_path, "calm"), show_progress=False)
    assert not calm.failures and len(calm.results) == 8 and len(calm.merged) == 4

    killed: list[int] = []

    def kill_mid_unit(key: str, pid: int, node: str) -> None:
        if key == VICTIM and not killed:
            killed.append(pid)
            threading.Timer(0.8, os.kill, (pid, signal.SIGKILL)).start()  # mid-unit: it takes > 1.5 s

    disturbed = run_sweep(_sweep(tmp_path, "disturbed"), on_start=kill_mid_unit, show_progress=False)
    assert killed, "the victim unit never started"
    assert not disturbed.failures, disturbed.failures
    assert disturbed.progress is not None
    victim = disturbed.progress.units[VICTIM]
    assert victim.attempts == 2 and victim.pids[0] == killed[0] and victim.pids[1] != killed[0]
    assert any("attempt 2 (the previous worker died)" in line for line in disturbed.progress.lines)
    assert _merged(tmp_path / "disturbed") == _merged(tmp_path / "calm")
    assert len(_merged(tmp_path / "calm")) == 4
    # One request cache per node (here: one node), shared by both workers.
    assert len(list((tmp_path / "disturbed-cache").glob("requests-*.sqlite"))) == 1


def test_a_finished_sweep_run_again_skips_every_unit(local_ray, tmp_path: Path) -> None:
    from bench.harness.sweep.runner import run_sweep

    sweep = _sweep(tmp_path, "again")
    first = run_sweep(sweep, show_progress=False)
    assert not first.failures
    before = _merged(tmp_path / "again")
    second = run_sweep(sweep, show_progress=False)
    assert all(result.skipped for result in second.results.values()) and len(second.results) == 8
    assert _merged(tmp_path / "again") == before and len(second.merged) == 4


def test_a_sweep_of_the_embedded_model_and_a_variant_equals_plain_runs(local_ray, tmp_path: Path, bench_main) -> None:
    """The real-model part, kept small: the embedded model and a variant folder (its weights linked,
    another generation config) x two tasks, unsharded; each merged result equals `bench eval`'s."""
    from bench.harness.embedded_model import embedded_model_dir
    from bench.harness.sweep.config import read_sweep_config
    from bench.harness.sweep.runner import run_sweep

    variant = tmp_path / "smollm2-variant"
    variant.mkdir()
    for file in embedded_model_dir().iterdir():
        if file.name != "generation_config.json":
            (variant / file.name).symlink_to(file)
    generation = json.loads((embedded_model_dir() / "generation_config.json").read_text())
    (variant / "generation_config.json").write_text(json.dumps({**generation, "temperature": 0.5}))
    sweep_file = tmp_path / "real.toml"
    sweep_file.write_text(
        f'output = "{tmp_path / "real"}"\nlimit = 3\ncache_dir = "{tmp_path / "real-cache"}"\n'
        '[[models]]\nname = "smollm2"\nmodel = "smollm2"\n'
        f'[[models]]\nname = "variant"\nmodel = "{variant}"\n'
        '[[tasks]]\nname = "rewardbench_length"\ntask_args = { bootstrap = 0 }\n'
        f'[[tasks]]\nname = "lm_eval"\ntask_args = {{ tasks = ["bench_capitals_sweep"], include_path = "{tmp_path}" }}\n'
    )
    _lm_eval_task(tmp_path)
    outcome = run_sweep(read_sweep_config(sweep_file), show_progress=False)
    assert not outcome.failures, outcome.failures
    assert sorted(outcome.merged) == ["smollm2/lm_eval", "smollm2/rewardbench_length", "variant/lm_eval", "variant/rewardbench_length"]
    for label, model in (("smollm2", "smollm2"), ("variant", str(variant))):
        result = bench_main(
            "eval", "--model", model, "--tasks", "rewardbench_length,lm_eval", "--limit", "3",
            "--task-args", f"rewardbench_length.bootstrap=0,lm_eval.tasks=bench_capitals_sweep,lm_eval.include_path={tmp_path}",
            "--output-path", str(tmp_path / f"plain-{label}"), "--no-progress",
            "--cache-path", str(tmp_path / "plain.sqlite"),
        )
        assert result.returncode == 0, result.stderr[-2000:]
        [plain] = (tmp_path / f"plain-{label}").rglob("result.json")
        document = json.loads(plain.read_text())
        for task in ("rewardbench_length", "lm_eval"):
            swept = json.loads((tmp_path / "real" / "merged" / label / task / "result.json").read_text())
            assert swept["tasks"][task]["metrics"] == document["tasks"][task]["metrics"], (label, task)
            assert swept["model"]["name"] == document["model"]["name"]


def _lm_eval_task(folder: Path) -> None:
    """A four-document lm-eval task on local files (no hub access)."""
    items = [
        {"country": "France", "choices": ["Paris", "Berlin"], "gold": 0},
        {"country": "Japan", "choices": ["Seoul", "Tokyo"], "gold": 1},
        {"country": "Italy", "choices": ["Rome", "Oslo"], "gold": 0},
        {"country": "Peru", "choices": ["Quito", "Lima"], "gold": 1},
    ]
    data = folder / "capitals.jsonl"
    data.write_text("".join(json.dumps(item) + "\n" for item in items))
    (folder / "capitals.yaml").write_text(
        "task: bench_capitals_sweep\ndataset_path: json\n"
        f"dataset_kwargs:\n  data_files:\n    test: {data}\n"
        "test_split: test\noutput_type: multiple_choice\n"
        "doc_to_text: \"Q: What is the capital of {{country}}?\\nA:\"\n"
        "doc_to_choice: \"{{choices}}\"\ndoc_to_target: \"{{gold}}\"\n"
        "metric_list:\n  - metric: acc\n    aggregation: mean\n    higher_is_better: true\n"
        "metadata:\n  version: 1.0\n"
    )
