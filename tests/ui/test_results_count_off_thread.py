"""COM-06 at 100,000 rows: the Results page's count of a searched filter is made off the
window's thread and an outdated count never replaces a newer one."""
from __future__ import annotations

import threading

from app.store import queries
from ui.models.results_model import ResultsModel


def test_com06_results_count_is_made_off_the_window_thread(qtbot, store, monkeypatch):
    model = ResultsModel()
    counted_in: list = []
    real = queries.count_results

    def spy(wanted):
        counted_in.append(threading.current_thread() is threading.main_thread())
        return real(wanted)
    monkeypatch.setattr(queries, "count_results", spy)
    model.filter = queries.ResultFilter(search="cà phê")
    with qtbot.waitSignal(model.counted, timeout=10_000) as blocker:
        model.count_later()
    assert blocker.args == [0] and counted_in == [False]


def test_an_outdated_count_is_dropped(qtbot, store):
    model = ResultsModel()
    seen: list[int] = []
    model.counted.connect(seen.append)
    model._count_generation = 2
    model._deliver_count(1, 99)          # a count started before the filter changed
    model._deliver_count(2, 7)
    assert seen == [7]
