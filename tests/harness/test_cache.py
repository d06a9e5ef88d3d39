from __future__ import annotations

import multiprocessing
from pathlib import Path

from bench.harness.cache import RequestCache, request_cache_key
from bench.harness.requests import CompletionRequest, GenerationAnswer, GenerationParams


def _request(i: int) -> CompletionRequest:
    return CompletionRequest(f"prompt {i}", GenerationParams(max_tokens=4))


def test_stored_answer_is_returned_for_the_same_namespace_only(tmp_path: Path):
    cache = RequestCache(tmp_path / "c.sqlite")
    request = _request(1)
    key = request_cache_key("model-a", request)
    cache.put_many([(key, request, GenerationAnswer("out", 3, 1))])
    assert cache.get(key, request) == GenerationAnswer("out", 3, 1)
    assert cache.get(request_cache_key("model-b", request), request) is None


def _writer(path: str, start: int) -> None:
    cache = RequestCache(Path(path))
    for i in range(start, start + 200):
        request = _request(i % 250)  # the two writers overlap on 150 keys
        cache.put_many([(request_cache_key("m", request), request, GenerationAnswer(f"a{i % 250}", 1, 1))])
    cache.close()


def test_two_processes_writing_one_cache_do_not_corrupt_it(tmp_path: Path):
    path = str(tmp_path / "shared.sqlite")
    RequestCache(Path(path)).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, s)) for s in (0, 100)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    cache = RequestCache(Path(path))
    assert len(cache) == 250
    for i in range(250):
        request = _request(i)
        assert cache.get(request_cache_key("m", request), request) == GenerationAnswer(f"a{i}", 1, 1)


# ---- broken and locked cache files -----------------------------------------------------------
import sqlite3  # noqa: E402

import pytest  # noqa: E402
from bench.harness.cache import open_request_cache, rebuild_request_cache  # noqa: E402
from bench.harness.errors import CacheError  # noqa: E402


def _filled(path: Path, n: int) -> list[tuple[str, CompletionRequest, GenerationAnswer]]:
    cache = RequestCache(path)
    items = [(request_cache_key("m", _request(i)), _request(i), GenerationAnswer(f"answer {i} " + "x" * 300, 3, 1))
             for i in range(n)]
    cache.put_many(items)
    cache.close()
    return items


def _checkpointed(path: Path) -> None:
    """Fold the WAL into the main file, so damage to the file is damage to the answers."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")


def test_garbage_file_is_one_line_naming_the_file_and_the_rebuild_flag(tmp_path: Path):
    path = tmp_path / "requests.sqlite"
    path.write_bytes(b"this is not a database\n" * 100)
    with pytest.raises(CacheError) as caught:
        RequestCache(path)
    message = str(caught.value)
    assert str(path) in message and "--rebuild-cache" in message and "\n" not in message
    assert caught.value.exit_code == 2


def test_rebuild_moves_a_garbage_file_aside_and_starts_empty(tmp_path: Path):
    path = tmp_path / "requests.sqlite"
    path.write_bytes(b"\x00garbage" * 1000)
    cache = open_request_cache(path, rebuild=True)
    assert len(cache) == 0
    cache.close()
    [moved] = tmp_path.glob("requests.sqlite.broken-*")
    assert moved.read_bytes() == b"\x00garbage" * 1000


def test_truncated_file_is_reported_and_rebuilt_with_the_rows_still_readable(tmp_path: Path):
    path = tmp_path / "requests.sqlite"
    items = _filled(path, 400)
    _checkpointed(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CacheError, match="is corrupt"):
        RequestCache(path)
    report = rebuild_request_cache(path)
    cache = RequestCache(path)
    kept = sum(cache.get(key, request) == answer for key, request, answer in items)
    assert kept == report.copied == len(cache)
    assert 0 < kept < 400  # the first half of the file survived, the rest is gone
    assert report.moved_to.exists() and report.moved_to.name.startswith("requests.sqlite.broken-")


def test_corrupt_page_loses_only_its_rows(tmp_path: Path):
    path = tmp_path / "requests.sqlite"
    items = _filled(path, 400)
    _checkpointed(path)
    page_size = 4096
    data = bytearray(path.read_bytes())
    assert len(data) > 20 * page_size
    middle = (len(data) // page_size // 2) * page_size
    data[middle : middle + page_size] = b"\xff" * page_size  # one page of the answers table destroyed
    path.write_bytes(bytes(data))
    with pytest.raises(CacheError, match="is corrupt"):
        RequestCache(path)
    cache = open_request_cache(path, rebuild=True)
    kept = sum(cache.get(key, request) == answer for key, request, answer in items)
    assert 300 < kept < 400


def test_non_json_row_is_a_counted_miss_not_a_failure(tmp_path: Path):
    path = tmp_path / "requests.sqlite"
    items = _filled(path, 3)
    bad_key, bad_request, _ = items[1]
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE answers SET answer = ? WHERE key = ?", ("{not json", bad_key))
    cache = RequestCache(path)
    assert cache.get(bad_key, bad_request) is None
    assert cache.skipped_rows == 1
    assert cache.get(items[0][0], items[0][1]) == items[0][2]
    fresh = GenerationAnswer("recomputed", 3, 1)
    cache.put_many([(bad_key, bad_request, fresh)])  # the recomputed answer takes the bad row's place
    assert cache.get(bad_key, bad_request) == fresh


def test_rebuild_skips_rows_that_are_not_answers(tmp_path: Path):
    path = tmp_path / "requests.sqlite"
    items = _filled(path, 5)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE answers SET answer = '[1, 2]' WHERE key = ?", (items[0][0],))
        conn.execute("UPDATE answers SET kind = 'nonsense' WHERE key = ?", (items[1][0],))
    report = rebuild_request_cache(path)
    assert (report.copied, report.skipped) == (3, 2)


def test_cache_locked_by_another_writer_fails_fast_naming_the_file(tmp_path: Path):
    path = tmp_path / "requests.sqlite"
    items = _filled(path, 1)
    cache = RequestCache(path, busy_timeout_s=0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another run holds the write lock
    try:
        with pytest.raises(CacheError, match=rf"request cache {path} is locked by another writer \(waited 0.2 s"):
            cache.put_many([(request_cache_key("m", _request(9)), _request(9), GenerationAnswer("x", 1, 1))])
        assert cache.get(items[0][0], items[0][1]) == items[0][2]  # readers are not blocked (WAL)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    cache.put_many([(request_cache_key("m", _request(9)), _request(9), GenerationAnswer("x", 1, 1))])
    assert len(cache) == 2


RUN = ["eval", "--backend", "fake", "--model", "m", "--tasks", "arithmetic_dialogue",
       "--task-args", "arithmetic_dialogue.episodes=2,arithmetic_dialogue.turns=2", "--no-progress"]


def test_run_on_a_garbage_cache_is_one_line_exit_2_and_rebuild_cache_recovers(bench_main, tmp_path: Path):
    path = tmp_path / "requests.sqlite"
    path.write_bytes(b"garbage" * 500)
    failed = bench_main(*RUN, "--cache-path", str(path), "--output-path", str(tmp_path / "a"))
    assert failed.returncode == 2
    assert failed.stderr.strip().splitlines() == [
        f"bench: error: request cache {path} is corrupt (file is not a database); run again with --rebuild-cache "
        "to move it aside (to requests.sqlite.broken-<time>) and keep every answer still readable, or use --no-cache"
    ]
    rebuilt = bench_main(*RUN, "--cache-path", str(path), "--output-path", str(tmp_path / "b"), "--rebuild-cache")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert len(list(tmp_path.glob("requests.sqlite.broken-*"))) == 1
    assert len(RequestCache(path)) == 4  # the run's answers went into the fresh cache
