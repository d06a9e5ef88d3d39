"""Hand memory that the C heap holds freed back to the operating system (glibc only).

A batch on a CPU allocates and frees key/value tensors of many sizes (they grow by one token per
decode step). glibc's malloc keeps freed chunks in its heaps for reuse, and a heap shrinks only
from its top, so after batches of different shapes (the tasks of one run) the process keeps
holding hundreds of megabytes it no longer uses: resident memory ratchets up to well above what
is live. `release_free_heap` returns those free pages to the OS (`malloc_trim(0)`, which also
releases free pages in the middle of a heap), but only once more than `min_free_bytes` sit
freed, so small batches pay nothing and a large one pays one round of page faults when it next
touches that memory.

On other C libraries (macOS, musl) it does nothing and returns 0.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache
from typing import Any

DEFAULT_MIN_FREE_BYTES = 128 * 2**20


class _MallInfo2(ctypes.Structure):
    _fields_ = [  # noqa: RUF012 - ctypes' own declaration style
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")
    ]


@cache
def _glibc() -> Any | None:
    """glibc's malloc functions, or None where the C library is not glibc (or too old: mallinfo2 is 2.33+)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallinfo2, malloc_trim = libc.mallinfo2, libc.malloc_trim
    except (OSError, AttributeError):
        return None
    mallinfo2.restype = _MallInfo2
    malloc_trim.argtypes, malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    return libc


def free_heap_bytes() -> int:
    """Bytes that malloc holds freed in its heaps (all arenas), 0 where unknown."""
    libc = _glibc()
    return int(libc.mallinfo2().fordblks) if libc is not None else 0


def release_free_heap(min_free_bytes: int = DEFAULT_MIN_FREE_BYTES) -> int:
    """Return the heaps' free pages to the OS when more than `min_free_bytes` are free.

    Returns the free bytes it found (0: nothing done). Safe to call from any thread at any time;
    memory still in use is never touched.
    """
    libc = _glibc()
    free = free_heap_bytes()
    if libc is None or free <= min_free_bytes:
        return 0
    libc.malloc_trim(0)
    return free
