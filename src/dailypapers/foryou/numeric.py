"""Numeric work of the ranker runs on one BLAS/OpenMP thread.

On the shared two-core machine, fitting the logistic regression (4,200 x 384) took about 1 s
with OpenBLAS's and OpenMP's default two threads competing with the rest of the machine, and
25 ms on one thread; a web worker also serves other requests meanwhile. ``single_threaded`` is
re-entrant and shared by every thread of the process: the limit is set when the first ranking
starts and the original restored when the last one ends, so no ranking runs half its work on
two threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from threadpoolctl import ThreadpoolController

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
