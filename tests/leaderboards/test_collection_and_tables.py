"""Loading result folders and building the leaderboard's tables: versions, newest runs, ranks, data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bench.harness.errors import ResultFileError, UsageError
from bench.leaderboards.collection import collect_runs, model_page_slug
from bench.leaderboards.tables import build_board, metrics_frame, overview_frame, runs_json
from result_builder import HOSTILE, demo_results, metric, task, write_result


@pytest.fixture
def board(tmp_path: Path):
    return build_board(collect_runs(demo_results(tmp_path / "results")))


def test_runs_are_collected_newest_first(tmp_path: Path) -> None:
    collection = collect_runs(demo_results(tmp_path / "results"))
    assert [r.run_id for r in collection.runs] == ["a2", "h1", "b1", "a1"]
    assert collection.skipped == ()


def test_invalid_documents_are_skipped_with_their_reason(tmp_path: Path) -> None:
    results = demo_results(tmp_path / "results")
    (results / "broken").mkdir()
    (results / "broken" / "result.json").write_text('{"schema_version": "1.0"}')
    collection = collect_runs(results)
    assert len(collection.runs) == 4
    (skipped,) = collection.skipped
    assert skipped.path.name == "result.json" and "is invalid" in skipped.reason


def test_missing_folder_and_empty_folder_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        collect_runs(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ResultFileError, match="no valid result documents"):
        collect_runs(tmp_path / "empty")


def test_plot_paths_outside_the_run_folder_are_left_out(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(b"not for the site")
    write_result(tmp_path / "results", "m", "r1", "2026-01-01T00:00:00+00:00", {
        "t": task([metric("acc", 0.5)], plots=[{"name": "x", "path": "../../../secret.png"},
                                                {"name": "gone", "path": "plots/missing.png"}]),
    })
    (run,) = collect_runs(tmp_path / "results").runs
    assert run.task_plots("t") == ()


def test_each_task_version_is_its_own_column(board) -> None:
    assert [(c.task, c.version, c.label) for c in board.columns] == [
        ("qa", "1", "qa v1"), ("qa", "2", "qa v2"), ("uno", "1", "uno")]


def test_newest_run_per_model_and_column_is_shown(board) -> None:
    alpha = next(r for r in board.rows if r.model_name == "alpha-7b")
    assert alpha.n_runs == 2 and alpha.latest_run.run_id == "a2"
    assert alpha.cells["uno-v1"].run.run_id == "a2" and alpha.cells["uno-v1"].metric.value == 0.55
    # qa v1 only exists in the older run: it stays visible in its own column
    assert alpha.cells["qa-v1"].run.run_id == "a1" and alpha.cells["qa-v2"].run.run_id == "a2"


def test_failed_tasks_get_no_cell(board) -> None:
    hostile = next(r for r in board.rows if r.model_name == HOSTILE)
    assert "qa-v1" not in hostile.cells and "uno-v1" in hostile.cells


def test_ranks_follow_direction_and_mean_rank_orders_rows(board) -> None:
    ranks = {r.model_name: {slug: c.rank for slug, c in r.cells.items()} for r in board.rows}
    assert ranks["alpha-7b"] == {"uno-v1": 1, "qa-v1": 2, "qa-v2": None}  # alone in qa v2: no rank
    assert ranks["beta-1b"] == {"uno-v1": 2, "qa-v1": 1}
    assert ranks[HOSTILE] == {"uno-v1": 3}
    assert [(r.model_name, r.mean_rank) for r in board.rows] == [("alpha-7b", 1.5), ("beta-1b", 1.5), (HOSTILE, 3.0)]
    # a column with a single model has no "best" highlight
    assert not next(r for r in board.rows if r.model_name == "alpha-7b").cells["qa-v2"].best


def test_lower_is_better_metrics_rank_the_smallest_first(tmp_path: Path) -> None:
    for name, loss in [("m1", 0.3), ("m2", 0.1), ("m3", 0.1)]:
        write_result(tmp_path / "r", name, f"run-{name}", "2026-01-01T00:00:00+00:00",
                     {"t": task([metric("loss", loss, "lower")])})
    board = build_board(collect_runs(tmp_path / "r"))
    assert {r.model_name: r.cells["t-v1"].rank for r in board.rows} == {"m1": 3, "m2": 1, "m3": 1}


def test_history_lists_every_run_of_a_task_version(board) -> None:
    uno = next(c for c in board.columns if c.slug == "uno-v1")
    assert [run.run_id for run, _ in board.history(uno)] == ["a2", "h1", "b1", "a1"]
    qa1 = next(c for c in board.columns if c.slug == "qa-v1")
    assert [(run.run_id, entry.status) for run, entry in board.history(qa1)] == [
        ("h1", "failed"), ("b1", "ok"), ("a1", "ok")]


def test_data_frames_hold_values_intervals_and_the_latest_flag(board) -> None:
    overview = overview_frame(board)
    assert list(overview["model"]) == ["alpha-7b", "beta-1b", HOSTILE]
    assert overview.loc[0, "uno: win_rate"] == 0.55 and overview.loc[0, "uno: win_rate ci_low"] == 0.45
    assert overview.loc[1, "qa v1: accuracy ci_high"] == pytest.approx(0.80 + 1.959964 * 0.02)
    long = metrics_frame(board)
    latest = long[long["latest"]]
    assert set(zip(latest["model"], latest["run_id"], latest["task"])) == {
        ("alpha-7b", "a2", "uno"), ("alpha-7b", "a1", "qa"), ("alpha-7b", "a2", "qa"),
        ("beta-1b", "b1", "uno"), ("beta-1b", "b1", "qa"), (HOSTILE, "h1", "uno")}
    assert len(long) == 2 + 1 + 2 + 1 + 2 + 1 + 2  # every metric of every run (the failed task has none)
    runs = runs_json(board)
    assert json.loads(json.dumps(runs))[0]["provenance"]["packages"]["torch"] == "2.13.0"


def test_model_page_slugs_are_unique_for_names_that_slug_alike() -> None:
    assert model_page_slug("a/b") != model_page_slug("a b")
    assert model_page_slug(HOSTILE).endswith(model_page_slug(HOSTILE)[-8:])
    assert "<" not in model_page_slug(HOSTILE)


def test_task_names_that_slug_alike_get_distinct_columns(tmp_path: Path) -> None:
    write_result(tmp_path / "r", "m", "r1", "2026-01-01T00:00:00+00:00",
                 {"a b": task([metric("acc", 0.5)]), "a/b": task([metric("acc", 0.6)]), "a-b": task([metric("acc", 0.7)])})
    board = build_board(collect_runs(tmp_path / "r"))
    slugs = [c.slug for c in board.columns]
    assert len(set(slugs)) == 3 and "a-b-v1" in slugs
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", s) for s in slugs)


def test_nan_metric_is_shown_as_missing_and_never_ranked(tmp_path: Path) -> None:
    results = tmp_path / "results"
    write_result(results, "good", "g1", "2026-01-01T00:00:00+00:00", {"t": task([metric("acc", 0.5, stderr=0.1)])})
    write_result(results, "ok2", "o1", "2026-01-02T00:00:00+00:00", {"t": task([metric("acc", 0.4, stderr=0.1)])})
    nan_run = write_result(results, "broken", "n1", "2026-01-03T00:00:00+00:00",
                           {"t": task([metric("acc", 0.9, stderr=0.1)])})
    nan_run.write_text(nan_run.read_text().replace('"value": 0.9', '"value": NaN'))
    board = build_board(collect_runs(results))
    cells = {row.model_name: row.cells[board.columns[0].slug] for row in board.rows}
    assert not cells["broken"].metric.has_value and cells["broken"].rank is None
    assert (cells["good"].rank, cells["ok2"].rank) == (1, 2)
    frame = overview_frame(board).set_index("model")
    assert frame.loc["broken", "t: acc"] is None or frame["t: acc"].isna()["broken"]
    assert json.dumps(runs_json(board), allow_nan=False)  # strict JSON: the NaN became null


def test_comparability_keys_split_columns_and_ranks(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for model, mode, value in (("a", "letter", 0.9), ("b", "json", 0.1), ("c", "json", 0.3)):
        write_result(results, model, f"{model}1", "2026-01-01T00:00:00+00:00", {
            "uno": task([metric("win_rate", value, ci=(0.0, 1.0))], config={"answer_mode": mode, "games": 4},
                        comparability_keys=("answer_mode",)),
        })
    board = build_board(collect_runs(results))
    assert sorted(c.label for c in board.columns) == ["uno (answer_mode='json')", "uno (answer_mode='letter')"]
    json_column = next(c for c in board.columns if "json" in c.label)
    ranks = {row.model_name: row.cells[json_column.slug].rank for row in board.rows if json_column.slug in row.cells}
    assert ranks == {"c": 1, "b": 2}  # model a (letter mode) is not ranked against them
    assert all(len([c for c in board.columns if c.slug in row.cells]) == 1 for row in board.rows)
    assert {run.run_id for run, _ in board.history(json_column)} == {"b1", "c1"}


def test_config_keys_not_declared_comparability_keys_share_a_column(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for model, games in (("a", 4), ("b", 8)):
        write_result(results, model, f"{model}1", "2026-01-01T00:00:00+00:00",
                     {"uno": task([metric("win_rate", 0.5)], config={"games": games})})
    assert [c.label for c in build_board(collect_runs(results)).columns] == ["uno"]
