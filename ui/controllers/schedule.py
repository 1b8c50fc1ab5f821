"""Automatic sync every N minutes per connection while the app runs (COM-10).

One QTimer ticks every 30 seconds and starts whatever connection is due; a due run waits while
another run is busy instead of queueing up. `tick(now)` takes the time so tests need no waiting.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

TICK_MS = 30_000


def _now() -> datetime:
    return datetime.now(timezone.utc)


class AutoSync(QObject):
    due = Signal(object)                # the ConnectionProfile to sync now

    def __init__(self, list_profiles: Callable[[], list], is_busy: Callable[[], bool],
                 clock: Callable[[], datetime] = _now, parent=None) -> None:
        super().__init__(parent)
        self.list_profiles = list_profiles
        self.is_busy = is_busy
        self.clock = clock
        self.next_runs: dict[str, datetime] = {}
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(lambda: self.tick())

    def start(self) -> None:
        self.reschedule_all()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def reschedule_all(self) -> None:
        now = self.clock()
        known = {}
        for profile in self.list_profiles():
            if profile.schedule_minutes > 0:
                known[profile.name] = self.next_runs.get(
                    profile.name, now + timedelta(minutes=profile.schedule_minutes))
        self.next_runs = known

    def ran(self, profile_name: str) -> None:
        """A run of this connection just finished (manual or automatic): restart its clock."""
        for profile in self.list_profiles():
            if profile.name == profile_name and profile.schedule_minutes > 0:
                self.next_runs[profile.name] = self.clock() + timedelta(
                    minutes=profile.schedule_minutes)

    def next_run(self, profile_name: str) -> datetime | None:
        return self.next_runs.get(profile_name)

    def tick(self, now: datetime | None = None) -> None:
        self.reschedule_all()
        if self.is_busy():
            return
        now = now or self.clock()
        for profile in self.list_profiles():
            when = self.next_runs.get(profile.name)
            if when is not None and when <= now:
                self.next_runs[profile.name] = now + timedelta(minutes=profile.schedule_minutes)
                self.due.emit(profile)
                return                  # one at a time; the others wait for the next tick
