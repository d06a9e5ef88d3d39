"""Factuality and faithfulness score columns: unweighted means of the tasks of each category."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.leaderboards.collection import collect_runs
from bench.leaderboards.site import build_site
from bench.leaderboards.tables import build_board, overview_frame
from result_builder import metric, task, write_result


def _probe(value: float, category: str) -> dict[str, object]:
    return task([metric("acc", value)], config={"category": category, "data": "sample"})


@pytest.fixture
def results(tmp_path: Path) -> Path:
    folder = tmp_path / "results"
    write_result(folder, "llama-1b", "r1", "2026-11-20T10:00:00+00:00", {
        "hallu_fever": _probe(0.8, "factuality"), "hallu_true_false": _probe(0.6, "factuality"),
        "hallu_memo_trap": _probe(0.2, "faithfulness"), "uno": task([metric("win_rate", 0.9)]),
    })
    write_result(folder, "mamba-1b", "r2", "2026-11-20T11:00:00+00:00", {
        "hallu_fever": _probe(0.5, "factuality"), "hallu_memo_trap": _probe(0.9, "faithfulness"),
    })
    write_result(folder, "other", "r3", "2026-11-20T12:00:00+00:00", {"uno": task([metric("win_rate", 0.1)])})
    return folder


def test_scores_are_unweighted_category_means_and_absent_without_probes(results: Path) -> None:
    board = build_board(collect_runs(results))
    rows = {row.model_name: row for row in board.rows}
    assert board.aggregate_names == ("factuality", "faithfulness")
    assert rows["llama-1b"].aggregates == pytest.approx({"factuality": 0.7, "faithfulness": 0.2})
    assert rows["mamba-1b"].aggregates == pytest.approx({"factuality": 0.5, "faithfulness": 0.9})
    assert rows["other"].aggregates == {}  # uno's 0.9 never counts
    frame = overview_frame(board).set_index("model")
    assert frame.loc["llama-1b", "factuality score"] == pytest.approx(0.7)


def test_the_overview_page_and_json_show_both_columns(results: Path, tmp_path: Path) -> None:
    build_site(results, tmp_path / "site")
    html = (tmp_path / "site" / "index.html").read_text()
    assert "Factuality score" in html and "Faithfulness score" in html and ">0.7<" in html
    data = json.loads((tmp_path / "site" / "data" / "leaderboard.json").read_text())
    assert {m["model"]: m["aggregates"] for m in data["models"]}["mamba-1b"] == pytest.approx(
        {"factuality": 0.5, "faithfulness": 0.9})


def test_a_board_without_probe_results_has_no_score_columns(tmp_path: Path) -> None:
    write_result(tmp_path / "r", "m", "r1", "2026-11-20T10:00:00+00:00", {"uno": task([metric("win_rate", 0.4)])})
    build_site(tmp_path / "r", tmp_path / "site")
    assert "Factuality score" not in (tmp_path / "site" / "index.html").read_text()
