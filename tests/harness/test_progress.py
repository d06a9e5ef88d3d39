"""The progress reporter: plain periodic lines for logs, rich's live display on a terminal."""

from __future__ import annotations

import io
import time

import pytest
from bench.harness.progress import Progress


def test_plain_lines_show_each_task_and_the_final_count():
    stream = io.StringIO()
    progress = Progress(stream, min_interval_s=0.0)
    progress.start("uno", 2)
    progress.advance("uno")
    progress.advance("uno")
    lines = stream.getvalue().splitlines()
    assert "uno 0/2" in lines[0]
    assert "uno 1/2 (eta " in lines[1]
    assert "uno 2/2 |" in lines[-1] and "eta" not in lines[-1]


def test_plain_lines_are_rate_limited_but_a_finished_task_is_always_shown():
    stream = io.StringIO()
    progress = Progress(stream, min_interval_s=60.0)
    progress.start("a", 3)
    for _ in range(2):
        progress.advance("a")
    assert stream.getvalue().count("\n") == 1  # only the start line inside the interval
    progress.advance("a")
    assert stream.getvalue().count("\n") == 2 and "a 3/3" in stream.getvalue().splitlines()[-1]


def test_plain_line_shows_throughput_and_cache_hits():
    stream = io.StringIO()
    progress = Progress(stream, min_interval_s=0.0)
    progress.start("codegenbias", 10)
    progress.update_stats(requests=120, cache_hits=40, completion_tokens=25_000)
    progress.advance("codegenbias", 5)
    last = stream.getvalue().splitlines()[-1]
    assert "codegenbias 5/10 (eta " in last
    assert "requests 120 (" in last and "/s), gen tokens 25.0k (" in last and "cache hits 40" in last


def test_refresh_shows_a_heartbeat_only_after_a_quiet_spell():
    stream = io.StringIO()
    progress = Progress(stream, min_interval_s=60.0, heartbeat_s=0.05)
    progress.start("uno", 4)
    lines = stream.getvalue().count("\n")
    progress.refresh()
    assert stream.getvalue().count("\n") == lines
    time.sleep(0.06)
    progress.update_stats(7, 0, 0)
    progress.refresh()
    assert stream.getvalue().count("\n") == lines + 1 and "requests 7" in stream.getvalue()


def test_eta_extrapolates_the_rate_so_far(monkeypatch: pytest.MonkeyPatch):
    now = [100.0]
    monkeypatch.setattr("bench.harness.progress.time.monotonic", lambda: now[0])
    stream = io.StringIO()
    progress = Progress(stream, min_interval_s=0.0)
    progress.start("t", 4)  # started at t=100
    now[0] = 110.0
    progress.advance("t")  # 1 of 4 after 10 s: 30 s to go
    assert "t 1/4 (eta 30s)" in stream.getvalue().splitlines()[-1]
    now[0] = 200.0
    progress.advance("t")  # 2 of 4 after 100 s: 100 s to go
    assert "t 2/4 (eta 1m40s)" in stream.getvalue().splitlines()[-1]


def test_terminal_gets_rich_rows_per_task_and_for_the_model():
    stream = io.StringIO()
    progress = Progress(stream, interactive=True)
    progress.start("uno", 4)
    progress.start("codegenbias", 2)
    progress.advance("uno", 4)
    progress.update_stats(12, 3, 400)
    progress.close()
    text = stream.getvalue()
    assert "uno" in text and "4/4" in text and "codegenbias" in text and "0/2" in text
    assert "requests 12" in text and "cache hits 3" in text
    assert "[bench " not in text  # no plain lines on a terminal


def test_disabled_progress_writes_nothing():
    stream = io.StringIO()
    progress = Progress(stream, enabled=False)
    progress.start("x", 1)
    progress.advance("x")
    progress.update_stats(1, 1, 1)
    progress.refresh()
    progress.close()
    assert stream.getvalue() == ""
