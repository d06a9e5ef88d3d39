"""harness/heap.py: freed heap memory goes back to the OS above the threshold, nothing happens below
it, and a C library other than glibc is left alone. (The first test needs glibc Linux, as CI has.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from bench.harness import heap

# Fragments the main heap on purpose: 400 touched 64 KiB blocks (below malloc's mmap threshold,
# so they live in the heap), one block above them that keeps the heap from shrinking at its
# top, then the 400 freed. Prints resident KiB before and after release_free_heap.
_SCRIPT = textwrap.dedent(
    """
    import ctypes
    from bench.harness.heap import free_heap_bytes, release_free_heap

    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]

    def rss_kib():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))

    blocks = [libc.malloc(64 * 1024) for _ in range(400)]
    for block in blocks:
        ctypes.memset(block, 1, 64 * 1024)
    pin = libc.malloc(120 * 1024)  # too big for any hole below: it comes from the top
    for block in blocks:
        libc.free(block)
    before, free = rss_kib(), free_heap_bytes()
    skipped = release_free_heap(min_free_bytes=1 << 40)  # far above what is free: nothing done
    released = release_free_heap(min_free_bytes=1 << 20)
    print(before, rss_kib(), free, skipped, released)
    """
)


def test_freed_heap_blocks_go_back_to_the_os_above_the_threshold_only() -> None:
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=60, check=True)
    before, after, free, skipped, released = map(int, out.stdout.split())
    assert free >= 400 * 64 * 1024  # the freed blocks are counted as free heap
    assert skipped == 0 and released >= 400 * 64 * 1024
    assert before - after >= 20_000  # of the 25 600 KiB freed, at least 20 000 left the resident set


def test_other_c_libraries_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_glibc", lambda: None)
    assert heap.release_free_heap(0) == 0 and heap.free_heap_bytes() == 0
