"""The rendered site on disk: pages, escaping, the content security policy, data files, the CLI."""

from __future__ import annotations

import base64
import csv
import hashlib
import html as html_lib
import json
import os
import re
from pathlib import Path

import pytest
from bench.harness.cli import main
from bench.harness.errors import UsageError
from bench.leaderboards.collection import model_page_slug
from bench.leaderboards.site import MARKER, build_site
from result_builder import HOSTILE, demo_results


@pytest.fixture
def site(tmp_path: Path) -> Path:
    build_site(demo_results(tmp_path / "results"), tmp_path / "site")
    return tmp_path / "site"


def test_site_has_an_overview_one_page_per_task_version_and_per_model(site: Path) -> None:
    pages = sorted(p.name for p in site.glob("*.html"))
    assert pages == sorted(["index.html", "task-qa-v1.html", "task-qa-v2.html", "task-uno-v1.html",
                            *(f"model-{model_page_slug(m)}.html" for m in ("alpha-7b", "beta-1b", HOSTILE))])
    index = (site / "index.html").read_text()
    for page in pages:
        if page != "index.html":
            assert f'href="{page}' in index  # every page is reachable from the overview


def test_hostile_names_are_escaped_everywhere(site: Path) -> None:
    for page in site.glob("*.html"):
        html = page.read_text()
        assert "<script>alert" not in html, page.name
        assert len(re.findall(r"<script\b", html)) == 1, page.name  # only the site's own sorting script
    index = (site / "index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index


def test_inline_script_and_style_are_pinned_by_hash_in_the_csp(site: Path) -> None:
    html = (site / "index.html").read_text()
    csp = html_lib.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1))
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    for tag, directive in (("script", "script-src"), ("style", "style-src")):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", html, re.DOTALL).group(1)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in csp


def test_no_page_references_the_network(site: Path) -> None:
    for page in site.glob("*.html"):
        assert not re.search(r"""(src|href)="(https?:)?//""", page.read_text()), page.name


def test_task_page_shows_all_metrics_charts_task_plots_and_history(site: Path) -> None:
    html = (site / "task-uno-v1.html").read_text()
    assert "win_rate" in html and "fb_score" in html
    assert 'title="lower is better">↓' in html and 'title="higher is better">↑' in html
    charts = re.findall(r'src="(charts/[^"]+\.svg)"', html)
    assert len(charts) == 2 and all((site / c).is_file() for c in charts)
    artifacts = re.findall(r'src="(artifacts/[^"]+\.png)"', html)
    assert len(artifacts) == 1 and (site / artifacts[0]).read_bytes().startswith(b"\x89PNG")
    history = html.split("<h2>History</h2>")[1]
    assert history.count("<tr>") == 1 + 4  # header + all four runs of uno v1
    assert "[0.45, 0.65]" in html  # the reported CI of alpha's newest run


def test_model_page_shows_provenance_of_every_run(site: Path) -> None:
    html = (site / f"model-{model_page_slug('alpha-7b')}.html").read_text()
    for run_id in ("a1", "a2"):
        assert f'id="run-{run_id}"' in html
    for text in ("sha256:a2", "hf", "0123456789abcdef", "torch 2.13.0", "seed</dt><dd>1234", "bench eval --model alpha-7b"):
        assert text in html


def test_data_files_hold_the_tables(site: Path) -> None:
    with (site / "data" / "overview.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["model"] for r in rows] == ["alpha-7b", "beta-1b", HOSTILE]
    assert float(rows[0]["uno: win_rate"]) == 0.55
    board = json.loads((site / "data" / "leaderboard.json").read_text())
    assert [c["slug"] for c in board["columns"]] == ["qa-v1", "qa-v2", "uno-v1"]
    assert len(json.loads((site / "data" / "runs.json").read_text())) == 4
    assert (site / "data" / "metrics.csv").read_text().startswith("model,run_id,created_at")


def test_rebuilding_in_place_replaces_the_old_site(site: Path, tmp_path: Path) -> None:
    (site / "charts" / "stale.svg").write_text("<svg/>")
    build_site(tmp_path / "results", site)
    assert not (site / "charts" / "stale.svg").exists() and (site / MARKER).exists()


def test_refuses_to_write_into_a_folder_that_is_not_a_leaderboard(tmp_path: Path) -> None:
    results = demo_results(tmp_path / "results")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(UsageError, match="not empty and not a bench leaderboard"):
        build_site(results, tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    with pytest.raises(UsageError, match="would contain the results folder"):
        build_site(results, tmp_path)


def test_cli_builds_the_site_and_reports_input_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = demo_results(tmp_path / "results")
    assert main(["leaderboard", str(results), "-o", str(tmp_path / "site"), "--title", "My board"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("leaderboard: 3 models, 3 task columns, 4 runs") and "file://" in out
    assert "<title>Overview · My board</title>" in (tmp_path / "site" / "index.html").read_text()
    assert main(["leaderboard", str(tmp_path / "missing"), "-o", str(tmp_path / "s2")]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("bench: warning:")]
    assert len(err) == 1 and err[0].startswith("bench: error: results folder") and "does not exist" in err[0]


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    err = [line for line in captured.err.splitlines() if not line.startswith("bench: warning:")]
    assert captured.out == "" and len(err) == 1 and err[0].startswith("bench: error: ")
    return err[0]


def test_output_that_is_a_file_is_exit_two_before_reading_any_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bench.leaderboards.site as site_module

    monkeypatch.setattr(site_module, "collect_runs", lambda _: pytest.fail("documents read before -o was checked"))
    (tmp_path / "site.html").write_text("x")
    assert main(["leaderboard", str(tmp_path), "-o", str(tmp_path / "site.html")]) == 2
    assert "exists and is not a folder" in _one_error_line(capsys)
    assert main(["leaderboard", str(tmp_path), "-o", str(tmp_path / "site.html" / "sub")]) == 2
    assert "is not a folder" in _one_error_line(capsys)


def test_not_writable_check_uses_the_nearest_existing_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.leaderboards.site import check_site_dir

    seen: list[str] = []
    monkeypatch.setattr(os, "access", lambda path, mode: seen.append(str(path)) or False)
    with pytest.raises(UsageError, match="is not writable"):
        check_site_dir(tmp_path / "new" / "site", tmp_path / "results")
    assert seen == [str(tmp_path)]


def test_a_nan_metric_does_not_break_the_site(tmp_path: Path) -> None:
    results = demo_results(tmp_path / "results")
    path = next(results.rglob("b1/result.json"))
    path.write_text(path.read_text().replace('"value": 0.25', '"value": NaN'))
    summary = build_site(results, tmp_path / "site")
    assert summary.runs == 4 and summary.skipped == 0
    index = (tmp_path / "site" / "index.html").read_text()
    assert not re.search(r"\bnan\b", index, re.IGNORECASE)


def test_deeply_nested_document_is_skipped_not_a_recursion_error(tmp_path: Path) -> None:
    results = demo_results(tmp_path / "results")
    (results / "deep").mkdir()
    (results / "deep" / "result.json").write_text("[" * 100_000 + "]" * 100_000)
    summary = build_site(results, tmp_path / "site")
    assert summary.skipped == 1 and summary.runs == 4
