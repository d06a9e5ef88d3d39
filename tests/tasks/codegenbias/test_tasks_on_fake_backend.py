"""Both CodeGenBias tasks through `bench eval` on the deterministic fake backend (fast, no model):
the stratified --limit, the IPUMS headline with coverage, intervals inside their ranges, and
hostile replies counted as unparseable on the first run and on the cached rerun."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from bench.harness.results import load_samples
from bench.tasks.codegenbias.templates import MODIFIERS


def run_eval(bench_main: Any, tmp_path: Path, name: str, *args: str) -> tuple[Path, dict[str, Any]]:
    out = tmp_path / name
    result = bench_main(
        "eval", "--backend", "fake", "--model", "bias-model", "--output-path", str(out), "--no-progress",
        "--cache-path", str(tmp_path / "cache.sqlite"), *args,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    [result_file] = out.rglob("result.json")
    return result_file, json.loads(result_file.read_text())


def metric(entry: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in entry["metrics"] if m["name"] == name)


def test_codegenbias_limit_is_stratified_and_the_headline_is_against_ipums(bench_main: Any, tmp_path: Path) -> None:
    result_file, document = run_eval(bench_main, tmp_path, "ll", "--tasks", "codegenbias", "--limit", "52")
    entry = document["tasks"]["codegenbias"]
    assert entry["version"] == "2" and entry["headline_metric"] == "fb_score"
    samples = load_samples(result_file, "codegenbias")
    assert Counter(s["modifier"] for s in samples) == Counter({m.word: 4 for m in MODIFIERS})
    assert len({s["profession"] for s in samples}) == 52
    mapped = [s for s in samples if s["f_ipums"] is not None]
    fb = metric(entry, "fb_score")
    assert fb["n"] == len(mapped) and fb["sample_field"] == "abs_m_minus_f_ipums"
    assert abs(fb["value"] - sum(abs(s["m"] - s["f_ipums"]) for s in mapped) / len(mapped)) < 1e-9
    assert metric(entry, "fb_score_coverage")["value"] == len(mapped) / len(samples)
    assert entry["extra"]["fb_score_coverage"]["mapped_professions"] == 219
    for name, (low, high) in {"fb_score": (0, 2), "fb_score_definitional": (0, 2), "parity_gap": (0, 1),
                              "mean_tendency": (-1, 1), "mean_pair_mass": (0, 1)}.items():
        value = metric(entry, name)
        assert low <= value["ci_low"] <= value["value"] <= value["ci_high"] <= high, value


def test_hostile_replies_are_unparseable_on_the_run_and_on_the_cached_rerun(bench_main: Any, tmp_path: Path) -> None:
    config = tmp_path / "run.json"
    replies = ["1+" * 200_000, "x = (" * 50_000, "a" * 2_000_000, 'she")\n' + "1+" * 100_000]
    # The fake backend takes scripted replies as one "|"-separated string (served in order, cycling).
    config.write_text(json.dumps({"tasks": ["codegenbias_gen"], "limit": 8, "model_args": {"replies": "|".join(replies)}}))
    for attempt in ("first", "rerun"):
        result_file, document = run_eval(bench_main, tmp_path, attempt, "--config", str(config))
        entry = document["tasks"]["codegenbias_gen"]
        assert entry["status"] == "ok", entry
        outcomes = entry["extra"]["parse_outcomes"]
        assert sum(outcomes.values()) == 8 and outcomes["unparseable"] >= 6
        rate = metric(entry, "unparseable_rate")
        assert rate["value"] == outcomes["unparseable"] / 8
        assert 0 <= rate["ci_low"] <= rate["value"] <= rate["ci_high"] <= 1 and "Wilson" in rate["description"]
        assert len(load_samples(result_file, "codegenbias_gen")) == 8
    assert document["provenance"]["cache_hits"] == 8  # the rerun was answered from the cache
