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
