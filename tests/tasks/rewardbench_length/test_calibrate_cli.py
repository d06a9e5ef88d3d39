"""`bench calibrate` on score files written here in the published eval-set-scores format."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from bench.harness.cli import main
from bench.metrics.reward_calibration import rc_lwr
from bench.metrics.rewardbench_scoring import (
    pair_correct,
    rewardbench_score,
    section_scores,
    subset_accuracies,
)
from bench.tasks.rewardbench_length.calibration_report import validate_report
from bench.tasks.rewardbench_length.data import load_sample_pairs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score_file_writer import synthetic_scores, write_score_file  # noqa: E402

PAIRS = load_sample_pairs()


@pytest.fixture
def score_dir(tmp_path: Path) -> Path:
    """Three reward models: unbiased, mildly and strongly length-biased (one stores list-valued scores)."""
    folder = tmp_path / "eval-set-scores"
    for index, (bias, list_valued) in enumerate([(0.0, False), (0.01, True), (0.03, False)]):
        chosen, rejected = synthetic_scores(PAIRS, bias, seed=index)
        write_score_file(folder / "org" / f"rm-{index}.json", PAIRS, chosen, rejected, f"org/rm-{index}", list_valued)
    return folder


def _calibrate(*args: str) -> int:
    return main(["calibrate", *args])


@pytest.mark.slow
def test_calibrate_end_to_end_writes_a_valid_report_matching_the_metrics(bench_main, score_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = bench_main("calibrate", str(score_dir), "--responses", "sample", "-o", str(out), "--min-count", "5", "--per-model-plots")
    assert result.returncode == 0, result.stderr
    assert "3 model(s) calibrated" in result.stdout
    document = json.loads((out / "calibration.json").read_text())
    validate_report(document)
    assert document["methods"] == ["rc_mean", "rc_lwr", "length_penalty", "rc_lwr_penalty"]
    by_model = {m["model"]: m for m in document["models"]}
    assert set(by_model) == {"org/rm-0", "org/rm-1", "org/rm-2"}
    subsets = [p.subset for p in PAIRS]
    lengths = np.array([len(p.chosen) for p in PAIRS] + [len(p.rejected) for p in PAIRS], float)
    for index in range(3):
        chosen, rejected = synthetic_scores(PAIRS, [0.0, 0.01, 0.03][index], seed=index)
        row = by_model[f"org/rm-{index}"]
        assert row["scores"]["original"] == pytest.approx(rewardbench_score(subsets, pair_correct(chosen, rejected)).overall)
        calibrated = rc_lwr(lengths, np.concatenate([chosen, rejected]), frac=1.0)
        expected = rewardbench_score(subsets, pair_correct(calibrated[: len(PAIRS)], calibrated[len(PAIRS) :])).overall
        assert row["scores"]["rc_lwr"] == pytest.approx(expected)
        assert row["gains"]["rc_lwr"] == pytest.approx(expected - row["scores"]["original"])
        assert row["penalty_length"] == "templated text"
    # The strongly biased model gains from RC-LWR; the summary is the mean/max/min of the per-model gains.
    assert by_model["org/rm-2"]["gains"]["rc_lwr"] > 0
    gains = [by_model[m]["gains"]["rc_lwr"] for m in by_model]
    summary = next(g for g in document["gains"] if g["method"] == "rc_lwr")
    assert (summary["mean"], summary["max"], summary["min"]) == pytest.approx((np.mean(gains), max(gains), min(gains)))
    with (out / "calibration.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["model"] for r in rows] == ["org/rm-0", "org/rm-1", "org/rm-2"]
    assert float(rows[2]["gain_rc_lwr"]) == pytest.approx(by_model["org/rm-2"]["gains"]["rc_lwr"], abs=1e-4)
    assert "| rc_lwr |" in (out / "calibration.md").read_text()
    for png in ["scores_before_after.png", "reward_vs_length/org__rm-0.png"]:
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_list_valued_scores_give_the_same_report_as_scalars(tmp_path: Path):
    chosen, rejected = synthetic_scores(PAIRS, 0.02, seed=5)
    reports = []
    for list_valued in (False, True):
        path = write_score_file(tmp_path / f"in-{list_valued}" / "m.json", PAIRS, chosen, rejected, "org/m", list_valued)
        out = tmp_path / f"out-{list_valued}"
        assert _calibrate(str(path), "--responses", "sample", "-o", str(out)) == 0
        reports.append(json.loads((out / "calibration.json").read_text())["models"][0])
    for key in ("scores", "gains", "sections", "spearman"):
        assert reports[0][key] == reports[1][key]


def test_xstest_switch_changes_the_safety_weights(tmp_path: Path):
    chosen, rejected = synthetic_scores(PAIRS, 0.0, seed=3)
    path = write_score_file(tmp_path / "m.json", PAIRS, chosen, rejected, "org/m")
    accuracy = subset_accuracies([p.subset for p in PAIRS], pair_correct(chosen, rejected))
    for weights in ("paper", "fixed"):
        out = tmp_path / weights
        assert _calibrate(str(path), "--responses", "sample", "--xstest-weights", weights, "--method", "rc_lwr", "-o", str(out)) == 0
        row = json.loads((out / "calibration.json").read_text())["models"][0]
        assert row["sections"]["original"]["Safety"] == pytest.approx(section_scores(accuracy, weights)["Safety"])
        assert set(row["scores"]) == {"original", "rc_lwr"}


def test_penalty_falls_back_to_prompt_plus_response_without_published_texts(tmp_path: Path):
    chosen, rejected = synthetic_scores(PAIRS, 0.0, seed=4)
    path = write_score_file(tmp_path / "m.json", PAIRS, chosen, rejected, "org/m", with_text=False)
    assert _calibrate(str(path), "--responses", "sample", "--method", "length_penalty", "-o", str(tmp_path / "out")) == 0
    row = json.loads((tmp_path / "out" / "calibration.json").read_text())["models"][0]
    assert row["penalty_length"] == "prompt + response"
    penalised_margin = (chosen - rejected) - 0.001 * np.array([len(p.chosen) - len(p.rejected) for p in PAIRS])
    expected = rewardbench_score([p.subset for p in PAIRS], penalised_margin > 0).overall
    assert row["scores"]["length_penalty"] == pytest.approx(expected)


def test_several_features_are_calibrated_in_sequence(tmp_path: Path, capsys):
    from bench.harness.embedded_model import embedded_model_dir
    from bench.metrics.reward_calibration import markdown_element_count, rc_lwr_sequential

    chosen, rejected = synthetic_scores(PAIRS, 0.02, seed=8)
    path = write_score_file(tmp_path / "m.json", PAIRS, chosen, rejected, "org/m")
    out = tmp_path / "out"
    args = [str(path), "--responses", "sample", "--method", "rc_lwr", "-o", str(out)]
    assert _calibrate(*args, "--feature", "chars", "--feature", "markdown", "--alpha", "1.0", "--alpha", "0.5") == 0
    chars = [len(p.chosen) for p in PAIRS] + [len(p.rejected) for p in PAIRS]
    markdown = [markdown_element_count(p.chosen) for p in PAIRS] + [markdown_element_count(p.rejected) for p in PAIRS]
    calibrated = rc_lwr_sequential([chars, markdown], np.concatenate([chosen, rejected]), alphas=[1.0, 0.5])
    expected = rewardbench_score([p.subset for p in PAIRS], pair_correct(calibrated[:39], calibrated[39:])).overall
    assert json.loads((out / "calibration.json").read_text())["models"][0]["scores"]["rc_lwr"] == pytest.approx(expected)
    assert _calibrate(*args, "--feature", "tokens") == 2
    assert "needs --tokenizer" in capsys.readouterr().err
    assert _calibrate(*args, "--feature", "tokens", "--tokenizer", str(embedded_model_dir())) == 0


def test_partial_score_files_need_allow_partial(tmp_path: Path, capsys):
    half = PAIRS[:20]
    chosen, rejected = synthetic_scores(half, 0.0, seed=6)
    path = write_score_file(tmp_path / "m.json", half, chosen, rejected, "org/m")
    assert _calibrate(str(path), "--responses", "sample", "-o", str(tmp_path / "a")) == 2
    assert "misses 19 of the 39 response ids" in capsys.readouterr().err
    assert _calibrate(str(path), "--responses", "sample", "--allow-partial", "-o", str(tmp_path / "b")) == 0
    assert json.loads((tmp_path / "b" / "calibration.json").read_text())["models"][0]["n_pairs"] == 20


def test_min_score_and_model_type_filter_models(tmp_path: Path, score_dir: Path, capsys):
    assert _calibrate(str(score_dir), "--responses", "sample", "--min-score", "100", "-o", str(tmp_path / "a")) == 2
    assert "no model has an original score above" in capsys.readouterr().err
    assert _calibrate(str(score_dir), "--responses", "sample", "--model-type", "DPO", "-o", str(tmp_path / "b")) == 2
    assert "model_type 'DPO'" in capsys.readouterr().err


def test_model_type_filter_skips_other_files_before_checking_them(tmp_path: Path, score_dir: Path):
    custom = score_dir / "other" / "custom.json"
    custom.parent.mkdir(parents=True)
    custom.write_text(json.dumps({"id": [1], "subset": ["hep-go"], "model": "other/custom", "model_type": "Custom Classifier"}))
    out = tmp_path / "out"
    assert _calibrate(str(score_dir), "--responses", "sample", "--model-type", "Seq. Classifier", "-o", str(out)) == 0
    assert len(json.loads((out / "calibration.json").read_text())["models"]) == 3
    assert _calibrate(str(score_dir), "--responses", "sample", "-o", str(tmp_path / "unfiltered")) == 2


def _bad_file(tmp_path: Path, kind: str) -> Path:
    chosen, rejected = synthetic_scores(PAIRS, 0.0, seed=1)
    path = tmp_path / "scores" / "bad.json"
    ids = [int(p.id) for p in PAIRS]
    if kind == "missing id":
        return write_score_file(path, PAIRS, chosen, rejected, "m", id=[None, *ids[1:]])
    if kind == "nan score":
        return write_score_file(path, PAIRS, np.r_[chosen[:3], np.nan, chosen[4:]], rejected, "m")
    if kind == "unknown subset":
        return write_score_file(path, PAIRS, chosen, rejected, "m", subset=["anthropic_helpful"] + [p.subset for p in PAIRS[1:]])
    if kind == "no overlap":
        return write_score_file(path, PAIRS, chosen, rejected, "m", id=[i + 10**6 for i in ids])
    if kind == "foreign ids":
        return write_score_file(path, PAIRS, chosen, rejected, "m", id=[*ids[:-1], 5])
    if kind == "duplicate id":
        return write_score_file(path, PAIRS, chosen, rejected, "m", id=[ids[0], *ids[:-1]])
    if kind == "ragged columns":
        return write_score_file(path, PAIRS, chosen, rejected, "m", scores_rejected=list(rejected[:-1]))
    if kind == "not json":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{not json")
        return path
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing id", "row 1 has no id"),
        ("nan score", "has a NaN or infinite scores_chosen"),
        ("unknown subset", "unknown subset 'anthropic_helpful'"),
        ("no overlap", "has no id in common with the responses"),
        ("foreign ids", "1 ids that are not in the responses (e.g. id 5)"),
        ("duplicate id", "appears twice"),
        ("ragged columns", "is not columnar"),
        ("not json", "is not valid JSON"),
    ],
)
def test_bad_score_file_is_a_one_line_error_naming_it_and_writes_nothing(tmp_path: Path, capsys, kind, message):
    good_chosen, good_rejected = synthetic_scores(PAIRS, 0.0, seed=2)
    good = write_score_file(tmp_path / "good" / "ok.json", PAIRS, good_chosen, good_rejected, "ok")
    bad = _bad_file(tmp_path, kind)
    out = tmp_path / "out"
    assert _calibrate(str(good), str(bad), "--responses", "sample", "-o", str(out)) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("bench: error: ")
    assert str(bad) in err and message in err
    assert not out.exists()


def test_rc_mean_that_calibrates_no_pair_warns_and_records_it(tmp_path: Path, capsys):
    # 39 pairs = 78 responses: no length window can hold min_count = 100 of them.
    chosen, rejected = synthetic_scores(PAIRS, 0.02, seed=9)
    path = write_score_file(tmp_path / "m.json", PAIRS, chosen, rejected, "org/m")
    out = tmp_path / "out"
    assert _calibrate(str(path), "--responses", "sample", "--method", "rc_mean", "--min-count", "100", "-o", str(out)) == 0
    row = json.loads((out / "calibration.json").read_text())["models"][0]
    assert row["gains"]["rc_mean"] == 0.0
    assert len(row["warnings"]) == 1 and "RC-Mean calibrated 0 of 39 pairs" in row["warnings"][0]
    assert "warning: org/m: rc_mean: RC-Mean calibrated 0 of 39 pairs" in capsys.readouterr().out
    assert "## Warnings" in (out / "calibration.md").read_text()
    assert _calibrate(str(path), "--responses", "sample", "--method", "rc_mean", "-o", str(tmp_path / "b")) == 0
    assert json.loads((tmp_path / "b" / "calibration.json").read_text())["models"][0]["warnings"] == []
