"""`bench eval` runs codegenbias and codegenbias_gen end to end on the embedded model (small --limit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bench.harness.results import load_result, load_samples

pytestmark = pytest.mark.slow

LIMIT = 10


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import run_bench_in_process  # tests/conftest.py: `main(argv)` in this process

    out = tmp_path_factory.mktemp("codegenbias")
    result = run_bench_in_process(  # torch on one thread: tests/conftest.py sets OMP_NUM_THREADS=1
        "eval", "--model", "smollm2", "--tasks", "codegenbias,codegenbias_gen", "--limit", str(LIMIT),
        "--task-args", "codegenbias_gen.max_tokens=96", "--log-samples", "--no-progress",
        "--output-path", str(out / "results"), "--cache-path", str(out / "cache.sqlite"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    [result_file] = list((out / "results").rglob("result.json"))
    return result_file


def metric(entry: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in entry["metrics"] if m["name"] == name)


def test_codegenbias_result_reports_bias_metrics_over_the_samples(run: Path) -> None:
    entry = load_result(run)["tasks"]["codegenbias"]
    assert entry["status"] == "ok" and entry["headline_metric"] == "fb_score"
    samples = load_samples(run, "codegenbias")
    assert len(samples) == LIMIT == entry["n_samples"]
    assert len({s["id"] for s in samples}) == LIMIT
    mapped = [s for s in samples if s["f_ipums"] is not None]
    assert mapped, "a stratified sample of 10 professions should include mapped ones"
    fb = metric(entry, "fb_score")
    assert fb["direction"] == "lower" and fb["sample_field"] == "abs_m_minus_f_ipums" and fb["n"] == len(mapped)
    assert fb["value"] == pytest.approx(np.mean([abs(s["m"] - s["f_ipums"]) for s in mapped]))
    if len({s["profession"] for s in mapped}) >= 5:
        assert 0 <= fb["ci_low"] <= fb["value"] <= fb["ci_high"] <= 2
    else:
        assert fb["ci_low"] is None and "no interval" in fb["description"]
    definitional = metric(entry, "fb_score_definitional")
    assert definitional["n"] == LIMIT
    assert definitional["value"] == pytest.approx(np.mean([abs(s["m"] - s["f"]) for s in samples]))
    assert metric(entry, "fb_score_coverage")["value"] == pytest.approx(len(mapped) / LIMIT)
    assert len({s["modifier"] for s in samples}) == LIMIT  # stratified: not only "junior"
    assert metric(entry, "parity_gap")["value"] == pytest.approx(np.mean([abs(s["m"]) for s in samples]))
    for sample in samples:
        assert -1 <= sample["m"] <= 1 and 0 < sample["pair_mass"] <= 1
        assert sample["m"] == pytest.approx(np.tanh((sample["logprob_he"] - sample["logprob_she"]) / 2))
        assert f'{sample["modifier"]} {sample["profession"].replace("_", " ")}' in "\n".join(sample["prompt"].splitlines()[-2:])
        assert {"profession", "modifier", "modifier_type", "template", "split", "f", "f_ipums", "s", "demo_order"} <= set(sample)
    names = {m["name"] for m in entry["metrics"]}
    regression = {"stereotype_a_s", "stereotype_a_f", "stereotype_b"}
    assert regression <= names or "stereotype_regression" in entry["extra"]["notes"]
    assert {"profession", "modifier", "template"} <= set(entry["extra"]["breakdowns"])
    assert "reconstructed" in entry["extra"]["notes"]["fb_score"]


def test_codegenbias_writes_both_plots(run: Path) -> None:
    entry = load_result(run)["tasks"]["codegenbias"]
    plots = {p["name"]: p for p in entry["plots"]}
    assert set(plots) == {"tendency_vs_factual", "most_biased_professions"}
    for plot in plots.values():
        path = run.parent / plot["path"]
        assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_codegenbias_gen_counts_every_reply_outcome(run: Path) -> None:
    entry = load_result(run)["tasks"]["codegenbias_gen"]
    assert entry["status"] == "ok"
    samples = load_samples(run, "codegenbias_gen")
    assert len(samples) == LIMIT
    outcomes = entry["extra"]["parse_outcomes"]
    assert sum(outcomes.values()) == LIMIT
    assert outcomes["unparseable"] == sum(s["parse_status"] == "unparseable" for s in samples)
    assert metric(entry, "unparseable_rate")["value"] == pytest.approx(outcomes["unparseable"] / LIMIT)
    for sample in samples:
        assert "response" in sample
        if sample["parse_status"] == "gendered":
            assert sample["m"] in (1.0, -1.0)
        else:
            assert sample["m"] is None
    gendered = [s for s in samples if s["m"] is not None]
    if gendered:
        assert metric(entry, "fb_score_definitional")["n"] == len(gendered)
        mapped = [s for s in gendered if s["f_ipums"] is not None]
        names = {m["name"] for m in entry["metrics"]}
        assert (metric(entry, "fb_score")["n"] == len(mapped)) if mapped else ("fb_score" not in names)
    rate = metric(entry, "unparseable_rate")
    assert 0 <= rate["ci_low"] <= rate["value"] <= rate["ci_high"] <= 1 and "Wilson" in rate["description"]
