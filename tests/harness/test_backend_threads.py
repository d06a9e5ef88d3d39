"""The run's backend worker threads (scheduler._BackendThreads): consecutive calls reuse one worker
(one malloc arena for every batch), a call that waits for another gets its own worker, shutdown
stops them all, and an abandoned (Ctrl-C) shutdown does not wait for a call in flight."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from bench.harness.scheduler import _BackendThreads


def _backend_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "bench-backend" and t.is_alive()]


def test_consecutive_calls_run_on_one_reused_worker() -> None:
    pool = _BackendThreads()
    try:
        idents = [pool.submit(threading.get_ident).result(timeout=10) for _ in range(20)]
        assert len(set(idents)) == 1 and pool.workers == 1
        assert idents[0] != threading.get_ident()
    finally:
        pool.shutdown(wait=True)
    assert pool.workers == 0 and _backend_threads() == []


def test_asyncio_to_thread_batches_share_the_worker() -> None:
    async def batches() -> set[int]:
        asyncio.get_running_loop().set_default_executor(pool)
        return {await asyncio.to_thread(threading.get_ident) for _ in range(10)}

    pool = _BackendThreads()
    try:
        assert len(asyncio.run(batches())) == 1  # asyncio.run shuts the default executor down
    finally:
        pool.shutdown(wait=True)
    assert pool.workers == 0


def test_a_call_waiting_for_another_gets_its_own_worker() -> None:
    # lm-eval tasks block a worker until their answers come back from a batch on another worker
    pool = _BackendThreads()
    try:
        inner_ident = pool.submit(lambda: pool.submit(threading.get_ident).result(timeout=10)).result(timeout=20)
        assert pool.workers == 2 and inner_ident in {t.ident for t in _backend_threads()}
        # both are idle again: the next two concurrent calls start no third worker
        release = threading.Event()
        first, second = pool.submit(release.wait, 10), pool.submit(release.wait, 10)
        release.set()
        assert first.result(timeout=10) and second.result(timeout=10) and pool.workers == 2
        # with two idle workers, consecutive calls still go to one (the last to finish)
        assert len({pool.submit(threading.get_ident).result(timeout=10) for _ in range(10)}) == 1
    finally:
        pool.shutdown(wait=True)
    assert pool.workers == 0 and _backend_threads() == []


def test_a_failing_call_hands_its_exception_over_and_the_worker_goes_on() -> None:
    pool = _BackendThreads()
    try:
        with pytest.raises(ZeroDivisionError):
            pool.submit(lambda: 1 / 0).result(timeout=10)
        assert pool.submit(lambda: 6 * 7).result(timeout=10) == 42 and pool.workers == 1
    finally:
        pool.shutdown(wait=True)


def test_abandoned_shutdown_does_not_wait_for_the_call_in_flight() -> None:
    pool = _BackendThreads()
    release = threading.Event()
    started = threading.Event()
    pool.submit(lambda: None).result(timeout=10)  # an idle worker besides the busy one below

    def hold() -> bool:
        started.set()
        return release.wait(30)

    busy = pool.submit(hold)
    assert started.wait(10)
    idle_worker = pool.submit(threading.get_ident)  # the busy worker cannot take it: a second one does
    idle_worker.result(timeout=10)
    pool.abandon()
    began = time.monotonic()
    pool.shutdown(wait=True)
    assert time.monotonic() - began < 2.0  # the busy call (up to 30 s) is not waited for
    assert pool.workers == 1  # the idle worker stopped; the busy one is left running
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)
    release.set()
    deadline = time.monotonic() + 10
    while pool.workers and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool.workers == 0 and not busy.done()  # it stopped at its stop sign; its answer was dropped


def test_each_call_hands_the_freed_heap_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.harness import scheduler

    released: list[int] = []

    def release() -> int:
        released.append(threading.get_ident())
        return 0

    monkeypatch.setattr(scheduler, "release_free_heap", release)
    pool = _BackendThreads()
    try:
        idents = [pool.submit(threading.get_ident).result(timeout=10) for _ in range(3)]
    finally:
        pool.shutdown(wait=True)
    assert released == idents  # on the worker, after each call, before its answer was handed over
