"""Python's cyclic garbage collector while a run works.

A 100,000-product pull allocates tens of millions of small objects (dicts of parsed pages,
records, rows), almost all freed at once by reference counting. The collector still counts
them: a young-generation pass every 700 allocations, and older passes that walk every
object alive in the process (modules, the window's widgets, a sample shop's data). That
was a quarter of a first pull's time, and a full pass holds the GIL long enough to stall
the window.

During a run, objects that were alive before it are moved out of the collector's passes
(`gc.freeze`), and a young pass waits until `YOUNG_THRESHOLD` more container objects are
alive than at the last one (CPython counts allocations minus frees) instead of 700. A pull
frees almost everything it makes by reference counting, so passes become rare: three in a
30,000-product pull instead of hundreds. Reference cycles made during the run are still
collected, only later; the HTTP layer keeps responses out of cycles (connectors/http.py) so
that pages do not wait for a pass.

When the last overlapping run ends, the thresholds come back and the frozen objects return
to the oldest generation (`gc.unfreeze`), so garbage among them is not kept for good.

The collector is one per process, so this is the one piece of process-wide state in the
sync code: a count of the runs inside the pause, behind a lock.
"""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

YOUNG_THRESHOLD = 200_000   # net new objects between young passes; CPython's default is 700


class _Collector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs = 0
        self._saved: tuple[int, ...] = gc.get_threshold()

    @contextmanager
    def paused(self) -> Iterator[None]:
        with self._lock:
            if self._runs == 0:
                self._saved = gc.get_threshold()
                gc.freeze()
                if self._saved[0] and self._saved[0] < YOUNG_THRESHOLD:
                    gc.set_threshold(YOUNG_THRESHOLD, *self._saved[1:])
            self._runs += 1
        try:
            yield
        finally:
            with self._lock:
                self._runs -= 1
                if self._runs == 0:
                    gc.set_threshold(*self._saved)
                    gc.unfreeze()


_COLLECTOR = _Collector()


def collector_paused():
    """Context manager: the collector relaxed as described above, for the length of a run
    (runs may overlap; the last one out restores it)."""
    return _COLLECTOR.paused()
