"""Driving the main window in tests: run something and wait until its run has finished."""
from __future__ import annotations

TIMEOUT = 60_000


def run_and_wait(qtbot, window, action) -> object:
    """Do `action` (a click) and return the RunFinished event of the run it started."""
    with qtbot.waitSignal(window.controller.run_finished, timeout=TIMEOUT) as blocker:
        action()
    qtbot.waitUntil(lambda: not window.controller.is_running(), timeout=TIMEOUT)
    return blocker.args[0]
