"""The gate's comparison logic and statistics, on hand-built result documents with known answers.

`write_run` is the small builder the gate's other test modules import: it writes a schema-valid
result document and its samples JSONL into a folder, exactly as `bench eval` lays them out.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bench.harness.errors import ConfigError, ResultFileError
from bench.harness.gate import (
    GateInputError,
    GatePolicy,
    ToleranceRule,
    gate_documents,
    load_policy,
    policy_from_dict,
)
from bench.harness.gate.report import render_json, render_markdown
from bench.harness.results import validate_result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats


def metric(name: str, value: float | None, direction: str = "higher", n: int = 0, **extra: Any) -> dict[str, Any]:
    return {"name": name, "value": value, "direction": direction, "n": n, "stderr": None, "ci_low": None,
            "ci_high": None, "ci_level": 0.95, "sample_field": None, "description": "", **extra}


def write_run(
    folder: Path,
    tasks: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]],
    *,
    model: str = "tiny-model",
    seed: int = 1234,
    version: str = "1",
    failed: tuple[str, ...] = (),
    run_id: str | None = None,
    created_at: str = "2026-01-02T03:04:05+00:00",
) -> Path:
    """Write result.json + samples_<task>.jsonl; `tasks` maps task -> (metrics, sample records)."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = {}
    for number, (name, (metrics, samples)) in enumerate(tasks.items()):
        samples_file = f"samples_{number}.jsonl"
        body = "".join(json.dumps(s) + "\n" for s in samples).encode()
        (folder / samples_file).write_bytes(body)
        entries[name] = {
            "name": name, "version": version, "config": {}, "headline_metric": metrics[0]["name"] if metrics else None,
            "status": "failed" if name in failed else "ok", "error": "boom" if name in failed else None,
            "metrics": [] if name in failed else metrics, "samples_file": samples_file,
            "samples_sha256": hashlib.sha256(body).hexdigest(), "n_samples": len(samples),
            "plots": [], "extra": {}, "wall_time_s": 1.0,
        }
    document = {
        "schema_version": "1.0", "run_id": run_id or folder.name, "created_at": created_at,
        "model": {"name": model, "source": model, "fingerprint": f"sha256:{abs(hash(model)):016x}", "revision": None,
                  "backend": "hf", "backend_args": {}, "dtype": "float32", "device": "cpu"},
        "config": {"tasks": list(tasks), "seed": seed, "limit": None},
        "tasks": entries,
        "provenance": {"bench_version": "0.1.0", "git_revision": "abc123", "git_dirty": False, "python": "3.11",
                       "platform": "linux", "hardware": {"cpu_count": 2}, "packages": {"torch": "2.13.0"},
                       "seed": seed, "started_at": created_at, "wall_time_s": 3.0, "requests": 10, "cache_hits": 0},
    }
    validate_result(document)
    path = folder / "result.json"
    path.write_text(json.dumps(document, indent=1))
    return path


def binary_task(outcomes: list[int], ids: list[str] | None = None, name: str = "accuracy",
                direction: str = "higher") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A task whose metric is the mean of 0/1 per-sample outcomes stored in field "correct"."""
    ids = ids or [f"q{i}" for i in range(len(outcomes))]
    value = sum(outcomes) / len(outcomes)
    stderr = math.sqrt(value * (1 - value) / max(len(outcomes) - 1, 1))
    return ([metric(name, value, direction, len(outcomes), stderr=stderr, sample_field="correct")],
            [{"id": i, "correct": float(o)} for i, o in zip(ids, outcomes)])


def continuous_task(values: list[float], direction: str = "lower", name: str = "loss") -> tuple[list, list]:
    return ([metric(name, float(np.mean(values)), direction, len(values), sample_field="score")],
            [{"id": f"s{i}", "score": v} for i, v in enumerate(values)])


# ------------------------------------------------------------------------------ verdicts


def test_identical_runs_pass_with_every_metric_unchanged(tmp_path: Path) -> None:
    tasks = {"qa": binary_task([1, 0, 1, 1, 0, 1]), "reg": continuous_task([0.3, 0.1, 0.7])}
    path = write_run(tmp_path / "a", tasks)
    report = gate_documents(path, path)
    assert report.exit_code == 0 and report.passed
    assert [c.status for c in report.comparisons] == ["unchanged", "unchanged"]
    assert [c.test for c in report.comparisons] == ["McNemar exact", "paired permutation"]


def test_significant_drop_on_paired_binary_samples_is_a_regression(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1] * 20)})
    cand = write_run(tmp_path / "b", {"qa": binary_task([0] * 10 + [1] * 10)})
    report = gate_documents(base, cand)
    (c,) = report.comparisons
    assert c.status == "regression" and report.exit_code == 1
    assert c.test == "McNemar exact" and c.n_paired == 20
    assert c.p_value == pytest.approx(0.5**10)
    assert c.delta == pytest.approx(-0.5) and c.bad_change == pytest.approx(0.5)
    assert c.delta_ci_low is not None and c.delta_ci_high is not None
    assert c.delta_ci_low <= -0.5 <= c.delta_ci_high < 0


def test_small_noisy_drop_is_not_significant(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0])})
    cand = write_run(tmp_path / "b", {"qa": binary_task([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0])})
    (c,) = gate_documents(base, cand).comparisons
    assert c.status == "not significant"
    assert c.p_value == pytest.approx(386 / 1024)


def test_improvement_is_reported_better_and_passes(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([0] * 10)})
    cand = write_run(tmp_path / "b", {"qa": binary_task([1] * 10)})
    report = gate_documents(base, cand)
    assert report.comparisons[0].status == "better" and report.exit_code == 0


def test_lower_is_better_metric_regresses_when_it_rises(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"r": continuous_task([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])})
    cand = write_run(tmp_path / "b", {"r": continuous_task([2.0, 4.0, 6.0, 8.0, 10.0, 12.0])})
    (c,) = gate_documents(base, cand).comparisons
    assert c.test == "paired permutation" and c.p_value == pytest.approx(1 / 64)
    assert c.status == "regression"


def test_absolute_tolerance_absorbs_a_significant_drop(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1] * 20)})
    cand = write_run(tmp_path / "b", {"qa": binary_task([0] * 10 + [1] * 10)})
    lenient = GatePolicy(tasks={"qa": ToleranceRule(abs_tolerance=0.5)})
    assert gate_documents(base, cand, lenient).comparisons[0].status == "within tolerance"
    strict = GatePolicy(tasks={"qa": ToleranceRule(abs_tolerance=0.49)})
    assert gate_documents(base, cand, strict).comparisons[0].status == "regression"


def test_relative_tolerance_scales_with_the_baseline_value(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1] * 20)})  # 1.0
    cand = write_run(tmp_path / "b", {"qa": binary_task([0] * 10 + [1] * 10)})  # 0.5
    policy = GatePolicy(metrics={"accuracy": ToleranceRule(rel_tolerance=0.6)})  # tolerance 0.6 * 1.0
    (c,) = gate_documents(base, cand, policy).comparisons
    assert c.tolerance == pytest.approx(0.6) and c.status == "within tolerance"


def test_disjoint_sample_ids_use_the_unpaired_bootstrap(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1] * 30, ids=[f"a{i}" for i in range(30)])})
    cand = write_run(tmp_path / "b", {"qa": binary_task([0] * 30, ids=[f"b{i}" for i in range(30)])})
    (c,) = gate_documents(base, cand).comparisons
    assert c.test == "unpaired bootstrap" and c.n_paired == 0
    assert c.p_value == pytest.approx(1 / 10000)  # no replicate is "not worse": (0 + 1) / (B + 1)
    assert c.status == "regression"


def test_unpaired_bootstrap_sees_no_drop_between_equal_samples(tmp_path: Path) -> None:
    outcomes = [1, 0] * 15
    base = write_run(tmp_path / "a", {"qa": binary_task(outcomes, ids=[f"a{i}" for i in range(30)])})
    cand = write_run(tmp_path / "b", {"qa": binary_task(outcomes, ids=[f"b{i}" for i in range(30)])})
    (c,) = gate_documents(base, cand).comparisons
    assert c.status == "unchanged" and c.p_value is not None and c.p_value > 0.4


def test_partly_shared_ids_are_paired_on_the_intersection(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1] * 10)})
    cand = write_run(tmp_path / "b", {"qa": binary_task([1] * 8, ids=[f"q{i}" for i in range(8)])})
    (c,) = gate_documents(base, cand).comparisons
    assert c.n_paired == 8 and "paired on the 8 shared" in c.note


def test_metrics_without_samples_fall_back_to_a_z_test_on_stderr(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"t": ([metric("score", 0.80, n=100, stderr=0.01)], [])})
    cand = write_run(tmp_path / "b", {"t": ([metric("score", 0.77, n=100, stderr=0.01)], [])})
    (c,) = gate_documents(base, cand).comparisons
    assert c.test == "z-test"
    assert c.p_value == pytest.approx(stats.norm.sf(0.03 / math.hypot(0.01, 0.01)))
    assert c.status == "regression"
    assert c.delta_ci_low == pytest.approx(-0.03 - 1.959964 * math.hypot(0.01, 0.01), rel=1e-5)


def test_metric_with_no_uncertainty_is_unverified_and_fails_only_if_policy_says(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"t": ([metric("score", 0.8, n=5)], [])})
    cand = write_run(tmp_path / "b", {"t": ([metric("score", 0.7, n=5)], [])})
    report = gate_documents(base, cand)
    assert report.comparisons[0].status == "unverified" and report.exit_code == 0
    assert "significance not tested" in report.comparisons[0].note
    strict = gate_documents(base, cand, GatePolicy(untestable="fail"))
    assert strict.comparisons[0].status == "regression" and strict.exit_code == 1


def test_direction_none_metrics_are_reported_but_never_gated(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"t": ([metric("mean_length", 10.0, "none", stderr=0.1)], [])})
    cand = write_run(tmp_path / "b", {"t": ([metric("mean_length", 99.0, "none", stderr=0.1)], [])})
    report = gate_documents(base, cand)
    assert report.comparisons[0].status == "not gated" and report.exit_code == 0


def test_ignored_metric_cannot_fail_the_gate(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1] * 20)})
    cand = write_run(tmp_path / "b", {"qa": binary_task([0] * 20)})
    policy = GatePolicy(task_metrics={("qa", "accuracy"): ToleranceRule(ignore=True)})
    assert gate_documents(base, cand, policy).comparisons[0].status == "ignored"


def test_holm_correction_controls_two_borderline_drops(tmp_path: Path) -> None:
    # Each task: 5 pairs worse, none better -> p = 1/32 = 0.03125 on its own, 0.0625 after Holm.
    drop = {"t1": binary_task([1] * 5), "t2": binary_task([1] * 5)}
    worse = {"t1": binary_task([0] * 5), "t2": binary_task([0] * 5)}
    base, cand = write_run(tmp_path / "a", drop), write_run(tmp_path / "b", worse)
    holm = gate_documents(base, cand)
    assert [c.p_adjusted for c in holm.comparisons] == pytest.approx([0.0625, 0.0625])
    assert holm.exit_code == 0 and {c.status for c in holm.comparisons} == {"not significant"}
    raw = gate_documents(base, cand, GatePolicy(correction="none"))
    assert raw.exit_code == 1 and len(raw.regressions) == 2


def test_task_failed_in_candidate_fails_the_gate_unless_policy_warns(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1, 0]), "other": binary_task([1, 1])})
    cand = write_run(tmp_path / "b", {"qa": binary_task([1, 0]), "other": binary_task([1, 1])}, failed=("other",))
    report = gate_documents(base, cand)
    assert report.failed_tasks == ("other",) and report.exit_code == 1
    assert gate_documents(base, cand, GatePolicy(failed_task="warn")).exit_code == 0


def test_tasks_and_metrics_on_one_side_only_are_noted_not_compared(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1, 0]), "gone": binary_task([1, 1])})
    cand = write_run(tmp_path / "b", {"qa": binary_task([1, 0]), "new": binary_task([1, 1])})
    report = gate_documents(base, cand)
    assert [(c.task, c.metric) for c in report.comparisons] == [("qa", "accuracy")]
    assert any("only in the baseline" in n and "gone" in n for n in report.notes)
    assert any("only in the candidate" in n and "new" in n for n in report.notes)


def test_documents_passed_as_dicts_use_their_folders_for_samples(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1] * 20)})
    cand = write_run(tmp_path / "b", {"qa": binary_task([0] * 20)})
    docs = [json.loads(p.read_text()) for p in (base, cand)]
    with_dirs = gate_documents(docs[0], docs[1], baseline_dir=base.parent, candidate_dir=cand.parent)
    assert with_dirs.comparisons[0].test == "McNemar exact" and with_dirs.exit_code == 1
    without = gate_documents(docs[0], docs[1])
    assert without.comparisons[0].test == "z-test"


# ------------------------------------------------------------------------------ input errors


def test_mismatched_task_versions_are_an_input_error(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1, 0])}, version="1")
    cand = write_run(tmp_path / "b", {"qa": binary_task([1, 0])}, version="2")
    with pytest.raises(GateInputError, match=r"task 'qa' has version '1' in the baseline but '2' in the candidate"):
        gate_documents(base, cand)


def test_no_metric_in_common_is_an_input_error(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1, 0])})
    cand = write_run(tmp_path / "b", {"other": binary_task([1, 0])})
    with pytest.raises(GateInputError, match="no metric in common: baseline has tasks qa, candidate has other"):
        gate_documents(base, cand)


def test_missing_and_invalid_documents_are_input_errors(tmp_path: Path) -> None:
    good = write_run(tmp_path / "a", {"qa": binary_task([1, 0])})
    with pytest.raises(ResultFileError, match="candidate: result file .* does not exist"):
        gate_documents(good, tmp_path / "nope.json")
    broken = json.loads(good.read_text())
    del broken["tasks"]["qa"]["version"]
    (tmp_path / "bad.json").write_text(json.dumps(broken))
    with pytest.raises(ResultFileError, match="baseline: result file .* is invalid at tasks.qa"):
        gate_documents(tmp_path / "bad.json", good)


def edit_document(path: Path, edit: Any) -> None:
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))


def replace_samples(result: Path, task: str, text: str, *, rehash: bool = True) -> None:
    """Overwrite a task's samples file; with `rehash`, record the new file's sha256 as bench eval would."""
    document = json.loads(result.read_text())
    (result.parent / document["tasks"][task]["samples_file"]).write_text(text)
    if rehash:
        document["tasks"][task]["samples_sha256"] = hashlib.sha256(text.encode()).hexdigest()
        result.write_text(json.dumps(document))


def test_unreadable_samples_file_is_an_input_error(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1, 0])})
    cand = write_run(tmp_path / "b", {"qa": binary_task([1, 0])})
    replace_samples(cand, "qa", '{"id": "q0", "correct": 1}\n{"id": "q0", "correct": 0}\n')
    with pytest.raises(ResultFileError, match="repeats id 'q0'"):
        gate_documents(base, cand)


# ------------------------------------------------------------------------------ hostile or broken inputs


def test_nan_candidate_headline_fails_the_gate_and_names_the_metric(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"t": ([metric("score", 0.8, n=100, stderr=0.01)], [])})
    cand = write_run(tmp_path / "b", {"t": ([metric("score", None, n=100, stderr=None)], [])})
    report = gate_documents(base, cand)
    (c,) = report.comparisons
    assert c.status == "missing" and c.candidate is None and report.exit_code == 1
    assert render_markdown(report).splitlines()[0] == "## ❌ bench gate: 1 missing value (t/score)"


def test_nan_written_as_a_json_constant_is_missing_too(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"t": ([metric("score", 0.8, n=100, stderr=0.01)], [])})
    cand = write_run(tmp_path / "b", {"t": ([metric("score", 0.8, n=100, stderr=0.01)], [])})
    cand.write_text(cand.read_text().replace('"value": 0.8', '"value": NaN'))
    assert gate_documents(base, cand).comparisons[0].status == "missing"


def test_metric_absent_from_the_candidate_fails_the_gate(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"t": ([metric("score", 0.8, stderr=0.01), metric("other", 0.5)], [])})
    cand = write_run(tmp_path / "b", {"t": ([metric("other", 0.5)], [])})
    report = gate_documents(base, cand)
    assert {c.metric: c.status for c in report.comparisons} == {"score": "missing", "other": "unchanged"}
    assert report.exit_code == 1 and "absent from the candidate" in report.comparisons[0].note


def test_policy_allow_missing_turns_a_missing_value_into_a_warning(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"t": ([metric("score", 0.8, stderr=0.01)], [])})
    cand = write_run(tmp_path / "b", {"t": ([metric("score", None)], [])})
    file = tmp_path / "gate.toml"
    file.write_text("[tasks.t.metrics.score]\nallow_missing = true\n")
    report = gate_documents(base, cand, load_policy(file))
    assert report.comparisons[0].status == "no value" and report.exit_code == 0
    other_metric = GatePolicy(metrics={"other": ToleranceRule(allow_missing=True)})
    assert gate_documents(base, cand, other_metric).exit_code == 1


def test_nan_in_the_baseline_is_reported_as_no_baseline_and_never_fails(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"t": ([metric("score", None)], [])})
    cand = write_run(tmp_path / "b", {"t": ([metric("score", 0.1, stderr=0.01)], [])})
    report = gate_documents(base, cand)
    assert report.comparisons[0].status == "no baseline" and report.exit_code == 0


def test_nan_in_an_ungated_or_ignored_metric_does_not_fail(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"t": ([metric("length", 3.0, "none"), metric("score", 0.5)], [])})
    cand = write_run(tmp_path / "b", {"t": ([metric("length", None, "none"), metric("score", None)], [])})
    policy = GatePolicy(metrics={"score": ToleranceRule(ignore=True)})
    report = gate_documents(base, cand, policy)
    assert [c.status for c in report.comparisons] == ["not gated", "ignored"] and report.exit_code == 0


@pytest.mark.parametrize("samples_file", ["/etc/passwd", "../../../../etc/passwd", "sub/../../x.jsonl"])
def test_samples_file_outside_the_run_folder_is_refused(tmp_path: Path, samples_file: str) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1, 0])})
    cand = write_run(tmp_path / "b", {"qa": binary_task([1, 0])})
    edit_document(cand, lambda d: d["tasks"]["qa"].update(samples_file=samples_file))
    with pytest.raises(ResultFileError, match="samples_file .* (must be a relative path inside|resolves outside)"):
        gate_documents(base, cand)


def test_samples_symlink_escaping_the_run_folder_is_refused(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1, 0])})
    cand = write_run(tmp_path / "b", {"qa": binary_task([1, 0])})
    outside = tmp_path / "secret.jsonl"
    outside.write_text('{"id": "q0", "correct": 1}\n')
    (cand.parent / "samples_0.jsonl").unlink()
    (cand.parent / "samples_0.jsonl").symlink_to(outside)
    with pytest.raises(ResultFileError, match="resolves outside the run folder"):
        gate_documents(base, cand)


def test_samples_file_changed_after_the_run_fails_its_sha256_check(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1] * 10)})
    cand = write_run(tmp_path / "b", {"qa": binary_task([1] * 10)})
    replace_samples(cand, "qa", "".join(json.dumps({"id": f"q{i}", "correct": 0.0}) + "\n" for i in range(10)),
                    rehash=False)
    with pytest.raises(ResultFileError, match="does not match its samples_sha256"):
        gate_documents(base, cand)


def test_samples_without_a_recorded_hash_are_not_used(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1] * 10)})
    cand = write_run(tmp_path / "b", {"qa": binary_task([1] * 10)})
    edit_document(cand, lambda d: d["tasks"]["qa"].update(samples_sha256=None))
    (c,) = gate_documents(base, cand).comparisons
    assert c.test == "z-test" and "records no samples_sha256" in c.note


def test_different_comparability_key_values_are_an_input_error(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"uno": binary_task([1, 0])})
    cand = write_run(tmp_path / "b", {"uno": binary_task([1, 0])})
    for path, mode in ((base, "letter"), (cand, "json")):
        edit_document(path, lambda d, mode=mode: d["tasks"]["uno"].update(
            config={"answer_mode": mode}, comparability_keys=["answer_mode"]))
    with pytest.raises(GateInputError, match="answer_mode='letter' in the baseline but answer_mode='json'"):
        gate_documents(base, cand)


def test_policy_layers_resolve_most_specific_first(tmp_path: Path) -> None:
    file = tmp_path / "gate.toml"
    file.write_text(
        "alpha = 0.01\n[default]\nabs_tolerance = 0.1\n[metrics.accuracy]\nabs_tolerance = 0.2\n"
        "[tasks.uno]\nrel_tolerance = 0.5\n[tasks.uno.metrics.accuracy]\nabs_tolerance = 0.3\nignore = true\n"
    )
    policy = load_policy(file)
    assert policy.alpha == 0.01
    assert policy.rule_for("qa", "loss") == (0.1, 0.0, False)
    assert policy.rule_for("qa", "accuracy") == (0.2, 0.0, False)
    assert policy.rule_for("uno", "win_rate") == (0.1, 0.5, False)
    assert policy.rule_for("uno", "accuracy") == (0.3, 0.5, True)
    assert policy.tolerance("uno", "win_rate", -0.8) == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alpah = 0.1\n", "unknown key 'alpah'"),
        ("alpha = 2.0\n", r"alpha must be in \(0, 1\)"),
        ("[default]\nabs_tolerance = -1\n", "abs_tolerance must be a non-negative number"),
        ("[tasks.uno]\nabs_tol = 1\n", r"unknown key 'abs_tol' in \[tasks.uno\]"),
        ("correction = 'bonferroni'\n", "correction must be 'holm' or 'none'"),
        ("alpha = [\n", "is not valid TOML"),
    ],
)
def test_bad_policy_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "gate.toml"
    file.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_policy(file)


def test_missing_policy_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_policy(tmp_path / "none.toml")


def test_policy_from_dict_keeps_unset_default_fields() -> None:
    policy = policy_from_dict({"default": {"rel_tolerance": 0.1}})
    assert policy.default == ToleranceRule(abs_tolerance=0.0, rel_tolerance=0.1, ignore=False, allow_missing=False)


# ------------------------------------------------------------------------------ reports


def test_markdown_report_escapes_hostile_names_and_keeps_the_table_shape(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script>|x"
    base = write_run(tmp_path / "a", {hostile: binary_task([1] * 10)}, model=hostile)
    cand = write_run(tmp_path / "b", {hostile: binary_task([0] * 10)}, model=hostile)
    markdown = render_markdown(gate_documents(base, cand))
    assert "<script>" not in markdown
    assert markdown.startswith("## ❌ bench gate: 1 regression (&lt;script&gt;")
    rows = [line for line in markdown.splitlines() if line.startswith("| ❌")]
    assert len(rows) == 1
    header = next(line for line in markdown.splitlines() if line.startswith("| | task"))
    unescaped_pipes = lambda line: len(line.replace("\\|", "")) - len(line.replace("\\|", "").replace("|", ""))  # noqa: E731
    assert unescaped_pipes(rows[0]) == unescaped_pipes(header)


def test_json_report_carries_verdict_and_every_comparison(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", {"qa": binary_task([1] * 20), "r": continuous_task([1.0, 2.0])})
    cand = write_run(tmp_path / "b", {"qa": binary_task([0] * 20), "r": continuous_task([1.0, 2.0])})
    data = json.loads(render_json(gate_documents(base, cand)))
    assert data["passed"] is False and data["exit_code"] == 1
    assert data["regressions"] == ["qa/accuracy"]
    assert {c["status"] for c in data["comparisons"]} == {"regression", "unchanged"}
    assert data["comparisons"][0]["p_value"] == pytest.approx(0.5**20)
    assert data["baseline"]["model"] == "tiny-model" and data["policy"]["alpha"] == 0.05


# ------------------------------------------------------------------------------ invariants


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(outcomes=st.lists(st.integers(0, 1), min_size=2, max_size=40),
       gains=st.lists(st.integers(0, 1), min_size=40, max_size=40))
def test_a_candidate_no_worse_on_any_sample_never_fails(tmp_path: Path, outcomes: list[int], gains: list[int]) -> None:
    improved = [max(o, g) for o, g in zip(outcomes, gains)]
    base = write_run(tmp_path / "a", {"qa": binary_task(outcomes)})
    cand = write_run(tmp_path / "b", {"qa": binary_task(improved)})
    assert gate_documents(base, cand).exit_code == 0
    assert gate_documents(base, base).comparisons[0].status == "unchanged"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=30),
       direction=st.sampled_from(["higher", "lower"]))
def test_identical_continuous_runs_never_fail(tmp_path: Path, values: list[float], direction: str) -> None:
    path = write_run(tmp_path / "a", {"r": continuous_task(values, direction=direction)})
    report = gate_documents(path, path)
    assert report.exit_code == 0 and report.comparisons[0].status == "unchanged"
