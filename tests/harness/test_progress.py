from __future__ import annotations

import io
import time

from bench.harness.progress import Progress


def test_progress_lines_show_each_task_and_the_final_count():
    stream = io.StringIO()
    progress = Progress(stream, min_interval_s=0.0)
    progress.start("uno", 2)
    progress.advance("uno")
    progress.advance("uno")
    assert "uno 0/2" in stream.getvalue() and stream.getvalue().rstrip().endswith("uno 2/2")


def test_refresh_shows_a_heartbeat_only_after_a_quiet_spell():
    stream = io.StringIO()
    progress = Progress(stream, min_interval_s=60.0, heartbeat_s=0.05)
    progress.start("uno", 4)
    lines = stream.getvalue().count("\n")
    progress.refresh()
    assert stream.getvalue().count("\n") == lines
    time.sleep(0.06)
    progress.extra = "requests 7"
    progress.refresh()
    assert stream.getvalue().count("\n") == lines + 1 and "requests 7" in stream.getvalue()


def test_disabled_progress_writes_nothing():
    stream = io.StringIO()
    progress = Progress(stream, enabled=False)
    progress.start("x", 1)
    progress.advance("x")
    progress.close()
    assert stream.getvalue() == ""
