"""The hallucination suite end to end: the embedded model (attention) on one probe of each scoring kind
(64-shot NQ-Open, MC2, HaluEval judgement, SQuAD v2, MemoTrap, XSum) with a small limit, and a tiny randomly initialised Mamba (recurrent) built from a config for the recurrent path:
family recorded, batched vs one-at-a-time outputs compared, report by family. No claims about scores."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from bench.harness.results import load_result, load_samples

pytestmark = pytest.mark.slow

LIMIT = 2
# One probe per scoring kind (the whole group takes minutes on two busy cores; test_probes_fake runs all 18).
TASKS = "hallu_nq_open_64,hallu_truthfulqa_mc2,hallu_halueval_qa,hallu_squadv2,hallu_memo_trap,hallu_xsum"


@pytest.fixture(scope="module")
def embedded_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import run_bench

    out = tmp_path_factory.mktemp("hallu-embedded")
    result = run_bench(
        "eval", "--model", "smollm2", "--tasks", TASKS, "--limit", str(LIMIT), "--no-progress",
        "--task-args", "hallu_xsum.max_tokens=16",
        "--output-path", str(out / "results"), "--cache-path", str(out / "cache.sqlite"),
        env={"OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    [result_file] = list((out / "results").rglob("result.json"))
    return result_file


def test_the_probes_finish_on_the_embedded_model_and_the_model_is_an_attention_model(embedded_run: Path) -> None:
    document = load_result(embedded_run)
    architecture = document["model"]["architecture"]
    assert architecture["family"] == "attention" and architecture["model_type"] == "llama"
    assert architecture["parameter_count"] == 134_515_008 and architecture["context_length"] == 8192
    assert set(document["tasks"]) == set(TASKS.split(","))
    for name, entry in document["tasks"].items():
        assert entry["status"] == "ok", (name, entry["error"])
        headline = next(m for m in entry["metrics"] if m["name"] == entry["headline_metric"])
        high = 100.0 if name == "hallu_xsum" else 1.0  # the leaderboard's XSum ROUGE is x100
        assert 0.0 <= headline["value"] <= high and headline["n"] == LIMIT
        assert entry["extra"]["batch_check"] is None  # attention: batching is not re-checked
    samples = load_samples(embedded_run, "hallu_nq_open_64")
    assert all(s["shots"] == 64 and s["prompt_tokens"] > 300 and s["truncated"] is False for s in samples)


def _tiny_mamba(folder: Path) -> Path:
    import torch
    from bench.harness.model_source import resolve_model
    from transformers import MambaConfig, MambaForCausalLM

    torch.manual_seed(0)
    embedded = Path(resolve_model("smollm2").path)
    config = MambaConfig(vocab_size=49152, hidden_size=16, state_size=4, num_hidden_layers=2, expand=2,
                         conv_kernel=4, bos_token_id=1, eos_token_id=2, pad_token_id=2)
    MambaForCausalLM(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(embedded / name, folder / name)
    return folder


def test_a_tiny_mamba_runs_the_recurrent_path_and_the_report_compares_families(
    embedded_run: Path, tmp_path: Path
) -> None:
    from conftest import run_bench

    model = _tiny_mamba(tmp_path / "tiny-mamba")
    results = tmp_path / "results"
    run = run_bench(
        "eval", "--model", str(model), "--tasks", "hallu_nq_open_8,hallu_memo_trap,hallu_xsum", "--limit", "5",
        "--task-args", "hallu_xsum.max_tokens=16", "--no-progress", "--output-path", str(results), "--cache-path", str(tmp_path / "cache.sqlite"),
        env={"OMP_NUM_THREADS": "1"},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    [result_file] = list(results.rglob("result.json"))
    document = load_result(result_file)
    assert document["model"]["architecture"]["family"] == "recurrent"
    assert document["model"]["architecture"]["context_length"] is None
    for name in ("hallu_nq_open_8", "hallu_memo_trap", "hallu_xsum"):
        check = document["tasks"][name]["extra"]["batch_check"]
        assert check is not None and check["checked"] == 4 and 0 <= check["differing"] <= 4
        assert any(m["name"] == "batch_mismatches" for m in document["tasks"][name]["metrics"])
    assert sum("batch_equal" in s for s in load_samples(result_file, "hallu_xsum")) == 4

    out = tmp_path / "report"
    report = run_bench("report", "hallucination", str(embedded_run), str(result_file), "-o", str(out))
    assert report.returncode == 0, report.stderr[-2000:]
    data = json.loads((out / "hallucination_report.json").read_text())
    assert {row["family"] for row in data["models"]} == {"attention", "recurrent"}
    # Both are under 1B parameters: deltas exist for the probes both ran.
    assert {d["task"] for d in data["deltas"]} == {"hallu_memo_trap", "hallu_xsum"}  # the probes both ran
