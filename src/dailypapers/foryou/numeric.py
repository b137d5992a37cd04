"""Numeric work of the ranker runs on one BLAS/OpenMP thread.

On the shared two-core machine, fitting the logistic regression (4,200 x 384) took about 1 s
with OpenBLAS's and OpenMP's default two threads competing with the rest of the machine, and
25 ms on one thread; a web worker also serves other requests meanwhile. ``single_threaded`` is
re-entrant and shared by every thread of the process: the limit is set when the first ranking
starts and the original restored when the last one ends, so no ranking runs half its work on
two threads.

Two products of a window's scoring are split explicitly over ``THREADS`` threads instead
(``by_halves`` here, and ``nearest``'s OpenMP product): a web request has both cores of a
small machine to itself, while digest worker processes, one per core, set one thread
(``use_threads``).
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

THREADS = min(2, os.cpu_count() or 1)  # threads of a window's split products
_LOCK = threading.Lock()
_state: dict[str, Any] = {"depth": 0, "limiter": None, "controller": None}


@contextmanager
def single_threaded() -> Iterator[None]:
    """Run the block with BLAS and OpenMP limited to one thread (nested and concurrent use
    share one limit)."""
    with _LOCK:
        if _state["depth"] == 0:
            if _state["controller"] is None:
                _state["controller"] = ThreadpoolController()
            _state["limiter"] = _state["controller"].limit(limits=1)
        _state["depth"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _state["depth"] -= 1
            if _state["depth"] == 0 and _state["limiter"] is not None:
                _state["limiter"].restore_original_limits()
                _state["limiter"] = None


def use_threads(count: int) -> None:
    """Set ``THREADS`` for this process (1 in digest worker processes)."""
    global THREADS
    THREADS = max(1, count)


_HALF = ThreadPoolExecutor(max_workers=1, thread_name_prefix="foryou-half")
SPLIT_ROWS = 500  # below this many rows a second thread costs more than it saves


def by_halves(score: Callable[[np.ndarray], np.ndarray], rows: np.ndarray, threads: int
              ) -> np.ndarray:  # fmt: skip
    """``score(rows)`` with the second half of the rows scored in another thread (numpy's
    products release the GIL), for a row-wise ``score``: the same values as one call."""
    if threads < 2 or len(rows) < SPLIT_ROWS:
        return score(rows)
    half = len(rows) // 2
    second = _HALF.submit(score, rows[half:])
    first = score(rows[:half])
    return np.concatenate([first, second.result()])


# glibc's mallopt parameters (malloc.h): no library exposes them, hence ctypes.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_MAX = 32 * 1024 * 1024  # the largest threshold glibc accepts on 64-bit


def keep_freed_memory() -> bool:
    """Keep freed memory in this process's heap instead of handing it back to the system.

    A fit allocates and frees tens of megabytes of arrays (the SVM's matrix and liblinear's
    copy of it, 2^20-wide weight vectors); by default glibc maps and unmaps the large ones
    each time, so every fit faults in fresh zeroed pages: in a digest worker that was about a
    fifth of its CPU time (1.1 million page faults per 200 accounts). For short-lived worker
    processes only: the heap then stays at its peak size. False where it does not apply (not
    glibc).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    ok = libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_MAX) == 1
    return libc.mallopt(_M_TRIM_THRESHOLD, 2**30) == 1 and ok


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: ``np.unique(values)`` for integer arrays, by sorting.

    numpy 2.3+ finds the distinct integers with a hash table first: 7 ms for the 55,000 term
    numbers of a library's tf-idf rows, 0.2 ms by sorting (the same array, same dtype).
    """
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]
